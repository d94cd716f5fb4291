/* tests/progs/snap_leaker.c: the process heapsnap's integration tests examine.
 * It builds a baseline heap (optionally in worker threads that then block),
 * says "ready" through a file, and on every SIGUSR1 leaks from the known
 * function snap_leak_buffer(). Between signals it sleeps without allocating,
 * so two snapshots of it see exactly the heap it built.
 *
 * --churn N adds N threads that malloc and free without pause, so that
 * snapshots meet threads inside malloc.
 *
 * Usage: snap_leaker STATUSFILE [--threads N] [--mb MB] [--leak COUNT] [--size BYTES]
 *                    [--churn N] */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *status_path;
static volatile sig_atomic_t pending_steps;
static long leak_count = 100;
static size_t leak_size = 1000;
static size_t baseline_bytes = 1 << 20;
static void **leaked;
static size_t nleaked, leaked_cap;

/* Status without stdio or malloc: write to a temp file, rename over. */
static void say(const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", status_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        _exit(3);
    if (write(fd, text, strlen(text)) < 0)
        _exit(3);
    close(fd);
    rename(tmp, status_path);
}

/* The leak the tests look for: its malloc line is marked. */
__attribute__((noinline)) static void *snap_leak_buffer(size_t n)
{
    void *p = malloc(n); /* SNAP_LEAK_LINE */
    if (p != NULL)
        memset(p, 0xab, n);
    __asm__ volatile("" ::: "memory"); /* keep the call a real call, not a tail call */
    return p;
}

static void leak_step(void)
{
    for (long i = 0; i < leak_count; i++) {
        if (nleaked == leaked_cap) {
            leaked_cap = leaked_cap ? leaked_cap * 2 : 1024;
            leaked = realloc(leaked, leaked_cap * sizeof(*leaked));
            if (leaked == NULL)
                _exit(4);
        }
        leaked[nleaked++] = snap_leak_buffer(leak_size);
    }
}

/* A baseline of mixed sizes with some frees, so every bin class shows up:
 * mostly small chunks (as real heaps are), some of 70000 bytes, and a few
 * mmapped ones of 200000 bytes. */
__attribute__((noinline)) static void **build_baseline(size_t bytes, size_t *count)
{
    static const size_t sizes[] = {24, 40, 64, 100, 200, 500, 1000, 3000};
    size_t n = 0, cap = 1024, total = 0;
    void **v = malloc(cap * sizeof(*v));
    for (size_t i = 0; total < bytes; i++) {
        size_t s = sizes[i % 8];
        if (i % 512 == 11)
            s = 70000;
        else if (i % 4096 == 13)
            s = 200000;
        if (n == cap) {
            cap *= 2;
            void **nv = realloc(v, cap * sizeof(*v));
            if (nv == NULL)
                abort(); /* the test's counts would be wrong */
            v = nv;
        }
        v[n] = malloc(s);
        memset(v[n], 1, s);
        total += s;
        n++;
    }
    for (size_t i = 0; i < n; i += 5) {
        free(v[i]);
        v[i] = NULL;
    }
    *count = n;
    return v;
}

static pthread_barrier_t started;

static void *worker(void *arg)
{
    size_t count;
    (void)arg;
    /* cppcheck-suppress leakReturnValNotUsed ; the baseline stays allocated on purpose */
    build_baseline(baseline_bytes, &count);
    pthread_barrier_wait(&started);
    for (;;)
        pause();
    return NULL;
}

/* Allocates and frees forever: a ring of 64 live blocks of varied sizes. */
static void *churner(void *arg)
{
    void *ring[64] = {0};
    unsigned x = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    for (unsigned i = 0;; i++) {
        x = x * 1103515245u + 12345u;
        free(ring[i % 64]);
        ring[i % 64] = malloc(16 + (x >> 16) % 2000);
    }
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
    pending_steps++;
}

int main(int argc, char **argv)
{
    int nthreads = 0, nchurn = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: snap_leaker STATUSFILE [--threads N] [--mb MB] [--leak COUNT] "
                        "[--size BYTES] [--churn N]\n");
        return 2;
    }
    status_path = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--threads") == 0)
            nthreads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--mb") == 0)
            baseline_bytes = (size_t)atol(argv[i + 1]) << 20;
        else if (strcmp(argv[i], "--leak") == 0)
            leak_count = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--churn") == 0)
            nchurn = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--size") == 0)
            leak_size = (size_t)atol(argv[i + 1]);
        else
            return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old); /* workers inherit it: only main takes SIGUSR1 */

    size_t count;
    if (nthreads > 0) {
        /* Split the baseline over the workers (the main thread builds none). */
        baseline_bytes /= (size_t)nthreads;
        pthread_barrier_init(&started, NULL, (unsigned)nthreads + 1);
        for (int i = 0; i < nthreads; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, worker, NULL) != 0)
                return 1;
        }
        pthread_barrier_wait(&started);
    } else {
        /* cppcheck-suppress leakReturnValNotUsed ; the baseline stays allocated on purpose */
        build_baseline(baseline_bytes, &count);
    }
    for (int i = 0; i < nchurn; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, churner, (void *)(uintptr_t)(i + 1)) != 0)
            return 1;
    }
    say("ready 0\n");
    for (long step = 1;; step++) {
        while (pending_steps == 0)
            sigsuspend(&old);
        pending_steps--;
        leak_step();
        char msg[64];
        snprintf(msg, sizeof(msg), "ready %ld\n", step);
        say(msg);
    }
}
