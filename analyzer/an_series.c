/* analyzer/an_series.c: interning of strings, frames, stacks and allocating
 * functions (lib/util/hs_intern.h), and the per-site series. Every
 * profile costs one pass over its locations and one over its samples. */
#include "an_series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_array.h"
#include "hs_intern.h"
#include "symbolize.h"

/* ---- the series ---- */

typedef struct an_colpt {
    uint32_t site;
    an_point p;
} an_colpt;

struct an_series {
    const an_frames *filter;
    size_t nsnaps;

    char **str;
    uint32_t nstr;
    size_t capstr;
    hs_intern str_tab;
    /* Per function name (string id of system_name, or of name when there is
     * none): its short name and signature ids + 1 (0 = not computed yet), so
     * each name is demangled and shortened once. */
    uint32_t *name_short, *name_sig;
    size_t name_cap;
    uint8_t *wrapper; /* per signature string id: 1 = allocator wrapper (finish) */

    an_frame *frames;
    uint32_t nframes;
    size_t capframes;
    hs_intern frame_tab;

    uint32_t *stacks;
    size_t nstacks, capstacks;

    an_site *sites;
    uint32_t nsites;
    size_t capsites;
    hs_intern site_tab;

    an_group *groups;
    uint32_t ngroups;
    size_t capgroups;
    hs_intern group_tab;

    double *tot_bytes, *tot_objects, *tot_alloc;

    /* Site of each sample of the previous profile: snapshots of one process
     * list mostly the same stacks in the same order, so sample i is first
     * checked against the previous profile's sample i (a sequential walk that
     * the cache likes) before the hash table is probed. */
    uint32_t *prev_site;
    size_t nprev;

    /* Points are appended here in input order (sequential writes) and sorted
     * into one block per site by an_series_finish. */
    an_colpt *col;
    size_t ncol, capcol;
    an_point *pts; /* every site's points, site by site */
    an_held *held; /* the labelled samples' holders (an_series_held) */
    size_t nheld, capheld;
    an_held *typed; /* every sample's type label, "" for none (an_series_typed) */
    size_t ntyped, captyped;
    bool any_type;
};

/* Grows a table of the series; ids are uint32_t, so no table passes
 * UINT32_MAX elements. */
static int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need >= UINT32_MAX)
        return -1;
    return hs_array_grow(arr, cap, need, elem, 256);
}

an_series *an_series_new(const an_frames *filter, size_t nsnaps)
{
    an_series *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->filter = filter;
    s->nsnaps = nsnaps;
    s->tot_bytes = calloc(nsnaps ? nsnaps : 1, sizeof(double));
    s->tot_objects = calloc(nsnaps ? nsnaps : 1, sizeof(double));
    s->tot_alloc = calloc(nsnaps ? nsnaps : 1, sizeof(double));
    if (s->tot_bytes == NULL || s->tot_objects == NULL || s->tot_alloc == NULL) {
        an_series_free(s);
        return NULL;
    }
    return s;
}

void an_series_free(an_series *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->nstr; i++)
        free(s->str[i]);
    free(s->str);
    free(s->name_short);
    free(s->name_sig);
    free(s->wrapper);
    hs_intern_free(&s->str_tab);
    free(s->frames);
    hs_intern_free(&s->frame_tab);
    free(s->stacks);
    free(s->pts);
    free(s->col);
    free(s->sites);
    hs_intern_free(&s->site_tab);
    free(s->groups);
    hs_intern_free(&s->group_tab);
    free(s->held);
    free(s->typed);
    free(s->tot_bytes);
    free(s->tot_objects);
    free(s->tot_alloc);
    free(s->prev_site);
    free(s);
}

/* The id of key in t, or a new one (the next element number, next) with
 * *added; UINT32_MAX when out of memory. */
static uint32_t intern_key(hs_intern *t, const void *key, size_t klen, uint32_t next, int *added)
{
    uint32_t v = hs_intern_get_or_put(t, key, klen, next + 1, added);
    return v == 0 ? UINT32_MAX : v - 1;
}

