/* lib/proc/ptstop.c: stop and resume every thread of a process (see ptstop.h).
 * PTRACE_SEIZE + PTRACE_INTERRUPT never sends a signal, so if heapsnap dies the
 * kernel detaches and the process runs on; the thread list is re-scanned until
 * a scan finds no thread that is not yet stopped. */
#include "ptstop.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PT_GUARD_MAX 8192
#define PT_MAX_SCANS 100

struct ptstop {
    pid_t pid;
    ptstop_thread *t;
    uint64_t *sig; /* signals caught while stopped (bit N-1 = signal N), sent
                    * again with tgkill once detached: a restart from an
                    * interrupt stop does not inject a signal */
    size_t n, cap;
    struct timespec t0;
    pid_t *running; /* let run by ptstop_run until ptstop_restop */
    size_t nrunning;
};

/* Threads the signal guard must detach; written only while signals that the
 * guard handles could observe a half-written slot as 0 (skipped). */
static volatile pid_t pt_guard_tids[PT_GUARD_MAX];
static volatile sig_atomic_t pt_guard_n;

static void pt_guard_add(pid_t tid)
{
    for (sig_atomic_t i = 0; i < pt_guard_n; i++)
        if (pt_guard_tids[i] == 0) { /* a slot freed by pt_guard_forget */
            pt_guard_tids[i] = tid;
            return;
        }
    if (pt_guard_n < PT_GUARD_MAX) {
        pt_guard_tids[pt_guard_n] = tid;
        pt_guard_n = pt_guard_n + 1;
    }
}

/* A thread that exited: its slot is free again (in periodic mode thread churn
 * would otherwise fill the table). */
static void pt_guard_forget(pid_t tid)
{
    for (sig_atomic_t i = 0; i < pt_guard_n; i++)
        if (pt_guard_tids[i] == tid)
            pt_guard_tids[i] = 0;
}

static void pt_guard_clear(const ptstop *s)
{
    for (sig_atomic_t i = 0; i < pt_guard_n; i++)
        for (size_t k = 0; k < s->n; k++)
            if (pt_guard_tids[i] == s->t[k].tid)
                pt_guard_tids[i] = 0;
    sig_atomic_t live = 0;
    for (sig_atomic_t i = 0; i < pt_guard_n; i++)
        live |= pt_guard_tids[i] != 0;
    if (!live)
        pt_guard_n = 0;
}

/* A 32-bit word the guard zeroes in a process before it detaches (the
 * hook's park request, posted by quiesce.c), so that threads parked on it go
 * on at once. */
static volatile pid_t pt_guard_word_pid;
static volatile uint64_t pt_guard_word_addr;

void ptstop_guard_word(pid_t pid, uint64_t addr)
{
    pt_guard_word_addr = 0;
    pt_guard_word_pid = pid;
    pt_guard_word_addr = addr;
}

static void pt_guard_handler(int sig)
{
    if (pt_guard_word_addr != 0) {
        uint32_t zero = 0;
        struct iovec local = {&zero, sizeof(zero)};
        struct iovec remote = {(void *)(uintptr_t)pt_guard_word_addr, sizeof(zero)};
        process_vm_writev(pt_guard_word_pid, &local, 1, &remote, 1, 0);
    }
    for (sig_atomic_t i = 0; i < pt_guard_n; i++)
        if (pt_guard_tids[i] > 0)
            ptrace(PTRACE_DETACH, pt_guard_tids[i], NULL, NULL);
    signal(sig, SIG_DFL);
    raise(sig);
}

void ptstop_install_signal_guard(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = pt_guard_handler;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

static int pt_read_int_file(const char *path, int *v)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int rc = fscanf(f, "%d", v) == 1 ? 0 : -1;
    fclose(f);
    return rc;
}

/* TracerPid from /proc/PID/status; -1 when the file cannot be read. */
static int pt_tracer(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int tracer = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "TracerPid: %d", &tracer) == 1)
            break;
    fclose(f);
    return tracer;
}

