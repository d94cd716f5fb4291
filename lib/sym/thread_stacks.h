/* lib/sym/thread_stacks.h: the call stacks of a process's threads while heapsnap
 * holds them stopped with ptrace (libunwind-ptrace), and the pprof profile of
 * them with the single sample type threads/count, like Go's goroutine profile:
 * one sample per distinct (stack, thread name) with the number of threads.
 *
 * Link lib/libhs_tstacks.la before lib/libhs.la (it needs libunwind-ptrace,
 * which the preloaded hook must not pull in). */
#ifndef HS_THREAD_STACKS_H
#define HS_THREAD_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "hs_error.h"
#include "pprof.h"
#include "symbolize.h"

#define TSTACKS_MAX_FRAMES 64

typedef struct tstacks_thread {
    pid_t tid;
    char name[64];                   /* /proc/PID/task/TID/comm, or the tid in decimal */
    uint64_t pc[TSTACKS_MAX_FRAMES]; /* leaf first */
    size_t n;                        /* 0 when the stack could not be read */
    /* Bit i set: pc[i] is an exact instruction address (the leaf, or the
     * frame a signal interrupted); clear: a return address. */
    uint64_t exact;
    char error[128]; /* why n is 0 */
} tstacks_thread;

typedef struct tstacks {
    pid_t pid;
    tstacks_thread *v;
    size_t n;
    int64_t time_nanos; /* when they were captured */
} tstacks;

/* Unwinds one thread that the caller has stopped with ptrace (seized and
 * interrupted, or attached, and waited for). Writes up to max PCs, leaf
 * first, into pcs; *exact as in tstacks_thread. Returns the count (>= 1), or
 * -1 + err when not even the thread's PC can be read. */
int tstacks_unwind(pid_t tid, uint64_t *pcs, size_t max, uint64_t *exact, hs_err *err);
/* tstacks_unwind that also gives each frame's stack pointer (sps[i]: the
 * lowest address of frame i; frame i's slots lie in [sps[i], sps[i + 1])). */
int tstacks_unwind_sp(pid_t tid, uint64_t *pcs, uint64_t *sps, size_t max, uint64_t *exact,
                      hs_err *err);
/* A thread's registers and a copy of its stack from them, taken while it was
 * stopped, to unwind once it runs again (the pause then holds only the copy). */
typedef struct tstacks_copy {
    pid_t tid;
    struct user_regs_struct regs;
    uint64_t lo;           /* address of words[0] */
    const uint64_t *words; /* the stack from below the stack pointer up */
    size_t nwords;
} tstacks_copy;
/* x86-64's callee-saved registers in a frame, as libunwind recovers them
 * from the unwind tables (where the frames below saved them, or still live):
 * the values the frame's function holds in them across its call. */
#define TSTACKS_NSAVED 6
typedef struct tstacks_saved {
    uint64_t v[TSTACKS_NSAVED]; /* rbx, rbp, r12, r13, r14, r15 */
    uint8_t known;              /* bit i: v[i] was recovered */
} tstacks_saved;
/* Their DWARF (and libunwind) register numbers, in tstacks_saved's order. */
extern const int tstacks_saved_regs[TSTACKS_NSAVED];
/* tstacks_unwind_sp over the copy: its registers, its stack words, and the
 * unwind tables of the files and text the process maps (read live: they do
 * not change). saved (may be NULL): each frame's callee-saved registers.
 * Not for a thread's copy whose process has exec'd since. */
int tstacks_unwind_copy(const tstacks_copy *c, uint64_t *pcs, uint64_t *sps, tstacks_saved *saved,
                        size_t max, uint64_t *exact, hs_err *err);

/* Captures the stacks of the given stopped threads of pid: the only part that
 * needs them stopped. A thread whose stack cannot be read is kept with n = 0
 * and its reason; NULL + err only when out of memory or ntids is 0. */
tstacks *tstacks_capture(pid_t pid, const pid_t *tids, size_t ntids, hs_err *err);
void tstacks_free(tstacks *t);

/* The threads/count profile of t, symbolized through sym (for t->pid; may be
 * NULL, then a symbolizer is opened here). Label "thread" = the thread name;
 * a sample of a single thread also has the numeric label "tid". A thread
 * without a stack gets a pseudo-frame "[stack unavailable: reason]". */
pprof_builder *tstacks_profile(const tstacks *t, sym_ctx *sym, hs_err *err);
/* tstacks_profile written to path, gzip'd and atomically. */
int tstacks_write(const tstacks *t, sym_ctx *sym, const char *path, hs_err *err);

#endif
