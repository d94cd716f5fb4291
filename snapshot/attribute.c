/* snapshot/attribute.c: chunks to samples (see attribute.h).
 *
 * Reconciliation, per size class: the hook's matched chunks contribute their
 * scaled estimate (exactly their bytes at HEAPSNAP_RATE=1); the pseudo-sample
 * of the class carries the class's walked total minus that estimate. At rate 1
 * the profile's inuse_space therefore equals the walker's in-use total to the
 * byte; when sampling, it equals it up to the classes where the estimate
 * overshoots the walk (the remainder is then 0, never negative). Sizes are
 * chunk sizes (header included), as Go reports size-class bytes. */
#include "attribute.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapprof.h"

/* Exact classes for chunks up to this size (the tcache and small-bin range),
 * power-of-two ranges above. */
#define ATTR_EXACT_MAX 1024u
#define ATTR_NEXACT (ATTR_EXACT_MAX / 16 + 1)
#define ATTR_NPOW2 64
#define ATTR_NCLASSES (ATTR_NEXACT + 2 * ATTR_NPOW2)

typedef struct attr_claim {
    uint32_t stack_id;
    bool mmapped;
    uint64_t chunk_size;
    uint64_t req_size;
} attr_claim;

typedef struct attr_class {
    uint64_t count, bytes;        /* walked */
    int64_t est_count, est_bytes; /* attributed estimate */
} attr_class;

static unsigned attr_log2_ceil(uint64_t v)
{
    unsigned k = 0;
    while (k < 63 && (1ULL << k) < v)
        k++;
    return k;
}

static size_t attr_class_index(uint64_t size, bool mmapped)
{
    if (!mmapped && size <= ATTR_EXACT_MAX)
        return (size_t)(size / 16);
    return ATTR_NEXACT + (mmapped ? ATTR_NPOW2 : 0) + attr_log2_ceil(size);
}

static const char *attr_pow2_text(unsigned k, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = k / 10;
    snprintf(buf, len, "%llu %s", 1ULL << (k - u * 10), units[u]);
    return buf;
}

const char *attr_class_name(uint64_t size, bool mmapped, char *buf, size_t len)
{
    if (!mmapped && size <= ATTR_EXACT_MAX) {
        snprintf(buf, len, "[unattributed %llu-byte chunks]", (unsigned long long)(size & ~15ULL));
        return buf;
    }
    unsigned k = attr_log2_ceil(size);
    char lo[32], hi[32];
    attr_pow2_text(k ? k - 1 : 0, lo, sizeof(lo));
    attr_pow2_text(k, hi, sizeof(hi));
    /* "1 KiB-2 KiB" reads better as "1-2 KiB" when the units agree. */
    const char *lsp = strchr(lo, ' '), *hsp = strchr(hi, ' ');
    if (strcmp(lsp, hsp) == 0)
        snprintf(buf, len, "[unattributed %s%.*s-%s chunks]", mmapped ? "mmapped " : "",
                 (int)(lsp - lo), lo, hi);
    else
        snprintf(buf, len, "[unattributed %s%s-%s chunks]", mmapped ? "mmapped " : "", lo, hi);
    return buf;
}

static int attr_cmp_chunk(const void *a, const void *b)
{
    const attr_chunk *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int attr_cmp_claim(const void *a, const void *b)
{
    const attr_claim *x = a, *y = b;
    if (x->stack_id != y->stack_id)
        return x->stack_id < y->stack_id ? -1 : 1;
    if (x->mmapped != y->mmapped)
        return x->mmapped ? 1 : -1;
    return x->chunk_size < y->chunk_size ? -1 : x->chunk_size > y->chunk_size;
}

/* Index of the chunk holding the user pointer p, or -1. Normally its header
 * is at p - 16; a memalign'd mmapped chunk is found by its mapping's (stale)
 * header, which the walk reports, so for mmapped chunks containment counts. */
static long attr_find(const attr_chunk *c, size_t n, uint64_t p)
{
    uint64_t addr = p - 16;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const attr_chunk *k = &c[lo - 1]; /* the last chunk starting at or below addr */
    if (k->addr == addr || (k->mmapped && p < k->addr + k->size))
        return (long)(lo - 1);
    return -1;
}

/* glibc's request2size: the chunk a request of n bytes gets. */
static uint64_t attr_request2size(uint64_t n)
{
    uint64_t s = (n + 8 + 15) & ~15ULL;
    return s < 32 ? 32 : s;
}

/* One sample for a recorded stack. claims[0..n) all belong to it (n may be 0:
 * a stack with allocations but nothing in use). */
static int attr_emit_stack(pprof_builder *b, const struct heapsnap_stack *st, int64_t rate,
                           const attr_claim *claims, size_t n, attr_class *classes,
                           attr_loc_fn loc_fn, void *loc_arg, attr_totals *t)
{
    int64_t io = 0, ib = 0;
    uint64_t raw_req = 0, raw_chunk = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint64_t req = 0;
        while (j < n && claims[j].chunk_size == claims[i].chunk_size &&
               claims[j].mmapped == claims[i].mmapped)
            req += claims[j++].req_size;
        int64_t ec, eb;
        /* Scale by the requested size (what the hook's sampler saw), count the chunk bytes. */
        heapprof_scale((int64_t)(j - i), (int64_t)(req ? req : 1), rate, &ec, &eb);
        int64_t ecb = ec * (int64_t)claims[i].chunk_size;
        io += ec;
        ib += ecb;
        attr_class *cl = &classes[attr_class_index(claims[i].chunk_size, claims[i].mmapped)];
        cl->est_count += ec;
        cl->est_bytes += ecb;
        raw_req += req;
        raw_chunk += claims[i].chunk_size * (j - i);
        i = j;
    }
    int64_t ao = 0, ab = 0;
    heapprof_scale((int64_t)st->alloc_objects, (int64_t)st->alloc_bytes, rate, &ao, &ab);
    /* The hook counts requested bytes; turn them into chunk bytes like the in-use side:
     * by the ratio seen in the live chunks, else by the average request's chunk. */
    if (raw_req > 0)
        ab = (int64_t)llround((double)ab * (double)raw_chunk / (double)raw_req);
    else if (ao > 0)
        ab = ao * (int64_t)attr_request2size((uint64_t)(ab / ao));
    if (ao < io)
        ao = io; /* counters were read after the table; never show less allocated than live */
    if (ab < ib)
        ab = ib;
    if (ao <= 0 && io <= 0)
        return 0;
    uint64_t locs[HEAPSNAP_MAX_FRAMES];
    size_t nlocs = 0;
    for (uint32_t f = 0; f < st->nframes && f < HEAPSNAP_MAX_FRAMES; f++) {
        uint64_t id = loc_fn(loc_arg, b, st->frames[f]);
        if (id == 0)
            return -1;
        locs[nlocs++] = id;
    }
    if (heapprof_add_site(b, locs, nlocs, 1, ao, ab, io, ib) != 0)
        return -1;
    t->estimated_objects += io;
    t->estimated_bytes += ib;
    t->site_samples++;
    return 0;
}

