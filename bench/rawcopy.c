/* rawcopy: the physical floor of a heap snapshot. Copies the glibc heap mappings of a process
 * ([heap] and every arena heap, found through /proc/PID/maps) with process_vm_readv into one
 * reused buffer, and times it: what any out-of-process walker must at least pay to read them.
 * With -j N the bytes are split over N threads, each with its own buffer: the floor for a
 * copier that uses N CPUs. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "procmaps.h"

/* glibc's non-main arena heaps are HEAP_MAX_SIZE-aligned and start with a heap_info:
 * ar_ptr, prev, size, mprotect_size (docs/glibc-malloc.md §1 and §4). */
#define RC_HEAP_MAX_SIZE (64ull << 20)

struct rc_range {
    uint64_t start, len;
};

static double rc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rc_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = {.iov_base = buf, .iov_len = len};
    struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    return n == (ssize_t)len ? 0 : -1;
}

/* The used part of an arena heap (heap_info.size), or 0 when the mapping is not one: an
 * anonymous rw mapping that merely happens to be aligned (a thread stack) fails the checks. */
static uint64_t rc_arena_heap_len(pid_t pid, const procmaps_entry *e)
{
    uint64_t info[4];
    uint64_t len = e->end - e->start;
    if (e->start % RC_HEAP_MAX_SIZE != 0 || rc_read(pid, e->start, info, sizeof(info)) != 0)
        return 0;
    /* mprotect_size is the rw part (page-rounded); size <= mprotect_size <= HEAP_MAX_SIZE. */
    if (info[3] != len || info[2] == 0 || info[2] > info[3] || info[3] > RC_HEAP_MAX_SIZE)
        return 0;
    return info[2];
}

/* Collects [heap] and the arena heaps; all_anon adds every other anonymous rw mapping. */
static struct rc_range *rc_ranges(pid_t pid, const procmaps *m, int all_anon, size_t *n)
{
    struct rc_range *v = calloc(m->n ? m->n : 1, sizeof(*v));
    *n = 0;
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < m->n; i++) {
        const procmaps_entry *e = &m->v[i];
        if (!e->r || !e->w)
            continue;
        bool whole = strcmp(e->path, "[heap]") == 0;
        if (!whole && e->path[0] != '\0')
            continue;
        uint64_t len = whole ? 0 : rc_arena_heap_len(pid, e);
        if (whole || (len == 0 && all_anon))
            len = e->end - e->start;
        if (len > 0)
            v[(*n)++] = (struct rc_range){e->start, len};
    }
    return v;
}

/* One thread's share: the bytes [from, to) of the ranges laid end to end. */
struct rc_job {
    pid_t pid;
    const struct rc_range *r;
    size_t n;
    uint64_t from, to, block;
    char *buf;
    int err;          /* errno of a failed read, 0 when all went well */
    uint64_t fail_at; /* its address */
};

static void *rc_copy(void *arg)
{
    struct rc_job *j = arg;
    uint64_t pos = 0; /* offset of range i's start in the laid-out bytes */
    for (size_t i = 0; i < j->n && pos < j->to; pos += j->r[i].len, i++) {
        uint64_t lo = j->from > pos ? j->from - pos : 0;
        uint64_t hi = j->to - pos < j->r[i].len ? j->to - pos : j->r[i].len;
        for (uint64_t off = lo; off < hi; off += j->block) {
            uint64_t len = hi - off < j->block ? hi - off : j->block;
            if (rc_read(j->pid, j->r[i].start + off, j->buf, len) != 0) {
                j->err = errno;
                j->fail_at = j->r[i].start + off;
                return NULL;
            }
        }
    }
    return NULL;
}

static int rc_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void rc_usage(FILE *f)
{
    fprintf(f, "usage: rawcopy -p PID [-b BLOCK_KIB] [-r REPEATS] [-j THREADS] [-a]\n"
               "  -p  the process whose heap to copy\n"
               "  -b  bytes per process_vm_readv call, in KiB (default 256, heapsnap's window)\n"
               "  -r  copies to time; the median is reported (default 5)\n"
               "  -j  threads to split the copy over (default 1)\n"
               "  -a  also copy every other anonymous rw mapping (stacks, mmapped chunks)\n");
}

