/* tests/progs/walk_probe.c: drives the walker's parts of heapsnap for tests
 * and the benchmark (never installed).
 *   walk_probe stats PID [--json]   as `heapsnap -p PID --stats`
 *   walk_probe tcache PID           per thread: "TID &tcache tcache"
 *   walk_probe busy PID             "busy: REASON" or "quiet (...)"
 *   walk_probe inside PID           per thread: inside/outside malloc and why
 *   walk_probe mmapped PID [LO-HI]  "ADDR SIZE" per mmapped chunk found, the
 *                                   hex ranges LO-HI left out (hproc_exclude)
 *   walk_probe bench PID [REPEAT]   walk time and pause next to a plain
 *                                   process_vm_readv copy of the same memory */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "heap_process.h"
#include "procmaps.h"
#include "ptstop.h"
#include "stats.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int print_mmapped(const gheap_chunk *c, void *arg)
{
    (void)arg;
    if (c->cls == GHEAP_MMAPPED)
        printf("0x%" PRIx64 " %" PRIu64 "\n", c->addr, c->size);
    return 0;
}

static gheap_thread *threads_of(const ptstop *s, size_t *n)
{
    *n = ptstop_nthreads(s);
    gheap_thread *t = calloc(*n ? *n : 1, sizeof(*t));
    for (size_t i = 0; t && i < *n; i++) {
        const ptstop_thread *p = ptstop_thread_at(s, i);
        t[i] = (gheap_thread){.tid = p->tid, .fs_base = p->fs_base, .regs = &p->regs};
    }
    return t;
}

/* Copies every [heap] and anonymous rw mapping with process_vm_readv: through
 * a reused 1 MiB buffer, or into one buffer holding all of it. */
static int copy_heap(pid_t pid, int whole, uint64_t *bytes, hs_err *err)
{
    procmaps *pm = procmaps_read(pid, err);
    if (pm == NULL)
        return -1;
    uint64_t total = 0;
    for (size_t i = 0; i < pm->n; i++) {
        const procmaps_entry *e = &pm->v[i];
        if (e->r && e->w && (strcmp(e->path, "[heap]") == 0 || e->path[0] == '\0'))
            total += e->end - e->start;
    }
    size_t cap = whole ? total : (1u << 20);
    uint8_t *buf = malloc(cap ? cap : 1);
    uint64_t off = 0;
    *bytes = 0;
    for (size_t i = 0; buf && i < pm->n; i++) {
        const procmaps_entry *e = &pm->v[i];
        if (!(e->r && e->w && (strcmp(e->path, "[heap]") == 0 || e->path[0] == '\0')))
            continue;
        for (uint64_t a = e->start; a < e->end;) {
            size_t len = e->end - a < (1u << 20) ? e->end - a : (1u << 20);
            struct iovec l = {.iov_base = buf + (whole ? off : 0), .iov_len = len};
            struct iovec r = {.iov_base = (void *)(uintptr_t)a, .iov_len = len};
            ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
            if (got <= 0)
                break;
            a += (uint64_t)got;
            off += (uint64_t)got;
            *bytes += (uint64_t)got;
        }
    }
    free(buf);
    procmaps_free(pm);
    return 0;
}

static int bench(pid_t pid, int repeat, hs_err *err)
{
    hproc *h = hproc_open(pid, err);
    if (h == NULL)
        return -1;
    for (int r = 0; r < repeat; r++) {
        ptstop *s = ptstop_stop_all(pid, err);
        if (s == NULL)
            return -1;
        double stop_ms = (double)ptstop_pause_us(s) / 1e3;
        size_t n;
        gheap_thread *t = threads_of(s, &n);
        char why[256];
        double t0 = now_ms();
        int busy = hproc_busy(h, t, n, why, sizeof(why), err);
        double t1 = now_ms();
        gheap_report rep;
        int rc = hproc_walk(h, t, n, NULL, NULL, &rep, err);
        double t2 = now_ms();
        uint64_t pause = ptstop_pause_us(s);
        uint64_t cbytes = 0, wbytes = 0;
        double t3 = now_ms();
        copy_heap(pid, 0, &cbytes, err);
        double t4 = now_ms();
        copy_heap(pid, 1, &wbytes, err);
        double t5 = now_ms();
        ptstop_detach_all(s);
        if (rc)
            return -1;
        printf("run %d: stop %.2f ms, busy check %.2f ms (%s), walk %.1f ms over %" PRIu64
               " chunks, pause %.1f ms; process_vm_readv copy of %" PRIu64
               " bytes: %.1f ms via a 1 MiB buffer, %.1f ms into one buffer; diags %zu\n",
               r, stop_ms, t1 - t0, busy ? why : "quiet", t2 - t1,
               rep.chunks[GHEAP_INUSE] + rep.chunks[GHEAP_TCACHE] + rep.chunks[GHEAP_FASTBIN] +
                   rep.chunks[GHEAP_UNSORTED] + rep.chunks[GHEAP_SMALLBIN] +
                   rep.chunks[GHEAP_LARGEBIN] + rep.chunks[GHEAP_TOP],
               (double)pause / 1e3, cbytes, t4 - t3, t5 - t4, rep.ndiags);
        gheap_report_free(&rep);
        free(t);
    }
    hproc_close(h);
    return 0;
}

