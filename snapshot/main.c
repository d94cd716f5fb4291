/* snapshot/main.c: the heapsnap command line. Parses options, then hands off to
 * one snapshot (snapshot.c), a periodic series (periodic.c) or the arena census
 * (--stats, stats.c). Only this file decides exit codes: 0 ok, 1 failure, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "afile.h"
#include "attach.h"
#include "trim.h"
#include "duration.h"
#include "histo.h"
#include "hs_error.h"
#include "outpattern.h"
#include "periodic.h"
#include "ptstop.h"
#include "report.h"
#include "snapshot.h"
#include "stats.h"

#ifndef HS_VERSION
#define HS_VERSION "unknown"
#endif

enum {
    OPT_STATS = 256,
    OPT_JSON,
    OPT_THREADS,
    OPT_MAX_PAUSE,
    OPT_NO_HOLDERS,
    OPT_RETAINED,
    OPT_ATTACH,
    OPT_DETACH,
    OPT_RATE,
    OPT_HTTP,
    OPT_TRIM,
    OPT_HISTO,
    OPT_NO_COW,
    OPT_COW
};

static const char usage_text[] =
    "usage: heapsnap -p PID [-o FILE] [--threads FILE] [--max-pause DURATION] [--[no-]cow]\n"
    "                [--retained FILE] [--no-holders] [--json]\n"
    "       heapsnap -p PID -i DURATION [-n COUNT] [-o PATTERN] [--threads PATTERN]\n"
    "                [--max-pause DURATION] [--[no-]cow] [--json]\n"
    "       heapsnap -p PID --stats [--json]\n"
    "       heapsnap -p PID --histo [--json]\n"
    "       heapsnap -p PID --attach [--rate BYTES] [--http ADDR]\n"
    "       heapsnap -p PID --detach\n"
    "       heapsnap -p PID --trim\n";

static void print_help(void)
{
    printf("%s", usage_text);
    printf("\n"
           "Take a heap profile of a running glibc process without stopping it for long:\n"
           "every thread is paused with ptrace, the malloc arenas are walked, live chunks are\n"
           "attributed to the call stacks recorded by libheapsnap.so (when it is preloaded),\n"
           "and a pprof heap profile is written for `go tool pprof` and heapsnap-analyze.\n"
           "\n"
           "  -p, --pid PID          the process to examine (required)\n"
           "  -o, --output FILE      profile to write (default heapsnap-PID.pb.gz); with -i a\n"
           "                         pattern with one %%d conversion (default "
           "heapsnap-PID-%%04d.pb.gz)\n"
           "  -i, --interval DURATION  take a snapshot every DURATION (500ms, 10s, 1m, 1h)\n"
           "  -n, --count COUNT      with -i: stop after COUNT snapshots (0 = until Ctrl-C or\n"
           "                         the process exits; the default)\n"
           "      --threads FILE     also write the stopped threads' stacks as a threads/count\n"
           "                         pprof profile (a pattern with -i)\n"
           "      --max-pause DURATION  how long to wait for threads inside malloc before\n"
           "                         walking the heap anyway, its busy arenas marked\n"
           "                         approximate (default 50ms)\n"
           "      --retained FILE    also write a profile of who holds what: each chunk on\n"
           "                         its ownership path (root, the sites that dominate it,\n"
           "                         its own site), retained_space/retained_objects\n"
           "      --no-holders       leave out who holds each chunk (the held_by label: lost,\n"
           "                         global NAME, stack TID FUNCTION...), which copies the\n"
           "                         process's globals and stacks while it is stopped\n"
           "      --no-cow           copy the heap while the process is stopped instead of\n"
           "                         forking a frozen copy-on-write child of it (the default\n"
           "                         for heaps big enough that the fork is the shorter pause)\n"
           "      --cow              fork whenever the process's memory allows, even for a\n"
           "                         small heap\n"
           "      --stats            print the arena census (in use, free by bin, top, mmapped)\n"
           "                         instead of writing a profile\n"
           "      --histo            print the live heap by type, largest first: C++ objects\n"
           "                         by their class (from their vtables), other chunks by size\n"
           "      --attach           load libheapsnap.so into the running process and start\n"
           "                         recording (no restart); $HEAPSNAP_LIB names the library\n"
           "      --rate BYTES       with --attach: the sampling rate (default 524288)\n"
           "      --http ADDR        with --attach: also serve /debug/pprof on ADDR\n"
           "      --detach           put the process's allocator back as before --attach\n"
           "      --trim             run malloc_trim(0) inside the process; print its RSS\n"
           "                         before and after\n"
           "      --json             machine-readable output on stdout: the census with --stats,\n"
           "                         the histogram with --histo,\n"
           "                         one JSON object per snapshot otherwise\n"
           "  -h, --help             show this help and exit\n"
           "  -V, --version          show the version and exit\n"
           "\n"
           "Exit status: 0 success, 1 failure, 2 usage error. See heapsnap(1).\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    fprintf(stderr, "heapsnap: ");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'heapsnap --help' for more information.\n");
    return 2;
}

/* Failures: "heapsnap: <one sentence>." on stderr (lib/ messages may lack the period). */
/* heapsnap runs at nice -20 when it may (root, CAP_SYS_NICE): the work
 * before the stop (libc's DWARF, the symbolizer's map) and after it competes
 * with every runnable thread of the target, and against 256 threads that
 * only allocate, on 2 CPUs, a snapshot at nice 0 took 24 s from start to end
 * where at -20 it took 2.8 s (the pause itself is bounded by --max-pause
 * either way). Without the permission the nice value stays as it was. */
