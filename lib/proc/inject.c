/* lib/proc/inject.c: calls injected into a stopped thread (see inject.h).
 *
 * A call runs on the thread's own stack, below its red zone, under a signal
 * frame that holds the thread's saved state: the function returns to a code
 * page mapped for the purpose, which stores rax beside the frame, sends the
 * thread SIGURG and calls rt_sigreturn. Traced (always, normally) the call
 * runs under PTRACE_CONT and the thread is held at that signal's stop (the
 * signal never delivered), one stop per call; its registers are put back from
 * there. Untraced (heapsnap killed mid-call) SIGURG is ignored by default and
 * rt_sigreturn restores the saved state, its interrupted system call rewound
 * to run again. The first call (mmap of that page) and the last (munmap)
 * return through libc's own __restore_rt instead, under PTRACE_SYSCALL, and
 * read their result at their syscall's exit stop.
 *
 * An interrupted system call, as gdb (amd64_linux_write_pc clears orig_rax)
 * and CRIU (compel's parasite restores through sigreturn, its frame's
 * restart pre-applied) handle it: injected registers carry orig_rax = -1, so
 * the kernel does not "restart" into the injected code; at the end the thread
 * sits at a syscall-entry stop with every saved register back and orig_rax
 * set to the call to run on resumption -- the interrupted one again for the
 * ERESTARTSYS family, restart_syscall (its restart_block intact) for
 * ERESTART_RESTARTBLOCK, none otherwise, which leaves rax as saved. The
 * program's signals that reach the thread during the calls are held back and
 * sent to it again at the end, so that they find it as it was: a restart is
 * right only if no handler ran meanwhile. */
#include "inject.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/ucontext.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dynsym.h"
#include "memsrc.h"
#include "procmaps.h"

#define INJ_RED_ZONE 128
#define INJ_SCRATCH 4096
#define INJ_XSTATE_MAX 16384
#define INJ_PAGE 4096
#define INJ_SEARCH 65536 /* bytes around sigaction searched for __restore_rt */

/* The kernel's return codes of an interrupted system call (include/linux/errno.h). */
#define INJ_ERESTARTSYS 512
#define INJ_ERESTARTNOINTR 513
#define INJ_ERESTARTNOHAND 514
#define INJ_ERESTART_RESTARTBLOCK 516

#define INJ_FP_XSTATE_MAGIC1 0x46505853u
#define INJ_FP_XSTATE_MAGIC2 0x46505845u
#define INJ_UC_FP_XSTATE 0x1
#define INJ_UC_SIGCONTEXT_SS 0x2
#define INJ_UC_STRICT_RESTORE_SS 0x4

/* glibc's __restore_rt: mov $15,%rax; syscall. */
static const unsigned char inj_restore_rt_code[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
                                                    0x00, 0x00, 0x0f, 0x05};
/* The page's code: mov %rax,-8(%rsp) (the frame's return slot), then
 * tgkill(getpid(), gettid(), SIGURG), then mov $15,%eax; syscall
 * (rt_sigreturn). Traced, the SIGURG stops the thread right after the
 * tgkill: one stop per call, however many system calls the call made.
 * Untraced (heapsnap gone), SIGURG's default action is to ignore it. */
static const unsigned char inj_tramp_code[] = {
    0x48, 0x89, 0x44, 0x24, 0xf8, /* mov %rax,-0x8(%rsp) */
    0xb8, 0x27, 0x00, 0x00, 0x00, /* mov $SYS_getpid,%eax */
    0x0f, 0x05,                   /* syscall */
    0x89, 0xc7,                   /* mov %eax,%edi */
    0xb8, 0xba, 0x00, 0x00, 0x00, /* mov $SYS_gettid,%eax */
    0x0f, 0x05,                   /* syscall */
    0x89, 0xc6,                   /* mov %eax,%esi */
    0xba, 0x17, 0x00, 0x00, 0x00, /* mov $SIGURG,%edx */
    0xb8, 0xea, 0x00, 0x00, 0x00, /* mov $SYS_tgkill,%eax */
    0x0f, 0x05,                   /* syscall */
    0xb8, 0x0f, 0x00, 0x00, 0x00, /* mov $SYS_rt_sigreturn,%eax */
    0x0f, 0x05,                   /* syscall */
};
#define INJ_TRAMP_SIGNALLED 35 /* the offset of the rip at the SIGURG stop */
/* The page's second entry, at INJ_CLONE_OFF: clone(rdi, rsi, rdx, rcx, r8)
 * as a raw system call. The parent returns the child's pid through the
 * first entry; the child, whose registers are the parent's with rax 0, goes
 * straight on to exit_group(0) should it ever run (it starts in a ptrace
 * stop and is meant to be killed there). */