/* String id of str (interned); UINT32_MAX when out of memory. */
static uint32_t intern_str(an_series *s, const char *str)
{
    size_t len = strlen(str);
    uint32_t v = hs_intern_get(&s->str_tab, str, len);
    if (v != 0)
        return v - 1;
    if (grow_array((void **)&s->str, &s->capstr, (size_t)s->nstr + 1, sizeof(char *)) != 0)
        return UINT32_MAX;
    char *copy = strdup(str);
    int added;
    if (copy == NULL || intern_key(&s->str_tab, str, len, s->nstr, &added) == UINT32_MAX) {
        free(copy);
        return UINT32_MAX;
    }
    s->str[s->nstr] = copy;
    return s->nstr++;
}

/* Frame id of (names, file, line, module); names = {short, signature} ids. */
static uint32_t intern_frame(an_series *s, const uint32_t names[2], uint32_t file, int64_t line,
                             uint32_t module)
{
    if (names[0] == UINT32_MAX || names[1] == UINT32_MAX || file == UINT32_MAX ||
        module == UINT32_MAX)
        return UINT32_MAX;
    if (grow_array((void **)&s->frames, &s->capframes, (size_t)s->nframes + 1, sizeof(an_frame)))
        return UINT32_MAX;
    /* the short name follows from the signature: not part of the key */
    uint64_t key[3] = {(uint64_t)names[1] << 32 | file, module, (uint64_t)line};
    int added;
    uint32_t id = intern_key(&s->frame_tab, key, sizeof(key), s->nframes, &added);
    if (id == UINT32_MAX || !added)
        return id;
    an_frame *f = &s->frames[s->nframes];
    memset(f, 0, sizeof(*f));
    f->function = names[0];
    f->signature = names[1];
    f->file = file;
    f->module = module;
    f->line = line;
    return s->nframes++;
}

/* A name the symbolizers give code without a symbol: "0x1234" or
 * "libfoo.so+0x1234" (heapsnap's, and unsymbolized_frame's below). */
