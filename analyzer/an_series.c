/* analyzer/an_series.c: interning of strings, frames, stacks and allocating
 * functions in open-addressing hash tables, and the per-site series. Every
 * profile costs one pass over its locations and one over its samples. */
#include "an_series.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- an index table: hash -> element number, equality decided by the caller ---- */

typedef struct htab {
    uint64_t *hash;
    uint32_t *val; /* element number + 1; 0 = empty */
    size_t cap, n;
} htab;

static int htab_grow(htab *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 1024;
    uint64_t *nh = calloc(ncap, sizeof(*nh));
    uint32_t *nv = calloc(ncap, sizeof(*nv));
    if (nh == NULL || nv == NULL) {
        free(nh);
        free(nv);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (t->val[i] == 0)
            continue;
        size_t j = t->hash[i] & (ncap - 1);
        while (nv[j] != 0)
            j = (j + 1) & (ncap - 1);
        nh[j] = t->hash[i];
        nv[j] = t->val[i];
    }
    free(t->hash);
    free(t->val);
    t->hash = nh;
    t->val = nv;
    t->cap = ncap;
    return 0;
}

static void htab_free(htab *t)
{
    free(t->hash);
    free(t->val);
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

#define HASH_SEED 1469598103934665603ULL

/* Stacks are hashed a word at a time (they are hashed once per sample). */
static uint64_t hash_words(const uint32_t *w, size_t n)
{
    uint64_t h = HASH_SEED ^ (n * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < n; i++) {
        h ^= w[i];
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    return h;
}

/* ---- the series ---- */

typedef struct an_colpt {
    uint32_t site;
    an_point p;
} an_colpt;

struct an_series {
    const an_frames *filter;
    size_t nsnaps;

    char **str;
    uint32_t nstr, capstr;
    htab str_tab;
    uint8_t *str_alloc; /* per string: 0 unknown, 1 program code, 2 allocator */
    uint32_t str_alloc_cap;

    an_frame *frames;
    uint32_t nframes, capframes;
    htab frame_tab;

    uint32_t *stacks;
    size_t nstacks, capstacks;

    an_site *sites;
    uint32_t nsites, capsites;
    htab site_tab;

    an_group *groups;
    uint32_t ngroups, capgroups;
    htab group_tab;

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
};

static int grow_array_from(void **arr, uint32_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? (size_t)*cap * 2 : first;
    while (ncap < need)
        ncap *= 2;
    if (ncap > UINT32_MAX)
        return -1;
    void *n = realloc(*arr, ncap * elem);
    if (n == NULL)
        return -1;
    *arr = n;
    *cap = (uint32_t)ncap;
    return 0;
}

static int grow_array(void **arr, uint32_t *cap, size_t need, size_t elem)
{
    return grow_array_from(arr, cap, need, elem, 256);
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
    free(s->str_alloc);
    htab_free(&s->str_tab);
    free(s->frames);
    htab_free(&s->frame_tab);
    free(s->stacks);
    free(s->pts);
    free(s->col);
    free(s->sites);
    htab_free(&s->site_tab);
    free(s->groups);
    htab_free(&s->group_tab);
    free(s->tot_bytes);
    free(s->tot_objects);
    free(s->tot_alloc);
    free(s->prev_site);
    free(s);
}

/* String id of str (interned); UINT32_MAX when out of memory. */
static uint32_t intern_str(an_series *s, const char *str)
{
    size_t len = strlen(str);
    uint64_t h = hash_bytes(str, len, HASH_SEED);
    if ((s->str_tab.n + 1) * 2 > s->str_tab.cap && htab_grow(&s->str_tab) != 0)
        return UINT32_MAX;
    size_t j = h & (s->str_tab.cap - 1);
    while (s->str_tab.val[j] != 0) {
        uint32_t id = s->str_tab.val[j] - 1;
        if (s->str_tab.hash[j] == h && strcmp(s->str[id], str) == 0)
            return id;
        j = (j + 1) & (s->str_tab.cap - 1);
    }
    if (grow_array((void **)&s->str, &s->capstr, (size_t)s->nstr + 1, sizeof(char *)) != 0)
        return UINT32_MAX;
    char *copy = strdup(str);
    if (copy == NULL)
        return UINT32_MAX;
    s->str[s->nstr] = copy;
    s->str_tab.hash[j] = h;
    s->str_tab.val[j] = s->nstr + 1;
    s->str_tab.n++;
    return s->nstr++;
}

static uint32_t intern_frame(an_series *s, const char *function, const char *file, int64_t line)
{
    an_frame f;
    f.function = intern_str(s, function);
    f.file = intern_str(s, file);
    f.line = line;
    if (f.function == UINT32_MAX || f.file == UINT32_MAX)
        return UINT32_MAX;
    uint64_t h = hash_bytes(&f.function, sizeof(f.function), HASH_SEED);
    h = hash_bytes(&f.file, sizeof(f.file), h);
    h = hash_bytes(&f.line, sizeof(f.line), h);
    if ((s->frame_tab.n + 1) * 2 > s->frame_tab.cap && htab_grow(&s->frame_tab) != 0)
        return UINT32_MAX;
    size_t j = h & (s->frame_tab.cap - 1);
    while (s->frame_tab.val[j] != 0) {
        const an_frame *o = &s->frames[s->frame_tab.val[j] - 1];
        if (s->frame_tab.hash[j] == h && o->function == f.function && o->file == f.file &&
            o->line == f.line)
            return s->frame_tab.val[j] - 1;
        j = (j + 1) & (s->frame_tab.cap - 1);
    }
    if (grow_array((void **)&s->frames, &s->capframes, (size_t)s->nframes + 1, sizeof(an_frame)))
        return UINT32_MAX;
    s->frames[s->nframes] = f;
    s->frame_tab.hash[j] = h;
    s->frame_tab.val[j] = s->nframes + 1;
    s->frame_tab.n++;
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

static bool is_allocator(an_series *s, uint32_t fn)
{
    if (fn >= s->str_alloc_cap) {
        uint32_t old = s->str_alloc_cap;
        if (grow_array((void **)&s->str_alloc, &s->str_alloc_cap, (size_t)fn + 1, 1) != 0)
            return false;
        memset(s->str_alloc + old, 0, s->str_alloc_cap - old);
    }
    if (s->str_alloc[fn] == 0)
        s->str_alloc[fn] = an_frames_is_allocator(s->filter, s->str[fn]) ? 2 : 1;
    return s->str_alloc[fn] == 2;
}

static uint32_t intern_group(an_series *s, uint32_t function, uint32_t file)
{
    uint64_t h = hash_bytes(&function, sizeof(function), HASH_SEED);
    h = hash_bytes(&file, sizeof(file), h);
    if ((s->group_tab.n + 1) * 2 > s->group_tab.cap && htab_grow(&s->group_tab) != 0)
        return UINT32_MAX;
    size_t j = h & (s->group_tab.cap - 1);
    while (s->group_tab.val[j] != 0) {
        const an_group *g = &s->groups[s->group_tab.val[j] - 1];
        if (s->group_tab.hash[j] == h && g->function == function && g->file == file)
            return s->group_tab.val[j] - 1;
        j = (j + 1) & (s->group_tab.cap - 1);
    }
    if (grow_array((void **)&s->groups, &s->capgroups, (size_t)s->ngroups + 1, sizeof(an_group)))
        return UINT32_MAX;
    s->groups[s->ngroups] = (an_group){.function = function, .file = file, .nsites = 0};
    s->group_tab.hash[j] = h;
    s->group_tab.val[j] = s->ngroups + 1;
    s->group_tab.n++;
    return s->ngroups++;
}

/* Site id of the stack frames[0..n) (leaf first); UINT32_MAX on OOM. */
static uint32_t intern_site(an_series *s, const uint32_t *frames, uint32_t n)
{
    uint64_t h = hash_words(frames, n);
    if ((s->site_tab.n + 1) * 2 > s->site_tab.cap && htab_grow(&s->site_tab) != 0)
        return UINT32_MAX;
    size_t j = h & (s->site_tab.cap - 1);
    while (s->site_tab.val[j] != 0) {
        const an_site *o = &s->sites[s->site_tab.val[j] - 1];
        if (s->site_tab.hash[j] == h && o->nframes == n &&
            memcmp(s->stacks + o->stack, frames, n * sizeof(uint32_t)) == 0)
            return s->site_tab.val[j] - 1;
        j = (j + 1) & (s->site_tab.cap - 1);
    }
    if (grow_array((void **)&s->sites, &s->capsites, (size_t)s->nsites + 1, sizeof(an_site)))
        return UINT32_MAX;
    size_t need = s->nstacks + n;
    if (need > s->capstacks) {
        size_t ncap = s->capstacks ? s->capstacks * 2 : 4096;
        while (ncap < need)
            ncap *= 2;
        uint32_t *ns = realloc(s->stacks, ncap * sizeof(uint32_t));
        if (ns == NULL || ncap > UINT32_MAX)
            return UINT32_MAX;
        s->stacks = ns;
        s->capstacks = ncap;
    }
    memcpy(s->stacks + s->nstacks, frames, n * sizeof(uint32_t));

    /* The allocating frame: the first one that is not the allocator or a
     * wrapper. A frame without a symbol that comes before (leaf-side of) an
     * allocator frame is the allocator's own static helper -- sqlite3Malloc
     * calls one in a stripped libsqlite3 -- so the search starts after the
     * last allocator frame of the leading run of such frames. */
    uint32_t start = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t fn = s->frames[frames[i]].function;
        if (is_allocator(s, fn))
            start = i + 1;
        else if (!unsymbolized_name(s->str[fn]))
            break;
    }
    uint32_t pos = 0;
    for (uint32_t i = start < n ? start : 0; i < n; i++) {
        if (!is_allocator(s, s->frames[frames[i]].function)) {
            pos = i;
            break;
        }
    }
    uint32_t group;
    if (n == 0)
        group = intern_group(s, intern_str(s, "[no stack]"), intern_str(s, ""));
    else
        group = intern_group(s, s->frames[frames[pos]].function, s->frames[frames[pos]].file);
    if (group == UINT32_MAX)
        return UINT32_MAX;
    s->groups[group].nsites++;

    an_site *site = &s->sites[s->nsites];
    memset(site, 0, sizeof(*site));
    site->stack = (uint32_t)s->nstacks;
    site->nframes = n;
    site->alloc_pos = pos;
    site->group = group;
    s->nstacks += n;
    s->site_tab.hash[j] = h;
    s->site_tab.val[j] = s->nsites + 1;
    s->site_tab.n++;
    return s->nsites++;
}

static int add_point(an_series *s, uint32_t site, uint32_t snap, int64_t bytes, int64_t objects,
                     int64_t alloc)
{
    if (s->ncol == s->capcol) {
        size_t ncap = s->capcol ? s->capcol * 2 : 65536;
        an_colpt *n = realloc(s->col, ncap * sizeof(*n));
        if (n == NULL)
            return -1;
        s->col = n;
        s->capcol = ncap;
    }
    s->col[s->ncol++] = (an_colpt){site, {snap, bytes, objects, alloc}};
    return 0;
}

int an_series_finish(an_series *s, hs_err *err)
{
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

/* A frame without symbols: the mapping's file name and the offset into it, which
 * stay the same across runs where the raw address does not. */
static uint32_t unsymbolized_frame(an_series *s, const pprof_profile *p,
                                   const pprof_pb_location *loc)
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
    return intern_frame(s, name, "", 0);
}

int an_series_add_profile(an_series *s, uint32_t snap, const pprof_profile *p,
                          const an_series_cols *cols, hs_err *err)
{
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
        if (loc->n_line == 0) {
            uint32_t f = unsymbolized_frame(s, p, loc);
            if (f == UINT32_MAX)
                goto oom;
            lframes[nlframes++] = f;
        }
        for (size_t l = 0; l < loc->n_line; l++) {
            const pprof_pb_line *line = loc->line[l];
            const pprof_pb_function *fn = pprof_function(p, line->function_id);
            const char *name = "?", *file = "";
            if (fn != NULL) {
                name = pprof_str(p, fn->name);
                if (name[0] == '\0')
                    name = pprof_str(p, fn->system_name);
                if (name[0] == '\0')
                    name = "?";
                file = pprof_str(p, fn->filename);
            }
            uint32_t f = intern_frame(s, name, file, line->line);
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
                memcmp(s->stacks + guess->stack, stack, n * sizeof(uint32_t)) == 0)
                site = s->prev_site[i];
        }
        if (site == UINT32_MAX)
            site = intern_site(s, stack, (uint32_t)n);
        cur_site[i] = site;
        if (site == UINT32_MAX || add_point(s, site, snap, bytes, objects, alloc) != 0)
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
