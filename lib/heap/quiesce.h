/* lib/heap/quiesce.h: stopping every thread of a process at a moment when its
 * heap is quiet -- no malloc lock held, no thread inside malloc -- so that a
 * walk sees consistent lists; or, when a time budget runs out first, stopped
 * anyway, with the arenas still being modified named. Used by the snapshot
 * and by --stats. */
#ifndef HS_QUIESCE_H
#define HS_QUIESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "heap_process.h"
#include "hs_error.h"
#include "ptstop.h"
#include "safepoint.h"

/* The default budget for the wait (heapsnap --max-pause). */
#define QUIESCE_DEFAULT_BUDGET_US 50000u
/* Arenas named when the budget runs out; glibc makes at most 8 per core. */
#define QUIESCE_MAX_ARENAS 64

/* How the stop went, the pause's parts. */
typedef struct quiesce_result {
    unsigned retries;                    /* rounds in which some threads were let run */
    uint64_t stop_us;                    /* first stop until every thread was stopped */
    uint64_t safepoint_us;               /* then the hook's safepoint: until those inside parked */
    size_t parked;                       /* threads parked at the safepoint */
    uint64_t wait_us;                    /* then until the heap was quiet or the budget ran out */
    bool budget_out;                     /* the budget ran out with the heap still busy */
    size_t busy;                         /* then: threads still inside malloc */
    bool busy_unknown;                   /* then: one of them had no arena yet, so any may change */
    uint64_t arenas[QUIESCE_MAX_ARENAS]; /* then: arenas being modified */
    size_t narenas;
    /* heapsnap's own priority, raised for the pause (quiesce_end lowers it) */
    bool raised;
    int old_nice;
    bool rt; /* and its scheduling policy, made real-time */
    int old_policy, old_rt_priority;
} quiesce_result;

/* Stops pid and lets only the threads inside malloc run until the heap is
 * quiet, for at most budget_us after the stop (0: no budget, a bounded
 * number of tries and then an error). With sp (the hook's safepoint, or
 * NULL), the threads inside the hook's allocator calls are first let run
 * until each has parked on the way out, in one round, and the request stays
 * posted through the rounds after it; it is withdrawn before this returns.
 * On success the process is stopped, *threads (caller frees) describes its
 * threads and qr the stop; when the budget ran out, qr->budget_out and the
 * arenas are set and the heap is walked as it is. NULL with one sentence in
 * err when it could not be stopped, or stayed busy without a budget (nothing
 * left stopped). Raises heapsnap's scheduling priority when allowed: call
 * quiesce_end once the process runs again. */
ptstop *quiesce_stop_within(pid_t pid, hproc *h, safepoint *sp, uint64_t budget_us,
                            gheap_thread **threads, size_t *nthreads, quiesce_result *qr,
                            hs_err *err);
/* Gives heapsnap its own priority back. */
void quiesce_end(quiesce_result *qr);

/* quiesce_stop_within without a budget, at heapsnap's own priority; *retries
 * counts the rounds. */
ptstop *quiesce_stop(pid_t pid, hproc *h, gheap_thread **threads, size_t *nthreads,
                     unsigned *retries, hs_err *err);

#endif
