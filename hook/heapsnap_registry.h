/* hook/heapsnap_registry.h: the registry, a contract between two processes.
 *
 * libheapsnap.so (inside the examined process) exports one symbol,
 * `heapsnap_registry`, of type struct heapsnap_registry. The heapsnap command
 * finds it through the hook library's .dynsym plus its load address in
 * /proc/PID/maps, and reads it with process_vm_readv while every thread is
 * stopped -- possibly in the middle of an update. All tables live in memory the
 * hook maps itself (never from the allocator it watches).
 *
 * Torn entries: every entry starts with a state word. A writer sets the state to
 * a *_BUSY value before touching the entry and to the stable value after (with
 * release ordering); a reader that sees *_BUSY skips the entry and counts it.
 *
 * Layout version HEAPSNAP_REGISTRY_VERSION; any change to these structs bumps it.
 * All fields are little-endian native x86-64 integers; no pointers other than
 * the table addresses, which are addresses in the examined process. Sizes and
 * offsets are pinned with _Static_assert at the end of this file.
 *
 * Version 2 adds the exact size-class counters (struct heapsnap_counts) in
 * four words that were reserved in version 1; the header's size and every
 * other offset are unchanged, so a version-1 header reads as one without
 * counters.
 *
 * Version 3 adds the safepoint in the last four reserved words, again with
 * every size and offset unchanged: where each thread's struct
 * heapsnap_safepoint_thread lies (an offset from its thread pointer, the same
 * for every thread: initial-exec TLS) and the park request heapsnap posts while
 * the process is stopped. A thread that calls a hooked allocator function
 * while a request is posted parks first, and one whose hook work (the
 * `inside` word: a sample, a free of a sampled block, the counters) ends
 * while a request is posted parks then: it waits on the `park` futex word
 * until the word changes, for at most park_timeout_ms, and clears a request
 * whose requester is gone or which is meant for another process (a fork).
 * An unsampled call keeps no word: it is a tail call into glibc, and a
 * reader tells a thread inside glibc's allocator by its pc and stack. (Hooks
 * built before December 2026 kept `inside` for every call and parked only on
 * the way out; a reader that lets the threads inside run handles both.)
 * A version-2 header reads as one without the safepoint (safepoint_tls 0).
 *
 * Version 4 moves the per-stack counters out of the entry's first cache line,
 * which every sampled allocation reads to find its stack, into stripes of a
 * line each (struct heapsnap_stack_entry): a thread adds to its own stripe,
 * so threads recording the same stack no longer write one line (at
 * HEAPSNAP_RATE=1 two threads spent a tenth of their time there). The
 * header is unchanged; stack_entry_size grows to the entry's. A reader adds
 * the entry's own four counters (always zero from version 4) and, from
 * version 4, its stripes'. */
#ifndef HEAPSNAP_REGISTRY_H
#define HEAPSNAP_REGISTRY_H

#include <stdint.h>

#define HEAPSNAP_REGISTRY_MAGIC 0x50414e5350414548ULL /* "HEAPSNAP" in memory */
#define HEAPSNAP_REGISTRY_VERSION 5u
#define HEAPSNAP_MAX_FRAMES 64

/* Stack table entry states. */
#define HEAPSNAP_STACK_EMPTY 0u
#define HEAPSNAP_STACK_BUSY 1u  /* being written: skip */
#define HEAPSNAP_STACK_READY 2u /* frames are final; counters keep changing */

/* One distinct call stack with its counters. Stack ids are table indices. */
struct heapsnap_stack {
    uint32_t state;   /* HEAPSNAP_STACK_* */
    uint32_t nframes; /* <= HEAPSNAP_MAX_FRAMES */
    uint64_t hash;
    /* Sampled allocations from this stack (raw counts, not scaled). */
    uint64_t alloc_objects;
    uint64_t alloc_bytes;
    uint64_t free_objects;
    uint64_t free_bytes;
    /* Return addresses, leaf first; frames[0] is the caller of malloc. */
    uint64_t frames[HEAPSNAP_MAX_FRAMES];
};

/* Version 4: one thread group's counters of a stack, a cache line of its own. */
#define HEAPSNAP_STACK_STRIPES 4
struct heapsnap_stack_stripe {
    uint64_t alloc_objects;
    uint64_t alloc_bytes;
    uint64_t free_objects;
    uint64_t free_bytes;
    uint64_t reserved[4];
};

/* Version 4: an entry of the stack table, stack_entry_size bytes apart. The
 * counters of stack.* stay zero; the stack's counters are the stripes' sums. */
