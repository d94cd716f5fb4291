/* snapshot/live_profile.h: the heap profile of a process whose malloc is not
 * glibc's (see allocator.h), built from the hook's own live table as the
 * hook's HTTP endpoint builds its profile: each live sampled allocation goes
 * to its stack, scaled like Go (a sample of size s stands for
 * 1/(1-exp(-s/rate)) allocations). Sizes are the requested sizes the hook
 * saw; there is no heap walk to confirm or correct them. */
#ifndef HS_SNAPSHOT_LIVE_PROFILE_H
#define HS_SNAPSHOT_LIVE_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "hs_error.h"
#include "pprof.h"
#include "registry.h"

typedef struct liveprof_totals {
    uint64_t entries, bytes;                    /* live entries used, their requested bytes */
    int64_t estimated_objects, estimated_bytes; /* their scaled estimate (= raw at rate 1) */
    uint64_t duplicate_entries;                 /* a second entry for the same address */
    uint64_t unknown_stack;                     /* entries whose stack was torn or missing */
    size_t samples;
} liveprof_totals;

/* Adds one sample per recorded stack to b (made by heapprof_new with the
 * hook's rate as period). 0, or -1 + err (out of memory). */
int liveprof_build(pprof_builder *b, const registry *reg, attr_loc_fn loc_fn, void *loc_arg,
                   liveprof_totals *t, hs_err *err);

/* The profile's comments for such a process (three lines). */
void liveprof_comments(pprof_builder *b, const char *version, int pid, const char *exe,
                       int64_t time_nanos, uint64_t pause_us, size_t nthreads,
                       const char *allocator, const registry *reg, const liveprof_totals *t);

#endif
