/* snapshot/attribute.h: joins the heap walk (the truth about which chunks are
 * in use) with the hook's live table (which stack allocated them) and its
 * exact per-size-class counters (how much of each class it allocated) into
 * heap profile samples. Every in-use byte ends up in exactly one sample: under
 * the stacks sampled in its size class (scaled to the class's hooked total),
 * under "[unsampled 64-byte chunks]" when the hook counted the class but
 * sampled nothing in it, or under "[unattributed 64-byte chunks]" when the
 * hook never saw it. */
#ifndef HS_SNAPSHOT_ATTRIBUTE_H
#define HS_SNAPSHOT_ATTRIBUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"
#include "pprof.h"
#include "registry.h"

/* An in-use chunk from the walk. */
typedef struct attr_chunk {
    uint64_t addr; /* chunk header; the user pointer is addr + 16 */
    uint64_t size; /* chunksize, header included */
    bool mmapped;
    uint32_t held_by; /* index into attr_build_labelled's values; 0: no label */
    bool glibc_own;   /* glibc's own (a thread's tcache): never through the hook */
} attr_chunk;

/* Location id for a return address (symbolizer in the command, a fake in tests). */
typedef uint64_t (*attr_loc_fn)(void *arg, pprof_builder *b, uint64_t return_address);

/* The profile's location ids of a hook stack's frames (at most
 * HEAPSNAP_MAX_FRAMES), through loc_fn: their number, or -1 when loc_fn
 * fails (out of memory). */
int attr_locations(pprof_builder *b, const struct heapsnap_stack *st, attr_loc_fn loc_fn,
                   void *loc_arg, uint64_t locs[HEAPSNAP_MAX_FRAMES]);

typedef struct attr_totals {
    uint64_t chunks, bytes;                           /* every in-use chunk given */
    uint64_t attributed_chunks, attributed_bytes;     /* matched to a recorded stack (raw) */
    int64_t estimated_objects, estimated_bytes;       /* their scaled estimate (= raw at rate 1) */
    uint64_t unattributed_chunks, unattributed_bytes; /* never seen by the hook */
    uint64_t unsampled_chunks, unsampled_bytes;       /* counted by the hook, not sampled */
    uint64_t hooked_chunks, hooked_bytes; /* the classes' targets: estimated + unsampled */
    bool calibrated; /* the hook's exact totals were known: its counters (registry version 2),
                        or the walk minus its unseen blocks (version 5) */
    uint64_t stale_entries;     /* live entries whose chunk is not in use: not reported */
    uint64_t duplicate_entries; /* a second live entry for an already matched chunk */
    uint64_t unknown_stack;     /* live entries whose stack was torn or missing */
    size_t site_samples, pseudo_samples;
} attr_totals;

/* Adds the samples to b (made by heapprof_new). chunks is sorted in place.
 * reg may be NULL (no hook: a census by size class). 0, or -1 + err (out of
 * memory). */
int attr_build(pprof_builder *b, attr_chunk *chunks, size_t nchunks, const registry *reg,
               attr_loc_fn loc_fn, void *loc_arg, attr_totals *t, hs_err *err);
/* attr_build with every sample split by its chunks' held_by label
 * (attr_labels.h): held_by[chunk.held_by] is the value, NULL for none. */
int attr_build_labelled(pprof_builder *b, attr_chunk *chunks, size_t nchunks, const registry *reg,
                        const char *const *held_by, size_t nheld_by, attr_loc_fn loc_fn,
                        void *loc_arg, attr_totals *t, hs_err *err);
/* attr_build_labelled with a second label per value: "type" = types[v]
 * (NULL: none) beside "held_by" = held_by[v], and its evidence "type_from"
 * = froms[v] ("vtable" when froms is NULL); any array may be NULL. */
int attr_build_typed(pprof_builder *b, attr_chunk *chunks, size_t nchunks, const registry *reg,
                     const char *const *held_by, const char *const *types, const char *const *froms,
                     size_t nvalues, attr_loc_fn loc_fn, void *loc_arg, attr_totals *t,
                     hs_err *err);

/* The pseudo-frame name for unattributed chunks of this size (unsampled ones
 * read "[unsampled ...]" the same way) ("[unattributed
 * 64-byte chunks]", "[unattributed 1-2 KiB chunks]", "[unattributed mmapped
 * 128-256 KiB chunks]"). Returns buf. */
const char *attr_class_name(uint64_t size, bool mmapped, char *buf, size_t len);

#endif