static const unsigned char inj_clone_code[] = {
    0xb8, 0x38, 0x00, 0x00, 0x00, /* mov $SYS_clone,%eax */
    0x49, 0x89, 0xca,             /* mov %rcx,%r10 */
    0x0f, 0x05,                   /* syscall */
    0x48, 0x85, 0xc0,             /* test %rax,%rax */
    0x75, 0x09,                   /* jne 1f (the parent) */
    0xb8, 0xe7, 0x00, 0x00, 0x00, /* mov $SYS_exit_group,%eax */
    0x31, 0xff,                   /* xor %edi,%edi */
    0x0f, 0x05,                   /* syscall */
    0xc3,                         /* 1: ret */
};
#define INJ_CLONE_OFF 64
_Static_assert(sizeof(inj_tramp_code) <= INJ_CLONE_OFF, "the two entries do not overlap");
_Static_assert(SYS_clone == 56 && SYS_exit_group == 231, "the clone entry's numbers are x86-64's");
#define INJ_TRAMP_SIG SIGURG
_Static_assert(SYS_getpid == 39 && SYS_gettid == 186 && SYS_tgkill == 234 && SIGURG == 23,
               "the code page's numbers are x86-64 Linux's");

struct inj_target {
    pid_t pid;
    memsrc *mem;
    uint64_t libc_base;
    uint64_t restore_rt; /* glibc's __restore_rt */
};

struct inj_thread {
    inj_target *t;
    pid_t tid;
    int memfd; /* /proc/PID/mem */
    struct user_regs_struct saved;
    unsigned char *xstate; /* NT_X86_XSTATE (or the 512-byte FXSAVE area) */
    size_t xlen;
    bool xsave; /* xstate is an XSAVE image, not FXSAVE only */
    uint64_t sigmask;
    uint64_t frame; /* the signal frame's return slot; calls start with rsp here */
    uint64_t fpstate;
    uint64_t scratch_top, scratch_used;
    uint64_t tramp; /* the code page, 0 until mapped */
    /* the call in flight */
    bool running;
    uint64_t ret_rip; /* rip at its rt_sigreturn's entry stop */
    long result_nr;   /* >= 0: its result is this system call's return value */
    long last_nr;     /* the last syscall entered during the call */
    uint64_t result;
    bool at_entry;     /* held at a syscall-entry stop (else at the first stop or a signal's) */
    uint64_t deferred; /* the program's signals taken during the calls (bit N-1 =
                        * signal N), sent again once the thread is as it was */
};

static uint64_t inj_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the target ---- */

static int inj_find_restore_rt(inj_target *t, const procmaps *m, hs_err *err)
{
    uint64_t sa = 0;
    if (dynsym_lookup(t->mem, t->libc_base, "sigaction", &sa, NULL) != 1)
        return hs_err_set(err, "libc of process %d exports no sigaction; it is not glibc",
                          (int)t->pid);
    const procmaps_entry *e = procmaps_find(m, sa);
    if (e == NULL || !e->x)
        return hs_err_set(err, "sigaction of process %d is not in executable memory", (int)t->pid);
    /* Try near sigaction first (same source file), then the whole mapping. */
    uint64_t ranges[2][2] = {
        {sa > e->start + INJ_SEARCH ? sa - INJ_SEARCH : e->start,
         sa + INJ_SEARCH < e->end ? sa + INJ_SEARCH : e->end},
        {e->start, e->end},
    };
    size_t plen = sizeof(inj_restore_rt_code);
    for (int r = 0; r < 2; r++) {
        uint64_t len = ranges[r][1] - ranges[r][0];
        unsigned char *buf = malloc(len);
        if (buf == NULL)
            return hs_err_set(err, "out of memory");
        if (memsrc_read(t->mem, ranges[r][0], len, buf) == 0)
            for (uint64_t i = 0; i + plen <= len; i++)
                if (buf[i] == 0x48 && memcmp(buf + i, inj_restore_rt_code, plen) == 0) {
                    t->restore_rt = ranges[r][0] + i;
                    free(buf);
                    return 0;
                }
        free(buf);
    }
    return hs_err_set(err,
                      "found no signal-return code (__restore_rt) in libc of process %d; this "
                      "glibc build is not supported for injection",
                      (int)t->pid);
}

