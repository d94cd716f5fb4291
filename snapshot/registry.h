/* snapshot/registry.h: reads the hook's registry (hook/heapsnap_registry.h) out
 * of another process: finds `heapsnap_registry` through libheapsnap.so's .dynsym
 * and load address, checks magic and version, and copies the live-allocation
 * and stack tables with process_vm_readv, skipping (and counting) torn entries. */
#ifndef HS_SNAPSHOT_REGISTRY_H
#define HS_SNAPSHOT_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heapsnap_registry.h"
#include "hs_error.h"
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
    uint64_t torn_stacks;        /* entries skipped because they were BUSY or malformed */
    size_t live_cap, stacks_cap; /* allocated entries (private) */
} registry;

/* Before stopping: finds the hook in m. 1 and fills r (header checked) when the
 * hook is loaded, 0 when it is not, -1 + err (unreadable library, wrong magic,
 * other version). */
int registry_locate(pid_t pid, const procmaps *m, registry *r, hs_err *err);

/* While every thread is stopped: re-reads the header and copies the live
 * table. 0 or -1 + err (SNAP: the process may have exited). */
int registry_read_live(registry *r, hs_err *err);

/* Copies the stack table (READY entries are final, so this may run after the
 * process was resumed). 0 or -1 + err. */
int registry_read_stacks(registry *r, hs_err *err);

/* The READY stack with this id, or NULL (never recorded, torn, out of range). */
const struct heapsnap_stack *registry_stack(const registry *r, uint32_t id);

void registry_free(registry *r);

#endif
