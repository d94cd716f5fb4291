/* allocbench: a malloc-heavy multi-threaded workload for comparing allocation profilers.
 * Each thread keeps a ring of live objects and replaces a random slot per operation (so frees
 * are not LIFO), with sizes 16 B..64 KiB skewed toward small ones and a small retained fraction.
 * It prints one line, "allocbench: ... ops_per_sec=N", that bench/run parses. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Every option the workload takes; defaults suit a 2-core machine and run for about a second. */
struct ab_options {
    unsigned threads;
    uint64_t ops; /* total over all threads */
    uint64_t seed;
    unsigned ring;       /* live objects per thread */
    unsigned retain_per; /* one allocation in retain_per is kept to the end */
    unsigned depth;      /* call depth between the worker and the allocator */
};

struct ab_worker {
    pthread_t tid;
    unsigned index;
    const struct ab_options *opt;
    pthread_barrier_t *start;
    uint64_t ops;
    uint64_t rng;
    void **ring;
    void **retained;
    size_t nretained, capretained;
    int failed;
};

/* xorshift64*: fast, deterministic per thread, good enough for picking sizes and slots. */
static uint64_t ab_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Size classes weighted like a typical C/C++ program: most allocations are small strings and
 * nodes, a few are buffers. Mean is about 1.6 KiB. */
static size_t ab_pick_size(uint64_t r)
{
    unsigned bucket = (unsigned)(r % 100);
    uint64_t u = r >> 8;
    if (bucket < 50)
        return 16 + u % (64 - 16 + 1);
    if (bucket < 75)
        return 65 + u % (256 - 65 + 1);
    if (bucket < 90)
        return 257 + u % (1024 - 257 + 1);
    if (bucket < 97)
        return 1025 + u % (8192 - 1025 + 1);
    return 8193 + u % (65536 - 8193 + 1);
}

/* The allocation itself, reached through a chain of calls whose shape depends on `route`, so a
 * stack-recording profiler sees a few dozen distinct call sites of realistic depth. */
enum ab_kind { AB_MALLOC, AB_CALLOC, AB_REALLOC };

static void *ab_path_a(unsigned level, unsigned route, enum ab_kind kind, void *old, size_t size);
static void *ab_path_b(unsigned level, unsigned route, enum ab_kind kind, void *old, size_t size);

static volatile unsigned ab_sink;

__attribute__((noinline)) static void *ab_allocate(enum ab_kind kind, void *old, size_t size)
{
    void *p;
    switch (kind) {
    case AB_CALLOC:
        p = calloc(1, size);
        break;
    case AB_REALLOC:
        p = realloc(old, size);
        break;
    default:
        p = malloc(size);
        break;
    }
    if (p != NULL && kind != AB_CALLOC) {
        /* Touch both ends, as a program initialising a header and a terminator would. */
        ((volatile char *)p)[0] = 1;
        ((volatile char *)p)[size - 1] = 2;
    }
    return p;
}

__attribute__((noinline)) static void *ab_path_a(unsigned level, unsigned route, enum ab_kind kind,
                                                 void *old, size_t size)
{
    void *p;
    if (level == 0)
        return ab_allocate(kind, old, size);
    if (route & (1u << (level % 4)))
        p = ab_path_a(level - 1, route, kind, old, size);
    else
        p = ab_path_b(level - 1, route, kind, old, size);
    ab_sink = level; /* keeps the call from becoming a tail call */
    return p;
}

__attribute__((noinline)) static void *ab_path_b(unsigned level, unsigned route, enum ab_kind kind,
                                                 void *old, size_t size)
{
    void *p;
    if (level == 0)
        return ab_allocate(kind, old, size);
    if (route & (1u << (level % 4)))
        p = ab_path_a(level - 1, route, kind, old, size);
    else
        p = ab_path_b(level - 1, route, kind, old, size);
    ab_sink = level + 1;
    return p;
}