static int pt_explain(pid_t pid, int e, hs_err *err)
{
    if (e == ESRCH)
        return hs_err_set(err, "no such process: PID %d does not exist (or exited)", (int)pid);
    if (e == EPERM) {
        int tracer = pt_tracer(pid);
        if (tracer > 0)
            return hs_err_set(err,
                              "process %d is already traced by PID %d (a debugger such as gdb or "
                              "strace?); detach it first",
                              (int)pid, tracer);
        int scope = -1;
        pt_read_int_file("/proc/sys/kernel/yama/ptrace_scope", &scope);
        if (scope == 3)
            return hs_err_set(err,
                              "ptrace of process %d is not permitted: kernel.yama.ptrace_scope is "
                              "3, which disables ptrace until reboot",
                              (int)pid);
        if (geteuid() != 0)
            return hs_err_set(err,
                              "ptrace of process %d is not permitted: you are not root and "
                              "kernel.yama.ptrace_scope is %d; run heapsnap as root (or as the "
                              "process's user with `sysctl kernel.yama.ptrace_scope=0`)",
                              (int)pid, scope);
        return hs_err_set(err,
                          "ptrace of process %d is not permitted even as root (a security "
                          "module or a container without CAP_SYS_PTRACE?)",
                          (int)pid);
    }
    return hs_err_set(err, "cannot ptrace process %d: %s", (int)pid, strerror(e));
}

static uint64_t pt_ts_us(const struct timespec *a, const struct timespec *b)
{
    int64_t d = (int64_t)(b->tv_sec - a->tv_sec) * 1000000 + (b->tv_nsec - a->tv_nsec) / 1000;
    return d > 0 ? (uint64_t)d : 0;
}

static int pt_has(const ptstop *s, pid_t tid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->t[i].tid == tid)
            return 1;
    return 0;
}

static int pt_append(ptstop *s, pid_t tid)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        ptstop_thread *t = realloc(s->t, ncap * sizeof(*t));
        if (t == NULL)
            return -1;
        s->t = t;
        uint64_t *sg = realloc(s->sig, ncap * sizeof(*sg));
        if (sg == NULL)
            return -1;
        s->sig = sg;
        s->cap = ncap;
    }
    memset(&s->t[s->n], 0, sizeof(s->t[s->n]));
    s->t[s->n].tid = tid;
    s->sig[s->n] = 0;
    s->n++;
    return 0;
}

static void pt_remove(ptstop *s, size_t i)
{
    pt_guard_forget(s->t[i].tid);
    s->t[i] = s->t[s->n - 1];
    s->sig[i] = s->sig[s->n - 1];
    s->n--;
}

/* True when thread tid of pid is gone or a zombie. A blocking waitpid on such
 * a thread can hang for ever: when a traced process exits, the leader's exit is
 * reported only after every other traced thread has been reaped. */
static int pt_thread_dead(pid_t pid, pid_t tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')'); /* comm may contain spaces */
    if (close_paren == NULL || close_paren[1] == '\0')
        return 0;
    char state = close_paren[2];
    return state == 'Z' || state == 'X' || state == 'x';
}

#define PT_WAIT_LIMIT_NS (10LL * 1000000000LL) /* a thread that never stops is an error */

/* Waits until thread i is in a ptrace stop. 0, 1 when it exited, -1 on error.
 * Polls (WNOHANG) so that a thread dying meanwhile can never block us. */
