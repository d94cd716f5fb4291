/* snapshot/quiesce.h: stopping every thread of a process at a moment when its
 * heap is quiet -- no malloc lock held, no thread inside malloc -- so that a
 * walk sees consistent lists. Used by the snapshot and by --stats. */
#ifndef HS_QUIESCE_H
#define HS_QUIESCE_H

#include <stddef.h>
#include <sys/types.h>

#include "heap_process.h"
#include "hs_error.h"
#include "ptrace.h"

/* Stops pid and lets threads run until the heap is quiet, a bounded number of
 * times. On success the process is stopped, *threads (caller frees) describes
 * its threads and *retries counts the rounds it took; NULL with one sentence
 * in err when it stayed busy or could not be stopped (nothing left stopped). */
ptstop *quiesce_stop(pid_t pid, hproc *h, gheap_thread **threads, size_t *nthreads,
                     unsigned *retries, hs_err *err);

#endif
