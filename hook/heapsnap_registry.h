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
 * the table addresses, which are addresses in the examined process. */
#ifndef HEAPSNAP_REGISTRY_H
#define HEAPSNAP_REGISTRY_H

#include <stdint.h>

#define HEAPSNAP_REGISTRY_MAGIC 0x50414e5350414548ULL /* "HEAPSNAP" in memory */
#define HEAPSNAP_REGISTRY_VERSION 1u
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

/* Live-allocation table entry states. */
#define HEAPSNAP_LIVE_EMPTY 0u
#define HEAPSNAP_LIVE_BUSY 1u    /* being inserted or removed: skip */
#define HEAPSNAP_LIVE_USED 2u    /* a live sampled allocation */
#define HEAPSNAP_LIVE_DELETED 3u /* tombstone */

/* A sampled allocation that has not been freed (as far as the hook knows). */
struct heapsnap_live {
    uint32_t state;    /* HEAPSNAP_LIVE_* */
    uint32_t stack_id; /* index into the stack table */
    uint64_t addr;     /* the user pointer returned by malloc */
    uint64_t size;     /* the size requested */
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
    uint64_t reserved[8];
};

#endif