static bool unsymbolized_name(const char *name)
{
    const char *hex = strstr(name, "0x");
    if (hex == NULL || (hex != name && (hex < name + 2 || hex[-1] != '+')))
        return false;
    if (hex[2] == '\0')
        return false;
    for (const char *c = hex + 2; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

static uint32_t intern_group(an_series *s, uint32_t function, uint32_t signature, uint32_t file)
{
    if (grow_array((void **)&s->groups, &s->capgroups, (size_t)s->ngroups + 1, sizeof(an_group)))
        return UINT32_MAX;
    uint32_t key[2] = {signature, file};
    int added;
    uint32_t id = intern_key(&s->group_tab, key, sizeof(key), s->ngroups, &added);
    if (id == UINT32_MAX || !added)
        return id;
    s->groups[s->ngroups] =
        (an_group){.function = function, .signature = signature, .file = file, .nsites = 0};
    return s->ngroups++;
}

/* Site id of the stack frames[0..n) (leaf first); UINT32_MAX on OOM. */
static uint32_t intern_site(an_series *s, const uint32_t *frames, uint32_t n)
{
    if (grow_array((void **)&s->sites, &s->capsites, (size_t)s->nsites + 1, sizeof(an_site)) ||
        hs_array_grow((void **)&s->stacks, &s->capstacks, s->nstacks + n, sizeof(uint32_t), 4096))
        return UINT32_MAX;
    int added;
    uint32_t id = intern_key(&s->site_tab, n ? (const void *)frames : "", n * sizeof(uint32_t),
                             s->nsites, &added);
    if (id == UINT32_MAX || !added)
        return id;
    if (n > 0) /* an empty stack may come as NULL */
        memcpy(s->stacks + s->nstacks, frames, n * sizeof(uint32_t));
    an_site *site = &s->sites[s->nsites];
    memset(site, 0, sizeof(*site));
    site->stack = (uint32_t)s->nstacks;
    site->nframes = n;
    s->nstacks += n;
    return s->nsites++;
}

static int add_point(an_series *s, uint32_t site, const an_point *p)
{
    if (hs_array_grow((void **)&s->col, &s->capcol, s->ncol + 1, sizeof(an_colpt), 65536) != 0)
        return -1;
    s->col[s->ncol++] = (an_colpt){site, *p};
    return 0;
}

/* ---- the user's frame ----
 *
 * A site's allocating function is the first frame, from the leaf, that is
 * the user's own code: not the allocator, not a standard library or runtime
 * (an_frames_kind), and not an allocator wrapper. A wrapper is recognised by
 * what it does over the whole series: a function of the program that
 *   - only ever calls the allocator: in every stack it appears in, all the
 *     frames leaf-side of it are the allocator or other wrappers (or it is
 *     the leaf, the frame that called malloc), and
 *   - is called directly by at least AN_WRAPPER_MIN_CALLERS distinct
 *     functions.
 * Such a function has no data structure of its own to keep memory in: what it
 * returns is held by whoever asked, so the leak is its caller's (xmalloc,
 * sqlite3MallocZero, a project's own my_alloc). Three callers, because a
 * function that allocates and keeps its result is commonly reached from two
 * places (an init and a reload path, a loop and a test hook) and must stay a
 * suspect; a helper that serves three or more unrelated callers is shared
 * plumbing. Wrappers found this way can make further wrappers (a wrapper of
 * a wrapper), so the rule is applied until nothing changes. */
#define AN_WRAPPER_MIN_CALLERS 3
#define AN_WRAPPER_ROUNDS 8

typedef struct fn_pair {
    uint32_t fn, caller;
} fn_pair;

static int cmp_pair(const void *a, const void *b)
{
    const fn_pair *x = a, *y = b;
    if (x->fn != y->fn)
        return x->fn < y->fn ? -1 : 1;
    return x->caller < y->caller ? -1 : x->caller > y->caller;
}

static bool skipped(const an_series *s, const an_frame *f)
{
    return f->kind != AN_FRAME_USER || s->wrapper[f->signature];
}

/* The first frame of the user's code in stack[0..n): after the leading run of
 * skipped frames and frames without a symbol that end in a skipped one of
 * the same file (a stripped allocator calls static helpers of its own:
 * sqlite3Malloc's), the first frame that is not skipped. Falls back to the first frame that is not
 * the allocator, then to the leaf. */
static uint32_t first_user_frame(const an_series *s, const uint32_t *stack, uint32_t n)
{
    uint32_t start = 0;
    for (uint32_t i = 0; i < n; i++) {
        const an_frame *f = &s->frames[stack[i]];
        if (skipped(s, f)) {
            /* Helpers live in the file of the code they help: frames of a
             * stripped program below its C runtime are the program's. */
            bool helpers = true;
            for (uint32_t j = start; j < i && helpers; j++)
                helpers = s->frames[stack[j]].module == f->module;
            if (!helpers)
                break;
            start = i + 1;
        } else if (!unsymbolized_name(s->str[f->function])) {
            break;
        }
    }
    for (uint32_t i = start; i < n; i++)
        if (!skipped(s, &s->frames[stack[i]]))
            return i;
    for (uint32_t i = 0; i < n; i++)
        if (s->frames[stack[i]].kind != AN_FRAME_ALLOCATOR)
            return i;
    return 0;
}

/* One round of the wrapper rule; returns how many functions became wrappers. */
static int find_wrappers(an_series *s, uint8_t *calls_other, fn_pair **pairs, size_t *cap)
{
    size_t np = 0;
    memset(calls_other, 0, s->nstr);
    for (uint32_t k = 0; k < s->nsites; k++) {
        const an_site *site = &s->sites[k];
        const uint32_t *stack = s->stacks + site->stack;
        uint32_t pos = first_user_frame(s, stack, site->nframes);
        if (site->nframes == 0)
            continue;
        /* Every program function root-side of the first one calls code other
         * than the allocator. */
        for (uint32_t i = pos + 1; i < site->nframes; i++)
            calls_other[s->frames[stack[i]].signature] = 1;
        const an_frame *f = &s->frames[stack[pos]];
        if (f->kind != AN_FRAME_USER || unsymbolized_name(s->str[f->function]))
            continue;
        for (uint32_t i = 0; i < pos; i++)
            if (s->frames[stack[i]].kind == AN_FRAME_LIBRARY)
                calls_other[f->signature] = 1; /* goes through a library */
        if (pos + 1 >= site->nframes)
            continue;
        if (np == *cap) {
            size_t ncap = *cap ? *cap * 2 : 1024;
            fn_pair *n = realloc(*pairs, ncap * sizeof(*n));
            if (n == NULL)
                return -1;
            *pairs = n;
            *cap = ncap;
        }
        (*pairs)[np++] = (fn_pair){f->signature, s->frames[stack[pos + 1]].signature};
    }
    if (np > 1)
        qsort(*pairs, np, sizeof(fn_pair), cmp_pair);
    int found = 0;
    for (size_t i = 0; i < np;) {
        size_t j = i, callers = 0;
        for (; j < np && (*pairs)[j].fn == (*pairs)[i].fn; j++)
            if (j == i || (*pairs)[j].caller != (*pairs)[j - 1].caller)
                callers++;
        uint32_t fn = (*pairs)[i].fn;
        if (!calls_other[fn] && callers >= AN_WRAPPER_MIN_CALLERS && !s->wrapper[fn]) {
            s->wrapper[fn] = 1;
            found++;
        }
        i = j;
    }
    return found;
}

/* Chooses every site's frames and group (see the rule above). */
static int choose_frames(an_series *s)
{
    for (uint32_t i = 0; i < s->nframes; i++) {
        an_frame *f = &s->frames[i];
        f->kind = (uint8_t)an_frames_kind(s->filter, s->str[f->function], s->str[f->signature],
                                          s->str[f->file], s->str[f->module]);
    }
    free(s->wrapper);
    s->wrapper = calloc(s->nstr ? s->nstr : 1, 1);
    uint8_t *calls_other = calloc(s->nstr ? s->nstr : 1, 1);
    fn_pair *pairs = NULL;
    size_t cap = 0;
    int rc = s->wrapper != NULL && calls_other != NULL ? 0 : -1;
    for (int round = 0; rc == 0 && round < AN_WRAPPER_ROUNDS; round++) {
        int found = find_wrappers(s, calls_other, &pairs, &cap);
        if (found < 0)
            rc = -1;
        if (found <= 0)
            break;
    }
    free(pairs);
    free(calls_other);
    if (rc != 0)
        return -1;
    uint32_t none = intern_str(s, "[no stack]"), empty = intern_str(s, "");
    if (none == UINT32_MAX || empty == UINT32_MAX)
        return -1;
    for (uint32_t g = 0; g < s->ngroups; g++)
        s->groups[g].nsites = 0;
    for (uint32_t k = 0; k < s->nsites; k++) {
        an_site *site = &s->sites[k];
        const uint32_t *stack = s->stacks + site->stack;
        uint32_t group;
        if (site->nframes == 0) {
            site->raw_pos = site->alloc_pos = 0;
            site->named = false;
            group = intern_group(s, none, none, empty);
        } else {
            uint32_t raw = first_user_frame(s, stack, site->nframes), pos = raw;
            /* No symbol: name the site by the first frame above it that has
             * one and is the program's (the raw frame stays in the path). */
            bool named = !unsymbolized_name(s->str[s->frames[stack[raw]].function]);
            for (uint32_t i = raw + 1; i < site->nframes && !named; i++) {
                const an_frame *f = &s->frames[stack[i]];
                if (!skipped(s, f) && !unsymbolized_name(s->str[f->function])) {
                    pos = i;
                    named = true;
                }
            }
            site->raw_pos = raw;
            site->alloc_pos = pos;
            site->named = named;
            const an_frame *f = &s->frames[stack[pos]];
            group = intern_group(s, f->function, f->signature, f->file);
        }
        if (group == UINT32_MAX)
            return -1;
        site->group = group;
        s->groups[group].nsites++;
    }
    return 0;
}

bool an_series_is_wrapper(const an_series *s, uint32_t function)
{
    return s->wrapper != NULL && function < s->nstr && s->wrapper[function];
}

int an_series_finish(an_series *s, hs_err *err)
{
    if (choose_frames(s) != 0)
        return hs_err_set(err, "out of memory while indexing call sites: analyze fewer profiles");
    size_t *start = calloc((size_t)s->nsites + 1, sizeof(size_t));
    an_point *pts = malloc((s->ncol ? s->ncol : 1) * sizeof(an_point));
    if (start == NULL || pts == NULL) {
        free(start);
        free(pts);
        return hs_err_set(err, "out of memory while indexing call sites: analyze fewer profiles");
    }
    /* Counting sort by site; stable, so each site's points stay in input order. */
    for (size_t i = 0; i < s->ncol; i++)
        start[s->col[i].site + 1]++;
    for (uint32_t i = 0; i < s->nsites; i++)
        start[i + 1] += start[i];
    for (uint32_t i = 0; i < s->nsites; i++)
        s->sites[i].npts = 0;
    for (size_t i = 0; i < s->ncol; i++) {
        an_site *site = &s->sites[s->col[i].site];
        an_point *dst = pts + start[s->col[i].site];
        const an_point *p = &s->col[i].p;
        /* One site seen twice in a profile (labels, addresses): one point. */
        if (site->npts > 0 && dst[site->npts - 1].snap == p->snap) {
            dst[site->npts - 1].bytes += p->bytes;
            dst[site->npts - 1].objects += p->objects;
            dst[site->npts - 1].alloc_bytes += p->alloc_bytes;
            dst[site->npts - 1].big_bytes += p->big_bytes;
            dst[site->npts - 1].big_objects += p->big_objects;
            dst[site->npts - 1].big_alloc += p->big_alloc;
            dst[site->npts - 1].exact_bytes += p->exact_bytes;
        } else {
            dst[site->npts++] = *p;
        }
    }
    for (uint32_t i = 0; i < s->nsites; i++)
        s->sites[i].pts = pts + start[i];
    free(start);
    free(s->col);
    s->col = NULL;
    s->ncol = s->capcol = 0;
    free(s->pts);
    s->pts = pts;
    return 0;
}

/* Per profile: location -> the frame ids its lines expand to. */
typedef struct loc_frames {
    uint32_t start, count;
} loc_frames;

typedef struct loc_ref {
    uint64_t id;
    size_t index;
} loc_ref;

static int cmp_loc_ref(const void *a, const void *b)
{
    const loc_ref *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The short name and signature ids of a function named raw in a profile
 * (system the mangled name, or ""), into names[2]; UINT32_MAX on OOM. Old
 * profiles and other producers put a full signature in Function.name; ours
 * put the short name there and the mangled one in system_name. */
static void function_names(an_series *s, const char *raw, const char *system, uint32_t names[2])
{
    names[0] = names[1] = UINT32_MAX;
    /* Keyed by the mangled name when there is one: different functions can
     * share a short name (every std::__new_allocator::allocate). */
    uint32_t id = intern_str(s, system[0] ? system : raw);
    if (id == UINT32_MAX)
        return;
    if (id >= s->name_cap) {
        size_t old = s->name_cap, cap = old;
        if (grow_array((void **)&s->name_short, &cap, (size_t)id + 1, sizeof(uint32_t)) != 0)
            return;
        cap = old;
        if (grow_array((void **)&s->name_sig, &cap, (size_t)id + 1, sizeof(uint32_t)) != 0)
            return;
        memset(s->name_short + old, 0, (cap - old) * sizeof(uint32_t));
        memset(s->name_sig + old, 0, (cap - old) * sizeof(uint32_t));
        s->name_cap = cap;
    }
    if (s->name_short[id] == 0) {
        uint32_t sig = intern_str(s, raw), shrt = sig;
        char *full = strchr(raw, '(') == NULL ? sym_demangle_full(system) : NULL;
        if (full != NULL) {
            sig = intern_str(s, full);
            free(full);
        }
        if (strpbrk(raw, "<(") != NULL) {
            size_t len = strlen(raw) + 1;
            char *buf = malloc(len);
            if (buf == NULL)
                return;
            sym_short_name(raw, buf, len);
            shrt = intern_str(s, buf);
            free(buf);
        }
        if (sig == UINT32_MAX || shrt == UINT32_MAX)
            return;
        s->name_short[id] = shrt + 1;
        s->name_sig[id] = sig + 1;
    }
    names[0] = s->name_short[id] - 1;
    names[1] = s->name_sig[id] - 1;
}

/* A frame without symbols: the mapping's file name and the offset into it, which
 * stay the same across runs where the raw address does not. */
static uint32_t unsymbolized_frame(an_series *s, const pprof_profile *p,
                                   const pprof_pb_location *loc, uint32_t module)
{
    char name[512];
    const pprof_pb_mapping *m = loc->mapping_id ? pprof_mapping(p, loc->mapping_id) : NULL;
    if (m != NULL) {
        const char *file = pprof_str(p, m->filename);
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        uint64_t off = loc->address - m->memory_start + m->file_offset;
        snprintf(name, sizeof(name), "%s+0x%llx", base[0] ? base : "?", (unsigned long long)off);
    } else {
        snprintf(name, sizeof(name), "0x%llx", (unsigned long long)loc->address);
    }
    uint32_t id = intern_str(s, name);
    uint32_t names[2] = {id, id};
    return intern_frame(s, names, intern_str(s, ""), 0, module);
}

/* A sample's size class: its numeric label "bytes" (heapsnap's and Go's
 * profiles carry one), else its bytes per object. */
static int64_t sample_class(const pprof_pb_sample *smp, int64_t bytes_key, int64_t bytes,
                            int64_t objects)
{
    for (size_t l = 0; l < smp->n_label; l++)
        if (smp->label[l]->key == bytes_key && smp->label[l]->str == 0)
            return smp->label[l]->num;
    return objects > 0 ? bytes / objects : 0;
}

typedef struct class_ref {
    int64_t cls;
    size_t sample;
} class_ref;

static int cmp_class_ref(const void *a, const void *b)
{
    const class_ref *x = a, *y = b;
    return x->cls < y->cls ? -1 : x->cls > y->cls;
}

/* For a profile scaled to exact size-class totals: the share of its class's
 * in-use bytes that each sample holds (malloc'd, one per sample); NULL when
 * the profile is not such a profile or on OOM (then no value counts as exact). */
static double *class_shares(const pprof_profile *p, const an_series_cols *cols)
{
    const pprof_pb_profile *pb = p->pb;
    if (!cols->exact_classes || cols->bytes < 0 || pb->n_sample == 0)
        return NULL;
    int64_t bytes_key = -1;
    for (size_t i = 0; i < pb->n_string_table; i++)
        if (strcmp(pb->string_table[i], "bytes") == 0) {
            bytes_key = (int64_t)i;
            break;
        }
    class_ref *refs = malloc(pb->n_sample * sizeof(*refs));
    double *share = calloc(pb->n_sample, sizeof(double));
    if (refs == NULL || share == NULL) {
        free(refs);
        free(share);
        return NULL;
    }
    for (size_t i = 0; i < pb->n_sample; i++) {
        const pprof_pb_sample *smp = pb->sample[i];
        int64_t b = smp->value[cols->bytes];
        int64_t o = cols->objects >= 0 ? smp->value[cols->objects] : 0;
        refs[i] = (class_ref){sample_class(smp, bytes_key, b, o), i};
    }
    qsort(refs, pb->n_sample, sizeof(*refs), cmp_class_ref);
    for (size_t a = 0; a < pb->n_sample;) {
        size_t z = a;
        double total = 0;
        while (z < pb->n_sample && refs[z].cls == refs[a].cls)
            total += (double)pb->sample[refs[z++].sample]->value[cols->bytes];
        for (size_t k = a; k < z && total > 0; k++)
            share[refs[k].sample] = (double)pb->sample[refs[k].sample]->value[cols->bytes] / total;
        a = z;
    }
    free(refs);
    return share;
}

/* The sample's held_by label, if it has one, into s->held. 0, or -1 (OOM). */
static int add_held(an_series *s, const pprof_profile *p, const pprof_pb_sample *smp, uint32_t snap,
                    uint32_t site, int64_t bytes)
{
    for (size_t l = 0; l < smp->n_label; l++) {
        if (strcmp(pprof_str(p, smp->label[l]->key), "held_by") != 0)
            continue;
        uint32_t holder = intern_str(s, pprof_str(p, smp->label[l]->str));
        if (holder == UINT32_MAX ||
            hs_array_grow((void **)&s->held, &s->capheld, s->nheld + 1, sizeof(*s->held), 256) != 0)
            return -1;
        s->held[s->nheld++] = (an_held){snap, site, holder, bytes};
        return 0;
    }
    return 0;
}

/* The sample's type label ("" when it has none) into s->typed, so that
 * shares are of all the site's bytes. 0, or -1 (OOM). */
static int add_typed(an_series *s, const pprof_profile *p, const pprof_pb_sample *smp,
                     uint32_t snap, uint32_t site, int64_t bytes)
{
    const char *type = "";
    for (size_t l = 0; l < smp->n_label; l++)
        if (strcmp(pprof_str(p, smp->label[l]->key), "type") == 0)
            type = pprof_str(p, smp->label[l]->str);
    uint32_t id = intern_str(s, type);
    if (id == UINT32_MAX ||
        hs_array_grow((void **)&s->typed, &s->captyped, s->ntyped + 1, sizeof(*s->typed), 256) != 0)
        return -1;
    s->any_type |= type[0] != '\0';
    s->typed[s->ntyped++] = (an_held){snap, site, id, bytes};
    return 0;
}

const an_held *an_series_typed(const an_series *s, size_t *n)
{
    *n = s->any_type ? s->ntyped : 0;
    return s->typed;
}

const an_held *an_series_held(const an_series *s, size_t *n)
{
    *n = s->nheld;
    return s->held;
}

/* heapsnap's [unsampled ...] holds what of a size class's exact total no
 * sample named: how much that is, is the sampling noise of the class's other
 * sites, so none of it is pinned. */
static bool unsampled_site(const an_series *s, const uint32_t *stack, size_t n)
{
    return n > 0 && strncmp(an_series_str(s, s->frames[stack[0]].function), "[unsampled ", 11) == 0;
}

int an_series_add_profile(an_series *s, uint32_t snap, const pprof_profile *p,
                          const an_series_cols *cols, hs_err *err)
{
    double *share = class_shares(p, cols);
    const pprof_pb_profile *pb = p->pb;
    size_t nloc = pb->n_location;
    loc_frames *lf = calloc(nloc ? nloc : 1, sizeof(*lf));
    loc_ref *refs = calloc(nloc ? nloc : 1, sizeof(*refs));
    uint32_t *lframes = NULL, *stack = NULL;
    size_t nlframes = 0, caplframes = 0, capstack = 0;
    uint32_t *cur_site = calloc(pb->n_sample ? pb->n_sample : 1, sizeof(uint32_t));
    int rc = -1;
    if (lf == NULL || refs == NULL || cur_site == NULL)
        goto oom;

    for (size_t k = 0; k < nloc; k++) {
        const pprof_pb_location *loc = pb->location[k];
        refs[k] = (loc_ref){loc->id, k};
        lf[k].start = (uint32_t)nlframes;
        size_t nl = loc->n_line ? loc->n_line : 1;
        if (nlframes + nl > caplframes) {
            size_t ncap = caplframes ? caplframes * 2 : 1024;
            while (ncap < nlframes + nl)
                ncap *= 2;
            uint32_t *n = realloc(lframes, ncap * sizeof(uint32_t));
            if (n == NULL)
                goto oom;
            lframes = n;
            caplframes = ncap;
        }
        const pprof_pb_mapping *m = loc->mapping_id ? pprof_mapping(p, loc->mapping_id) : NULL;
        uint32_t module = intern_str(s, m != NULL ? pprof_str(p, m->filename) : "");
        if (loc->n_line == 0) {
            uint32_t f = unsymbolized_frame(s, p, loc, module);
            if (f == UINT32_MAX)
                goto oom;
            lframes[nlframes++] = f;
        }
        for (size_t l = 0; l < loc->n_line; l++) {
            const pprof_pb_line *line = loc->line[l];
            const pprof_pb_function *fn = pprof_function(p, line->function_id);
            const char *name = "?", *file = "", *system = "";
            if (fn != NULL) {
                name = pprof_str(p, fn->name);
                system = pprof_str(p, fn->system_name);
                if (name[0] == '\0')
                    name = system;
                if (name[0] == '\0')
                    name = "?";
                file = pprof_str(p, fn->filename);
            }
            uint32_t names[2];
            function_names(s, name, system, names);
            uint32_t f = intern_frame(s, names, intern_str(s, file), line->line, module);
            if (f == UINT32_MAX)
                goto oom;
            lframes[nlframes++] = f;
        }
        lf[k].count = (uint32_t)(nlframes - lf[k].start);
    }
    /* Producers number locations 1..n in order (lib/pprof and Go do): then an
     * id is its index; otherwise look it up. */
    bool dense = true;
    for (size_t k = 0; k < nloc && dense; k++)
        dense = refs[k].id == k + 1;
    if (!dense)
        qsort(refs, nloc, sizeof(*refs), cmp_loc_ref);

    for (size_t i = 0; i < pb->n_sample; i++) {
        const pprof_pb_sample *smp = pb->sample[i];
        size_t n = 0;
        for (size_t l = 0; l < smp->n_location_id; l++) {
            uint64_t id = smp->location_id[l];
            size_t index;
            if (dense) {
                if (id == 0 || id > nloc)
                    continue; /* the reader rejects unknown ids; be safe anyway */
                index = id - 1;
            } else {
                loc_ref key = {id, 0};
                const loc_ref *r = bsearch(&key, refs, nloc, sizeof(*refs), cmp_loc_ref);
                if (r == NULL)
                    continue;
                index = r->index;
            }
            const loc_frames *f = &lf[index];
            if (n + f->count > capstack) {
                size_t ncap = capstack ? capstack * 2 : 256;
                while (ncap < n + f->count)
                    ncap *= 2;
                uint32_t *ns = realloc(stack, ncap * sizeof(uint32_t));
                if (ns == NULL)
                    goto oom;
                stack = ns;
                capstack = ncap;
            }
            if (f->count > 0)
                memcpy(stack + n, lframes + f->start, f->count * sizeof(uint32_t));
            n += f->count;
        }
        int64_t bytes = cols->bytes >= 0 ? smp->value[cols->bytes] : 0;
        int64_t objects = cols->objects >= 0 ? smp->value[cols->objects] : 0;
        int64_t alloc = cols->alloc_bytes >= 0 ? smp->value[cols->alloc_bytes] : 0;
        s->tot_bytes[snap] += (double)bytes;
        s->tot_objects[snap] += (double)objects;
        s->tot_alloc[snap] += (double)alloc;
        cur_site[i] = UINT32_MAX;
        if (bytes == 0 && objects == 0 && alloc == 0)
            continue; /* nothing to follow: keep the site table small */
        uint32_t site = UINT32_MAX;
        if (i < s->nprev && s->prev_site[i] != UINT32_MAX) {
            const an_site *guess = &s->sites[s->prev_site[i]];
            if (guess->nframes == n &&
                (n == 0 || memcmp(s->stacks + guess->stack, stack, n * sizeof(uint32_t)) == 0))
                site = s->prev_site[i];
        }
        if (site == UINT32_MAX)
            site = intern_site(s, stack, (uint32_t)n);
        cur_site[i] = site;
        bool pinned = share != NULL && !unsampled_site(s, stack, n);
        an_point pt = {snap, bytes, objects, alloc, 0, 0, 0, pinned ? share[i] * (double)bytes : 0};
        /* The sample's object size, from what is held or else what was allocated. */
        int64_t aobj = cols->alloc_objects >= 0 ? smp->value[cols->alloc_objects] : 0;
        double size = objects > 0 ? (double)bytes / (double)objects
                                  : (aobj > 0 ? (double)alloc / (double)aobj : 0);
        if (cols->big_size > 0 && size >= cols->big_size) {
            pt.big_bytes = bytes;
            pt.big_objects = objects;
            pt.big_alloc = alloc;
        }
        if (site == UINT32_MAX || add_point(s, site, &pt) != 0 ||
            add_held(s, p, smp, snap, site, bytes) != 0 ||
            add_typed(s, p, smp, snap, site, bytes) != 0)
            goto oom;
    }
    free(s->prev_site);
    s->prev_site = cur_site;
    s->nprev = pb->n_sample;
    cur_site = NULL;
    rc = 0;
    goto out;
oom:
    hs_err_set(err, "out of memory while indexing call sites: analyze fewer or smaller profiles");
out:
    free(share);
    free(cur_site);
    free(lf);
    free(refs);
    free(lframes);
    free(stack);
    return rc;
}

const char *an_series_str(const an_series *s, uint32_t id)
{
    return id < s->nstr ? s->str[id] : "";
}

const an_frame *an_series_frame(const an_series *s, uint32_t id)
{
    return &s->frames[id];
}

const uint32_t *an_series_stack(const an_series *s, const an_site *site)
{
    return s->stacks + site->stack;
}

size_t an_series_nsites(const an_series *s)
{
    return s->nsites;
}

const an_site *an_series_site(const an_series *s, size_t i)
{
    return &s->sites[i];
}

size_t an_series_ngroups(const an_series *s)
{
    return s->ngroups;
}

const an_group *an_series_group(const an_series *s, size_t i)
{
    return &s->groups[i];
}

const double *an_series_total_bytes(const an_series *s)
{
    return s->tot_bytes;
}

const double *an_series_total_objects(const an_series *s)
{
    return s->tot_objects;
}

const double *an_series_total_alloc(const an_series *s)
{
    return s->tot_alloc;
}
