/* snapshot/attribute.c: chunks to samples (see attribute.h).
 *
 * Per size class (heapsnap_size_class, the classes the hook counts in) the walk
 * gives the exact count and bytes in use. The hook's counters (registry
 * version 2) say how much of that it saw allocated and not freed: the class's
 * target, never below the sampled chunks found in it, never above the walk.
 * The sampled chunks of a class are weighted as Go weighs a sample
 * (1/(1-exp(-s/rate)) objects for a request of s bytes) and the target is split
 * between the stacks in proportion to those weights, with cumulative rounding
 * so that the parts add up to the target exactly.
 *
 * A class up to 1 KiB that the hook counted but never sampled is split the
 * same way among the stacks sampled in its "pool", its power-of-two range of
 * sizes (96- and 112-byte chunks go by what was sampled among 65-128 bytes): a
 * leak of strings or records of varied lengths is sampled in a few of its
 * classes only, and a class holding many bytes is nearly always sampled (no
 * sample in B bytes has probability exp(-B/rate)), so what is pooled is small
 * and goes to its neighbours in size. Pooling wider was tried and dropped: a
 * heap-wide pool hands an unsampled site's bytes to an unrelated leak of
 * another size (bench/bias: +5% on a 10 MB leak). A class with no sample in
 * its pool, or above 1 KiB, stays under "[unsampled N-byte chunks]". What the
 * walk holds beyond the target (allocated before the hook started, or by
 * glibc itself) goes under "[unattributed N-byte chunks]". A version-5 hook
 * without counters lists the blocks it did not count instead (its UNSEEN
 * entries): then the hooked total of a class is the walk's minus those and
 * glibc's own chunks (the threads' tcaches), the same totals read from the
 * heap. Without either (no hook, a version-1 hook, --attach) the target is
 * the weighted estimate capped at the walk. At HEAPSNAP_RATE=1 every weight is 1 and the stacks get
 * their chunks exactly. Sizes are chunk sizes (header included), as Go reports size-class bytes.
 *
 * Every registry value comes from another process's memory and is untrusted:
 * arithmetic on it is done in double and clamped to the walk's totals before
 * it becomes an integer. */
#include "attribute.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapprof.h"
#include "attr_labels.h"
#include "hs_array.h"

/* Largest count or byte value a sample may carry: far above any real heap,
 * far below where int64 sums could overflow. */
#define ATTR_VALUE_MAX ((double)((uint64_t)1 << 62))

typedef struct attr_claim {
    uint32_t stack_id;
    uint32_t cls;
    uint64_t chunk_size;
    uint64_t req_size;
    uint32_t label; /* the chunk's held_by */
} attr_claim;

/* One stack's sampled chunks in one class. */
typedef struct attr_group {
    size_t first, n; /* claims[first, first + n) */
    uint32_t cls;
    double w, wb; /* weighted count and chunk bytes */
} attr_group;

typedef struct attr_class {
    uint64_t count, bytes;   /* walked */
    uint64_t mcount, mbytes; /* sampled chunks matched in it */
    uint64_t ucount, ubytes; /* chunks the hook did not count: unseen or glibc's own */
    uint64_t tcount, tbytes; /* target: what the stacks and [unsampled] share */
    double w, wb;            /* sums of the groups' weights (of a pool: of its classes) */
    double cw, cwb;          /* running sums while the stacks are emitted */
    uint64_t gcount, gbytes; /* given to stacks so far */
    size_t pool;             /* an unsampled class split by its pool's weights; 0: none */
} attr_class;

/* Pools (attr_class slots past the classes, see the top): one per power of
 * two up to 1024, for the exact classes. */
#define ATTR_POOL0 HEAPSNAP_NCLASSES
#define ATTR_NSLOTS (HEAPSNAP_NCLASSES + 11)

/* The classes and pools, and which classes the walk found chunks in (the
 * only ones with anything to share: a class's target never exceeds its walk),
 * so that a small heap is not charged for all 193 classes several times. */
