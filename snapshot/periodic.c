/* snapshot/periodic.c: a series of snapshots (see periodic.h). Ctrl-C and
 * SIGTERM only raise a flag here: the snapshot in progress is finished and the
 * process detached before the series ends (a second signal ends it at once;
 * the kernel then detaches the seized threads, which run on). */
#include "periodic.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "outpattern.h"
#include "ptstop.h"
#include "report.h"
#include "snapshot.h"

static volatile sig_atomic_t periodic_stop;

static void periodic_on_signal(int sig)
{
    if (periodic_stop) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    periodic_stop = 1;
}

static void periodic_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = periodic_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the wait between snapshots must wake up */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static uint64_t periodic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Waits until the monotonic time deadline, a signal, or the process's exit.
 * Returns false when the process exited. */
static bool periodic_wait(pid_t pid, int pidfd, uint64_t deadline)
{
    while (!periodic_stop) {
        uint64_t now = periodic_now();
        if (now >= deadline)
            return true;
        uint64_t left_ms = (deadline - now + 999999) / 1000000;
        if (pidfd >= 0) {
            /* A pidfd becomes readable when the process exits. */
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            int r = poll(&p, 1, left_ms > 1000 ? 1000 : (int)left_ms);
            if (r > 0)
                return false;
        } else {
            uint64_t slice = left_ms > 200 ? 200 : left_ms;
            struct timespec ts = {(time_t)(slice / 1000), (long)(slice % 1000) * 1000000};
            nanosleep(&ts, NULL);
            if (snap_process_gone(pid))
                return false;
        }
    }
    return true;
}

static void periodic_progress(const periodic_opts *o, unsigned long k, const char *path,
                              const snap_result *r)
{
    char inuse[32];
    report_bytes(r->inuse_bytes, inuse, sizeof(inuse));
    char of[32] = "";
    if (o->count > 0)
        snprintf(of, sizeof(of), " of %lu", o->count);
    fprintf(stderr, "\rheapsnap: snapshot %lu%s %s: %s in use, pause %.1f ms\033[K", k, of, path,
            inuse, (double)r->pause_us / 1000.0);
    fflush(stderr);
}

long periodic_run(const periodic_opts *o, hs_err *err)
{
    bool tty = isatty(STDERR_FILENO) == 1;
    ptstop_install_signal_guard(); /* SIGHUP/SIGPIPE still detach and end at once */
    periodic_install_signals();
    int pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
    long written = 0;
    bool failed = false, gone = false;
    uint64_t next = periodic_now();

    for (unsigned long k = 1; (o->count == 0 || k <= o->count) && !periodic_stop; k++) {
        if (k > 1 && !periodic_wait(o->pid, pidfd, next)) {
            gone = true;
            break;
        }
        if (periodic_stop)
            break;
        next += o->interval_ns;
        char path[4096], tpath[4096];
        if (outpattern_format(o->out_pattern, k, path, sizeof(path), err) != 0 ||
            (o->threads_pattern != NULL &&
             outpattern_format(o->threads_pattern, k, tpath, sizeof(tpath), err) != 0)) {
            failed = true;
            break;
        }
        snap_result res;
        snap_status st = snap_take(o->pid, path, o->threads_pattern ? tpath : NULL, &res, err);
        if (st == SNAP_GONE && written > 0) {
            gone = true;
            break;
        }
        if (st != SNAP_OK) {
            failed = true;
            break;
        }
        written++;
        if (written == 1)
            report_notices(stderr, &res);
        if (o->json) {
            report_json(stdout, k, path, o->threads_pattern ? tpath : NULL, &res);
            fflush(stdout);
        }
        if (tty)
            periodic_progress(o, k, path, &res);
        /* Behind schedule (a snapshot took longer than the interval): start
         * again from now rather than firing a burst to catch up. */
        uint64_t now = periodic_now();
        if (next < now)
            next = now;
    }
    if (pidfd >= 0)
        close(pidfd);
    if (tty && written > 0)
        fputc('\n', stderr);
    if (failed) {
        if (written > 0)
            hs_err_prefix(err, "after %ld snapshots", written);
        return -1;
    }
    if (tty && gone)
        fprintf(stderr, "heapsnap: process %d exited; wrote %ld snapshots.\n", (int)o->pid,
                written);
    else if (tty && periodic_stop)
        fprintf(stderr, "heapsnap: interrupted; wrote %ld snapshots.\n", written);
    return written;
}