static int ab_retain(struct ab_worker *w, void *p)
{
    if (w->nretained == w->capretained) {
        size_t cap = w->capretained ? w->capretained * 2 : 256;
        void **n = realloc(w->retained, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        w->retained = n;
        w->capretained = cap;
    }
    w->retained[w->nretained++] = p;
    return 0;
}

/* One operation: pick a random slot, free (or realloc) its object, put a new one there. */
static int ab_step(struct ab_worker *w)
{
    const struct ab_options *opt = w->opt;
    uint64_t r = ab_rand(&w->rng);
    assert(opt->ring > 0); /* -r takes 1 or more */
    unsigned slot = (unsigned)(r % opt->ring);
    uint64_t r2 = ab_rand(&w->rng);
    size_t size = ab_pick_size(r2);
    unsigned route = (unsigned)(r >> 32) & 15u;
    unsigned kindsel = (unsigned)(r >> 40) % 20;
    void *old = w->ring[slot];
    void *p;

    if (kindsel == 0 && old != NULL) {
        p = ab_path_a(opt->depth, route, AB_REALLOC, old, size);
    } else {
        if (old != NULL && (r2 >> 40) % opt->retain_per == 0) {
            if (ab_retain(w, old) != 0)
                return -1;
        } else {
            free(old);
        }
        p = ab_path_b(opt->depth, route, kindsel == 1 ? AB_CALLOC : AB_MALLOC, NULL, size);
    }
    if (p == NULL)
        return -1;
    w->ring[slot] = p;
    return 0;
}

static void *ab_worker_main(void *arg)
{
    struct ab_worker *w = arg;
    unsigned i;

    /* Fill the ring before the clock starts: the timed part is the steady state. */
    for (i = 0; i < w->opt->ring; i++) {
        w->ring[i] = malloc(ab_pick_size(ab_rand(&w->rng)));
        if (w->ring[i] == NULL) {
            w->failed = 1;
            break;
        }
    }
    pthread_barrier_wait(w->start);
    if (!w->failed) {
        for (uint64_t n = 0; n < w->ops; n++) {
            if (ab_step(w) != 0) {
                w->failed = 1;
                break;
            }
        }
    }
    pthread_barrier_wait(w->start);
    return NULL;
}

static void ab_worker_free(struct ab_worker *w)
{
    for (unsigned i = 0; w->ring != NULL && i < w->opt->ring; i++)
        free(w->ring[i]);
    for (size_t i = 0; i < w->nretained; i++)
        free(w->retained[i]);
    free(w->ring);
    free(w->retained);
}

static double ab_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ab_usage(FILE *f)
{
    fprintf(f, "usage: allocbench [-t THREADS] [-n OPS] [-s SEED] [-r RING] [-k RETAIN_1_IN_N] "
               "[-d DEPTH]\n"
               "  -t  worker threads (default 2)\n"
               "  -n  operations in total, split over the threads (default 4000000)\n"
               "  -s  random seed (default 1)\n"
               "  -r  live objects per thread (default 4096)\n"
               "  -k  keep one allocation in N until the end (default 1000)\n"
               "  -d  call depth above the allocator (default 8)\n");
}

static int ab_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int ab_parse(int argc, char **argv, struct ab_options *opt)
{
    int c;
    uint64_t v;
    *opt = (struct ab_options){
        .threads = 2, .ops = 4000000, .seed = 1, .ring = 4096, .retain_per = 1000, .depth = 8};
    while ((c = getopt(argc, argv, "t:n:s:r:k:d:h")) != -1) {
        const char *arg = optarg;
        switch (c) {
        case 't':
            if (ab_parse_u64(arg, 1, 1024, &v) != 0)
                goto bad;
            opt->threads = (unsigned)v;
            break;
        case 'n':
            if (ab_parse_u64(arg, 1, UINT64_MAX / 2, &v) != 0)
                goto bad;
            opt->ops = v;
            break;
        case 's':
            if (ab_parse_u64(arg, 0, UINT64_MAX, &v) != 0)
                goto bad;
            opt->seed = v;
            break;
        case 'r':
            if (ab_parse_u64(arg, 1, 1u << 24, &v) != 0)
                goto bad;
            opt->ring = (unsigned)v;
            break;
        case 'k':
            if (ab_parse_u64(arg, 1, 1u << 30, &v) != 0)
                goto bad;
            opt->retain_per = (unsigned)v;
            break;
        case 'd':
            if (ab_parse_u64(arg, 0, 200, &v) != 0)
                goto bad;
            opt->depth = (unsigned)v;
            break;
        case 'h':
            ab_usage(stdout);
            exit(0);
        default:
            ab_usage(stderr);
            return -1;
        }
        continue;
    bad:
        fprintf(stderr, "allocbench: invalid value '%s' for -%c; see allocbench -h for ranges.\n",
                arg, c);
        return -1;
    }
    if (optind != argc) {
        fprintf(stderr, "allocbench: unexpected argument '%s'; options only, see -h.\n",
                argv[optind]);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct ab_options opt;
    struct ab_worker *workers;
    pthread_barrier_t start;
    double t0, t1;
    int failed = 0;
    unsigned started = 0;

    if (ab_parse(argc, argv, &opt) != 0)
        return 2;
    workers = calloc(opt.threads, sizeof(*workers));
    if (workers == NULL) {
        fprintf(stderr, "allocbench: out of memory for %u workers; use fewer threads.\n",
                opt.threads);
        return 1;
    }
    pthread_barrier_init(&start, NULL, opt.threads + 1);
    for (unsigned i = 0; i < opt.threads; i++) {
        struct ab_worker *w = &workers[i];
        w->index = i;
        w->opt = &opt;
        w->start = &start;
        w->ops = opt.ops / opt.threads + (i < opt.ops % opt.threads ? 1 : 0);
        w->rng = (opt.seed + 1) * 0x9E3779B97F4A7C15ULL + i * 0xBF58476D1CE4E5B9ULL;
        if (w->rng == 0)
            w->rng = 1;
        w->ring = calloc(opt.ring, sizeof(void *));
        if (w->ring == NULL || pthread_create(&w->tid, NULL, ab_worker_main, w) != 0) {
            fprintf(stderr,
                    "allocbench: cannot start worker %u; use fewer threads or a smaller ring.\n",
                    i);
            return 1;
        }
        started++;
    }
    pthread_barrier_wait(&start);
    t0 = ab_now();
    pthread_barrier_wait(&start);
    t1 = ab_now();
    for (unsigned i = 0; i < started; i++) {
        pthread_join(workers[i].tid, NULL);
        failed |= workers[i].failed;
        ab_worker_free(&workers[i]);
    }
    free(workers);
    pthread_barrier_destroy(&start);
    if (failed) {
        fprintf(stderr,
                "allocbench: an allocation failed; lower -n, -r or the retained fraction.\n");
        return 1;
    }
    printf("allocbench: threads=%u ops=%" PRIu64 " seconds=%.6f ops_per_sec=%.0f\n", opt.threads,
           opt.ops, t1 - t0, (double)opt.ops / (t1 - t0));
    return 0;
}