inj_target *inj_open(pid_t pid, hs_err *err)
{
    procmaps *m = procmaps_read(pid, err);
    if (m == NULL)
        return NULL;
    inj_target *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        procmaps_free(m);
        hs_err_set(err, "out of memory");
        return NULL;
    }
    t->pid = pid;
    const procmaps_entry *e = procmaps_find_file(m, "libc.so.6");
    if (e == NULL) {
        hs_err_set(err,
                   "process %d has no glibc libc.so.6 mapped: it is statically linked or uses "
                   "another C library (musl?); heapsnap injects only into dynamically linked "
                   "glibc programs",
                   (int)pid);
        goto fail;
    }
    t->libc_base = procmaps_file_base(m, e);
    t->mem = memsrc_open_pid(pid, 0, err);
    if (t->mem == NULL)
        goto fail;
    if (inj_find_restore_rt(t, m, err) != 0)
        goto fail;
    procmaps_free(m);
    return t;
fail:
    procmaps_free(m);
    inj_close(t);
    return NULL;
}

void inj_close(inj_target *t)
{
    if (t == NULL)
        return;
    if (t->mem != NULL)
        memsrc_close(t->mem);
    free(t);
}

int inj_libc_symbol(inj_target *t, const char *name, uint64_t *addr, hs_err *err)
{
    int is_func = 0;
    int r = dynsym_lookup(t->mem, t->libc_base, name, addr, &is_func);
    if (r < 0)
        return hs_err_set(err, "cannot read the dynamic symbols of libc in process %d",
                          (int)t->pid);
    if (r == 0 || !is_func)
        return hs_err_set(err, "libc of process %d defines no function %s", (int)t->pid, name);
    return 0;
}

/* ---- registers and the signal frame ---- */

void inj_restart_regs(uint64_t *rip, uint64_t *rax, int64_t orig_rax)
{
    if (orig_rax < 0)
        return;
    switch ((int64_t)*rax) {
    case -INJ_ERESTARTSYS:
    case -INJ_ERESTARTNOINTR:
    case -INJ_ERESTARTNOHAND:
        *rax = (uint64_t)orig_rax;
        *rip -= 2;
        break;
    case -INJ_ERESTART_RESTARTBLOCK:
        *rax = SYS_restart_syscall;
        *rip -= 2;
        break;
    default:
        break;
    }
}

int64_t inj_resume_nr(uint64_t rax, int64_t orig_rax)
{
    if (orig_rax < 0)
        return -1;
    switch ((int64_t)rax) {
    case -INJ_ERESTARTSYS:
    case -INJ_ERESTARTNOINTR:
    case -INJ_ERESTARTNOHAND:
        return orig_rax;
    case -INJ_ERESTART_RESTARTBLOCK:
        return SYS_restart_syscall;
    default:
        return -1;
    }
}

static int inj_write(inj_thread *c, uint64_t addr, const void *buf, size_t len, hs_err *err)
{
    ssize_t n = pwrite(c->memfd, buf, len, (off_t)addr);
    if (n != (ssize_t)len)
        return hs_err_set(err, "cannot write %zu bytes at 0x%llx in process %d: %s", len,
                          (unsigned long long)addr, (int)c->t->pid,
                          n < 0 ? strerror(errno) : "short write");
    return 0;
}

static int inj_read(inj_thread *c, uint64_t addr, void *buf, size_t len, hs_err *err)
{
    ssize_t n = pread(c->memfd, buf, len, (off_t)addr);
    if (n != (ssize_t)len)
        return hs_err_set(err, "cannot read %zu bytes at 0x%llx in process %d: %s", len,
                          (unsigned long long)addr, (int)c->t->pid,
                          n < 0 ? strerror(errno) : "short read");
    return 0;
}

/* Writes the FP state and the signal frame that rt_sigreturn restores when
 * nobody traces the thread any more. */