static int attr_emit_classes(pprof_builder *b, const attr_class *classes, attr_totals *t)
{
    uint64_t root = pprof_add_pseudo_location(b, "[unattributed]");
    if (root == 0)
        return -1;
    for (size_t i = 0; i < ATTR_NCLASSES; i++) {
        const attr_class *c = &classes[i];
        int64_t n = (int64_t)c->count - c->est_count;
        int64_t bytes = (int64_t)c->bytes - c->est_bytes;
        if (n <= 0 || bytes <= 0)
            continue;
        bool mmapped = i >= ATTR_NEXACT + ATTR_NPOW2;
        uint64_t rep; /* a size inside the class, for its name */
        if (i < ATTR_NEXACT)
            rep = (uint64_t)i * 16;
        else
            rep = 1ULL << ((i - ATTR_NEXACT) % ATTR_NPOW2);
        char name[96];
        attr_class_name(rep, mmapped, name, sizeof(name));
        uint64_t locs[2] = {pprof_add_pseudo_location(b, name), root};
        if (locs[0] == 0)
            return -1;
        if (heapprof_add_site(b, locs, 2, 1, n, bytes, n, bytes) != 0)
            return -1;
        t->unattributed_chunks += (uint64_t)n;
        t->unattributed_bytes += (uint64_t)bytes;
        t->pseudo_samples++;
    }
    return 0;
}

int attr_build(pprof_builder *b, attr_chunk *chunks, size_t nchunks, const registry *reg,
               attr_loc_fn loc_fn, void *loc_arg, attr_totals *t, hs_err *err)
{
    memset(t, 0, sizeof(*t));
    qsort(chunks, nchunks, sizeof(*chunks), attr_cmp_chunk);
    attr_class *classes = calloc(ATTR_NCLASSES, sizeof(*classes));
    bool *claimed = calloc(nchunks ? nchunks : 1, sizeof(*claimed));
    size_t nlive = reg ? reg->nlive : 0;
    attr_claim *claims = malloc((nlive ? nlive : 1) * sizeof(*claims));
    size_t nclaims = 0;
    int rc = -1;
    if (classes == NULL || claimed == NULL || claims == NULL) {
        hs_err_set(err, "out of memory while attributing %zu chunks.", nchunks);
        goto out;
    }
    for (size_t i = 0; i < nchunks; i++) {
        attr_class *c = &classes[attr_class_index(chunks[i].size, chunks[i].mmapped)];
        c->count++;
        c->bytes += chunks[i].size;
        t->chunks++;
        t->bytes += chunks[i].size;
    }
    int64_t rate = reg ? (int64_t)reg->hdr.rate : 1;
    for (size_t i = 0; i < nlive; i++) {
        const struct heapsnap_live *e = &reg->live[i];
        long k = attr_find(chunks, nchunks, e->addr);
        if (k < 0) {
            t->stale_entries++; /* freed without the hook seeing it, or never in use: the heap wins
                                 */
            continue;
        }
        if (claimed[k]) {
            t->duplicate_entries++;
            continue;
        }
        if (registry_stack(reg, e->stack_id) == NULL) {
            t->unknown_stack++;
            continue;
        }
        claimed[k] = true;
        claims[nclaims++] = (attr_claim){e->stack_id, chunks[k].mmapped, chunks[k].size, e->size};
        t->attributed_chunks++;
        t->attributed_bytes += chunks[k].size;
    }
    qsort(claims, nclaims, sizeof(*claims), attr_cmp_claim);
    /* Merge the stacks (sorted by id) with the claims (sorted by stack id). */
    size_t ci = 0;
    for (size_t s = 0; reg != NULL && s < reg->nstacks; s++) {
        uint32_t id = reg->stack_ids[s];
        size_t cj = ci;
        while (cj < nclaims && claims[cj].stack_id == id)
            cj++;
        if (attr_emit_stack(b, &reg->stacks[s], rate, claims + ci, cj - ci, classes, loc_fn,
                            loc_arg, t) != 0) {
            hs_err_set(err, "out of memory while building the profile.");
            goto out;
        }
        ci = cj;
    }
    if (attr_emit_classes(b, classes, t) != 0) {
        hs_err_set(err, "out of memory while building the profile.");
        goto out;
    }
    rc = 0;
out:
    free(classes);
    free(claimed);
    free(claims);
    return rc;
}
