/* hook/hook_counts.h: the exact live totals per size class that heapsnap
 * scales its sampled stacks to (struct heapsnap_counts, heapsnap_registry.h):
 * one slot per thread, taken on its first counted allocation and given back
 * when it exits, updated with plain stores from the size glibc wrote in the
 * chunk header. Pure code over a caller's slot array, no allocator. */
#ifndef HOOK_COUNTS_H
#define HOOK_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "heapsnap_registry.h"

/* Slots in the hook's array: threads alive at once, plus one shared slot
 * (the last) that threads beyond that update with atomic adds. */
#define HOOK_COUNT_SLOTS 1024u

struct hook_counts_table {
    struct heapsnap_counts *slots;
    uint64_t nslots; /* >= 2: the last one is the shared slot */
    uint64_t used;   /* slots [0, used) have been taken at least once */
};

/* glibc's size word of the chunk whose user pointer is p (size | flags). */
static inline uint64_t hook_chunk_word(const void *p)
{
    return ((const uint64_t *)p)[-1];
}

/* heapsnap_size_class of a chunk above the exact classes (size word w >
 * HEAPSNAP_CLASS_EXACT_MAX + 7), in fewer instructions: 65 + ceil(log2 size),
 * plus 64 when IS_MMAPPED (bit 1). No clamp is needed: a chunk is smaller
 * than 2^63 bytes. */
static inline unsigned hook_counts_large_class(uint64_t w)
{
    uint64_t size = w & ~(uint64_t)7;
    return HEAPSNAP_NEXACT + 1u + (63u ^ (unsigned)__builtin_clzll(size - 1)) +
           (unsigned)((w & 2) << 5);
}

/* A chunk of size word w was allocated (sign 1) or freed (sign -1) by the
 * thread that owns c. Chunks up to 1024 bytes are never mmapped (an mmapped
 * chunk is at least a page), so the common case is one add. */
static inline void hook_counts_update(struct heapsnap_counts *c, uint64_t w, uint64_t sign)
{
    /* The flags are the low 3 bits: w >> 4 is size / 16 with or without them. */
    if (__builtin_expect(w <= HEAPSNAP_CLASS_EXACT_MAX + 7, 1)) {
        c->count[w >> 4] += sign;
        return;
    }
    c->count[hook_counts_large_class(w)] += sign;
    c->bytes[hook_counts_large_class(w)] += sign * (w & ~(uint64_t)7);
}

/* The same for the shared slot, which several threads write. */
void hook_counts_update_shared(struct heapsnap_counts *c, uint64_t w, uint64_t sign);

/* Points t at slots[0, nslots) (zeroed, 64-byte aligned). */
void hook_counts_init(struct hook_counts_table *t, struct heapsnap_counts *slots, uint64_t nslots);

/* A slot for the calling thread alone (owner set), or NULL when every slot
 * but the shared one is taken. Reuses a given-back slot before a new one, so
 * only the slots ever needed are touched. */
struct heapsnap_counts *hook_counts_claim(struct hook_counts_table *t);

/* Gives c back at its thread's exit; its counts stay in the totals. */
void hook_counts_release(struct heapsnap_counts *c);

/* In a fork child: every slot but keep (the forking thread's, may be NULL)
 * is given back, since their threads do not exist in the child. */
void hook_counts_fork_child(struct hook_counts_table *t, const struct heapsnap_counts *keep);

/* The live totals: count[i] and bytes[i] summed over every slot (bytes of the
 * exact classes filled in as count x 16i). Concurrent writers may be mid-way:
 * off by the chunks being counted. */
void hook_counts_sum(const struct hook_counts_table *t, uint64_t count[HEAPSNAP_NCLASSES],
                     uint64_t bytes[HEAPSNAP_NCLASSES]);

#endif