struct heapsnap_stack_entry {
    struct heapsnap_stack stack;
    uint64_t pad[2];
    struct heapsnap_stack_stripe stripes[HEAPSNAP_STACK_STRIPES];
};

/* Live-allocation table entry states. */
#define HEAPSNAP_LIVE_EMPTY 0u
#define HEAPSNAP_LIVE_BUSY 1u    /* being inserted or removed: skip */
#define HEAPSNAP_LIVE_USED 2u    /* a live sampled allocation */
#define HEAPSNAP_LIVE_DELETED 3u /* tombstone */
#define HEAPSNAP_LIVE_UNSEEN 4u  /* version 5: a live block the hook did not count (no stack) */

/* A sampled allocation that has not been freed (as far as the hook knows). */
struct heapsnap_live {
    uint32_t state;    /* HEAPSNAP_LIVE_* */
    uint32_t stack_id; /* index into the stack table */
    uint64_t addr;     /* the user pointer returned by malloc */
    uint64_t size;     /* the size requested */
};

/* ---- exact live totals per size class (version 2) ----
 *
 * A size class is a glibc chunk size (the request rounded as glibc rounds it,
 * header included: what the chunk's size field says) bucketed so that a heap
 * walk can put every chunk it finds in the same class: chunks up to 1024 bytes
 * that are not mmapped have one class per 16 bytes (index size / 16); larger
 * ones one class per power of two (index 65 + ceil(log2 size)), and mmapped
 * chunks another 64 classes above those (index 129 + ceil(log2 size)). */
#define HEAPSNAP_CLASS_EXACT_MAX 1024u
#define HEAPSNAP_NEXACT (HEAPSNAP_CLASS_EXACT_MAX / 16 + 1) /* 65 */
#define HEAPSNAP_NPOW2 64
#define HEAPSNAP_NCLASSES (HEAPSNAP_NEXACT + 2 * HEAPSNAP_NPOW2) /* 193 */

static inline unsigned heapsnap_size_class(uint64_t chunk_size, int mmapped)
{
    if (!mmapped && chunk_size <= HEAPSNAP_CLASS_EXACT_MAX)
        return (unsigned)(chunk_size / 16);
    unsigned k = chunk_size > 1 ? 64u - (unsigned)__builtin_clzll(chunk_size - 1) : 0u;
    if (k > HEAPSNAP_NPOW2 - 1)
        k = HEAPSNAP_NPOW2 - 1;
    return HEAPSNAP_NEXACT + (mmapped ? HEAPSNAP_NPOW2 : 0) + k;
}

/* Counter slot states. */
#define HEAPSNAP_COUNTS_FREE 0u  /* no thread writes it; its counts still count */
#define HEAPSNAP_COUNTS_OWNED 1u /* one thread writes it, with plain stores */

/* One thread's share of the live totals: chunks allocated through the hook
 * minus chunks freed through it, per size class, since sampling started. A
 * thread takes a free slot for itself on its first allocation and gives it
 * back (counts kept) when it exits, so no two threads write one slot and the
 * allocation path shares no cache line. A free by another thread subtracts in
 * that thread's slot: a single slot may go "negative" (the words wrap); only
 * the sum over every slot, taken modulo 2^64, is the live total. For the
 * exact classes (index < HEAPSNAP_NEXACT) bytes are not kept (they are
 * count x 16 x index) and bytes[] stays 0. A reader that stopped a thread
 * between its two stores is off by that one chunk. */
struct heapsnap_counts {
    uint64_t owner; /* HEAPSNAP_COUNTS_* */
    uint64_t reserved[7];
    uint64_t count[HEAPSNAP_NCLASSES];
    uint64_t bytes[HEAPSNAP_NCLASSES];
    uint64_t pad[6]; /* to a whole number of cache lines */
};

/* ---- the safepoint (version 3) ----
 *
 * One per thread, in its static TLS at thread pointer (fs_base) +
 * heapsnap_registry.safepoint_tls. inside counts the hook's own work in
 * progress on the thread (sampling, a free of a sampled block, every call
 * while the counters run; more than one when a signal handler allocates
 * inside it); parked is 1 while the thread waits on a park request, and
 * then inside is 0. Written only by the thread itself, with plain stores. */
struct heapsnap_safepoint_thread {
    uint32_t inside;
    uint32_t parked;
};