typedef struct attr_set {
    attr_class c[ATTR_NSLOTS];
    unsigned present[HEAPSNAP_NCLASSES], npresent; /* in class order */
    unsigned pooled[HEAPSNAP_NEXACT], npooled;     /* present, split by a pool */
    attr_labels labels;                            /* the held_by split */
    /* the unclaimed chunks' labels by class: (label, size) pairs of class i
     * at unclaimed[ufirst[i] .. ufirst[i + 1]) */
    uint64_t (*unclaimed)[2];
    size_t ufirst[HEAPSNAP_NCLASSES + 1];
} attr_set;

static unsigned attr_log2_ceil(uint64_t v)
{
    unsigned k = 0;
    while (k < 63 && (1ULL << k) < v)
        k++;
    return k;
}

static const char *attr_pow2_text(unsigned k, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = k / 10;
    snprintf(buf, len, "%llu %s", 1ULL << (k - u * 10), units[u]);
    return buf;
}

/* "[WHAT 64-byte chunks]", "[WHAT 1-2 KiB chunks]", "[WHAT mmapped ...]". */
static const char *attr_pseudo_name(const char *what, uint64_t size, bool mmapped, char *buf,
                                    size_t len)
{
    if (!mmapped && size <= HEAPSNAP_CLASS_EXACT_MAX) {
        snprintf(buf, len, "[%s %llu-byte chunks]", what, (unsigned long long)(size & ~15ULL));
        return buf;
    }
    unsigned k = attr_log2_ceil(size);
    char lo[32], hi[32];
    attr_pow2_text(k ? k - 1 : 0, lo, sizeof(lo));
    attr_pow2_text(k, hi, sizeof(hi));
    /* "1 KiB-2 KiB" reads better as "1-2 KiB" when the units agree. */
    const char *lsp = strchr(lo, ' '), *hsp = strchr(hi, ' ');
    if (strcmp(lsp, hsp) == 0)
        snprintf(buf, len, "[%s %s%.*s-%s chunks]", what, mmapped ? "mmapped " : "",
                 (int)(lsp - lo), lo, hi);
    else
        snprintf(buf, len, "[%s %s%s-%s chunks]", what, mmapped ? "mmapped " : "", lo, hi);
    return buf;
}

const char *attr_class_name(uint64_t size, bool mmapped, char *buf, size_t len)
{
    return attr_pseudo_name("unattributed", size, mmapped, buf, len);
}

static int attr_cmp_claim(const void *a, const void *b)
{
    const attr_claim *x = a, *y = b;
    if (x->stack_id != y->stack_id)
        return x->stack_id < y->stack_id ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
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
    if (k->addr == addr || (k->mmapped && p > k->addr && p - k->addr < k->size))
        return (long)(lo - 1);
    return -1;
}

/* Objects one sample of s requested bytes stands for at this rate, as Go
 * scales (expm1 keeps small s/rate accurate); 1 when every allocation is
 * recorded. */
static double attr_weight(double s, double rate)
{
    if (rate <= 1)
        return 1;
    if (s < 1)
        s = 1;
    return 1.0 / -expm1(-s / rate);
}

/* x as a sample value: NaN and negatives to 0, capped at ATTR_VALUE_MAX. */
static int64_t attr_value(double x)
{
    if (!(x > 0))
        return 0;
    return x >= ATTR_VALUE_MAX ? (int64_t)ATTR_VALUE_MAX : (int64_t)llround(x);
}

/* round(total * part / whole), exactly total when part == whole. */
static uint64_t attr_share(uint64_t total, double part, double whole)
{
    if (!(whole > 0) || !(part > 0))
        return 0;
    double x = (double)total * (part / whole);
    if (x >= (double)total)
        return total;
    uint64_t v = (uint64_t)(x + 0.5);
    return v > total ? total : v;
}

