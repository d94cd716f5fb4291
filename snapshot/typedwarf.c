/* snapshot/typedwarf.c: the DWARF half of the type stage (see
 * typedwarf.h). */
#include "typedwarf.h"

#include <assert.h>
#include <stdio.h>
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
    uint64_t stack_slots, stack_values; /* the threads' typed local variables */
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

static bool tds_is_chunk_start(const tspread_chunk *ch, size_t n, uint64_t p)
{
    return tspread_chunk_at(ch, n, p) >= 0;
}

/* Whether one of the words w[0..nw) points at a chunk's first byte. */
static bool tds_words_point_at_chunk(const uint64_t *w, uint64_t nw, const tspread_chunk *ch,
                                     size_t n)
{
    for (uint64_t k = 0; k < nw; k++)
        if (w[k] != 0 && tds_is_chunk_start(ch, n, w[k]))
            return true;
    return false;
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
        long c = tspread_chunk_at(ch, n, e->addr);
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

#define TDS_SCOPE_FRAMES 32 /* logical frames at one pc */
#define TDS_SCOPE_VARS 512

typedef struct tds_scope {
    sym_dwarf *d;
    size_t f0, nf, v0, nv; /* into frames and vars */
} tds_scope;

/* The scopes at the threads' pcs, each pc's read once (threads blocked in
 * the same place share them). */
typedef struct tds_scopes {
    hs_intern by_pc; /* runtime pc -> index + 1 into v */
    tds_scope *v;
    size_t n, cap;
    sym_tframe *frames;
    size_t nframes, capframes;
    sym_tlocal *vars;
    size_t nvars, capvars;
    sym_tframe fbuf[TDS_SCOPE_FRAMES];
    sym_tlocal vbuf[TDS_SCOPE_VARS];
} tds_scopes;

static void tds_scopes_free(tds_scopes *sc)
{
    if (sc == NULL)
        return;
    hs_intern_free(&sc->by_pc);
    free(sc->v);
    free(sc->frames);
    free(sc->vars);
    free(sc);
}

/* The scopes at runtime pc (the call, for a return address); NULL when out
 * of memory. No DWARF: a scope of no frames. */
static const tds_scope *tds_scope_at(tds_scopes *sc, sym_ctx *sym, uint64_t pc)
{
    uint32_t idx = hs_intern_get(&sc->by_pc, &pc, sizeof(pc));
    if (idx != 0)
        return &sc->v[idx - 1];
    uint64_t vpc = 0;
    size_t nvars = 0;
    sym_dwarf *d = sym_dwarf_at(sym, pc, &vpc);
    size_t nf = d != NULL ? sym_dwarf_scopes(d, vpc, sc->fbuf, TDS_SCOPE_FRAMES, sc->vbuf,
                                             TDS_SCOPE_VARS, &nvars)
                          : 0;
    int added = 0;
    if (hs_array_grow((void **)&sc->v, &sc->cap, sc->n + 1, sizeof(*sc->v), 16) != 0 ||
        hs_array_grow((void **)&sc->frames, &sc->capframes, sc->nframes + nf + 1,
                      sizeof(*sc->frames), 64) != 0 ||
        hs_array_grow((void **)&sc->vars, &sc->capvars, sc->nvars + nvars + 1, sizeof(*sc->vars),
                      64) != 0 ||
        hs_intern_get_or_put(&sc->by_pc, &pc, sizeof(pc), (uint32_t)sc->n + 1, &added) == 0)
        return NULL;
    memcpy(sc->frames + sc->nframes, sc->fbuf, nf * sizeof(*sc->frames));
    memcpy(sc->vars + sc->nvars, sc->vbuf, nvars * sizeof(*sc->vars));
    sc->v[sc->n] = (tds_scope){d, sc->nframes, nf, sc->nvars, nvars};
    sc->nframes += nf;
    sc->nvars += nvars;
    return &sc->v[sc->n++];
}

/* Whether a variable of type id can hold a pointer to a chunk. */
static bool tds_may_point(const tdw *t, uint32_t id)
{
    tdw_kind k = tdw_type_at(t, id)->kind;
    return id != 0 && (k == TDW_POINTER || k == TDW_STRUCT || k == TDW_ARRAY);
}

typedef struct tds_values {
    tspread_value *v;
    size_t n, cap;
    uint64_t slots; /* stack slots added as tdw globals */
} tds_values;

/* Local variable v of frame f of thread k, seen at scope sc: a slot in the
 * stack becomes a tdw stack global, a pointer in a register a value. The
 * registers are those roots_frame_reg knows (all of frame 0's; an outer
 * frame's stack pointer and callee-saved registers); a slot at the CFA needs
 * the frame's caller unwound. 0, or -1 when out of memory. */
static int tds_local(tdw *t, roots *r, size_t k, size_t f, const roots_tframe *fr,
                     const tds_scope *sc, const sym_tframe *lf, const sym_tlocal *v,
                     tds_values *out)
{
    if (v->name[0] == '\0' || v->loc.kind == SYM_LOC_NONE)
        return 0;
    uint32_t id = tdw_type_in(t, sc->d, v->type);
    if (id == UINT32_MAX)
        return -1;
    if (!tds_may_point(t, id))
        return 0;
    uint64_t base = 0, addr;
    if (v->loc.kind == SYM_LOC_CFA) {
        if (fr->cfa == 0)
            return 0;
        addr = fr->cfa + (uint64_t)v->loc.off;
    } else if (!roots_frame_reg(r, k, f, v->loc.reg, &base)) {
        return 0;
    } else {
        addr = base + (uint64_t)v->loc.off;
    }
    /* FUNCTION::NAME, by the logical frame: an inlined function's own */
    char fn[200], name[320];
    sym_short_name(lf->function[0] != '\0' ? lf->function : "?", fn, sizeof(fn));
    snprintf(name, sizeof(name), "%s::%s", fn, v->name);
    if (v->loc.kind != SYM_LOC_REG) {
        hs_err ignored;
        if (tdw_add_local(t, addr, name, id, &ignored) != 0)
            return -1;
        out->slots++;
        return 0;
    }
    if (tdw_type_at(t, id)->kind != TDW_POINTER || base == 0)
        return 0;
    const char *kept = tdw_intern(t, name);
    if (kept == NULL ||
        hs_array_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v), 16) != 0)
        return -1;
    out->v[out->n++] = (tspread_value){base, id, kept};
    return 0;
}

