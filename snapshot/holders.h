/* snapshot/holders.h: the snapshot's graph stage, who holds each chunk
 * (issue 17): the roots copied while the process is stopped (lib/graph's
 * roots), then, after the resume, the heap graph over the capture, the lost
 * chunks and each chunk's holder as a held_by label ("lost", "global NAME",
 * "tls NAME", "stack TID FUNCTION", "register TID", "mapping NAME",
 * "shared") for attribute.c, and the totals for the profile's comments. */
#ifndef HS_SNAPSHOT_HOLDERS_H
#define HS_SNAPSHOT_HOLDERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attribute.h"
#include "glibc_heap.h"
#include "heap_process.h"
#include "hs_error.h"
#include "roots.h"
#include "pprof.h"
#include "registry.h"
#include "symbolize.h"

typedef struct holders holders;

/* While stopped, after hproc_capture: copies the roots, leaving out the
 * hook's tables (reg may be NULL). NULL + err on failure. */
holders *holders_capture(pid_t pid, hproc *h, const gheap_thread *threads, size_t n,
                         const gheap_capture *cap, const registry *reg, hs_err *err);
/* After the classification, on the capture alone: sets every chunk's
 * held_by (attr_chunk.held_by, an index into holders_labels). When the
 * capture did not copy the heaps it leaves them unlabelled and says so in
 * the comment. 0, or -1 + err (out of memory). */
int holders_assign(holders *hs, const gheap_capture *cap, attr_chunk *chunks, size_t n,
                   sym_ctx *sym, hs_err *err);
/* After holders_assign: each chunk's immediate dominator among the chunks
 * (an index into the chunks, which it sorted by address; HGRAPH_NONE under a
 * root group or lost), NULL when not computed. */
const uint32_t *holders_idom(const holders *hs);
/* The labels chunks point at: labels[0] is NULL (no label). */
const char *const *holders_labels(const holders *hs, size_t *n);
/* For the profile's comments: lost (direct, indirect) and retained totals,
 * the graph's size and cost, in one sentence ("held_by: lost ..."). */
void holders_summary(const holders *hs, char *out, size_t outlen);
/* The roots the graph was built from (the type stage reads the globals'
 * copies), NULL when the graph was not built. */
roots *holders_root_copies(const holders *hs);
void holders_free(holders *hs);

#endif
