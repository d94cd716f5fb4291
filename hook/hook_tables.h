/* hook/hook_tables.h: the registry's tables (stack table with per-stack
 * counters, live-allocation table) and the free-path filter, lock-free and
 * bounded, over memory the caller provides (mmap in the hook, a buffer in unit
 * tests). Writers follow the state-word protocol of heapsnap_registry.h. */
#ifndef HOOK_TABLES_H
#define HOOK_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapsnap_registry.h"
#include "hook_filter.h"

/* Probes before a live insert gives up (counted in dropped_live). */
#define HOOK_LIVE_PROBES 64
/* Probes before a stack insert gives up (counted in dropped_stacks). */
#define HOOK_STACK_PROBES 256

struct hook_tables {
    struct heapsnap_registry *reg; /* header: addresses, capacities, counters */
    struct heapsnap_stack_entry *stacks;
    uint64_t stack_mask; /* capacity - 1 (capacity is a power of two) */
    struct heapsnap_live *live;
    uint64_t live_mask;
    /* 1 + the longest probe any live insert has needed: a lookup looks no
     * further (it grows, never shrinks; read and raised with atomics). Without
     * it a lookup of an address that is not in the table, the common case
     * for the frees the filter lets through, ran through every tombstone up
     * to HOOK_LIVE_PROBES slots, once the table had none EMPTY left. */
    uint64_t live_reach;
    /* The filter over the live table's addresses (hook_filter.h): the
     * writers below keep it, before an address is in the table and after it
     * is out of it. */
    struct hook_filter *filter;
};

/* Bytes of memory hook_tables_init needs for the two tables (both capacities
 * are rounded up to powers of two; the filter is separate). */
size_t hook_tables_bytes(uint64_t nstacks, uint64_t nlive);

/* Where the live table starts in that memory. */
size_t hook_tables_live_offset(uint64_t nstacks);

/* Lays the tables out in mem (zeroed, hook_tables_bytes long, 64-byte aligned),
 * fills reg's header, keeps filter (set up, with no address of the table). */
void hook_tables_init(struct hook_tables *t, struct heapsnap_registry *reg, void *mem,
                      uint64_t nstacks, uint64_t nlive, struct hook_filter *filter, uint64_t rate);

/* False when addr is certainly not a sampled live allocation. */
static inline bool hook_tables_maybe_live(const struct hook_tables *t, uint64_t addr)
{
    return hook_filter_counted(t->filter, addr);
}

uint64_t hook_frames_hash(const uint64_t *frames, uint32_t n);

/* The id (table index) of the stack frames[0..n), inserted if new. -1 when the
 * table has no room (dropped_stacks counted). */
int64_t hook_stack_intern(struct hook_tables *t, const uint64_t *frames, uint32_t n);

/* The writers below count into the stack's stripe stripe % HEAPSNAP_STACK_STRIPES:
 * any number works, but threads that give different ones do not share a
 * line (the hook gives each thread's fork-lock stripe). */

/* Records a sampled allocation: stack, live entry, counters. False when it was
 * dropped (a table full; the matching dropped_* counter says which). */
bool hook_record_alloc(struct hook_tables *t, uint64_t addr, uint64_t size, const uint64_t *frames,
                       uint32_t nframes, unsigned stripe);

/* Records addr as a live block the hook did not count (registry version 5,
 * HEAPSNAP_FLAG_UNSEEN): an UNSEEN live entry, no stack, no counter. False
 * when the live table had no room (unseen_lost counts it). */
bool hook_record_unseen(struct hook_tables *t, uint64_t addr);
/* The same for an addr already added to the filter (hook_filter_add, before
 * the table existed); on failure it is taken out of the filter again. */
bool hook_insert_unseen(struct hook_tables *t, uint64_t addr);

/* Removes addr from the live table if it is there, counting the free against
 * its stack (an UNSEEN entry has none). Returns true (and the removed entry,
 * state USED or UNSEEN, in *out if non-NULL) when addr was in it. */
bool hook_record_free(struct hook_tables *t, uint64_t addr, struct heapsnap_live *out,
                      unsigned stripe);

/* Undoes hook_record_free for a block that turned out to stay allocated
 * (realloc failed): re-inserts it (as it was, USED or UNSEEN) and takes the
 * free back. */
void hook_unrecord_free(struct hook_tables *t, const struct heapsnap_live *e, unsigned stripe);

/* ---- readers (in-process, concurrent with writers) ---- */

/* A consistent copy of one stack entry. */
struct hook_site {
    uint32_t id;
    uint32_t nframes;
    uint64_t alloc_objects, alloc_bytes, free_objects, free_bytes;
    uint64_t frames[HEAPSNAP_MAX_FRAMES];
};

/* Copies every READY stack entry into out (up to max), skipping entries being
 * written (counted in *torn if non-NULL). Returns the number copied; with out
 * NULL, only counts. */
size_t hook_tables_read_sites(const struct hook_tables *t, struct hook_site *out, size_t max,
                              size_t *torn);

/* Calls fn for a consistent copy of every live entry in state USED, without
 * copying the table (which may hold millions of entries). */
void hook_tables_each_live(const struct hook_tables *t,
                           void (*fn)(void *arg, const struct heapsnap_live *e), void *arg);

/* Copies every live entry in state USED into out (up to max); BUSY entries are
 * skipped and counted in *torn. Returns the number copied. */
size_t hook_tables_read_live(const struct hook_tables *t, struct heapsnap_live *out, size_t max,
                             size_t *torn);

#endif
