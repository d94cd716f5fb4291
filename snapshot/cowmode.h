/* snapshot/cowmode.h: whether a snapshot forks a frozen copy of the process
 * (copy-on-write: the pause is the fork) or copies its heap while it is
 * stopped (the pause is the copy), and why. */
#ifndef HS_SNAPSHOT_COWMODE_H
#define HS_SNAPSHOT_COWMODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memroom.h"

/* The pause each mode is expected to cost, from the sizes (see cowmode.c for
 * the constants and where they were measured). */
typedef struct cowmode_estimate {
    uint64_t fork_us;    /* the injected clone: page tables of every anonymous page */
    uint64_t copy_us;    /* reading the heaps, and the roots when they are copied */
    uint64_t root_bytes; /* of what copy_us reads, the roots' share (0 without them) */
} cowmode_estimate;

/* What the command line asks: --no-cow, nothing, or --cow (fork even when
 * the copy looks cheaper; the memory checks still hold). */
typedef enum cowmode_want { COWMODE_NEVER, COWMODE_AUTO, COWMODE_ALWAYS } cowmode_want;

/* true to fork; false to copy, with the reason (one clause, "" when forking)
 * in why. heap_bytes: the heaps' mappings (hproc_heap_bytes); roots: the
 * holders' roots (globals, stacks, other anonymous mappings) are copied in
 * the stop when it copies, and read from the child after the resume when it
 * forks; room: the process's memory (memroom_read). */
bool cowmode_decide(cowmode_want want, uint64_t heap_bytes, bool roots, const memroom *room,
                    cowmode_estimate *est, char *why, size_t whylen);

#endif
