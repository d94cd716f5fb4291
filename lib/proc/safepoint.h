/* lib/proc/safepoint.h: libheapsnap's safepoint driven from outside (registry
 * version 3, hook/heapsnap_registry.h): which stopped threads are inside the
 * allocator or parked, read from their TLS, and the park request posted and
 * withdrawn in the hook's registry while every thread is stopped. */
#ifndef HS_PROC_SAFEPOINT_H
#define HS_PROC_SAFEPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heapsnap_registry.h"
#include "hs_error.h"

/* A thread's state as its words say. */
enum {
    SAFEPOINT_UNKNOWN = 0, /* no thread pointer, or its words unreadable */
    SAFEPOINT_OUTSIDE,     /* in no hooked allocator call */
    SAFEPOINT_INSIDE,      /* inside one: let it run, it parks on the way out */
    SAFEPOINT_PARKED,      /* waiting on the park request: outside */
};

typedef struct safepoint {
    pid_t pid;
    uint64_t park_addr; /* of the registry's park word in the process */
    int64_t tls;        /* a thread's words at its fs_base + tls */
    uint32_t target;    /* the process's own pid (the registry's hook_pid) */
    uint32_t requester; /* heapsnap's pid as the process sees it, 0 if unknown */
    uint32_t posted;    /* the id of the request posted, 0 for none */
} safepoint;

/* From the registry header hdr read at registry_addr in pid: 1 with sp
 * filled when the hook has the safepoint (version 3 or later), 0 when not. */
int safepoint_open(safepoint *sp, pid_t pid, uint64_t registry_addr,
                   const struct heapsnap_registry *hdr);

/* The states of n threads from their thread pointers tp (fs_base; 0 for
 * unknown) into state, with one read per 256 threads. A thread whose words
 * cannot be read is SAFEPOINT_UNKNOWN. 0, or -1 + err when none could be read
 * because the process is gone. */
int safepoint_read(const safepoint *sp, const uint64_t *tp, size_t n, unsigned char *state,
                   hs_err *err);

/* The state a thread's two words stand for (see the enum). */
int safepoint_state_of(const struct heapsnap_safepoint_thread *w);

/* While every thread is stopped: posts a park request that each thread keeps
 * for at most timeout_ms of its running time. 0, or -1 + err. */
int safepoint_post(safepoint *sp, uint32_t timeout_ms, hs_err *err);

/* While every thread is stopped: withdraws the request; parked threads go on
 * as soon as they run. Nothing to do when none is posted. 0, or -1 + err. */
int safepoint_withdraw(safepoint *sp, hs_err *err);

#endif