static uint64_t attr_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t attr_max(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* glibc's request2size: the chunk a request of n bytes gets. */
static double attr_request2size(double n)
{
    double s = floor((n + 8 + 15) / 16) * 16;
    return s < 32 ? 32 : s;
}

/* Each class's target (see the top of the file). Counter sums wrap modulo
 * 2^64 in the hook; as signed values, a negative total means the hook saw
 * more freed than allocated there (blocks from before it started): 0. */
static void attr_targets(attr_set *s, const registry *reg)
{
    bool counted = reg != NULL && reg->have_counts;
    bool unseen = reg != NULL && reg->unseen_tracked;
    for (unsigned k = 0; k < s->npresent; k++) {
        unsigned i = s->present[k];
        attr_class *c = &s->c[i];
        uint64_t hc, hb;
        if (counted) {
            int64_t sc = (int64_t)reg->class_count[i], sb = (int64_t)reg->class_bytes[i];
            hc = sc > 0 ? (uint64_t)sc : 0;
            hb = sb > 0 ? (uint64_t)sb : 0;
        } else if (unseen) {
            hc = c->count - attr_min(c->ucount, c->count);
            hb = c->bytes - attr_min(c->ubytes, c->bytes);
        } else {
            hc = (uint64_t)attr_value(c->w);
            hb = (uint64_t)attr_value(c->wb);
        }
        c->tcount = attr_min(c->count, attr_max(hc, c->mcount));
        if (i < HEAPSNAP_NEXACT) {
            /* Whole chunks of the class size (i >= 2 for any real chunk). */
            uint64_t size = 16 * (uint64_t)i;
            c->tbytes = size == 0 || c->tcount > c->bytes / size ? c->bytes : c->tcount * size;
        } else {
            c->tbytes = attr_min(c->bytes, attr_max(hb, c->mbytes));
        }
    }
}

/* The pool of class i: 0 for classes above 1 KiB, which are not pooled. */
static size_t attr_pool(unsigned i)
{
    if (i >= HEAPSNAP_NEXACT)
        return 0;
    return ATTR_POOL0 + attr_log2_ceil(16 * (uint64_t)(i ? i : 1));
}

/* Points every exact class with a target but no sample at its pool when the
 * pool has a sample (pool weights were summed by attr_groups). */
static void attr_pools(attr_set *s)
{
    for (unsigned k = 0; k < s->npresent && s->present[k] < HEAPSNAP_NEXACT; k++) {
        unsigned i = s->present[k];
        attr_class *c = &s->c[i];
        if (c->w > 0 || (c->tcount == 0 && c->tbytes == 0))
            continue;
        if (s->c[attr_pool(i)].w > 0) {
            c->pool = attr_pool(i);
            s->pooled[s->npooled++] = i;
        }
    }
}

/* Bytes that go with tn of c's tcount chunks: whole chunks of an exact class,
 * else the same fraction of its bytes. */
static uint64_t attr_bytes_for(const attr_class *c, unsigned i, uint64_t tn)
{
    if (i < HEAPSNAP_NEXACT)
        return attr_min(c->tbytes, tn * 16 * (uint64_t)i);
    return attr_share(c->tbytes, (double)tn, (double)c->tcount);
}

/* Gives the stack the shares of class c (index i) up to the cumulative
 * weights cw, cwb of a total w, wb; adds them to *n, *bytes. */
static void attr_take(attr_class *c, unsigned i, double cw, double w, double cwb, double wb,
                      bool by_bytes, uint64_t *n, uint64_t *bytes)
{
    uint64_t tn = attr_share(c->tcount, cw, w);
    uint64_t tb = by_bytes ? attr_share(c->tbytes, cwb, wb) : attr_bytes_for(c, i, tn);
    uint64_t dn = tn > c->gcount ? tn - c->gcount : 0;
    uint64_t db = tb > c->gbytes ? tb - c->gbytes : 0;
    c->gcount += dn;
    c->gbytes += db;
    *n += dn;
    *bytes += db;
}

/* A stack's in-use share: of each class it was sampled in (groups[0..n)),
 * then of each pooled class by its weight in that class's pool. */
static void attr_give(attr_set *s, const attr_group *groups, size_t n, uint64_t *io, uint64_t *ib)
{
    attr_class *slots = s->c;
    for (size_t g = 0; g < n; g++) {
        attr_class *c = &slots[groups[g].cls];
        c->cw += groups[g].w;
        c->cwb += groups[g].wb;
        /* A power-of-two class holds chunks of several sizes: bytes by bytes. */
        attr_take(c, groups[g].cls, c->cw, c->w, c->cwb, c->wb, groups[g].cls >= HEAPSNAP_NEXACT,
                  io, ib);
        if (attr_pool(groups[g].cls) != 0) /* in the order attr_groups summed them */
            slots[attr_pool(groups[g].cls)].cw += groups[g].w;
    }
    if (n == 0)
        return;
    for (unsigned k = 0; k < s->npooled; k++) {
        attr_class *c = &slots[s->pooled[k]];
        attr_take(c, s->pooled[k], slots[c->pool].cw, slots[c->pool].w, 0, 0, false, io, ib);
    }
}

int attr_locations(pprof_builder *b, const struct heapsnap_stack *st, attr_loc_fn loc_fn,
                   void *loc_arg, uint64_t locs[HEAPSNAP_MAX_FRAMES])
{
    int n = 0;
    for (uint32_t f = 0; f < st->nframes && f < HEAPSNAP_MAX_FRAMES; f++) {
        uint64_t id = loc_fn(loc_arg, b, st->frames[f]);
        if (id == 0)
            return -1;
        locs[n++] = id;
    }
    return n;
}

/* One sample for a recorded stack. groups[0..n) are its sampled chunks by
 * class (n may be 0: a stack with allocations but nothing in use). */
static int attr_emit_stack(pprof_builder *b, const struct heapsnap_stack *st, double rate,
                           const attr_claim *claims, const attr_group *groups, size_t n,
                           attr_set *classes, attr_loc_fn loc_fn, void *loc_arg, attr_totals *t)
{
    uint64_t io = 0, ib = 0;
    double raw_req = 0, raw_chunk = 0;
    attr_give(classes, groups, n, &io, &ib);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = groups[i].first; k < groups[i].first + groups[i].n; k++) {
            raw_req += (double)claims[k].req_size;
            raw_chunk += (double)claims[k].chunk_size;
        }
    }
    /* Allocated totals have no exact counterpart: Go's estimate from the
     * stack's sampled counters, in chunk bytes by the ratio seen in its live
     * chunks, else by the chunk of its average request. */
    double ao = 0, ab = 0;
    if (st->alloc_objects > 0 && st->alloc_bytes > 0) {
        double avg = (double)st->alloc_bytes / (double)st->alloc_objects;
        double w = attr_weight(avg, rate);
        ao = (double)st->alloc_objects * w;
        ab = (double)st->alloc_bytes * w;
        if (raw_req > 0)
            ab *= raw_chunk / raw_req;
        else
            ab = ao * attr_request2size(avg);
    }
    int64_t vao = attr_value(ao), vab = attr_value(ab);
    /* Counters were read after the table: never show less allocated than live. */
    if (vao < (int64_t)io)
        vao = (int64_t)io;
    if (vab < (int64_t)ib)
        vab = (int64_t)ib;
    if (vao <= 0 && vab <= 0)
        return 0;
    uint64_t locs[HEAPSNAP_MAX_FRAMES];
    int nlocs = attr_locations(b, st, loc_fn, loc_arg, locs);
    if (nlocs < 0)
        return -1;
    /* Values already scaled; in a power-of-two class a stack may get bytes
     * without a whole chunk, which heapprof_add_site would drop. */
    int64_t v[4] = {vao, vab, (int64_t)io, (int64_t)ib};
    for (size_t i = 0; i < n; i++)
        for (size_t k = groups[i].first; k < groups[i].first + groups[i].n; k++)
            attr_labels_add(&classes->labels, claims[k].label, claims[k].chunk_size);
    if (attr_labels_emit(&classes->labels, b, locs, (size_t)nlocs, v, vao > 0 ? vab / vao : 0) != 0)
        return -1;
    t->estimated_objects += (int64_t)io;
    t->estimated_bytes += (int64_t)ib;
    t->site_samples++;
    return 0;
}

