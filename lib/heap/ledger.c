/* lib/heap/ledger.c: the RSS ledger (see ledger.h). The address space is cut
 * into segments -- every mapping, split at glibc's 64 MiB heap boundaries so
 * that each non-main heap is a segment of its own (mappings of more than
 * 64 GiB stay whole) -- each knowing its resident bytes. Chunks and labelled
 * ranges take the resident bytes they cover, byte by byte; what is left of a
 * segment goes to the segment's kind (a heap's leftover is malloc's headers).
 * Every resident byte lies in exactly one segment, so the parts add up to the
 * resident set. */
#include "ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_array.h"

#define LG_HEAP_ALIGN (64ull << 20) /* HEAP_MAX_SIZE: a non-main heap never crosses it */
/* Mappings larger than this are not split: no run of merged heaps is that
 * large, and a runtime's reservation of terabytes would make millions of
 * segments. */
#define LG_SPLIT_MAX (64ull << 30)
#define LG_PAGE 4096u
#define LG_CHUNK_STRUCT 48u /* sizeof (struct malloc_chunk) */
#define LG_MINSIZE 32u

typedef enum lg_kind {
    LG_MAIN_HEAP, /* [heap]: the main arena's sbrk heap */
    LG_STACK,     /* [stack] */
    LG_CODE,
    LG_DATA,
    LG_OTHER,
} lg_kind;

typedef struct lg_seg {
    uint64_t start, end;
    uint64_t resident, covered;
    int arena; /* the arena whose chunks lie here, -1 none */
    lg_kind kind;
    size_t vma;
} lg_seg;

struct ledger {
    const procmaps *maps;
    const resident_set *res;
    lg_seg *seg;
    size_t nseg;
    ledger_result r;
    size_t arcap;
    bool oom;
    /* the free run malloc_consolidate would merge, being built */
    bool run;
    int run_arena;
    uint64_t run_start, run_end;
    bool run_top;
};

static const char *const lg_names[LEDGER_NPARTS] = {
    "in_use",        "free_tcache", "free_fastbin",  "free_unsorted",  "free_smallbin",
    "free_largebin", "top",         "arena_headers", "mmapped",        "hook_tables",
    "thread_stacks", "file_code",   "file_data",     "other_mappings",
};

const char *ledger_part_name(ledger_part p)
{
    return (unsigned)p < LEDGER_NPARTS ? lg_names[p] : "?";
}

void ledger_trim_range(uint64_t start, uint64_t end, int is_top, int is_main, uint64_t *lo,
                       uint64_t *hi)
{
    *lo = *hi = end;
    uint64_t size = end - start;
    if (is_top) {
        if (!is_main || size <= LG_MINSIZE + 1)
            return;
        uint64_t extra = (size - LG_MINSIZE - 1) & ~(uint64_t)(LG_PAGE - 1);
        *lo = end - extra;
        return;
    }
    if (size <= LG_PAGE - 1 + LG_CHUNK_STRUCT)
        return;
    uint64_t pal = (start + LG_CHUNK_STRUCT + LG_PAGE - 1) & ~(uint64_t)(LG_PAGE - 1);
    if (end <= pal || end - pal <= LG_PAGE - 1)
        return;
    *lo = pal;
    *hi = pal + ((end - pal) & ~(uint64_t)(LG_PAGE - 1));
}

/* ---- segments ---- */

static bool lg_is_file(const procmaps_entry *e)
{
    return e->path[0] == '/' && e->inode != 0 && strncmp(e->path, "/memfd:", 7) != 0 &&
           strncmp(e->path, "/SYSV", 5) != 0 && strncmp(e->path, "/dev/zero", 9) != 0;
}

static lg_kind lg_kind_of(const procmaps *m, size_t i)
{
    const procmaps_entry *e = &m->v[i];
    if (strcmp(e->path, "[heap]") == 0)
        return LG_MAIN_HEAP;
    if (strcmp(e->path, "[stack]") == 0)
        return LG_STACK;
    if (lg_is_file(e))
        return e->x ? LG_CODE : LG_DATA;
    /* .bss: the anonymous mapping that continues a file's writable data */
    const procmaps_entry *p = i ? &m->v[i - 1] : NULL;
    if (e->path[0] == '\0' && e->inode == 0 && p && p->end == e->start && lg_is_file(p) && p->w)
        return LG_DATA;
    return LG_OTHER;
}

static int lg_add_seg(ledger *l, size_t *cap, const lg_seg *s)
{
    if (hs_array_grow((void **)&l->seg, cap, l->nseg + 1, sizeof(*l->seg), 256))
        return -1;
    l->seg[l->nseg++] = *s;
    return 0;
}

