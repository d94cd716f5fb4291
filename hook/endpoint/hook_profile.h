/* hook/endpoint/hook_profile.h: heap profiles of the calling process built from the
 * hook's tables, in Go's conventions: gzipped pprof (absolute or delta) and
 * Go's debug=1 text format. With the size-class counters, in-use values are
 * scaled to the hook's exact totals per class (as heapsnap does against the
 * walk). Runs on the HTTP thread; allocates freely (the thread's allocations
 * are never recorded). */
#ifndef HOOK_PROFILE_H
#define HOOK_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "hook_counts.h"
#include "hook_tables.h"
#include "hs_error.h"

/* A copy of the stack table's counters at one instant. */
struct hook_profile_snap {
    struct hook_site *sites; /* ordered by id */
    size_t n;
    size_t torn;     /* entries skipped because they were being written */
    int64_t time_ns; /* CLOCK_REALTIME of the copy */
    /* With counters: each site's in-use objects and bytes (sites' order),
     * scaled so that the sites sampled in a size class share its exact
     * total; and per class what the counters hold that no site was sampled
     * in (mmapped and not mmapped classes merged: the live table keeps
     * requested sizes, from which only glibc's chunk size can be told). */
    bool calibrated;
    int64_t *inuse_objects, *inuse_bytes;
    uint64_t unsampled_count[HEAPSNAP_NCLASSES], unsampled_bytes[HEAPSNAP_NCLASSES];
};

/* Copies the tables; counts (may be NULL: no calibration) are the hook's
 * counters, rate its sampling rate. */
int hook_profile_snap(const struct hook_tables *t, const struct hook_counts_table *counts,
                      uint64_t rate, struct hook_profile_snap *out, hs_err *err);
void hook_profile_snap_free(struct hook_profile_snap *s);

/* Gzipped pprof heap profile of now; with base non-NULL, the delta now - base
 * (Go's ?seconds=N); allocs: alloc_space is the default sample type, as in
 * Go's /debug/pprof/allocs (the same data). *out is malloc'd. */
int hook_profile_pprof(const struct hook_profile_snap *now, const struct hook_profile_snap *base,
                       uint64_t rate, bool allocs, uint8_t **out, size_t *outlen, hs_err *err);

/* Go's legacy text heap profile (?debug=1): raw sampled counts, stacks with
 * function+offset file:line comments. *out is malloc'd. */
int hook_profile_text(const struct hook_profile_snap *now, const struct heapsnap_registry *reg,
                      char **out, size_t *outlen, hs_err *err);

#endif
