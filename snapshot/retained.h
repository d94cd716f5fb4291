/* snapshot/retained.h: heapsnap --retained FILE, a profile of who holds
 * what: each chunk is one object of its size on the stack of its ownership
 * path -- the root group that holds it (global g_sessions, lost, ...), then
 * the allocation sites of the chunks that dominate it, outermost first, then
 * its own site (leaf) -- with sample types retained_objects/count and
 * retained_space/bytes, so that a frame's total in a flame graph is what it
 * retains. Consecutive chunks of one site (a list) make one frame; paths
 * deeper than RETAINED_MAX_DEPTH sites end there. */
#ifndef HS_SNAPSHOT_RETAINED_H
#define HS_SNAPSHOT_RETAINED_H

#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "hs_error.h"
#include "pprof.h"
#include "registry.h"

#define RETAINED_MAX_DEPTH 64

/* A builder with the two retained sample types, filled from chunks (sorted
 * by address, each with its held_by label), idom (holders_idom: each chunk's
 * dominating chunk or HGRAPH_NONE) and the hook's live table (reg, may be
 * NULL: every site is "[unattributed]"). NULL + err when out of memory. */
pprof_builder *retained_build(const attr_chunk *chunks, size_t n, const uint32_t *idom,
                              const char *const *labels, size_t nlabels, const registry *reg,
                              attr_loc_fn loc_fn, void *loc_arg, int64_t time_nanos, hs_err *err);

#endif
