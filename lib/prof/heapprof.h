/* lib/prof/heapprof.h: heap profiles in Go's conventions on top of lib/pprof, shared
 * by the hook's HTTP endpoint and the snapshot command: sample types
 * alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 * inuse_space/bytes; period type space/bytes with period = sampling rate;
 * default sample type inuse_space; a numeric label "bytes" per sample; values
 * scaled like Go's runtime/pprof. */
#ifndef HS_HEAPPROF_H
#define HS_HEAPPROF_H

#include <stdint.h>

#include "pprof.h"

/* A builder with the four heap sample types, period and time set. */
pprof_builder *heapprof_new(int64_t rate, int64_t time_nanos);

/* Go's scaleHeapSample: a sample of average size s = bytes/count stands for
 * 1/(1-exp(-s/rate)) allocations. rate <= 1 means every allocation was
 * recorded (no scaling). */
void heapprof_scale(int64_t count, int64_t bytes, int64_t rate, int64_t *out_count,
                    int64_t *out_bytes);

/* Adds one call site (locations leaf first) with raw (unscaled) counters; it
 * scales them with rate and labels the sample with bytes = average object size.
 * Sites with nothing allocated and nothing in use are skipped (returns 0). */
int heapprof_add_site(pprof_builder *b, const uint64_t *locs, size_t nlocs, int64_t rate,
                      int64_t alloc_objects, int64_t alloc_bytes, int64_t inuse_objects,
                      int64_t inuse_bytes);

#endif