static int inj_write_frame(inj_thread *c, hs_err *err)
{
    size_t fplen = c->xlen;
    unsigned char *fp = calloc(1, fplen + 4);
    if (fp == NULL)
        return hs_err_set(err, "out of memory");
    memcpy(fp, c->xstate, c->xlen);
    if (c->xsave) {
        uint32_t xsize;
        memcpy(&xsize, fp + 464 + 12,
               4); /* sw_reserved: magic1, extended_size, xfeatures, xstate_size */
        if (xsize <= fplen) {
            uint32_t m2 = INJ_FP_XSTATE_MAGIC2;
            memcpy(fp + xsize, &m2, 4);
        }
    } else {
        memset(fp + 464, 0, 48); /* no magic1: a plain FXSAVE image */
    }
    int rc = inj_write(c, c->fpstate, fp, fplen + 4, err);
    free(fp);
    if (rc != 0)
        return -1;

    ucontext_t uc;
    memset(&uc, 0, sizeof(uc));
    uc.uc_flags =
        (c->xsave ? INJ_UC_FP_XSTATE : 0) | INJ_UC_SIGCONTEXT_SS | INJ_UC_STRICT_RESTORE_SS;
    /* An invalid ss_flags: the kernel then leaves the thread's sigaltstack as it is. */
    uc.uc_stack.ss_flags = 3;
    const struct user_regs_struct *r = &c->saved;
    greg_t *g = uc.uc_mcontext.gregs;
    g[REG_R8] = (greg_t)r->r8;
    g[REG_R9] = (greg_t)r->r9;
    g[REG_R10] = (greg_t)r->r10;
    g[REG_R11] = (greg_t)r->r11;
    g[REG_R12] = (greg_t)r->r12;
    g[REG_R13] = (greg_t)r->r13;
    g[REG_R14] = (greg_t)r->r14;
    g[REG_R15] = (greg_t)r->r15;
    g[REG_RDI] = (greg_t)r->rdi;
    g[REG_RSI] = (greg_t)r->rsi;
    g[REG_RBP] = (greg_t)r->rbp;
    g[REG_RBX] = (greg_t)r->rbx;
    g[REG_RDX] = (greg_t)r->rdx;
    g[REG_RCX] = (greg_t)r->rcx;
    g[REG_RSP] = (greg_t)r->rsp;
    g[REG_EFL] = (greg_t)r->eflags;
    uint64_t rip = r->rip, rax = r->rax;
    inj_restart_regs(&rip, &rax, (int64_t)r->orig_rax);
    g[REG_RIP] = (greg_t)rip;
    g[REG_RAX] = (greg_t)rax;
    g[REG_CSGSFS] = (greg_t)((r->cs & 0xffff) | (r->gs & 0xffff) << 16 | (r->fs & 0xffff) << 32 |
                             (r->ss & 0xffff) << 48);
    uc.uc_mcontext.fpregs = (fpregset_t)(uintptr_t)c->fpstate;
    memcpy(&uc.uc_sigmask, &c->sigmask, sizeof(c->sigmask));
    /* The kernel's rt_sigframe: the return slot, then the ucontext. */
    return inj_write(c, c->frame + 8, &uc, sizeof(uc), err);
}

/* ---- running a call ---- */

static inj_status inj_start(inj_thread *c, uint64_t fn, const uint64_t *args, size_t nargs,
                            uint64_t ret_to, uint64_t ret_rip, long result_nr, hs_err *err)
{
    if (c->running)
        return hs_err_set(err, "a call is still running in thread %d", (int)c->tid);
    if (nargs > 6)
        return hs_err_set(err, "at most 6 arguments can be passed to an injected call");
    if (inj_write(c, c->frame, &ret_to, sizeof(ret_to), err) != 0)
        return INJ_FAILED;
    struct user_regs_struct r = c->saved;
    r.rip = fn;
    r.rsp = c->frame;
    r.rax = 0;
    r.orig_rax = (unsigned long long)-1;       /* no restart into the injected code */
    r.eflags &= ~((1ull << 8) | (1ull << 10)); /* TF and DF clear, as the ABI wants */
    unsigned long long *argv[6] = {&r.rdi, &r.rsi, &r.rdx, &r.rcx, &r.r8, &r.r9};
    for (size_t i = 0; i < nargs; i++)
        *argv[i] = args[i];
    if (ptrace(PTRACE_SETREGS, c->tid, NULL, &r) != 0)
        return hs_err_set(err, "cannot set the registers of thread %d: %s", (int)c->tid,
                          strerror(errno));
    c->ret_rip = ret_rip;
    c->result_nr = result_nr;
    c->last_nr = -1;
    c->result = 0;
    c->at_entry = false;
    if (ptrace(result_nr < 0 ? PTRACE_CONT : PTRACE_SYSCALL, c->tid, NULL, NULL) != 0)
        return hs_err_set(err, "cannot resume thread %d: %s", (int)c->tid, strerror(errno));
    c->running = true;
    return INJ_DONE;
}