ledger *ledger_new(const procmaps *maps, const resident_set *res, hs_err *err)
{
    ledger *l = calloc(1, sizeof(*l));
    if (l == NULL)
        goto oom;
    l->maps = maps;
    l->res = res;
    size_t cap = 0;
    for (size_t i = 0; i < maps->n; i++) {
        const procmaps_entry *e = &maps->v[i];
        lg_kind kind = lg_kind_of(maps, i);
        bool split = e->end - e->start <= LG_SPLIT_MAX;
        for (uint64_t s = e->start; s < e->end;) {
            uint64_t next = (s & ~(LG_HEAP_ALIGN - 1)) + LG_HEAP_ALIGN;
            uint64_t end = split && next < e->end && next > s ? next : e->end;
            lg_seg g = {.start = s,
                        .end = end,
                        .resident = resident_bytes(res, s, end),
                        .arena = -1,
                        .kind = kind,
                        .vma = i};
            if (lg_add_seg(l, &cap, &g))
                goto oom;
            s = end;
        }
    }
    return l;
oom:
    ledger_free(l);
    hs_err_set(err, "out of memory for the RSS ledger");
    return NULL;
}

void ledger_free(ledger *l)
{
    if (l == NULL)
        return;
    free(l->seg);
    free(l->r.arenas);
    free(l);
}

void ledger_result_free(ledger_result *r)
{
    free(r->arenas);
    memset(r, 0, sizeof(*r));
}

static ledger_arena *lg_arena(ledger *l, int ai)
{
    if (ai < 0)
        return NULL;
    size_t old = l->arcap;
    if (hs_array_grow((void **)&l->r.arenas, &l->arcap, (size_t)ai + 1, sizeof(*l->r.arenas), 8)) {
        l->oom = true;
        return NULL;
    }
    if (l->arcap > old)
        memset(l->r.arenas + old, 0, (l->arcap - old) * sizeof(*l->r.arenas));
    if ((size_t)ai >= l->r.narenas)
        l->r.narenas = (size_t)ai + 1;
    return &l->r.arenas[ai];
}

/* The first segment ending after addr. */
static size_t lg_seg_at(const ledger *l, uint64_t addr)
{
    return hs_array_upper_bound(l->seg, l->nseg, sizeof(*l->seg), offsetof(lg_seg, end), addr);
}

/* Gives the resident bytes of [start, end) to part (and arena ai, -1 none);
 * returns them. */
static uint64_t lg_take(ledger *l, uint64_t start, uint64_t end, ledger_part part, int ai)
{
    uint64_t sum = 0;
    for (size_t i = lg_seg_at(l, start); i < l->nseg && l->seg[i].start < end; i++) {
        lg_seg *g = &l->seg[i];
        uint64_t a = g->start > start ? g->start : start, b = g->end < end ? g->end : end;
        uint64_t bytes = resident_bytes(l->res, a, b);
        g->covered += bytes;
        if (ai >= 0 && g->arena < 0)
            g->arena = ai;
        sum += bytes;
    }
    l->r.parts[part] += sum;
    ledger_arena *ar = lg_arena(l, ai);
    if (ar && part < LEDGER_NARENA_PARTS)
        ar->parts[part] += sum;
    return sum;
}

void ledger_label(ledger *l, uint64_t start, uint64_t end, ledger_part part)
{
    if (start < end)
        lg_take(l, start, end, part, -1);
}

/* Ends the free run: adds what malloc_trim would release from it. */
static void lg_close_run(ledger *l)
{
    if (!l->run)
        return;
    l->run = false;
    uint64_t lo, hi;
    ledger_trim_range(l->run_start, l->run_end, l->run_top, l->run_arena == 0, &lo, &hi);
    l->run_top = false;
    uint64_t bytes = lo < hi ? resident_bytes(l->res, lo, hi) : 0;
    l->r.reclaimable += bytes;
    ledger_arena *ar = lg_arena(l, l->run_arena);
    if (ar)
        ar->reclaimable += bytes;
}

static ledger_part lg_part_of(gheap_class c)
{
    switch (c) {
    case GHEAP_INUSE:
        return LEDGER_IN_USE;
    case GHEAP_TCACHE:
        return LEDGER_FREE_TCACHE;
    case GHEAP_FASTBIN:
        return LEDGER_FREE_FASTBIN;
    case GHEAP_UNSORTED:
        return LEDGER_FREE_UNSORTED;
    case GHEAP_SMALLBIN:
        return LEDGER_FREE_SMALLBIN;
    case GHEAP_LARGEBIN:
        return LEDGER_FREE_LARGEBIN;
    case GHEAP_TOP:
        return LEDGER_TOP;
    default:
        return LEDGER_MMAPPED;
    }
}

