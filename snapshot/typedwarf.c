/* snapshot/typedwarf.c: the DWARF half of the type stage (see
 * typedwarf.h). */
#include "typedwarf.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs_array.h"
#include "hs_intern.h"
#include "memsrc.h"
#include "tsite.h"
#include "tspread.h"

struct tdstage {
    const char **labels; /* per chunk, into strs */
    char **strs;
    size_t nstrs, capstrs;
    uint64_t chunks, bytes, us;
};

typedef struct tds_src {
    memsrc *m;
    const roots *r;
    uint64_t *scratch; /* a global that spans two copied blocks, joined */
    size_t capscratch;
} tds_src;

/* Chunks from the capture (heaps) or the roots' copies (mmapped chunks),
 * globals from the roots' copies: all as they were during the stop. */
static int tds_read(void *arg, uint64_t lo, uint64_t hi, const uint64_t **words)
{
    tds_src *s = arg;
    size_t nw = (size_t)((hi - lo) / 8);
    if (hs_array_grow((void **)&s->scratch, &s->capscratch, nw, sizeof(uint64_t), 64) != 0)
        return -1;
    /* Through memsrc's page cache: the walk follows pointers, and from a
     * frozen child a window read per chunk cost 7-26 us (a million map
     * nodes: 6-22 s); a page read once serves the chunks beside it. */
    if (memsrc_read(s->m, lo, (size_t)(hi - lo), s->scratch) == 0) {
        *words = s->scratch;
        return 0;
    }
    if (roots_chunk_words(s->r, lo, hi, words) == 0 || roots_block_words(s->r, lo, hi, words) == 0)
        return 0;
    /* A global across two blocks (.data's file mapping and the anonymous
     * rest of .bss, say): word by word, the uncopied ones 0. */
    bool any = false;
    for (size_t k = 0; k < nw; k++) {
        const uint64_t *w;
        bool copied = roots_block_words(s->r, lo + 8 * k, lo + 8 * k + 8, &w) == 0;
        s->scratch[k] = copied ? *w : 0;
        any |= copied;
    }
    *words = s->scratch;
    return any ? 0 : -1;
}

static const char *tds_intern(tdstage *s, hs_intern *in, const char *label)
{
    int added = 0;
    uint32_t id = hs_intern_get_or_put(in, label, strlen(label), (uint32_t)s->nstrs + 1, &added);
    if (id == 0)
        return NULL;
    if (!added) /* an id the table holds was added to strs with it */
        return s->strs != NULL && id - 1 < s->nstrs ? s->strs[id - 1] : NULL;
    char *copy = strdup(label);
    if (copy == NULL ||
        hs_array_grow((void **)&s->strs, &s->capstrs, s->nstrs + 1, sizeof(char *), 64) != 0) {
        free(copy);
        return NULL;
    }
    s->strs[s->nstrs++] = copy;
    return copy;
}

/* The chunk whose user bytes start at p, or -1. */
static long tds_chunk_at(const tspread_chunk *ch, size_t n, uint64_t p)
{
    size_t a = 0, b = n; /* first lo >= p */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (ch[m].lo < p)
            a = m + 1;
        else
            b = m;
    }
    return a < n && ch[a].lo == p ? (long)a : -1;
}

static bool tds_is_chunk_start(const tspread_chunk *ch, size_t n, uint64_t p)
{
    return tds_chunk_at(ch, n, p) >= 0;
}

/* The type each chunk the hook recorded gets from its allocating code
 * (tsite.h), judged once per stack, into seed[0..n) (zeroed): an array of it
 * when the request was a multiple of two or more of its size (a request
 * that is not a multiple is one object with a tail: a header struct). 0, or
 * -1 when out of memory. */
static int tds_seeds(tdw *t, sym_ctx *sym, const registry *reg, const tspread_chunk *ch, size_t n,
                     tspread_type *seed)
{
    memset(seed, 0, (n ? n : 1) * sizeof(*seed));
    if (reg == NULL || reg->nlive == 0)
        return 0;
    hs_err ignored;
    tsite *ts = tsite_new(t, sym, &ignored);
    hs_intern by_stack = {0}; /* stack id -> its type + 1 */
    int rc = ts != NULL ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < reg->nlive; i++) {
        const struct heapsnap_live *e = &reg->live[i];
        long c = tds_chunk_at(ch, n, e->addr);
        const struct heapsnap_stack *st = c >= 0 ? registry_stack(reg, e->stack_id) : NULL;
        if (st == NULL)
            continue;
        uint32_t type = hs_intern_get(&by_stack, &e->stack_id, sizeof(e->stack_id));
        if (type == 0) {
            uint32_t got = tsite_type(ts, st->frames, st->nframes);
            int added = 0;
            if (got == UINT32_MAX ||
                hs_intern_get_or_put(&by_stack, &e->stack_id, sizeof(e->stack_id), got + 1,
                                     &added) == 0)
                rc = -1;
            type = got + 1;
        }
        uint64_t size = tdw_type_at(t, type - 1)->size;
        seed[c] = (tspread_type){.type = type - 1,
                                 .array = size > 0 && e->size >= 2 * size && e->size % size == 0};
    }
    hs_intern_free(&by_stack);
    tsite_free(ts);
    return rc;
}