int main(int argc, char **argv)
{
    long pid = 0;
    unsigned long block_kib = 256, repeats = 5, nthreads = 1;
    int all_anon = 0, c;
    char *end;

    while ((c = getopt(argc, argv, "p:b:r:j:ah")) != -1) {
        switch (c) {
        case 'p':
            pid = strtol(optarg, &end, 10);
            if (*end != '\0' || pid <= 0)
                goto bad;
            break;
        case 'b':
            block_kib = strtoul(optarg, &end, 10);
            if (*end != '\0' || block_kib == 0 || block_kib > (1ul << 20))
                goto bad;
            break;
        case 'r':
            repeats = strtoul(optarg, &end, 10);
            if (*end != '\0' || repeats == 0 || repeats > 1000)
                goto bad;
            break;
        case 'j':
            nthreads = strtoul(optarg, &end, 10);
            if (*end != '\0' || nthreads == 0 || nthreads > 64)
                goto bad;
            break;
        case 'a':
            all_anon = 1;
            break;
        case 'h':
            rc_usage(stdout);
            return 0;
        default:
            rc_usage(stderr);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "rawcopy: invalid value '%s' for -%c; see rawcopy -h.\n", optarg, c);
        return 2;
    }
    if (pid == 0 || optind != argc) {
        rc_usage(stderr);
        return 2;
    }

    hs_err err;
    procmaps *maps = procmaps_read((pid_t)pid, &err);
    if (maps == NULL) {
        fprintf(stderr, "rawcopy: %s\n", err.msg);
        return 1;
    }
    size_t n;
    struct rc_range *ranges = rc_ranges((pid_t)pid, maps, all_anon, &n);
    procmaps_free(maps);
    size_t block = block_kib << 10;
    char *buf = malloc(block * nthreads);
    double *times = calloc(repeats, sizeof(double));
    struct rc_job *jobs = calloc(nthreads, sizeof(*jobs));
    pthread_t *tids = calloc(nthreads, sizeof(*tids));
    if (ranges == NULL || buf == NULL || times == NULL || jobs == NULL || tids == NULL) {
        fprintf(stderr, "rawcopy: out of memory; use a smaller -b or -j.\n");
        return 1;
    }
    if (n == 0) {
        fprintf(stderr, "rawcopy: process %ld has no glibc heap mapping to copy.\n", pid);
        return 1;
    }
    memset(buf, 0, block * nthreads); /* fault the buffers in before the clock runs */

    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ranges[i].len;
    /* Equal shares, cut at page boundaries. */
    uint64_t share = (total / nthreads + 4095) & ~(uint64_t)4095;
    for (unsigned long t = 0; t < nthreads; t++) {
        uint64_t from = share * t < total ? share * t : total;
        uint64_t to = share * (t + 1) < total && t + 1 < nthreads ? share * (t + 1) : total;
        jobs[t] = (struct rc_job){(pid_t)pid, ranges, n, from, to, block, buf + t * block, 0, 0};
    }
    for (unsigned long r = 0; r < repeats; r++) {
        double t0 = rc_now();
        unsigned long started = 1;
        for (unsigned long t = 1; t < nthreads; t++)
            if (pthread_create(&tids[t], NULL, rc_copy, &jobs[t]) == 0)
                started++;
            else
                break;
        rc_copy(&jobs[0]);
        for (unsigned long t = 1; t < started; t++)
            pthread_join(tids[t], NULL);
        for (unsigned long t = started; t < nthreads; t++)
            rc_copy(&jobs[t]); /* could not start a thread: copied here, still counted */
        times[r] = rc_now() - t0;
        for (unsigned long t = 0; t < nthreads; t++)
            if (jobs[t].err != 0) {
                fprintf(stderr,
                        "rawcopy: cannot read at 0x%" PRIx64
                        " of process %ld (%s); run as root or as the process's owner.\n",
                        jobs[t].fail_at, pid, strerror(jobs[t].err));
                return 1;
            }
    }
    qsort(times, repeats, sizeof(double), rc_cmp_double);
    double med =
        repeats % 2 ? times[repeats / 2] : (times[repeats / 2 - 1] + times[repeats / 2]) / 2.0;
    printf("rawcopy: pid=%ld mappings=%zu bytes=%" PRIu64 " block_kib=%lu repeats=%lu threads=%lu "
           "median_us=%.0f min_us=%.0f max_us=%.0f\n",
           pid, n, total, block_kib, repeats, nthreads, med * 1e6, times[0] * 1e6,
           times[repeats - 1] * 1e6);
    free(tids);
    free(jobs);
    free(times);
    free(buf);
    free(ranges);
    return 0;
}