static int pt_wait_stop(ptstop *s, size_t i)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long nap_ns = 20000;
    for (int guard = 0; guard < 1000;) {
        int st;
        pid_t r = waitpid(s->t[i].tid, &st, __WALL | WNOHANG);
        if (r == 0) {
            if (pt_thread_dead(s->pid, s->t[i].tid))
                return 1;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long waited =
                (now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec);
            if (waited > PT_WAIT_LIMIT_NS)
                return -1;
            struct timespec nap = {0, nap_ns};
            nanosleep(&nap, NULL);
            if (nap_ns < 1000000)
                nap_ns *= 2;
            continue;
        }
        guard++;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno == ECHILD ? 1 : -1;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st))
            return 1;
        if (!WIFSTOPPED(st))
            continue;
        int event = st >> 16;
        if (event == PTRACE_EVENT_STOP)
            return 0; /* interrupt stop or group stop */
        if (event == 0) {
            /* A signal arrived first: keep it for the detach, stay stopped. */
            int sig = WSTOPSIG(st);
            if (sig >= 1 && sig <= 64)
                s->sig[i] |= 1ull << (sig - 1);
            /* The interrupt is still pending; it would stop the thread again
             * right after it resumes, so take that stop now. */
            if (ptrace(PTRACE_CONT, s->t[i].tid, NULL, NULL) != 0)
                return -1;
            continue;
        }
        if (ptrace(PTRACE_CONT, s->t[i].tid, NULL, NULL) != 0)
            return -1;
    }
    return -1;
}

/* Seizes and interrupts every listed thread not yet stopped, then waits for
 * them: the threads stop side by side, so the first one's pause does not
 * grow with each later thread's stop. Repeats until a scan of /proc/PID/task
 * finds nothing new. */
static int pt_stop_new(ptstop *s, hs_err *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)s->pid);
    for (int scan = 0; scan < PT_MAX_SCANS; scan++) {
        DIR *d = opendir(path);
        if (d == NULL)
            return pt_explain(s->pid, ESRCH, err);
        size_t first = s->n;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            pid_t tid = (pid_t)atoi(de->d_name);
            if (tid <= 0 || pt_has(s, tid))
                continue;
            if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
                int e = errno;
                if (e == ESRCH && s->n > 0)
                    continue; /* the thread exited meanwhile */
                closedir(d);
                return pt_explain(s->pid, e, err);
            }
            if (s->n == 0)
                clock_gettime(CLOCK_MONOTONIC, &s->t0);
            if (pt_append(s, tid)) {
                ptrace(PTRACE_DETACH, tid, NULL, NULL);
                closedir(d);
                return hs_err_set(err, "out of memory");
            }
            pt_guard_add(tid);
            if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0)
                pt_remove(s, s->n - 1);
        }
        closedir(d);
        if (s->n == first)
            break;
        for (size_t i = first; i < s->n;) {
            int w = pt_wait_stop(s, i);
            if (w == 1) {
                pt_remove(s, i); /* exited: the last thread moves to i */
                continue;
            }
            if (w < 0)
                return hs_err_set(err, "thread %d of process %d did not stop", (int)s->t[i].tid,
                                  (int)s->pid);
            i++;
        }
    }
    if (s->n == 0)
        return pt_explain(s->pid, ESRCH, err);
    for (size_t i = 0; i < s->n;) {
        if (ptrace(PTRACE_GETREGS, s->t[i].tid, NULL, &s->t[i].regs) != 0) {
            if (errno == ESRCH && pt_thread_dead(s->pid, s->t[i].tid)) { /* killed while stopped */
                pt_remove(s, i);
                continue;
            }
            if (errno == ESRCH) {
                /* Alive but not in a stop: it runs an injected call that the
                 * caller left out of ptstop_resume_some (lib/proc/inject.h).
                 * Kept, with the registers last read. */
                i++;
                continue;
            }
            return hs_err_set(err, "cannot read the registers of thread %d: %s", (int)s->t[i].tid,
                              strerror(errno));
        }
        s->t[i].fs_base = s->t[i].regs.fs_base;
        i++;
    }
    return 0;
}