/* One stop of the running call. 1 when the call returned, 0 to go on, -1 on failure. */
static int inj_on_stop(inj_thread *c, int st, hs_err *err)
{
    if (WIFEXITED(st) || WIFSIGNALED(st))
        return hs_err_set(err, "process %d ended during an injected call", (int)c->t->pid);
    if (!WIFSTOPPED(st))
        return 0;
    int sig = WSTOPSIG(st), event = st >> 16;
    if (sig == (SIGTRAP | 0x80)) {
        struct __ptrace_syscall_info si;
        memset(&si, 0, sizeof(si));
        if (ptrace(PTRACE_GET_SYSCALL_INFO, c->tid, (void *)sizeof(si), &si) <= 0)
            return hs_err_set(err, "cannot read the system call of thread %d: %s", (int)c->tid,
                              strerror(errno));
        if (si.op == PTRACE_SYSCALL_INFO_ENTRY) {
            /* The stack pointer tells our return from the return of a
             * signal handler of the program that ran during the call:
             * both go through libc's __restore_rt. */
            if (si.entry.nr == SYS_rt_sigreturn && si.instruction_pointer == c->ret_rip &&
                si.stack_pointer == c->frame + 8) {
                c->at_entry = true;
                return 1;
            } /* returned; held here, the registers are put back from here */
            c->last_nr = (long)si.entry.nr;
        } else if (si.op == PTRACE_SYSCALL_INFO_EXIT && c->result_nr >= 0 &&
                   c->last_nr == c->result_nr) {
            c->result = (uint64_t)si.exit.rval;
        }
    } else if (event != 0) {
        /* an interrupt or group stop, or another ptrace event: go on */
    } else {
        siginfo_t info;
        memset(&info, 0, sizeof(info));
        ptrace(PTRACE_GETSIGINFO, c->tid, NULL, &info);
        bool fault =
            (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) &&
            info.si_code > 0;
        if (sig == INJ_TRAMP_SIG && c->result_nr < 0 && info.si_code == SI_TKILL &&
            info.si_pid == c->t->pid) {
            struct user_regs_struct r;
            if (ptrace(PTRACE_GETREGS, c->tid, NULL, &r) == 0 && r.rip == c->ret_rip)
                return 1; /* returned; held at this signal's stop, the signal never delivered */
        }
        if (fault)
            return hs_err_set(err,
                              "the injected call faulted in thread %d (signal %d at 0x%llx); the "
                              "thread was put back as it was",
                              (int)c->tid, sig, (unsigned long long)(uintptr_t)info.si_addr);
        /* The program's own signal: held back until the thread is as it
         * was. Its handler run now would leave the interrupted system call
         * to be restarted rather than fail with EINTR, so a thread waiting
         * in sigsuspend (or pselect, ppoll, epoll_pwait) for this very
         * signal would wait on after its handler had run. */
        if (sig >= 1 && sig <= 64)
            c->deferred |= 1ull << (sig - 1);
    }
    if (ptrace(c->result_nr < 0 ? PTRACE_CONT : PTRACE_SYSCALL, c->tid, NULL, NULL) != 0)
        return hs_err_set(err, "cannot resume thread %d: %s", (int)c->tid, strerror(errno));
    return 0;
}

static int inj_restore(inj_thread *c, hs_err *err);