static void raise_priority(void)
{
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, 0);
    if (errno == 0 && cur > -20)
        (void)setpriority(PRIO_PROCESS, 0, -20);
}

static int fail(const hs_err *err)
{
    size_t n = strlen(err->msg);
    const char *end = n > 0 && strchr(".!?", err->msg[n - 1]) != NULL ? "" : ".";
    fprintf(stderr, "heapsnap: %s%s\n", err->msg, end);
    return 1;
}

static bool parse_pid(const char *s, pid_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > INT_MAX)
        return false;
    *out = (pid_t)v;
    return true;
}

static bool parse_count(const char *s, unsigned long *out)
{
    char *end;
    if (*s == '-' || *s == '\0')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static int run_once(pid_t pid, const char *out, const char *threads, bool json)
{
    char defname[64];
    if (out == NULL) {
        snprintf(defname, sizeof(defname), "heapsnap-%d.pb.gz", (int)pid);
        out = defname;
    }
    hs_err err = {{0}};
    /* Both paths before the stop: a bad --threads must not leave -o written. */
    if (afile_check(out, &err) != 0 || (threads != NULL && afile_check(threads, &err) != 0))
        return fail(&err);
    ptstop_install_signal_guard();
    snap_result res;
    snap_status st = snap_take(pid, out, threads, &res, &err);
    if (st != SNAP_OK)
        return fail(&err);
    report_notices(stderr, &res);
    if (json)
        report_json(stdout, 1, out, threads, &res);
    else
        report_summary(stderr, out, &res);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "heapsnap: cannot write to standard output: %s.\n", strerror(errno));
        return 1;
    }
    return 0;
}

static int run_attach(pid_t pid, uint64_t rate, const char *http)
{
    hs_err err = {{0}};
    attach_report rep;
    if (attach_run(pid, rate, http, &rep, &err) != 0)
        return fail(&err);
    if (rep.already == ATTACH_ALREADY_ATTACHED) {
        fprintf(stderr,
                "heapsnap: libheapsnap.so is already attached to process %d; nothing "
                "to do.\n",
                (int)pid);
        return 0;
    }
    if (rep.already == ATTACH_ALREADY_PRELOADED) {
        fprintf(stderr,
                "heapsnap: process %d was started with libheapsnap.so and records "
                "already; nothing to do.\n",
                (int)pid);
        return 0;
    }
    fprintf(stderr,
            "heapsnap: attached to process %d (%s): %d GOT entries rewritten, sampling every "
            "%llu bytes; paused %.1f ms.\n",
            (int)pid, rep.reused ? "library reused" : "library loaded", rep.entries,
            (unsigned long long)rate, rep.pause_us / 1000.0);
    if (rep.http_errno != 0)
        fprintf(stderr,
                "heapsnap: recording runs, but the endpoint on %s did not start: %s; pick "
                "another address.\n",
                http, strerror(rep.http_errno));
    return 0;
}

static int run_detach(pid_t pid)
{
    hs_err err = {{0}};
    attach_report rep;
    if (detach_run(pid, &rep, &err) != 0)
        return fail(&err);
    if (rep.already == ATTACH_NOT_ATTACHED) {
        fprintf(stderr,
                "heapsnap: libheapsnap.so is not attached to process %d; nothing to "
                "do.\n",
                (int)pid);
        return 0;
    }
    fprintf(stderr,
            "heapsnap: detached from process %d: %d GOT entries put back; paused %.1f ms.\n",
            (int)pid, rep.entries, rep.pause_us / 1000.0);
    return 0;
}