/* Whether frame f of thread k holds a chunk's address: in a slot of
 * [sp, cfa), or in a register it knows. Finding a frame's variables
 * opens its object's DWARF (libc's, where threads block: 60-80 ms), worth
 * it only when one could point at a chunk. */
static bool tds_frame_points_at_chunk(roots *r, size_t k, size_t f, const roots_tframe *fr,
                                      const tspread_chunk *ch, size_t n)
{
    for (unsigned reg = 0; reg < 16; reg++) {
        uint64_t v;
        if (roots_frame_reg(r, k, f, reg, &v) && tds_is_chunk_start(ch, n, v))
            return true;
    }
    const uint64_t *w;
    if (fr->cfa <= fr->sp || roots_block_words(r, fr->sp & ~7ull, fr->cfa & ~7ull, &w) != 0)
        return false;
    return tds_words_point_at_chunk(w, ((fr->cfa & ~7ull) - (fr->sp & ~7ull)) / 8, ch, n);
}

/* The typed roots in the threads' frames (tds_local), each distinct pc's
 * scopes read once. 0, or -1 when out of memory. */
static int tds_stack_roots(tdw *t, roots *r, sym_ctx *sym, const tspread_chunk *ch, size_t n,
                           tds_values *out)
{
    tds_scopes *sc = calloc(1, sizeof(*sc));
    roots_tframe fr[TSTACKS_MAX_FRAMES];
    int rc = sc != NULL ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < r->nthreads; k++) {
        size_t nf = roots_thread_frames(r, k, fr, TSTACKS_MAX_FRAMES);
        for (size_t f = 0; rc == 0 && f < nf; f++) {
            if (!tds_frame_points_at_chunk(r, k, f, &fr[f], ch, n))
                continue;
            const tds_scope *s = tds_scope_at(sc, sym, fr[f].exact ? fr[f].pc : fr[f].pc - 1);
            if (s == NULL) {
                rc = -1;
                break;
            }
            for (size_t j = 0; rc == 0 && j < s->nv; j++) {
                const sym_tlocal *v = &sc->vars[s->v0 + j];
                if (v->frame >= s->nf)
                    continue;
                rc = tds_local(t, r, k, f, &fr[f], s, &sc->frames[s->f0 + v->frame], v, out);
            }
        }
    }
    tds_scopes_free(sc);
    return rc;
}

/* Whether a global of object o points at a chunk's first byte: reading an
 * object's variables from its DWARF costs a walk of all of it (libc's:
 * about 0.3 s), worth it only when a typed pointer could start there. */
static bool tds_points_at_chunk(const roots *r, size_t o, const tspread_chunk *ch, size_t n)
{
    for (size_t b = 0; b < r->nblocks; b++) {
        const roots_block *blk = &r->blocks[b];
        if (blk->kind == ROOTS_GLOBAL && blk->owner == o &&
            tds_words_point_at_chunk(blk->words, (blk->hi - blk->lo) / 8, ch, n))
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
        if (roots_block_words(r, a, a + 8, &w) == 0 && tds_words_point_at_chunk(w, 1, ch, n))
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
    /* The threads' local variables: after the globals (tspread.h). */
    tds_values vals = {0};
    if (ok && tds_stack_roots(t, r, sym, ch, n, &vals) != 0)
        ok = false;
    tds_src src = {gheap_capture_memsrc(cap), r, NULL, 0};
    if (ok && tds_seeds(t, sym, reg, ch, n, seed) != 0)
        ok = false;
    if (ok && tspread_run(t, ch, n, skip, vals.v, vals.n, seed, tds_read, &src, out, err) != 0)
        ok = false;
    if (ok) {
        s->stack_slots = vals.slots;
        s->stack_values = vals.n;
    }
    free(vals.v);
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

void tdstage_stack_roots(const tdstage *s, uint64_t *slots, uint64_t *values)
{
    *slots = s->stack_slots;
    *values = s->stack_values;
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
