/* heapbuild: builds a heap of a given size out of small chunks, in 1 or N threads (one glibc
 * arena each), frees a slice of it so the bins and tcaches are not empty, prints "ready PID" and
 * then idles with every thread alive, for timing heapsnap's pause against a raw copy. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hb_options {
    uint64_t bytes; /* requested bytes in total, over all threads */
    unsigned threads;
    unsigned free_pct; /* percent of the chunks freed again after the build */
    uint64_t seed;
};

struct hb_worker {
    pthread_t tid;
    const struct hb_options *opt;
    uint64_t bytes;
    uint64_t rng;
    uint64_t chunks;
    void **head; /* the list stays reachable, through hb_workers */
    int failed;
};

static pthread_mutex_t hb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hb_cond = PTHREAD_COND_INITIALIZER;
static unsigned hb_built;
static volatile sig_atomic_t hb_stop;
/* The workers, and through them every list: reachable from a global, as a
 * long-lived program's data would be (heapsnap's held_by). */
static struct hb_worker *volatile hb_workers;

static uint64_t hb_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Allocates this thread's share in 16..256-byte requests, linking every chunk into a list so
 * that the heap is made of live, pointer-rich objects; frees free_pct of them, scattered. */
static void hb_build(struct hb_worker *w)
{
    void **head = NULL;
    uint64_t done = 0;
    while (done < w->bytes) {
        size_t size = 16 + (size_t)(hb_rand(&w->rng) % (256 - 16 + 1));
        void **p = malloc(size);
        if (p == NULL) {
            w->failed = 1;
            return;
        }
        memset(p, 0x5a, size);
        p[0] = head;
        head = p;
        done += size;
        w->chunks++;
    }
    /* Free a scattered slice: unlink every node the dice pick. */
    void **prev = NULL;
    for (void **p = head; p != NULL;) {
        void **next = p[0];
        if (hb_rand(&w->rng) % 100 < w->opt->free_pct) {
            if (prev != NULL)
                prev[0] = next;
            free(p);
        } else {
            prev = p;
        }
        p = next;
    }
    w->head = head;
}

static void *hb_worker_main(void *arg)
{
    struct hb_worker *w = arg;
    hb_build(w);
    pthread_mutex_lock(&hb_lock);
    hb_built++;
    pthread_cond_broadcast(&hb_cond);
    /* Idle until the process ends: the thread must exist to be stopped and to keep its tcache. */
    for (;;)
        pthread_cond_wait(&hb_cond, &hb_lock);
    return NULL;
}

static void hb_on_signal(int sig)
{
    (void)sig;
    hb_stop = 1;
}

static void hb_usage(FILE *f)
{
    fprintf(f,
            "usage: heapbuild [-m MB] [-t THREADS] [-f FREE_PERCENT] [-s SEED]\n"
            "  -m  megabytes requested in total (default 100)\n"
            "  -t  threads that allocate, one arena each; 1 = the main thread (default 1)\n"
            "  -f  percent of the chunks freed after the build (default 10)\n"
            "  -s  random seed (default 1)\n"
            "Prints \"ready PID CHUNKS\" when the heap is built, then waits for SIGTERM/SIGINT.\n");
}

static int hb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
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

int main(int argc, char **argv)
{
    struct hb_options opt = {.bytes = 100ull << 20, .threads = 1, .free_pct = 10, .seed = 1};
    struct hb_worker *w;
    uint64_t v, chunks = 0;
    int c;

    while ((c = getopt(argc, argv, "m:t:f:s:h")) != -1) {
        switch (c) {
        case 'm':
            if (hb_parse_u64(optarg, 1, 1u << 20, &v) != 0)
                goto bad;
            opt.bytes = v << 20;
            break;
        case 't':
            if (hb_parse_u64(optarg, 1, 256, &v) != 0)
                goto bad;
            opt.threads = (unsigned)v;
            break;
        case 'f':
            if (hb_parse_u64(optarg, 0, 99, &v) != 0)
                goto bad;
            opt.free_pct = (unsigned)v;
            break;
        case 's':
            if (hb_parse_u64(optarg, 0, UINT64_MAX, &v) != 0)
                goto bad;
            opt.seed = v;
            break;
        case 'h':
            hb_usage(stdout);
            return 0;
        default:
            hb_usage(stderr);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "heapbuild: invalid value '%s' for -%c; see heapbuild -h for ranges.\n",
                optarg, c);
        return 2;
    }
    if (optind != argc) {
        fprintf(stderr, "heapbuild: unexpected argument '%s'; options only, see -h.\n",
                argv[optind]);
        return 2;
    }

    /* Block the stop signals in every thread (the workers inherit the mask) and take them only in
     * main's sigsuspend, so one that arrives early is not lost. */
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &orig);

    hb_workers = w = calloc(opt.threads, sizeof(*w));
    if (w == NULL) {
        fprintf(stderr, "heapbuild: out of memory for %u workers.\n", opt.threads);
        return 1;
    }
    for (unsigned i = 0; i < opt.threads; i++) {
        w[i].opt = &opt;
        w[i].bytes = opt.bytes / opt.threads;
        w[i].rng = (opt.seed + 1) * 0x9E3779B97F4A7C15ULL + (i + 1) * 0xBF58476D1CE4E5B9ULL;
    }
    if (opt.threads == 1) {
        hb_build(&w[0]);
        hb_built = 1;
    } else {
        for (unsigned i = 0; i < opt.threads; i++) {
            if (pthread_create(&w[i].tid, NULL, hb_worker_main, &w[i]) != 0) {
                fprintf(stderr, "heapbuild: cannot start thread %u; use fewer threads.\n", i);
                return 1;
            }
        }
        pthread_mutex_lock(&hb_lock);
        while (hb_built < opt.threads)
            pthread_cond_wait(&hb_cond, &hb_lock);
        pthread_mutex_unlock(&hb_lock);
    }
    for (unsigned i = 0; i < opt.threads; i++) {
        if (w[i].failed) {
            fprintf(stderr, "heapbuild: out of memory building the heap; lower -m.\n");
            return 1;
        }
        chunks += w[i].chunks;
    }

    signal(SIGTERM, hb_on_signal);
    signal(SIGINT, hb_on_signal);
    printf("ready %d %" PRIu64 "\n", (int)getpid(), chunks);
    fflush(stdout);
    while (!hb_stop)
        sigsuspend(&orig);
    /* The workers still idle in pthread_cond_wait; leaving main ends them with the process. */
    return 0;
}