/* Whether a global of object o points at a chunk's first byte: reading an
 * object's variables from its DWARF costs a walk of all of it (libc's:
 * about 0.3 s), worth it only when a typed pointer could start there. */
static bool tds_points_at_chunk(const roots *r, size_t o, const tspread_chunk *ch, size_t n)
{
    for (size_t b = 0; b < r->nblocks; b++) {
        const roots_block *blk = &r->blocks[b];
        if (blk->kind != ROOTS_GLOBAL || blk->owner != o)
            continue;
        for (uint64_t k = 0; k < (blk->hi - blk->lo) / 8; k++)
            if (blk->words[k] != 0 && tds_is_chunk_start(ch, n, blk->words[k]))
                return true;
    }
    return false;
}

/* Whether a word of the copied root bytes [lo, lo + len) points at a
 * chunk's first byte. */
static bool tds_block_points_at_chunk(const roots *r, uint64_t lo, uint64_t len,
                                      const tspread_chunk *ch, size_t n)
{
    lo = (lo + 7) & ~(uint64_t)7;
    for (uint64_t a = lo; a + 8 <= lo + len; a += 8) {
        const uint64_t *w;
        if (roots_block_words(r, a, a + 8, &w) == 0 && *w != 0 && tds_is_chunk_start(ch, n, *w))
            return true;
    }
    return false;
}

tdstage *tdstage_run(roots *r, const gheap_capture *cap, sym_ctx *sym, const attr_chunk *chunks,
                     size_t n, const bool *skip, const registry *reg, hs_err *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tdstage *s = calloc(1, sizeof(*s));
    tdw *t = tdw_new(err);
    tspread_chunk *ch = malloc((n ? n : 1) * sizeof(*ch));
    tspread_type *out = malloc((n ? n : 1) * sizeof(*out));
    tspread_type *seed = malloc((n ? n : 1) * sizeof(*seed));
    hs_intern in = {0};
    bool ok = s != NULL && t != NULL && ch != NULL && out != NULL && seed != NULL &&
              (s->labels = calloc(n ? n : 1, sizeof(*s->labels))) != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        ch[i].lo = chunks[i].addr + 16;
        ch[i].hi = chunks[i].addr + chunks[i].size + (chunks[i].mmapped ? 0 : 8);
        assert(i == 0 || ch[i].lo > ch[i - 1].lo);
    }
    for (size_t o = 0; ok && o < r->nobjs; o++) {
        uint64_t bias;
        if (tds_points_at_chunk(r, o, ch, n) && roots_obj_bias(r, o, &bias) &&
            tdw_add_object(t, sym, r->objs[o].path, bias, err) < 0)
            ok = false;
    }
    /* Every object's thread-local variables, in each thread's static
     * block, when one of them points at a chunk (as for the globals). */
    uint64_t *blocks = malloc((r->nthreads ? r->nthreads : 1) * sizeof(*blocks));
    ok = ok && blocks != NULL;
    for (size_t o = 0; ok && o < r->nobjs; o++) {
        size_t nblocks = 0;
        bool points = false;
        uint64_t len = 0;
        for (size_t k = 0; k < r->nthreads; k++) {
            if (!roots_tls_block(r, k, o, &blocks[nblocks], &len))
                continue;
            points = points || tds_block_points_at_chunk(r, blocks[nblocks], len, ch, n);
            nblocks++;
        }
        if (points && tdw_add_tls(t, sym, r->objs[o].path, blocks, nblocks, err) < 0)
            ok = false;
    }
    free(blocks);
    tds_src src = {gheap_capture_memsrc(cap), r, NULL, 0};
    if (ok && tds_seeds(t, sym, reg, ch, n, seed) != 0)
        ok = false;
    if (ok && tspread_run(t, ch, n, skip, seed, tds_read, &src, out, err) != 0)
        ok = false;
    for (size_t i = 0; ok && i < n; i++) {
        if (out[i].type == 0)
            continue;
        char label[512];
        tspread_label(t, &out[i], label, sizeof(label));
        if ((s->labels[i] = tds_intern(s, &in, label)) == NULL)
            ok = false;
        s->chunks++;
        s->bytes += chunks[i].size;
    }
    hs_intern_free(&in);
    free(src.scratch);
    tdw_free(t);
    free(ch);
    free(out);
    free(seed);
    if (!ok) {
        tdstage_free(s);
        hs_err_set(err, "out of memory while naming the DWARF types of %zu chunks.", n);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s->us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    return s;
}

const char *const *tdstage_labels(const tdstage *s)
{
    return s->labels;
}

void tdstage_totals(const tdstage *s, uint64_t *chunks, uint64_t *bytes, uint64_t *us)
{
    *chunks = s->chunks;
    *bytes = s->bytes;
    *us = s->us;
}

void tdstage_free(tdstage *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nstrs; i++)
        free(s->strs[i]);
    free(s->strs);
    free(s->labels);
    free(s);
}