ptstop *ptstop_stop_all(pid_t pid, hs_err *err)
{
    if (pid <= 0) {
        hs_err_set(err, "no such process: PID %d is not a valid process id", (int)pid);
        return NULL;
    }
    if (pid == getpid()) {
        hs_err_set(err, "heapsnap cannot stop itself (PID %d)", (int)pid);
        return NULL;
    }
    int tracer = pt_tracer(pid);
    if (tracer < 0) {
        hs_err_set(err, "no such process: PID %d does not exist", (int)pid);
        return NULL;
    }
    if (tracer > 0) {
        hs_err_set(err,
                   "process %d is already traced by PID %d (a debugger such as gdb or strace?); "
                   "detach it first",
                   (int)pid, tracer);
        return NULL;
    }
    ptstop *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        hs_err_set(err, "out of memory");
        return NULL;
    }
    s->pid = pid;
    /* The waits for the stops nap 20 us at first; the default timer slack
     * (50 us) would stretch each nap, and the pause with it. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    if (pt_stop_new(s, err)) {
        ptstop_detach_all(s);
        return NULL;
    }
    return s;
}

size_t ptstop_nthreads(const ptstop *s)
{
    return s->n;
}

const ptstop_thread *ptstop_thread_at(const ptstop *s, size_t i)
{
    return i < s->n ? &s->t[i] : NULL;
}

static ssize_t pt_index(const ptstop *s, pid_t tid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->t[i].tid == tid)
            return (ssize_t)i;
    return -1;
}

int ptstop_run(ptstop *s, const bool *run, hs_err *err)
{
    /* Remember the tids: removing a thread that exited reorders s->t. */
    free(s->running);
    s->running = malloc((s->n ? s->n : 1) * sizeof(*s->running));
    s->nrunning = 0;
    if (s->running == NULL)
        return hs_err_set(err, "out of memory while resuming process %d", (int)s->pid);
    for (size_t i = 0; i < s->n; i++)
        if (run == NULL || run[i])
            s->running[s->nrunning++] = s->t[i].tid;
    /* Caught signals stay in s->sig for the detach: this restart would drop them. */
    for (size_t j = 0; j < s->nrunning; j++)
        ptrace(PTRACE_CONT, s->running[j], NULL, NULL);
    return 0;
}

int ptstop_restop(ptstop *s, hs_err *err)
{
    pid_t *tids = s->running;
    size_t k = s->nrunning;
    for (size_t j = 0; j < k; j++)
        if (ptrace(PTRACE_INTERRUPT, tids[j], NULL, NULL) != 0)
            continue; /* gone: its wait below reports the exit */
    for (size_t j = 0; j < k; j++) {
        ssize_t i = pt_index(s, tids[j]);
        if (i < 0)
            continue;
        if (pt_wait_stop(s, (size_t)i) != 0) {
            ptrace(PTRACE_DETACH, tids[j], NULL, NULL); /* exited meanwhile, or never stopped */
            pt_remove(s, (size_t)i);
        }
    }
    free(tids);
    s->running = NULL;
    s->nrunning = 0;
    if (pt_stop_new(s, err))
        return hs_err_prefix(err, "stopping process %d again", (int)s->pid);
    return 0;
}

int ptstop_resume_some(ptstop *s, const bool *run, unsigned usec, hs_err *err)
{
    if (ptstop_run(s, run, err) != 0)
        return -1;
    struct timespec ts = {.tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return ptstop_restop(s, err);
}

int ptstop_resume_briefly(ptstop *s, unsigned usec, hs_err *err)
{
    return ptstop_resume_some(s, NULL, usec, err);
}

void ptstop_detach_all(ptstop *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        ptrace(PTRACE_DETACH, s->t[i].tid, NULL, NULL);
    pt_guard_clear(s);
    /* Now untraced, each thread takes the signals caught during the stop. */
    for (size_t i = 0; i < s->n; i++)
        for (int sig = 1; sig <= 64; sig++)
            if (s->sig[i] & (1ull << (sig - 1)))
                syscall(SYS_tgkill, (int)s->pid, (int)s->t[i].tid, sig);
    free(s->t);
    free(s->sig);
    free(s->running);
    free(s);
}

uint64_t ptstop_pause_us(const ptstop *s)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return pt_ts_us(&s->t0, &now);
}