/* A size within class i, for its name. */
static uint64_t attr_class_rep(size_t i, bool *mmapped)
{
    *mmapped = i >= HEAPSNAP_NEXACT + HEAPSNAP_NPOW2;
    if (i < HEAPSNAP_NEXACT)
        return (uint64_t)i * 16;
    return 1ULL << ((i - HEAPSNAP_NEXACT) % HEAPSNAP_NPOW2);
}

/* The pseudo-samples "[WHAT ...]" under the root "[WHAT]": counts[i] chunks
 * of bytes[i] bytes for every present class that has any. */
static int attr_emit_pseudo(pprof_builder *b, attr_set *set, const char *what,
                            const uint64_t *counts, const uint64_t *bytes, uint64_t *tot_chunks,
                            uint64_t *tot_bytes, size_t *nsamples)
{
    uint64_t root = 0;
    for (unsigned k = 0; k < set->npresent; k++) {
        unsigned i = set->present[k];
        /* In a power-of-two class counts and bytes are shared out apart, so
         * either may be left over alone (bytes with no whole chunk). */
        if (counts[i] == 0 && bytes[i] == 0)
            continue;
        if (root == 0) {
            char rname[32];
            snprintf(rname, sizeof(rname), "[%s]", what);
            root = pprof_add_pseudo_location(b, rname);
            if (root == 0)
                return -1;
        }
        bool mmapped;
        uint64_t rep = attr_class_rep(i, &mmapped);
        char name[96];
        attr_pseudo_name(what, rep, mmapped, name, sizeof(name));
        uint64_t locs[2] = {pprof_add_pseudo_location(b, name), root};
        if (locs[0] == 0)
            return -1;
        int64_t n = (int64_t)counts[i], by = (int64_t)bytes[i];
        int64_t v[4] = {n, by, n, by};
        for (size_t u = set->ufirst[i]; set->unclaimed != NULL && u < set->ufirst[i + 1]; u++)
            attr_labels_add(&set->labels, (uint32_t)set->unclaimed[u][0], set->unclaimed[u][1]);
        if (attr_labels_emit(&set->labels, b, locs, 2, v, n > 0 ? by / n : 0) != 0)
            return -1;
        *tot_chunks += counts[i];
        *tot_bytes += bytes[i];
        (*nsamples)++;
    }
    return 0;
}