static int run_trim(pid_t pid)
{
    hs_err err = {{0}};
    trim_report rep;
    if (trim_run(pid, &rep, &err) != 0)
        return fail(&err);
    double mib = 1024.0 * 1024.0;
    double diff = ((double)rep.rss_before - (double)rep.rss_after) / mib;
    char predicted[64] = "";
    if (rep.have_prediction)
        snprintf(predicted, sizeof(predicted), ", the ledger predicted -%.1f MiB",
                 rep.predicted / mib);
    fprintf(stderr,
            "heapsnap: malloc_trim(0) in process %d %s: RSS %.1f MiB -> %.1f MiB (%s%.1f MiB%s); "
            "paused %.1f ms.\n",
            (int)pid, rep.released ? "gave memory back" : "found nothing to give back",
            rep.rss_before / mib, rep.rss_after / mib, diff >= 0 ? "-" : "+",
            diff >= 0 ? diff : -diff, predicted, rep.pause_us / 1000.0);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pid", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'n'},
        {"stats", no_argument, NULL, OPT_STATS},
        {"histo", no_argument, NULL, OPT_HISTO},
        {"json", no_argument, NULL, OPT_JSON},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-pause", required_argument, NULL, OPT_MAX_PAUSE},
        {"no-holders", no_argument, NULL, OPT_NO_HOLDERS},
        {"retained", required_argument, NULL, OPT_RETAINED},
        {"attach", no_argument, NULL, OPT_ATTACH},
        {"detach", no_argument, NULL, OPT_DETACH},
        {"rate", required_argument, NULL, OPT_RATE},
        {"http", required_argument, NULL, OPT_HTTP},
        {"trim", no_argument, NULL, OPT_TRIM},
        {"no-cow", no_argument, NULL, OPT_NO_COW},
        {"cow", no_argument, NULL, OPT_COW},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    pid_t pid = 0;
    const char *out = NULL, *threads = NULL, *retained = NULL;
    bool no_holders = false;
    const char *interval_text = NULL;
    uint64_t interval_ns = 0;
    unsigned long count = 0;
    bool have_count = false, stats = false, histo = false, json = false, have_max_pause = false;
    bool attach = false, detach = false, have_rate = false, trim = false, have_cow = false;
    unsigned long rate = 524288;
    const char *http = NULL;
    hs_err err = {{0}};

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":p:o:i:n:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!parse_pid(optarg, &pid))
                return usage_error("'%s' is not a process id; give a positive number.", optarg);
            break;
        case 'o':
            out = optarg;
            break;
        case 'i':
            interval_text = optarg;
            if (duration_parse(optarg, &interval_ns, &err) != 0)
                return usage_error("%s", err.msg);
            break;
        case 'n':
            if (!parse_count(optarg, &count))
                return usage_error("'%s' is not a snapshot count; give 0 or a positive number.",
                                   optarg);
            have_count = true;
            break;
        case OPT_STATS:
            stats = true;
            break;
        case OPT_HISTO:
            histo = true;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_THREADS:
            threads = optarg;
            break;
        case OPT_MAX_PAUSE: {
            uint64_t ns = 0;
            if (duration_parse(optarg, &ns, &err) != 0)
                return usage_error("--max-pause: %s", err.msg);
            if (ns < 1000)
                return usage_error("--max-pause '%s' is below a microsecond; give e.g. 50ms.",
                                   optarg);
            snap_set_max_pause_us(ns / 1000);
            have_max_pause = true;
            break;
        }
        case OPT_NO_HOLDERS:
            snap_set_holders(false);
            no_holders = true;
            break;
        case OPT_RETAINED:
            retained = optarg;
            break;
        case OPT_ATTACH:
            attach = true;
            break;
        case OPT_DETACH:
            detach = true;
            break;
        case OPT_RATE:
            if (!parse_count(optarg, &rate))
                return usage_error("--rate '%s' is not a byte count; give e.g. 524288 (0: off).",
                                   optarg);
            have_rate = true;
            break;
        case OPT_HTTP:
            http = optarg;
            break;
        case OPT_TRIM:
            trim = true;
            break;
        case OPT_NO_COW:
        case OPT_COW:
            if (have_cow)
                return usage_error("%s", "give --cow or --no-cow, once.");
            snap_set_cow(c == OPT_COW ? 1 : -1);
            have_cow = true;
            break;
        case 'h':
            print_help();
            return fflush(stdout) == 0 ? 0 : 1;
        case 'V':
            printf("heapsnap %s\n", HS_VERSION);
            return fflush(stdout) == 0 ? 0 : 1;
        case ':':
            return usage_error("option '%s' needs an argument.", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'.", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'; the process is given with -p PID.",
                           argv[optind]);
    if (pid == 0)
        return usage_error("%s", "no process given; use -p PID.");
    raise_priority();

    if (trim) {
        if (attach || detach || have_rate || http != NULL || out != NULL || threads != NULL ||
            interval_text != NULL || have_count || have_max_pause || stats || histo || json ||
            have_cow)
            return usage_error("%s", "--trim takes no other option than -p.");
        ptstop_install_signal_guard();
        return run_trim(pid);
    }

    if (attach || detach || have_rate || http != NULL) {
        if (!attach && !detach)
            return usage_error("%s", "--rate and --http go with --attach.");
        if (attach && detach)
            return usage_error("%s", "give --attach or --detach, not both.");
        if (detach && (have_rate || http != NULL))
            return usage_error("%s", "--detach takes no --rate or --http.");
        if (out != NULL || threads != NULL || interval_text != NULL || have_count ||
            have_max_pause || stats || histo || json || have_cow)
            return usage_error("%s", "--attach and --detach take no -o, -i, -n, --threads, "
                                     "--max-pause, --[no-]cow, --stats, --histo or --json.");
        ptstop_install_signal_guard();
        return attach ? run_attach(pid, rate, http) : run_detach(pid);
    }

    if (histo) {
        if (stats || out != NULL || threads != NULL || interval_text != NULL || have_count ||
            have_max_pause || have_cow)
            return usage_error("%s", "--histo prints a histogram and takes no --stats, -o, -i, "
                                     "-n, --threads, --max-pause or --[no-]cow.");
        ptstop_install_signal_guard();
        if (histo_run(pid, json, stdout, &err) != 0)
            return fail(&err);
        return 0;
    }

    if (stats) {
        if (out != NULL || threads != NULL || interval_text != NULL || have_count ||
            have_max_pause || have_cow)
            return usage_error("%s", "--stats prints a census and takes no -o, -i, -n, "
                                     "--threads, --max-pause or --[no-]cow.");
        ptstop_install_signal_guard();
        if (stats_run(pid, json, stdout, &err) != 0)
            return fail(&err);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "heapsnap: cannot write to standard output: %s.\n", strerror(errno));
            return 1;
        }
        return 0;
    }

    if (retained != NULL && (interval_text != NULL || no_holders))
        return usage_error("%s", "--retained writes the holders of one snapshot: leave out -i "
                                 "and --no-holders.");
    if (retained != NULL && afile_check(retained, &err) != 0)
        return fail(&err);
    snap_set_retained(retained);
    if (interval_text == NULL) {
        if (have_count)
            return usage_error("%s", "-n needs -i DURATION (the time between snapshots).");
        return run_once(pid, out, threads, json);
    }

    char defpattern[64];
    if (out == NULL) {
        snprintf(defpattern, sizeof(defpattern), "heapsnap-%d-%%04d.pb.gz", (int)pid);
        out = defpattern;
    }
    if (outpattern_check(out, &err) != 0)
        return usage_error("-o: %s", err.msg);
    if (threads != NULL && outpattern_check(threads, &err) != 0)
        return usage_error("--threads: %s", err.msg);
    /* The first snapshot's names, before anything is stopped or written. */
    char first[4096];
    if (outpattern_format(out, 1, first, sizeof(first), &err) != 0 || afile_check(first, &err) != 0)
        return fail(&err);
    if (threads != NULL && (outpattern_format(threads, 1, first, sizeof(first), &err) != 0 ||
                            afile_check(first, &err) != 0))
        return fail(&err);
    periodic_opts po = {.pid = pid,
                        .interval_ns = interval_ns,
                        .count = count,
                        .out_pattern = out,
                        .threads_pattern = threads,
                        .json = json};
    long n = periodic_run(&po, &err);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "heapsnap: cannot write to standard output: %s.\n", strerror(errno));
        return 1;
    }
    if (n < 0)
        return fail(&err);
    return 0;
}
