/* lib/graph/hgraph.h: the heap graph and who holds each chunk. Nodes are the
 * in-use chunks' user bytes; an edge is an aligned 8-byte word inside one
 * node that points anywhere inside another (interior pointers count, as in
 * LeakSanitizer). Given root words grouped by what holds them (a global, a
 * thread's stack...), it finds the chunks no root reaches (lost: "direct"
 * when no chunk points at them, "indirect" when only lost ones do, as
 * Valgrind says) and, from a dominator tree (Cooper, Harvey and Kennedy)
 * under one virtual root above the groups, the group that holds each chunk.
 * Groups come in tiers: a weaker tier (stacks, then registers) holds only
 * what no stronger one reaches.
 * Pure: it reads memory only through the caller's function. */
#ifndef HS_HGRAPH_H
#define HS_HGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"

/* A node: the user bytes [lo, hi) of an in-use chunk, which pointers point
 * into; its words are read up to hi + tail (a chunk in use also owns the
 * next chunk's prev_size field, but a pointer there is the next chunk's
 * header, as malloc's own lists hold: not a pointer into this one). */
typedef struct hgraph_node {
    uint64_t lo, hi;
    uint32_t tail;
} hgraph_node;

/* The words of [lo, hi) (8-aligned, a multiple of 8 long) as len / 8
 * uint64_t at *words, valid until the next call; 0, or -1 when unreadable
 * (the node then has no edges out). */
typedef int (*hgraph_read_fn)(void *arg, uint64_t lo, uint64_t hi, const uint64_t **words);

typedef struct hgraph hgraph;

/* Builds the graph over nodes (sorted by lo, not overlapping; copied). NULL
 * + err when out of memory. */
hgraph *hgraph_build(const hgraph_node *nodes, size_t n, hgraph_read_fn read, void *arg,
                     hs_err *err);
void hgraph_free(hgraph *g);
size_t hgraph_nodes(const hgraph *g);
size_t hgraph_edges(const hgraph *g);
/* The nodes node i points at, as *to[0 .. return value). */
size_t hgraph_succ(const hgraph *g, size_t i, const uint32_t **to);
/* The node whose bytes hold address p, or -1. */
long hgraph_find(const hgraph *g, uint64_t p);

/* A root edge: group `group` holds a word pointing into node `node`. */
typedef struct hgraph_root {
    uint32_t group, node;
} hgraph_root;

#define HGRAPH_LOST (-1)
#define HGRAPH_SHARED (-2)

/* holder[i] for every node: the group that dominates it among the groups of
 * the strongest tier that reaches it, HGRAPH_SHARED when several groups of
 * that tier reach it and none dominates, HGRAPH_LOST when no group reaches
 * it; lost_direct[i]: lost and no other node points at it. tier[g] (0 the
 * strongest, below HGRAPH_TIERS; NULL: all 0) is group g's tier. idom (may
 * be NULL) gets each node's immediate dominator among the nodes, HGRAPH_NONE
 * when that is a group, the virtual root, or the node is lost. 0, or -1 +
 * err (out of memory). */
#define HGRAPH_TIERS 3
#define HGRAPH_NONE UINT32_MAX
int hgraph_holders(const hgraph *g, const hgraph_root *roots, size_t nroots, size_t ngroups,
                   const uint8_t *tier, int32_t *holder, bool *lost_direct, uint32_t *idom,
                   hs_err *err);

#endif
