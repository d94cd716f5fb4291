/* victim/main.c: heapsnap-victim, a program that leaks on purpose. Reads the
 * options, starts the /debug/pprof endpoint if asked, prints its PID and the
 * commands that profile it, runs the scenario on its workers until --duration
 * passes or a signal arrives, and exits 0. */
#include "cap.h"
#include "heapsnap.h"
#include "options.h"
#include "scenario.h"
#include "workers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAIN_POLL_NS 200000000ull /* how often main checks the signal flag */

static volatile sig_atomic_t main_signalled;

static void main_on_signal(int sig)
{
    main_signalled = sig;
}

static void main_list(void)
{
    for (size_t i = 0; victim_scenarios[i] != NULL; i++) {
        const struct victim_scenario *s = victim_scenarios[i];
        printf("%-9s %-8s %s\n", s->name, s->leaks ? "leak" : "control", s->summary);
    }
}

static void main_banner(const struct victim_opts *o)
{
    const struct victim_scenario *s = o->scenario;
    pid_t pid = getpid();
    char rate[64], until[64];
    if (o->rate)
        snprintf(rate, sizeof(rate), "%llu operations/s", (unsigned long long)o->rate);
    else
        snprintf(rate, sizeof(rate), "as many operations/s as it can");
    if (o->duration_ns)
        snprintf(until, sizeof(until), "for %llu %s",
                 (unsigned long long)(o->duration_ns % 1000000000ull
                                          ? o->duration_ns / 1000000ull
                                          : o->duration_ns / 1000000000ull),
                 o->duration_ns % 1000000000ull ? "ms" : "s");
    else
        snprintf(until, sizeof(until), "until killed");
    printf("heapsnap-victim %s: pid %ld runs scenario '%s'%s on %u thread%s at %s, holding at "
           "most %zu MiB (%.1f MiB of data), %s.\n",
           HS_VERSION, (long)pid, s->name, o->fixed && s->leaks ? " (fixed)" : "", o->threads,
           o->threads == 1 ? "" : "s", rate, o->max_mb,
           (double)victim_cap_limit() / (1024.0 * 1024.0), until);
    if (!s->leaks)
        printf("It is a control, it does not leak: %s.\n", s->growth);
    else if (o->fixed)
        printf("The fix: %s; expect no growth.\n", s->fix);
    else
        printf("Expect: %s.\n", s->growth);
    printf("Profile it (paste these):\n");
    printf("  heapsnap -p %ld -i 2s -n 5 -o 'snap-%%04d.pb.gz'\n", (long)pid);
    printf("  heapsnap-analyze snap-*.pb.gz\n");
    printf("  go tool pprof -top -base snap-0001.pb.gz snap-0005.pb.gz\n");
    if (o->http != NULL)
        printf("  go tool pprof -top http://%s/debug/pprof/heap\n", o->http);
    uint64_t hook_rate = heapsnap_rate();
    if (hook_rate == 0)
        printf("Stack recording is off (HEAPSNAP_RATE=0); start it with HEAPSNAP_RATE=1 to "
               "record every allocation.\n");
    else if (hook_rate != 1)
        printf("Stacks are sampled (HEAPSNAP_RATE=%llu); start it with HEAPSNAP_RATE=1 to record "
               "every allocation.\n",
               (unsigned long long)hook_rate);
    fflush(stdout);
}

/* Waits until duration_ns passes (0: forever) or SIGINT/SIGTERM arrives. */
static void main_wait(uint64_t duration_ns)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    uint64_t end = duration_ns ? victim_now_ns() + duration_ns : 0;
    while (!main_signalled) {
        uint64_t wait = MAIN_POLL_NS;
        if (end) {
            uint64_t now = victim_now_ns();
            if (now >= end)
                return;
            if (end - now < wait)
                wait = end - now;
        }
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ull),
                              .tv_nsec = (long)(wait % 1000000000ull)};
        if (sigtimedwait(&set, NULL, &ts) > 0)
            return;
    }
}

int main(int argc, char **argv)
{
    struct victim_opts o;
    hs_err err = {{0}};
    if (victim_opts_parse(argc, argv, &o, &err) != 0) {
        fprintf(stderr, "heapsnap-victim: %s\n", err.msg);
        return 2;
    }
    if (o.help) {
        victim_opts_usage(stdout);
        return 0;
    }
    if (o.version) {
        printf("heapsnap-victim %s\n", HS_VERSION);
        return 0;
    }
    if (o.list) {
        main_list();
        return 0;
    }
    if (o.scenario == NULL) {
        fprintf(stderr, "heapsnap-victim: no scenario given: pass --scenario NAME (heapsnap-victim "
                        "--list shows them).\n");
        return 2;
    }

    /* Signals go to main only; a handler also catches one delivered to a thread
     * that did not block it (the hook's HTTP thread started before main). */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = main_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* Output piped into `head` must not kill the run. */
    signal(SIGPIPE, SIG_IGN);

    if (o.http != NULL && heapsnap_http_start(o.http) != 0) {
        int e = errno;
        if (e == EACCES)
            fprintf(stderr,
                    "heapsnap-victim: cannot serve /debug/pprof on %s: it is not a "
                    "loopback address; use 127.0.0.1:PORT or set "
                    "HEAPSNAP_HTTP_ALLOW_REMOTE=1.\n",
                    o.http);
        else
            fprintf(stderr,
                    "heapsnap-victim: cannot serve /debug/pprof on %s: %s; pick a free "
                    "address such as 127.0.0.1:6061.\n",
                    o.http, strerror(e));
        return 1;
    }
    /* Counted after the endpoint's thread started, before the workers. */
    size_t own = victim_cap_own_bytes(o.threads);
    if (victim_cap_init(o.max_mb << 20, own) != 0) {
        fprintf(stderr,
                "heapsnap-victim: --max-mb %zu leaves no room for data: the program itself "
                "needs about %.1f MiB with %u thread%s; pass --max-mb %zu or more.\n",
                o.max_mb, (double)own / (1024.0 * 1024.0), o.threads, o.threads == 1 ? "" : "s",
                (own >> 20) + 2);
        return 2;
    }
    main_banner(&o);

    uint64_t t0 = victim_now_ns();
    struct victim_workers *w =
        victim_workers_start(o.scenario, o.threads, o.fixed, o.seed, o.rate, &err);
    if (w == NULL) {
        fprintf(stderr, "heapsnap-victim: %s\n", err.msg);
        return 1;
    }
    main_wait(o.duration_ns);
    uint64_t ops = victim_workers_join(w);
    size_t held = victim_cap_held();
    printf("heapsnap-victim: stopped after %.1f s and %llu operations, holding %zu bytes "
           "(%.1f MiB)%s.\n",
           (double)(victim_now_ns() - t0) / 1e9, (unsigned long long)ops, held,
           (double)held / (1024.0 * 1024.0), victim_cap_reached() ? " at the --max-mb cap" : "");
    victim_workers_free(w);
    return 0;
}
