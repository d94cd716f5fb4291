/* lib/proc/ptstop.h: stop every thread of a process without side effects
 * (PTRACE_SEIZE + PTRACE_INTERRUPT, never SIGSTOP, re-scanning /proc/PID/task
 * until the set is stable), read their registers, resume briefly when the heap
 * is busy (all threads, or only some), and always detach -- on every error path and on
 * SIGINT/SIGTERM. */
#ifndef HS_SNAPSHOT_PTRACE_H
#define HS_SNAPSHOT_PTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "hs_error.h"

typedef struct ptstop_thread {
    pid_t tid;
    uint64_t fs_base;             /* thread pointer (struct pthread *) */
    struct user_regs_struct regs; /* registers at the stop */
} ptstop_thread;

typedef struct ptstop ptstop;

/* Seizes and interrupts every thread of pid. NULL + err (no such process,
 * ptrace not permitted and why, already traced...) with nothing left attached. */
ptstop *ptstop_stop_all(pid_t pid, hs_err *err);
size_t ptstop_nthreads(const ptstop *s);
const ptstop_thread *ptstop_thread_at(const ptstop *s, size_t i);
/* Lets every thread run for usec microseconds, then stops them all again
 * (re-scanning for new threads). -1 + err if the process died. */
int ptstop_resume_briefly(ptstop *s, unsigned usec, hs_err *err);
/* Lets only the threads i with run[i] set (run has ptstop_nthreads(s) entries;
 * NULL: all) run for usec microseconds while the others stay stopped, then
 * stops them again and re-scans for new threads. Threads that exited are
 * dropped and new ones appended, so indices change: find threads by tid
 * afterwards. -1 + err if the process died. */
int ptstop_resume_some(ptstop *s, const bool *run, unsigned usec, hs_err *err);
/* ptstop_resume_some in two halves, for a caller that waits on a condition
 * instead of a time: ptstop_run lets the threads with run[i] set (NULL: all)
 * go; ptstop_restop stops them again and re-scans for new threads (indices
 * change as in ptstop_resume_some). Call restop once after each run. */
int ptstop_run(ptstop *s, const bool *run, hs_err *err);
int ptstop_restop(ptstop *s, hs_err *err);
/* Detaches every thread (the process runs again) and frees s. Safe on NULL. */
void ptstop_detach_all(ptstop *s);
/* Microseconds from the first stop to now (or to the detach, once detached). */
uint64_t ptstop_pause_us(const ptstop *s);
/* Installs SIGINT/SIGTERM/SIGHUP/SIGPIPE handlers that detach every thread
 * currently stopped before the process dies (async-signal-safe). */
void ptstop_install_signal_guard(void);
/* Before those handlers detach: zero the 32-bit word at addr in pid (addr 0:
 * none). Set while a word must not outlive heapsnap (the hook's park request). */
void ptstop_guard_word(pid_t pid, uint64_t addr);

#endif