struct heapsnap_registry {
    uint64_t magic;         /* HEAPSNAP_REGISTRY_MAGIC */
    uint32_t version;       /* HEAPSNAP_REGISTRY_VERSION */
    uint32_t header_size;   /* sizeof(struct heapsnap_registry) */
    uint64_t rate;          /* mean bytes between samples; 1 = every allocation; 0 = off */
    uint64_t start_time_ns; /* CLOCK_REALTIME when the hook started */

    uint64_t stacks_addr; /* struct heapsnap_stack[stacks_capacity] */
    uint64_t stacks_capacity;
    uint64_t stack_entry_size; /* sizeof(struct heapsnap_stack) */
    uint64_t live_addr;        /* struct heapsnap_live[live_capacity] */
    uint64_t live_capacity;
    uint64_t live_entry_size; /* sizeof(struct heapsnap_live) */

    /* Counters (updated with relaxed atomics). */
    uint64_t sampled_allocs; /* allocations recorded */
    uint64_t dropped_stacks; /* samples lost because the stack table was full */
    uint64_t dropped_live;   /* samples lost because the live table was full */
    uint64_t hook_pid;       /* getpid() of the process the tables belong to (reset after fork) */
    /* Version 2: the exact counters, struct heapsnap_counts[counts_slots]. */
    uint64_t counts_addr;
    uint64_t counts_slots;
    uint64_t counts_slot_size; /* sizeof(struct heapsnap_counts) */
    uint64_t counts_nclasses;  /* HEAPSNAP_NCLASSES */
    /* Version 3: the safepoint. */
    int64_t safepoint_tls; /* a thread's heapsnap_safepoint_thread at its fs_base + this; 0: none */
    uint32_t park;         /* futex word: 0, or the id of the posted park request */
    uint32_t park_timeout_ms; /* a thread parks at most this long for one request */
    uint32_t park_requester;  /* the poster's pid as the process sees it, 0 if unknown */
    uint32_t park_target;     /* the process the request is for (its hook_pid) */
    uint64_t parks;           /* times a thread has parked (relaxed atomic; a diagnostic) */
    /* Version 5: how the hooked totals are known. */
    uint64_t flags;       /* HEAPSNAP_FLAG_* */
    uint64_t unseen_lost; /* unseen blocks not recorded (the live table was full) */
};

/* Version 5 flags. */
#define HEAPSNAP_FLAG_UNSEEN 1u /* the blocks the hook did not count are UNSEEN entries */
/* The header's size up to version 4. */
#define HEAPSNAP_REGISTRY_V4_SIZE 176u

/* The layout libheapsnap(3) documents; a change here is a new version. */
#ifndef __cplusplus
_Static_assert(sizeof(struct heapsnap_stack) == 560, "heapsnap_stack layout");
_Static_assert(__builtin_offsetof(struct heapsnap_stack, frames) == 48, "heapsnap_stack layout");
_Static_assert(sizeof(struct heapsnap_stack_stripe) == 64, "heapsnap_stack_stripe layout");
_Static_assert(sizeof(struct heapsnap_stack_entry) == 832, "heapsnap_stack_entry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_stack_entry, stripes) == 576,
               "heapsnap_stack_entry layout");
_Static_assert(sizeof(struct heapsnap_live) == 24, "heapsnap_live layout");
_Static_assert(__builtin_offsetof(struct heapsnap_live, addr) == 8, "heapsnap_live layout");
_Static_assert(sizeof(struct heapsnap_counts) == 3200, "heapsnap_counts layout");
_Static_assert(__builtin_offsetof(struct heapsnap_counts, count) == 64, "heapsnap_counts layout");
_Static_assert(__builtin_offsetof(struct heapsnap_counts, bytes) == 1608, "heapsnap_counts layout");
_Static_assert(sizeof(struct heapsnap_registry) == 192, "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, flags) == HEAPSNAP_REGISTRY_V4_SIZE,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, rate) == 16,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, live_addr) == 56,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, hook_pid) == 104,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, counts_addr) == 112,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, counts_nclasses) == 136,
               "heapsnap_registry layout");
_Static_assert(sizeof(struct heapsnap_safepoint_thread) == 8, "heapsnap_safepoint_thread layout");
_Static_assert(__builtin_offsetof(struct heapsnap_safepoint_thread, parked) == 4,
               "heapsnap_safepoint_thread layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, safepoint_tls) == 144,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, park) == 152,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, park_timeout_ms) == 156,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, park_requester) == 160,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, park_target) == 164,
               "heapsnap_registry layout");
_Static_assert(__builtin_offsetof(struct heapsnap_registry, parks) == 168,
               "heapsnap_registry layout");
#endif

#endif
