/* lib/proc/inject.h: calling a function inside another process, on one of its
 * threads that the caller holds in a ptrace stop (every other thread stopped
 * too, and the heap quiet when the function allocates). The thread's
 * registers -- general, FP/vector state, signal mask -- are saved first and
 * restored exactly afterwards, including a system call it was blocked in
 * (futex, nanosleep, read, accept, epoll_wait...), which resumes as if nothing
 * had happened: no EINTR, no abort. SIGURG is unblocked in the thread while
 * it runs calls (it marks their end). Each call returns through a signal frame
 * of the thread's original state, so if the caller dies mid-call (SIGKILL) the
 * thread goes back to where it was on its own. Used by heapsnap --attach,
 * --detach and --trim. */
#ifndef HS_INJECT_H
#define HS_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

/* What an injection needs to know of a process: its libc's symbols and the
 * signal-return code. Found while the process runs. */
typedef struct inj_target inj_target;

/* Finds pid's libc. NULL + err when it has none (not glibc, or static). */
inj_target *inj_open(pid_t pid, hs_err *err);
void inj_close(inj_target *t);
/* The address of name in pid's libc (its dynamic symbols, default version):
 * 0, or -1 + err when libc does not define it as a function. */
int inj_libc_symbol(inj_target *t, const char *name, uint64_t *addr, hs_err *err);

/* One thread prepared for calls. */
typedef struct inj_thread inj_thread;

/* Saves the registers of thread tid (in a ptrace stop, traced by us) and maps
 * one page of code in the process for the calls to return to. NULL + err. */
inj_thread *inj_begin(inj_target *t, pid_t tid, hs_err *err);
/* Copies len bytes (at most 4 KiB in all per thread) to scratch memory on the
 * thread's stack, below its red zone, for pointer arguments; *addr gets their
 * address in the process, valid until inj_end. */
int inj_push(inj_thread *c, const void *data, size_t len, uint64_t *addr, hs_err *err);

/* How a call ended. */
typedef enum inj_status {
    INJ_DONE = 0,    /* returned; *ret holds its rax */
    INJ_RUNNING = 1, /* still running after timeout_us: let the other threads run
                      * (they may hold a lock it waits for), then inj_wait again */
    INJ_FAILED = -1, /* err says why; the thread is back in its saved state if it can be */
} inj_status;

/* Calls fn(args[0], ..., args[nargs-1]) (at most 6 integer arguments) on the
 * thread and waits up to timeout_us (0: for ever) for it to return. */
inj_status inj_call(inj_thread *c, uint64_t fn, const uint64_t *args, size_t nargs,
                    uint64_t timeout_us, uint64_t *ret, hs_err *err);
/* Waits again for a call that was INJ_RUNNING. */
inj_status inj_wait(inj_thread *c, uint64_t timeout_us, uint64_t *ret, hs_err *err);

/* A frozen copy of the process: a raw clone system call on the thread (no
 * pthread_atfork handler runs, nothing in libc is called), with no CLONE_VM
 * and an exit signal of 0, so the child is a "clone child" that only waits
 * with __WCLONE or __WALL see: the program's SIGCHLD handling and its
 * waitpid(-1) never do. The kernel attaches the child to the caller and
 * stops it before it runs; it carries PTRACE_O_EXITKILL (it dies with the
 * caller), and its registers lead to exit_group(0) should it ever run.
 * 0 with *child set, or -1 + err; *clone_errno is the clone's own error
 * (EAGAIN, ENOMEM, EPERM under seccomp...), 0 when something else failed.
 * The thread stays ready for more calls. */
int inj_clone(inj_thread *c, pid_t *child, int *clone_errno, hs_err *err);

/* Unmaps the code page and puts every register back as it was saved; the
 * thread stays in a ptrace stop (the caller detaches it), and a system call
 * it was in is resumed by that detach. Frees c. -1 + err when the thread
 * is gone. */
int inj_end(inj_thread *c, hs_err *err);

/* Frees c without touching the thread: for a caller that detached it in the
 * middle of a call (the thread returns to its saved state by itself). */
void inj_abandon(inj_thread *c);

/* Pure helper, for tests: the frame's rip/rax/orig_rax for resuming a thread
 * whose registers were saved at a stop inside a system call, the way the
 * kernel restarts it (ERESTARTSYS family: the same call again; the
 * restart_block family: restart_syscall). */
void inj_restart_regs(uint64_t *rip, uint64_t *rax, int64_t orig_rax);
/* The syscall number to let run at resumption from a syscall-entry stop so that
 * a thread saved with these registers carries on exactly: the interrupted
 * call again, restart_syscall, or -1 (none: nothing to restart). */
int64_t inj_resume_nr(uint64_t rax, int64_t orig_rax);

#endif
