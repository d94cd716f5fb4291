/* snapshot/live_profile.c: the profile from the hook's live table (see
 * live_profile.h). Entries are grouped by stack and, within a stack, by size,
 * so that each size is scaled with its own sampling probability (as
 * attribute.c scales per chunk size). */
#include "live_profile.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heapprof.h"
#include "hs_array.h"

typedef struct liveprof_entry {
    uint64_t addr;
    uint32_t stack_id;
    uint64_t size;
} liveprof_entry;

static int liveprof_cmp_stack(const void *a, const void *b)
{
    const liveprof_entry *x = a, *y = b;
    if (x->stack_id != y->stack_id)
        return x->stack_id < y->stack_id ? -1 : 1;
    return x->size < y->size ? -1 : x->size > y->size;
}

/* One sample for a recorded stack; e[0..n) are its live entries, sorted by size. */
static int liveprof_emit(pprof_builder *b, const struct heapsnap_stack *st, int64_t rate,
                         const liveprof_entry *e, size_t n, attr_loc_fn loc_fn, void *loc_arg,
                         liveprof_totals *t)
{
    int64_t io = 0, ib = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && e[j].size == e[i].size)
            j++;
        int64_t count = (int64_t)(j - i), bytes = count * (int64_t)e[i].size;
        int64_t ec, eb;
        heapprof_scale(count, bytes ? bytes : 1, rate, &ec, &eb);
        io += ec;
        ib += bytes ? eb : 0;
        t->entries += (uint64_t)count;
        t->bytes += (uint64_t)bytes;
        i = j;
    }
    int64_t ao = 0, ab = 0;
    heapprof_scale((int64_t)st->alloc_objects, (int64_t)st->alloc_bytes, rate, &ao, &ab);
    if (ao < io)
        ao = io; /* counters were read after the table; never show less allocated than live */
    if (ab < ib)
        ab = ib;
    if (ao <= 0 && io <= 0)
        return 0;
    uint64_t locs[HEAPSNAP_MAX_FRAMES];
    int nlocs = attr_locations(b, st, loc_fn, loc_arg, locs);
    if (nlocs < 0)
        return -1;
    if (heapprof_add_site(b, locs, nlocs, 1, ao, ab, io, ib) != 0)
        return -1;
    t->estimated_objects += io;
    t->estimated_bytes += ib;
    t->samples++;
    return 0;
}

int liveprof_build(pprof_builder *b, const registry *reg, attr_loc_fn loc_fn, void *loc_arg,
                   liveprof_totals *t, hs_err *err)
{
    memset(t, 0, sizeof(*t));
    liveprof_entry *v = malloc((reg->nlive ? reg->nlive : 1) * sizeof(*v));
    if (v == NULL)
        return hs_err_set(err, "out of memory while reading %zu live entries.", reg->nlive);
    size_t n = 0;
    for (size_t i = 0; i < reg->nlive; i++) {
        const struct heapsnap_live *e = &reg->live[i];
        if (registry_stack(reg, e->stack_id) == NULL) {
            t->unknown_stack++;
            continue;
        }
        v[n++] = (liveprof_entry){e->addr, e->stack_id, e->size};
    }
    /* One allocation per address: a second entry means a free the hook
     * missed, and nothing here can tell which one is current. */
    qsort(v, n, sizeof(*v), hs_array_cmp_u64); /* by addr */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && v[m - 1].addr == v[i].addr) {
            t->duplicate_entries++;
            continue;
        }
        v[m++] = v[i];
    }
    qsort(v, m, sizeof(*v), liveprof_cmp_stack);
    int64_t rate = (int64_t)reg->hdr.rate;
    size_t ei = 0;
    for (size_t s = 0; s < reg->nstacks; s++) {
        uint32_t id = reg->stack_ids[s];
        size_t ej = ei;
        while (ej < m && v[ej].stack_id == id)
            ej++;
        if (liveprof_emit(b, &reg->stacks[s], rate, v + ei, ej - ei, loc_fn, loc_arg, t) != 0) {
            free(v);
            return hs_err_set(err, "out of memory while building the profile.");
        }
        ei = ej;
    }
    free(v);
    return 0;
}

void liveprof_comments(pprof_builder *b, const char *version, int pid, const char *exe,
                       int64_t time_nanos, uint64_t pause_us, size_t nthreads,
                       const char *allocator, const registry *reg, const liveprof_totals *t)
{
    char when[64] = "";
    time_t secs = (time_t)(time_nanos / 1000000000);
    struct tm tm;
    if (gmtime_r(&secs, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    pprof_add_comment(b, "heapsnap %s: heap of process %d (%s) at %s; pause %.3f ms, %zu threads",
                      version, pid, exe, when, (double)pause_us / 1000.0, nthreads);
    pprof_add_comment(
        b,
        "malloc is %s, not glibc's: samples are the hook's %" PRIu64 " live entries (%" PRIu64
        " bytes requested), scaled at rate %" PRIu64 " to %" PRId64 " bytes in %" PRId64 " objects",
        allocator, t->entries, t->bytes, reg->hdr.rate, t->estimated_bytes, t->estimated_objects);
    pprof_add_comment(
        b,
        "hook: %s; stacks %zu (torn %" PRIu64 "); live entries skipped: torn %" PRIu64
        ", duplicate %" PRIu64 ", unknown stack %" PRIu64 "; dropped samples %" PRIu64,
        reg->path, reg->nstacks, reg->torn_stacks, reg->torn_live, t->duplicate_entries,
        t->unknown_stack, reg->hdr.dropped_stacks + reg->hdr.dropped_live);
}