static int attr_emit_classes(pprof_builder *b, attr_set *set, attr_totals *t)
{
    uint64_t sc[HEAPSNAP_NCLASSES], sb[HEAPSNAP_NCLASSES];
    uint64_t uc[HEAPSNAP_NCLASSES], ub[HEAPSNAP_NCLASSES];
    for (unsigned k = 0; k < set->npresent; k++) {
        unsigned i = set->present[k];
        const attr_class *c = &set->c[i];
        /* What the stacks did not take of the target: counted, never sampled. */
        sc[i] = c->tcount - attr_min(c->gcount, c->tcount);
        sb[i] = c->tbytes - attr_min(c->gbytes, c->tbytes);
        uc[i] = c->count - attr_min(c->tcount, c->count);
        ub[i] = c->bytes - attr_min(c->tbytes, c->bytes);
        t->hooked_chunks += c->tcount;
        t->hooked_bytes += c->tbytes;
    }
    if (attr_emit_pseudo(b, set, "unsampled", sc, sb, &t->unsampled_chunks, &t->unsampled_bytes,
                         &t->pseudo_samples) != 0)
        return -1;
    return attr_emit_pseudo(b, set, "unattributed", uc, ub, &t->unattributed_chunks,
                            &t->unattributed_bytes, &t->pseudo_samples);
}

/* The live entries that name an in-use chunk and a READY stack, one per
 * chunk, into claims (sorted by stack, then class). Returns their count. */
