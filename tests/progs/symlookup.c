/* tests/progs/symlookup.c: command-line front of lib/symbolize for the tests
 * and the benchmark.
 *   symlookup [-p PID] [-r] ADDR...            frames of each address
 *   symlookup [-p PID] -o OUT.pb.gz ADDR...    a profile, one sample per address
 *   symlookup [-p PID] -b FILEPREFIX N         time N distinct addresses, cold then warm
 *   symlookup -p PID -T OUT.pb.gz              stop every thread, write their stacks
 * Frames print as "function<TAB>file:line<TAB>start_line", innermost first,
 * and "--" after each address. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pprof.h"
#include "procmaps.h"
#include "symbolize.h"
#include "thread_stacks.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time: the wall clock of a loaded machine says little. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int bench(pid_t pid, const char *prefix, size_t n)
{
    hs_err err;
    procmaps *m = procmaps_read(pid, &err);
    if (m == NULL) {
        fprintf(stderr, "symlookup: %s\n", err.msg);
        return 1;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *base = strrchr(m->v[i].path, '/');
        if (m->v[i].x && base != NULL && strncmp(base + 1, prefix, strlen(prefix)) == 0)
            total += m->v[i].end - m->v[i].start;
    }
    if (total == 0) {
        fprintf(stderr, "symlookup: no executable mapping of %s in process %d\n", prefix, (int)pid);
        procmaps_free(m);
        return 1;
    }
    uint64_t *addrs = calloc(n, sizeof(uint64_t));
    if (addrs == NULL)
        return 1;
    /* Evenly spread, distinct addresses over the file's code. */
    uint64_t step = total / n ? total / n : 1, pos = 0;
    size_t k = 0;
    for (size_t i = 0; i < m->n && k < n; i++) {
        const char *base = strrchr(m->v[i].path, '/');
        if (!m->v[i].x || base == NULL || strncmp(base + 1, prefix, strlen(prefix)) != 0)
            continue;
        for (uint64_t a = m->v[i].start + (pos % step); a < m->v[i].end && k < n; a += step)
            addrs[k++] = a;
    }
    procmaps_free(m);
    /* Round 0 is cold (nothing cached but the kernel's page cache, which
     * the caller may drop first); round 1 opens a fresh context again. Within
     * a round, pass 2 repeats the same addresses (the per-address cache). */
    for (int round = 0; round < 2; round++) {
        double t0 = now_ms(), c0 = cpu_ms();
        sym_ctx *s = sym_open(pid, &err);
        if (s == NULL) {
            fprintf(stderr, "symlookup: %s\n", err.msg);
            return 1;
        }
        double t_open = now_ms() - t0, t_pass[2] = {0, 0}, c_pass[2] = {0, 0};
        (void)c0;
        size_t named = 0, lined = 0;
        for (int pass = 0; pass < 2; pass++) {
            double ta = now_ms(), ca = cpu_ms();
            for (size_t i = 0; i < k; i++) {
                sym_frame fr[16];
                size_t nf = sym_lookup(s, addrs[i], false, fr, 16);
                if (pass == 0 && strncmp(fr[nf - 1].function, "0x", 2) != 0)
                    named++;
                if (pass == 0 && fr[0].line > 0)
                    lined++;
            }
            t_pass[pass] = now_ms() - ta;
            c_pass[pass] = cpu_ms() - ca;
        }
        printf("round %d: %zu addresses in %s: open %.2f ms, first lookups %.1f ms (cpu %.1f ms), "
               "repeated lookups %.2f ms (cpu %.2f ms); %zu named, %zu with file:line\n",
               round, k, prefix, t_open, t_pass[0], c_pass[0], t_pass[1], c_pass[1], named, lined);
        sym_close(s);
    }
    free(addrs);
    return 0;
}

/* Seizes and interrupts every thread of pid (a test process that creates no
 * threads meanwhile), captures the stacks, detaches, writes the profile. */
static int threads(pid_t pid, const char *out)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "symlookup: no process %d\n", (int)pid);
        return 1;
    }
    pid_t tids[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 256) {
        pid_t tid = (pid_t)atoi(de->d_name);
        if (tid <= 0 || ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0)
            continue;
        int st;
        if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) == 0 && waitpid(tid, &st, __WALL) == tid)
            tids[n++] = tid;
        else
            ptrace(PTRACE_DETACH, tid, NULL, NULL);
    }
    closedir(d);
    hs_err err;
    tstacks *t = n > 0 ? tstacks_capture(pid, tids, n, &err) : NULL;
    for (size_t i = 0; i < n; i++)
        ptrace(PTRACE_DETACH, tids[i], NULL, NULL);
    if (t == NULL) {
        fprintf(stderr, "symlookup: %s\n", n > 0 ? err.msg : "cannot stop any thread");
        return 1;
    }
    int rc = tstacks_write(t, NULL, out, &err);
    if (rc != 0)
        fprintf(stderr, "symlookup: %s\n", err.msg);
    tstacks_free(t);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    pid_t pid = 0;
    bool ret = false;
    const char *out = NULL, *bench_prefix = NULL, *thread_out = NULL;
    int c;
    while ((c = getopt(argc, argv, "p:ro:b:T:")) != -1) {
        switch (c) {
        case 'p':
            pid = (pid_t)atoi(optarg);
            break;
        case 'r':
            ret = true;
            break;
        case 'o':
            out = optarg;
            break;
        case 'b':
            bench_prefix = optarg;
            break;
        case 'T':
            thread_out = optarg;
            break;
        default:
            fprintf(stderr,
                    "usage: symlookup [-p PID] [-r] [-o OUT] ADDR... | -b FILEPREFIX N | -T OUT\n");
            return 2;
        }
    }
    if (thread_out != NULL)
        return threads(pid, thread_out);
    if (bench_prefix != NULL)
        return optind < argc ? bench(pid, bench_prefix, strtoull(argv[optind], NULL, 0)) : 2;
    hs_err err;
    sym_ctx *s = sym_open(pid, &err);
    if (s == NULL) {
        fprintf(stderr, "symlookup: %s\n", err.msg);
        return 1;
    }
    pprof_builder *b = NULL;
    if (out != NULL) {
        b = pprof_builder_new();
        pprof_add_sample_type(b, "samples", "count");
        pprof_set_period(b, "samples", "count", 1);
    }
    for (int i = optind; i < argc; i++) {
        uint64_t a = strtoull(argv[i], NULL, 0);
        if (b != NULL) {
            uint64_t loc = sym_location(s, b, a, ret);
            int64_t v = 1;
            pprof_add_sample(b, &loc, 1, &v, NULL, 0);
            continue;
        }
        sym_frame fr[64];
        size_t n = sym_lookup(s, a, ret, fr, 64);
        for (size_t j = 0; j < n; j++)
            printf("%s\t%s:%" PRId64 "\t%" PRId64 "\n", fr[j].function, fr[j].file, fr[j].line,
                   fr[j].start_line);
        printf("--\n");
    }
    int rc = 0;
    if (b != NULL) {
        if (pprof_write_file(b, out, &err) != 0) {
            fprintf(stderr, "symlookup: %s\n", err.msg);
            rc = 1;
        }
        pprof_builder_free(b);
    }
    sym_close(s);
    return rc;
}