/* True when thread tid is gone or a zombie (its process killed). */
static bool inj_thread_dead(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the state follows the name */
    return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

inj_status inj_wait(inj_thread *c, uint64_t timeout_us, uint64_t *ret, hs_err *err)
{
    if (!c->running)
        return hs_err_set(err, "no injected call is running in thread %d", (int)c->tid);
    /* Every stop of a tracee sends its tracer SIGCHLD: wait for that (blocked
     * meanwhile) rather than nap, so that each of the call's many stops costs
     * a wake-up, not a timer tick. */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old);
    uint64_t t0 = inj_now_ns();
    inj_status result = INJ_FAILED;
    for (;;) {
        int st;
        pid_t r = waitpid(c->tid, &st, __WALL | WNOHANG);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            c->running = false;
            hs_err_set(err, "lost thread %d during an injected call: %s", (int)c->tid,
                       strerror(errno));
            break;
        }
        if (r == 0 && inj_thread_dead(c->tid)) {
            /* Killed with its process: a zombie leader is reported only once
             * every other thread is reaped, so waiting for it never ends. */
            c->running = false;
            hs_err_set(err, "thread %d exited during an injected call", (int)c->tid);
            break;
        }
        if (r == 0) {
            uint64_t now = inj_now_ns(), left = 5000000; /* re-check at least every 5 ms */
            if (timeout_us != 0) {
                if (now - t0 >= timeout_us * 1000) {
                    result = INJ_RUNNING;
                    break;
                }
                if (timeout_us * 1000 - (now - t0) < left)
                    left = timeout_us * 1000 - (now - t0);
            }
            struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
            sigtimedwait(&chld, NULL, &ts);
            continue;
        }
        int k = inj_on_stop(c, st, err);
        if (k < 0) {
            if (!(WIFEXITED(st) || WIFSIGNALED(st))) {
                hs_err keep = *err;
                inj_restore(c, err);
                *err = keep;
            }
            c->running = false;
            break;
        }
        if (k == 1) {
            c->running = false;
            if (c->result_nr < 0 && inj_read(c, c->frame, &c->result, 8, err) != 0)
                break;
            if (ret != NULL)
                *ret = c->result;
            result = INJ_DONE;
            break;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return result;
}

inj_status inj_call(inj_thread *c, uint64_t fn, const uint64_t *args, size_t nargs,
                    uint64_t timeout_us, uint64_t *ret, hs_err *err)
{
    if (c->tramp == 0)
        return hs_err_set(err, "thread %d is not prepared for calls", (int)c->tid);
    if (inj_start(c, fn, args, nargs, c->tramp, c->tramp + INJ_TRAMP_SIGNALLED, -1, err) !=
        INJ_DONE)
        return INJ_FAILED;
    return inj_wait(c, timeout_us, ret, err);
}

/* A libc system-call wrapper, returning through __restore_rt; its result is
 * the system call's. Used while no code page exists. */
static int inj_call_syscall_fn(inj_thread *c, const char *fn, long nr, const uint64_t *args,
                               size_t nargs, uint64_t *ret, hs_err *err)
{
    uint64_t addr;
    if (inj_libc_symbol(c->t, fn, &addr, err) != 0)
        return -1;
    uint64_t rt = c->t->restore_rt;
    if (inj_start(c, addr, args, nargs, rt, rt + sizeof(inj_restore_rt_code), nr, err) != INJ_DONE)
        return -1;
    return inj_wait(c, 0, ret, err) == INJ_DONE ? 0 : -1;
}

/* ---- begin and end ---- */

int inj_push(inj_thread *c, const void *data, size_t len, uint64_t *addr, hs_err *err)
{
    uint64_t need = (len + 15) & ~(uint64_t)15;
    if (c->scratch_used + need > INJ_SCRATCH)
        return hs_err_set(err, "no scratch room left for %zu bytes of arguments", len);
    c->scratch_used += need;
    *addr = c->scratch_top - c->scratch_used;
    return inj_write(c, *addr, data, len, err);
}

/* Every saved register back. At a syscall-entry stop orig_rax names what the
 * kernel runs when the thread resumes; at any other stop it is the saved one,
 * and the kernel's own restart logic runs on resumption. */
static int inj_restore(inj_thread *c, hs_err *err)
{
    struct iovec iov = {c->xstate, c->xlen};
    if (c->xsave ? ptrace(PTRACE_SETREGSET, c->tid, (void *)NT_X86_XSTATE, &iov)
                 : ptrace(PTRACE_SETFPREGS, c->tid, NULL, c->xstate))
        return hs_err_set(err, "cannot restore the FP registers of thread %d: %s", (int)c->tid,
                          strerror(errno));
    struct user_regs_struct r = c->saved;
    if (c->at_entry)
        r.orig_rax = (unsigned long long)inj_resume_nr(r.rax, (int64_t)r.orig_rax);
    ptrace(PTRACE_SETSIGMASK, c->tid, (void *)sizeof(c->sigmask), &c->sigmask);
    if (ptrace(PTRACE_SETREGS, c->tid, NULL, &r) != 0)
        return hs_err_set(err, "cannot restore the registers of thread %d: %s", (int)c->tid,
                          strerror(errno));
    ptrace(PTRACE_SETOPTIONS, c->tid, NULL, (void *)0);
    return 0;
}

static void inj_free(inj_thread *c)
{
    /* Sent to the thread again: traced still, its next stop reports them to
     * whoever resumes it (ptstop keeps them for its detach); untraced, its
     * handlers run as if the signals had just arrived. */
    for (int sig = 1; sig <= 64; sig++)
        if (c->deferred & (1ull << (sig - 1)))
            syscall(SYS_tgkill, (int)c->t->pid, (int)c->tid, sig);
    if (c->memfd >= 0)
        close(c->memfd);
    free(c->xstate);
    free(c);
}

inj_thread *inj_begin(inj_target *t, pid_t tid, hs_err *err)
{
    inj_thread *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        hs_err_set(err, "out of memory");
        return NULL;
    }
    c->t = t;
    c->tid = tid;
    c->memfd = -1;
    c->xstate = aligned_alloc(64, INJ_XSTATE_MAX);
    if (c->xstate == NULL) {
        hs_err_set(err, "out of memory");
        inj_free(c);
        return NULL;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/mem", (int)t->pid);
    c->memfd = open(path, O_RDWR | O_CLOEXEC);
    if (c->memfd < 0) {
        hs_err_set(err, "cannot open %s: %s", path, strerror(errno));
        inj_free(c);
        return NULL;
    }
    if (ptrace(PTRACE_GETREGS, tid, NULL, &c->saved) != 0) {
        hs_err_set(err, "cannot read the registers of thread %d: %s", (int)tid, strerror(errno));
        inj_free(c);
        return NULL;
    }
    struct iovec iov = {c->xstate, INJ_XSTATE_MAX};
    if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == 0 && iov.iov_len >= 576) {
        c->xsave = true;
        c->xlen = iov.iov_len;
        uint32_t magic1;
        memcpy(&magic1, c->xstate + 464, 4);
        if (magic1 != INJ_FP_XSTATE_MAGIC1)
            c->xsave = false, c->xlen = 512;
    } else if (ptrace(PTRACE_GETFPREGS, tid, NULL, c->xstate) == 0) {
        c->xlen = 512;
    } else {
        hs_err_set(err, "cannot read the FP registers of thread %d: %s", (int)tid, strerror(errno));
        inj_free(c);
        return NULL;
    }
    if (ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof(c->sigmask), &c->sigmask) != 0) {
        hs_err_set(err, "cannot read the signal mask of thread %d: %s", (int)tid, strerror(errno));
        inj_free(c);
        return NULL;
    }
    /* The code page's signal must reach the thread during the calls; the
     * frame and the end put the saved mask back. */
    uint64_t mask = c->sigmask & ~(1ull << (INJ_TRAMP_SIG - 1));
    if (mask != c->sigmask && ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof(mask), &mask) != 0) {
        hs_err_set(err, "cannot set the signal mask of thread %d: %s", (int)tid, strerror(errno));
        inj_free(c);
        return NULL;
    }
    if (ptrace(PTRACE_SETOPTIONS, tid, NULL, (void *)PTRACE_O_TRACESYSGOOD) != 0) {
        hs_err_set(err, "cannot set ptrace options on thread %d: %s", (int)tid, strerror(errno));
        inj_free(c);
        return NULL;
    }
    /* Below the red zone: scratch, then the FP state, then the frame. */
    c->scratch_top = (c->saved.rsp - INJ_RED_ZONE) & ~(uint64_t)15;
    c->fpstate = (c->scratch_top - INJ_SCRATCH - c->xlen - 4) & ~(uint64_t)63;
    c->frame = ((c->fpstate - sizeof(ucontext_t) - 8 - sizeof(siginfo_t)) & ~(uint64_t)15) - 8;
    if (inj_write_frame(c, err) != 0) {
        ptrace(PTRACE_SETOPTIONS, tid, NULL, (void *)0);
        inj_free(c);
        return NULL;
    }
    uint64_t page = 0;
    uint64_t margs[6] = {
        0, INJ_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0};
    if (inj_call_syscall_fn(c, "mmap", SYS_mmap, margs, 6, &page, err) != 0 || (int64_t)page < 0 ||
        page == 0) {
        if ((int64_t)page < 0)
            hs_err_set(err, "no room to map a page of code in process %d (%s)", (int)t->pid,
                       strerror((int)-(int64_t)page));
        hs_err keep = *err;
        inj_restore(c, err);
        *err = keep;
        inj_free(c);
        return NULL;
    }
    c->tramp = page;
    if (inj_write(c, page, inj_tramp_code, sizeof(inj_tramp_code), err) != 0 ||
        inj_write(c, page + INJ_CLONE_OFF, inj_clone_code, sizeof(inj_clone_code), err) != 0) {
        hs_err keep = *err;
        inj_end(c, err);
        *err = keep;
        return NULL;
    }
    return c;
}