static size_t attr_claims(const attr_chunk *chunks, size_t nchunks, const registry *reg,
                          bool *claimed, attr_claim *claims, attr_set *set, attr_totals *t)
{
    size_t nclaims = 0;
    for (size_t i = 0; reg != NULL && i < reg->nlive; i++) {
        const struct heapsnap_live *e = &reg->live[i];
        long k = attr_find(chunks, nchunks, e->addr);
        if (k < 0) {
            t->stale_entries++; /* freed without the hook seeing it, or never in use: the heap
                                   wins */
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
        uint32_t cls = heapsnap_size_class(chunks[k].size, chunks[k].mmapped);
        claims[nclaims++] =
            (attr_claim){e->stack_id, cls, chunks[k].size, e->size, chunks[k].held_by};
        set->c[cls].mcount++;
        set->c[cls].mbytes += chunks[k].size;
        t->attributed_chunks++;
        t->attributed_bytes += chunks[k].size;
    }
    qsort(claims, nclaims, sizeof(*claims), attr_cmp_claim);
    return nclaims;
}

/* The chunks the hook did not count, per class: to glibc's own (summed with
 * the walk's totals) those its UNSEEN entries name (registry version 5). Only
 * needed without counters. */
static void attr_unseen(const attr_chunk *chunks, size_t nchunks, const registry *reg,
                        attr_set *set)
{
    if (reg == NULL || !reg->unseen_tracked)
        return;
    for (size_t i = 0; i < reg->nunseen; i++) {
        long k = attr_find(chunks, nchunks, reg->unseen[i]);
        if (k < 0 || chunks[k].glibc_own)
            continue; /* freed behind the hook's back, or never in use: the heap wins */
        attr_class *c = &set->c[heapsnap_size_class(chunks[k].size, chunks[k].mmapped)];
        c->ucount++;
        c->ubytes += chunks[k].size;
    }
}

/* Claims grouped by (stack, class), weighted; the classes' weight sums. */
static size_t attr_groups(const attr_claim *claims, size_t nclaims, double rate, attr_group *groups,
                          attr_set *set)
{
    attr_class *classes = set->c;
    size_t ng = 0;
    for (size_t i = 0; i < nclaims;) {
        attr_group *g = &groups[ng++];
        *g = (attr_group){.first = i, .cls = claims[i].cls};
        for (; i < nclaims && claims[i].stack_id == claims[g->first].stack_id &&
               claims[i].cls == g->cls;
             i++) {
            double w = attr_weight((double)claims[i].req_size, rate);
            g->w += w;
            g->wb += w * (double)claims[i].chunk_size;
            g->n++;
        }
        classes[g->cls].w += g->w;
        classes[g->cls].wb += g->wb;
        if (attr_pool(g->cls) != 0)
            classes[attr_pool(g->cls)].w += g->w;
    }
    return ng;
}

/* The labels of the chunks no live entry claimed, grouped by class, for
 * the pseudo-samples' split. 0, or -1 when out of memory. */
static int attr_unclaimed(attr_set *set, const attr_chunk *chunks, size_t nchunks,
                          const bool *claimed)
{
    size_t cnt[HEAPSNAP_NCLASSES] = {0};
    for (size_t i = 0; i < nchunks; i++)
        if (!claimed[i])
            cnt[heapsnap_size_class(chunks[i].size, chunks[i].mmapped)]++;
    set->ufirst[0] = 0;
    for (unsigned c = 0; c < HEAPSNAP_NCLASSES; c++)
        set->ufirst[c + 1] = set->ufirst[c] + cnt[c];
    set->unclaimed = malloc((set->ufirst[HEAPSNAP_NCLASSES] + 1) * sizeof(*set->unclaimed));
    if (set->unclaimed == NULL)
        return -1;
    size_t fill[HEAPSNAP_NCLASSES];
    memcpy(fill, set->ufirst, sizeof(fill));
    for (size_t i = 0; i < nchunks; i++) {
        if (claimed[i])
            continue;
        unsigned c = heapsnap_size_class(chunks[i].size, chunks[i].mmapped);
        set->unclaimed[fill[c]][0] = chunks[i].held_by;
        set->unclaimed[fill[c]++][1] = chunks[i].size;
    }
    return 0;
}

int attr_build(pprof_builder *b, attr_chunk *chunks, size_t nchunks, const registry *reg,
               attr_loc_fn loc_fn, void *loc_arg, attr_totals *t, hs_err *err)
{
    return attr_build_labelled(b, chunks, nchunks, reg, NULL, 0, loc_fn, loc_arg, t, err);
}

int attr_build_labelled(pprof_builder *b, attr_chunk *chunks, size_t nchunks, const registry *reg,
                        const char *const *held_by, size_t nheld_by, attr_loc_fn loc_fn,
                        void *loc_arg, attr_totals *t, hs_err *err)
{
    return attr_build_typed(b, chunks, nchunks, reg, held_by, NULL, NULL, nheld_by, loc_fn, loc_arg,
                            t, err);
}

int attr_build_typed(pprof_builder *b, attr_chunk *chunks, size_t nchunks, const registry *reg,
                     const char *const *held_by, const char *const *types, const char *const *froms,
                     size_t nheld_by, attr_loc_fn loc_fn, void *loc_arg, attr_totals *t,
                     hs_err *err)
{
    memset(t, 0, sizeof(*t));
    qsort(chunks, nchunks, sizeof(*chunks), hs_array_cmp_u64); /* by addr */
    attr_set *classes = calloc(1, sizeof(*classes));
    bool *claimed = calloc(nchunks ? nchunks : 1, sizeof(*claimed));
    size_t nlive = reg ? reg->nlive : 0;
    attr_claim *claims = malloc((nlive ? nlive : 1) * sizeof(*claims));
    attr_group *groups = malloc((nlive ? nlive : 1) * sizeof(*groups));
    int rc = -1;
    if (classes == NULL || claimed == NULL || claims == NULL || groups == NULL ||
        attr_labels_init(&classes->labels, "held_by", held_by, types, froms, nheld_by) != 0) {
        hs_err_set(err, "out of memory while attributing %zu chunks.", nchunks);
        goto out;
    }
    for (size_t i = 0; i < nchunks; i++) {
        attr_class *c = &classes->c[heapsnap_size_class(chunks[i].size, chunks[i].mmapped)];
        c->count++;
        c->bytes += chunks[i].size;
        if (chunks[i].glibc_own) {
            c->ucount++;
            c->ubytes += chunks[i].size;
        }
        t->chunks++;
        t->bytes += chunks[i].size;
    }
    for (unsigned i = 0; i < HEAPSNAP_NCLASSES; i++)
        if (classes->c[i].count > 0)
            classes->present[classes->npresent++] = i;
    double rate = reg ? (double)reg->hdr.rate : 1;
    size_t nclaims = attr_claims(chunks, nchunks, reg, claimed, claims, classes, t);
    if ((held_by != NULL || types != NULL) &&
        attr_unclaimed(classes, chunks, nchunks, claimed) != 0) {
        hs_err_set(err, "out of memory while attributing %zu chunks.", nchunks);
        goto out;
    }
    size_t ngroups = attr_groups(claims, nclaims, rate, groups, classes);
    attr_unseen(chunks, nchunks, reg, classes);
    attr_targets(classes, reg);
    attr_pools(classes);
    t->calibrated = reg != NULL && (reg->have_counts || reg->unseen_tracked);
    /* Merge the stacks (sorted by id) with the groups (sorted by stack id). */
    size_t gi = 0;
    for (size_t s = 0; reg != NULL && s < reg->nstacks; s++) {
        uint32_t id = reg->stack_ids[s];
        size_t gj = gi;
        while (gj < ngroups && claims[groups[gj].first].stack_id == id)
            gj++;
        if (attr_emit_stack(b, &reg->stacks[s], rate, claims, groups + gi, gj - gi, classes, loc_fn,
                            loc_arg, t) != 0) {
            hs_err_set(err, "out of memory while building the profile.");
            goto out;
        }
        gi = gj;
    }
    if (attr_emit_classes(b, classes, t) != 0) {
        hs_err_set(err, "out of memory while building the profile.");
        goto out;
    }
    rc = 0;
out:
    if (classes != NULL) {
        attr_labels_free(&classes->labels);
        free(classes->unclaimed);
    }
    free(classes);
    free(claimed);
    free(claims);
    free(groups);
    return rc;
}