int ledger_chunk(const gheap_chunk *c, void *arg)
{
    ledger *l = arg;
    uint64_t end = c->addr + c->size;
    ledger_part part = lg_part_of(c->cls);
    int ai = c->cls == GHEAP_MMAPPED ? -1 : c->arena;
    uint64_t bytes = lg_take(l, c->addr, end, part, ai);
    if (ai >= 0 && c->cls != GHEAP_TOP && c->size >= LEDGER_LARGE_CHUNK) {
        if (c->cls == GHEAP_INUSE) {
            l->r.large_inuse_bytes += bytes;
            l->r.large_inuse_chunks++;
        } else {
            l->r.large_free_bytes += bytes;
            l->r.large_free_chunks++;
        }
    }
    /* malloc_trim first merges every run of adjacent free chunks (fastbin
     * chunks with their neighbours; tcache chunks stay in use) */
    bool freed = ai >= 0 && c->cls != GHEAP_INUSE && c->cls != GHEAP_TCACHE;
    if (freed && l->run && l->run_arena == ai && l->run_end == c->addr && !l->run_top) {
        l->run_end = end;
    } else {
        lg_close_run(l);
        if (freed) {
            l->run = true;
            l->run_arena = ai;
            l->run_start = c->addr;
            l->run_end = end;
        }
    }
    if (freed && c->cls == GHEAP_TOP) /* top ends its heap: nothing extends it */
        l->run_top = true;
    return 0;
}

/* ---- the leftovers ---- */

static void lg_add_named(ledger_result *r, const char *name, uint64_t bytes)
{
    if (bytes == 0)
        return;
    size_t i = 0;
    while (i < r->nother && strcmp(r->other[i].name, name) != 0)
        i++;
    if (i == r->nother) {
        if (r->nother == LEDGER_MAX_NAMED) { /* full: the last slot takes the rest */
            i = LEDGER_MAX_NAMED - 1;
            snprintf(r->other[i].name, sizeof(r->other[i].name), "%s", "(more names)");
        } else {
            snprintf(r->other[i].name, sizeof(r->other[i].name), "%s", name);
            r->other[i].bytes = 0;
            r->nother++;
        }
    }
    r->other[i].bytes += bytes;
}

static int lg_cmp_named(const void *a, const void *b)
{
    const ledger_named *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

int ledger_finish(ledger *l, size_t narenas, ledger_result *out, hs_err *err)
{
    lg_close_run(l);
    if (narenas)
        lg_arena(l, (int)narenas - 1);
    for (size_t i = 0; i < l->nseg; i++) {
        lg_seg *g = &l->seg[i];
        if (g->covered > g->resident) {
            l->r.overlap_bytes += g->covered - g->resident;
            continue;
        }
        uint64_t left = g->resident - g->covered;
        int ai = g->arena;
        if (ai < 0 && g->kind == LG_MAIN_HEAP && l->r.narenas)
            ai = 0;
        if (ai >= 0) {
            l->r.parts[LEDGER_ARENA_HEADERS] += left;
            ledger_arena *ar = lg_arena(l, ai);
            if (ar)
                ar->parts[LEDGER_ARENA_HEADERS] += left;
            continue;
        }
        switch (g->kind) {
        case LG_STACK:
            l->r.parts[LEDGER_THREAD_STACKS] += left;
            break;
        case LG_CODE:
            l->r.parts[LEDGER_FILE_CODE] += left;
            break;
        case LG_DATA:
            l->r.parts[LEDGER_FILE_DATA] += left;
            break;
        default: {
            const char *path = l->maps->v[g->vma].path;
            l->r.parts[LEDGER_OTHER] += left;
            lg_add_named(&l->r, path[0] ? path : "anonymous", left);
        }
        }
    }
    if (l->oom)
        return hs_err_set(err, "out of memory for the RSS ledger");
    qsort(l->r.other, l->r.nother, sizeof(l->r.other[0]), lg_cmp_named);
    l->r.total = l->res->bytes;
    for (size_t i = 0; i < l->r.narenas; i++) {
        ledger_arena *ar = &l->r.arenas[i];
        ar->total = 0;
        for (int k = 0; k < LEDGER_NARENA_PARTS; k++)
            ar->total += ar->parts[k];
    }
    *out = l->r;
    memset(&l->r, 0, sizeof(l->r)); /* the arenas now belong to out */
    l->arcap = 0;
    return 0;
}