void inj_abandon(inj_thread *c)
{
    if (c != NULL)
        inj_free(c);
}

int inj_end(inj_thread *c, hs_err *err)
{
    if (c->running) {
        int rc = hs_err_set(err, "an injected call still runs in thread %d", (int)c->tid);
        return rc;
    }
    int rc = 0;
    if (c->tramp != 0) {
        uint64_t args[2] = {c->tramp, INJ_PAGE}, r = 0;
        if (inj_call_syscall_fn(c, "munmap", SYS_munmap, args, 2, &r, err) != 0)
            rc = -1;
        c->tramp = 0;
    }
    if (inj_restore(c, rc == 0 ? err : NULL) != 0)
        rc = -1;
    inj_free(c);
    return rc;
}

/* The child's first stop: the kernel attached it to us (it inherits the
 * thread's seize) and stops it before it runs a single instruction. */
static int inj_child_stopped(pid_t child, hs_err *err)
{
    for (;;) {
        int st;
        pid_t r = waitpid(child, &st, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return hs_err_set(err, "lost the clone child %d: %s", (int)child, strerror(errno));
        if (WIFSTOPPED(st))
            return 0;
        return hs_err_set(err, "the clone child %d ended at its start (status 0x%x)", (int)child,
                          st);
    }
}

int inj_clone(inj_thread *c, pid_t *child, int *clone_errno, hs_err *err)
{
    *child = 0;
    *clone_errno = 0;
    if (c->tramp == 0)
        return hs_err_set(err, "thread %d is not prepared for calls", (int)c->tid);
    /* Never PTRACE_O_EXITKILL on the process's own thread: it would die
     * with heapsnap. The child gets it at its first stop. */
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK;
    if (ptrace(PTRACE_SETOPTIONS, c->tid, NULL, (void *)opts) != 0)
        return hs_err_set(err, "cannot set ptrace options on thread %d: %s", (int)c->tid,
                          strerror(errno));
    uint64_t args[5] = {0, 0, 0, 0, 0}, ret = 0; /* no flags, exit signal 0: a clone child */
    inj_status st = inj_call(c, c->tramp + INJ_CLONE_OFF, args, 5, 0, &ret, err);
    ptrace(PTRACE_SETOPTIONS, c->tid, NULL, (void *)PTRACE_O_TRACESYSGOOD);
    if (st != INJ_DONE)
        return -1;
    if ((int64_t)ret < 0) {
        *clone_errno = (int)-(int64_t)ret;
        return hs_err_set(err, "clone in process %d failed: %s", (int)c->t->pid,
                          strerror(*clone_errno));
    }
    *child = (pid_t)ret;
    if (inj_child_stopped(*child, err) != 0)
        return -1;
    if (ptrace(PTRACE_SETOPTIONS, *child, NULL, (void *)PTRACE_O_EXITKILL) != 0) {
        hs_err_set(err, "cannot set ptrace options on the clone child %d: %s", (int)*child,
                   strerror(errno));
        kill(*child, SIGKILL);
        return -1;
    }
    return 0;
}
