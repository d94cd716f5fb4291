/* lib/proc/registry.h: reads the hook's registry (hook/heapsnap_registry.h) out
 * of another process: finds `heapsnap_registry` through libheapsnap.so's .dynsym
 * and load address, checks magic and version, copies the touched parts of the
 * live-allocation and stack tables and the size-class counters while the
 * process is stopped, and reads the entries out of that copy after it runs
 * again, skipping (and counting) torn entries. Reads registry versions 1 (no
 * counters), 2, 3 (the safepoint, lib/proc/safepoint.h), 4 (striped stack
 * counters) and 5 (the unseen blocks instead of counters). */
#ifndef HS_SNAPSHOT_REGISTRY_H
#define HS_SNAPSHOT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heapsnap_registry.h"
#include "hs_error.h"
#include "memsrc.h"
#include "procmaps.h"

typedef struct registry {
    pid_t pid;
    uint64_t addr;   /* of struct heapsnap_registry in the target */
    char path[4096]; /* the hook library as mapped */
    struct heapsnap_registry hdr;
    /* Live table: USED entries only, in table order. */
    struct heapsnap_live *live;
    size_t nlive;
    uint64_t torn_live; /* entries skipped because they were BUSY */
    /* Stack table: READY entries only, sorted by id. */
    struct heapsnap_stack *stacks;
    uint32_t *stack_ids;
    size_t nstacks;
    uint64_t torn_stacks; /* entries skipped because they were BUSY or malformed */
    /* Version 2: the hook's exact live totals per size class, summed over every
     * counter slot modulo 2^64 (read them as int64_t: a class the hook saw
     * freed more than allocated is negative). Exact classes' bytes are filled
     * in as count x class size. have_counts is false for a version-1 hook. */
    bool have_counts;
    uint64_t class_count[HEAPSNAP_NCLASSES];
    uint64_t class_bytes[HEAPSNAP_NCLASSES];
    /* Version 5 without counters (HEAPSNAP_FLAG_UNSEEN): the user pointers of
     * the UNSEEN entries, the live blocks the hook let through uncounted, in
     * table order. With unseen_tracked, every other in-use chunk but glibc's
     * own was allocated through the hook. */
    bool unseen_tracked;
    uint64_t *unseen;
    size_t nunseen;
    size_t live_cap, stacks_cap, unseen_cap; /* allocated entries (private) */
    /* The copy (private): the source the tables are copied through (opened
     * on the process unless a test sets src before registry_copy), and the
     * copied spans of both tables, live first. */
    memsrc *src;
    bool own_src, copied;
    memsrc_range *spans;
    size_t nspans, nspans_live, nspans_stacks; /* live, then stacks, then counters */
} registry;

/* Before stopping: finds the hook in m. 1 and fills r (header checked) when the
 * hook is loaded, 0 when it is not, -1 + err (unreadable library, wrong magic,
 * other version). */
int registry_locate(pid_t pid, const procmaps *m, registry *r, hs_err *err);

/* True when a registry header of this version carries the counters. */
bool registry_has_counts(const struct heapsnap_registry *h);

/* The hook's tables, which hold no malloc chunk: [start[i], end[i]) for i
 * below the count returned (at most REGISTRY_MAX_TABLES). The snapshot leaves
 * them out of the walker's search for mmapped chunks (hproc_exclude). */
#define REGISTRY_MAX_TABLES 3
size_t registry_tables(const registry *r, uint64_t start[REGISTRY_MAX_TABLES],
                       uint64_t end[REGISTRY_MAX_TABLES]);

/* Before stopping: reserves and faults in local memory for the tables' copy
 * (their touched pages now, plus room for pages touched before the stop), so
 * that registry_copy costs the copy and no page faults. 0 or -1 + err. */
int registry_reserve(registry *r, hs_err *err);

/* While every thread is stopped: re-reads the header (checked again; its
 * tables are followed even if they moved) and copies the touched pages of
 * both tables with a few large reads. Nothing is parsed. 0 or -1 + err
 * (the process may have exited). */
int registry_copy(registry *r, hs_err *err);

/* registry_copy from frozen instead, a copy of the process made at the stop
 * (lib/proc/cowfork.h's child), while the process runs: the tables as they
 * were at the fork, as consistent as a copy made while stopped. The reserve
 * made before the stop is dropped. 0 or -1 + err. */
int registry_copy_frozen(registry *r, pid_t frozen, hs_err *err);

/* Any time after registry_copy (the process may run): fills live (USED
 * entries, table order), stacks and stack_ids (READY entries, sorted by id)
 * from the copy, counting torn entries. 0 or -1 + err. */
int registry_parse(registry *r, hs_err *err);

/* The spans of a table of count entries of esz bytes at addr that hold its
 * touched pages (touched: one byte per page from addr's page on; NULL: all
 * touched), widened to whole entries, disjoint, in order, touching runs
 * merged. out needs room for npages / 2 + 1 spans. Returns the count. */
size_t registry_touched_spans(uint64_t addr, uint64_t count, uint64_t esz,
                              const unsigned char *touched, memsrc_range *out);

/* The READY stack with this id, or NULL (never recorded, torn, out of range). */
const struct heapsnap_stack *registry_stack(const registry *r, uint32_t id);

void registry_free(registry *r);

#endif