int main(int argc, char **argv)
{
    hs_err err = {{0}};
    if (argc < 3) {
        fprintf(stderr,
                "usage: walk_probe stats|tcache|busy|inside|image|mmapped|bench PID [...]\n");
        return 2;
    }
    pid_t pid = (pid_t)atoi(argv[2]);
    ptstop_install_signal_guard();
    if (strcmp(argv[1], "stats") == 0) {
        int json = argc > 3 && strcmp(argv[3], "--json") == 0;
        if (stats_run(pid, json, stdout, &err)) {
            fprintf(stderr, "walk_probe: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (strcmp(argv[1], "bench") == 0) {
        if (bench(pid, argc > 3 ? atoi(argv[3]) : 3, &err)) {
            fprintf(stderr, "walk_probe: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    hproc *h = hproc_open(pid, &err);
    if (h == NULL) {
        fprintf(stderr, "walk_probe: %s\n", err.msg);
        return 1;
    }
    for (int i = 3; strcmp(argv[1], "mmapped") == 0 && i < argc; i++) {
        unsigned long long lo, hi;
        if (sscanf(argv[i], "%llx-%llx", &lo, &hi) != 2 || hproc_exclude(h, lo, hi) != 0) {
            fprintf(stderr, "walk_probe: bad or too many ranges at %s\n", argv[i]);
            hproc_close(h);
            return 2;
        }
    }
    if (strcmp(argv[1], "image") == 0) {
        /* Prepared; the test may make the target exec before the stop. */
        printf("opened\n");
        fflush(stdout);
        char line[16];
        if (fgets(line, sizeof(line), stdin) == NULL)
            return 1;
    }
    ptstop *s = ptstop_stop_all(pid, &err);
    if (s == NULL) {
        fprintf(stderr, "walk_probe: %s\n", err.msg);
        /* A process that is gone has not started another program. */
        if (strcmp(argv[1], "image") == 0)
            printf("stop failed; image: %s\n", hproc_same_image(h, NULL) == 0 ? "same" : "changed");
        hproc_close(h);
        return 1;
    }
    size_t n;
    gheap_thread *t = threads_of(s, &n);
    int rc = 0;
    if (strcmp(argv[1], "tcache") == 0) {
        for (size_t i = 0; i < n && rc == 0; i++) {
            uint64_t var, val;
            if (hproc_thread_tcache(h, &t[i], &var, &val, &err))
                rc = 1;
            else
                printf("%d 0x%" PRIx64 " 0x%" PRIx64 "\n", (int)t[i].tid, var, val);
        }
    } else if (strcmp(argv[1], "busy") == 0) {
        char why[256];
        int b = hproc_busy(h, t, n, why, sizeof(why), &err);
        if (b < 0)
            rc = 1;
        else
            printf("%s%s\n", b ? "busy: " : "", why);
    } else if (strcmp(argv[1], "image") == 0) {
        if (hproc_same_image(h, &err) == 0)
            printf("same\n");
        else
            printf("changed: %s\n", err.msg);
    } else if (strcmp(argv[1], "mmapped") == 0) {
        gheap_report rep;
        if (hproc_walk(h, t, n, print_mmapped, NULL, &rep, &err))
            rc = 1;
        else
            gheap_report_free(&rep);
    } else if (strcmp(argv[1], "inside") == 0) {
        for (size_t i = 0; i < n; i++) {
            char why[256];
            hproc_thread_in_malloc(h, &t[i], why, sizeof(why));
            printf("%s\n", why);
        }
    } else {
        fprintf(stderr, "walk_probe: unknown mode %s\n", argv[1]);
        rc = 2;
    }
    ptstop_detach_all(s);
    free(t);
    hproc_close(h);
    if (rc == 1)
        fprintf(stderr, "walk_probe: %s\n", err.msg);
    return rc;
}
