/* tests/progs/ledger_prog.c: a process with a known RSS ledger, for
 * tests/integration/stats_ledger.sh. One scenario per run:
 *   thinned   64 MiB of 16 KiB blocks, 9 of 10 freed: free and resident
 *   threads   8 threads, each with its own arena, 3/4 of its memory freed
 *   exited    the same 8 threads, ended: their arenas serve no live thread
 *   top       32 MiB freed into the main arena's top (trim threshold 1 GiB)
 *   threadtop the same 32 MiB in a thread's arena, the thread kept waiting
 *   mmapped   16 chunks of 1 MiB, mmapped by malloc, half of each touched
 *   stacks    4 threads with 16 MiB stacks, 4 MiB of each touched
 *   grow      nothing at first; each "step" line mallocs a temporary buffer
 *             8 MiB larger than the last, touches and frees it: RSS grows
 *             in top (trim threshold 1 GiB), the heap in use stays flat
 * It prints "ready rss=N" (smaps_rollup's Rss in bytes) when the state is
 * built, then serves lines on stdin: "trim" calls malloc_trim(0) and prints
 * "trim before=N after=M"; "rss" prints "rss=N"; "step" (grow) prints
 * "step N". EOF ends it. Nothing after "ready" but "step" calls malloc, so
 * the heap stays as the walk saw it. */
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long long rss_now(void)
{
    char buf[4096];
    int fd = open("/proc/self/smaps_rollup", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strstr(buf, "\nRss:");
    return p ? strtoull(p + 5, NULL, 10) * 1024 : 0;
}

/* The number of threads the kernel still lists for this process. */
static int tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    if (d == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void touch(char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096)
        p[i] = (char)(i + 1);
    if (n)
        p[n - 1] = 1;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int built, quit;
static pthread_barrier_t exited_built;

static void wait_quit(void)
{
    pthread_mutex_lock(&mu);
    built++;
    pthread_cond_broadcast(&cv);
    while (!quit)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void *arena_thread(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg, seed = id;
    enum { N = 2048 };
    static __thread char *v[N];
    for (int i = 0; i < N; i++) {
        size_t sz = 1024 + (size_t)(rand_r(&seed) % 7168);
        v[i] = malloc(sz);
        touch(v[i], sz);
    }
    for (int i = 0; i < N; i++)
        if (i % 4 != 3)
            free(v[i]);
    if (id < 100)
        wait_quit();
    else /* "exited" threads (101...) end once all have built: a thread that
          * ended sooner would hand its arena to the next one to start */
        pthread_barrier_wait(&exited_built);
    return NULL;
}

/* 32 MiB in 64 KiB blocks, freed in reverse: one top of 32 MiB */
static void fill_top(void)
{
    static char *b[512];
    for (int i = 0; i < 512; i++) {
        b[i] = malloc(65536);
        touch(b[i], 65536);
    }
    for (int i = 511; i >= 0; i--)
        free(b[i]);
}

static void *top_thread(void *arg)
{
    (void)arg;
    fill_top();
    wait_quit();
    return NULL;
}

static void *stack_thread(void *arg)
{
    (void)arg;
    volatile char *deep = __builtin_alloca(4u << 20);
    touch((char *)deep, 4u << 20);
    wait_quit();
    return NULL;
}

/* Starts n threads running fn(i + first) and waits until each has built its
 * state (or, with join, has ended). */
static void start_threads_from(int n, size_t stack, void *(*fn)(void *), int first, int join)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    if (stack)
        pthread_attr_setstacksize(&a, stack);
    pthread_t t[64];
    for (int i = 0; i < n && i < 64; i++)
        if (pthread_create(&t[i], &a, fn, (void *)(uintptr_t)(i + first)) != 0)
            exit(1);
    pthread_attr_destroy(&a);
    if (join) {
        for (int i = 0; i < n && i < 64; i++)
            pthread_join(t[i], NULL);
        return;
    }
    pthread_mutex_lock(&mu);
    while (built < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void start_threads(int n, size_t stack, void *(*fn)(void *))
{
    start_threads_from(n, stack, fn, 1, 0);
}

int main(int argc, char **argv)
{
    const char *sc = argc > 1 ? argv[1] : "thinned";
    static char *v[4096];
    if (strcmp(sc, "thinned") == 0) {
        for (int i = 0; i < 4096; i++) {
            v[i] = malloc(16384);
            touch(v[i], 16384);
        }
        for (int i = 0; i < 4096; i++)
            if (i % 10 != 9)
                free(v[i]);
    } else if (strcmp(sc, "threads") == 0) {
        start_threads(8, 0, arena_thread);
    } else if (strcmp(sc, "exited") == 0) {
        pthread_barrier_init(&exited_built, NULL, 8);
        start_threads_from(8, 0, arena_thread, 101, 1);
        /* joined threads may linger in /proc/self/task for a moment, longer
         * on a loaded machine: wait for them (a 5-minute hang guard) */
        for (int i = 0; i < 3000000 && tasks() > 1; i++)
            usleep(100);
    } else if (strcmp(sc, "top") == 0) {
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        fill_top();
    } else if (strcmp(sc, "threadtop") == 0) {
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        start_threads(1, 0, top_thread);
    } else if (strcmp(sc, "mmapped") == 0) {
        for (int i = 0; i < 16; i++) {
            v[i] = malloc(1u << 20);
            touch(v[i], 1u << 19);
        }
    } else if (strcmp(sc, "stacks") == 0) {
        start_threads(4, 16u << 20, stack_thread);
    } else if (strcmp(sc, "grow") == 0) {
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
        mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest: buffers stay in the heap */
    } else {
        fprintf(stderr,
                "usage: ledger_prog thinned|threads|exited|top|threadtop|mmapped|stacks|grow\n");
        return 2;
    }
    dprintf(1, "ready rss=%llu\n", rss_now());
    char line[64];
    size_t len = 0;
    char ch;
    while (read(0, &ch, 1) == 1) {
        if (ch != '\n') {
            if (len < sizeof(line) - 1)
                line[len++] = ch;
            continue;
        }
        line[len] = '\0';
        len = 0;
        if (strcmp(line, "trim") == 0) {
            unsigned long long before = rss_now();
            malloc_trim(0);
            dprintf(1, "trim before=%llu after=%llu\n", before, rss_now());
        } else if (strcmp(line, "step") == 0) {
            static unsigned step;
            size_t sz = (size_t)++step * (8u << 20);
            char *buf = malloc(sz);
            if (buf != NULL)
                touch(buf, sz);
            free(buf);
            dprintf(1, "step %u\n", step);
        } else if (strcmp(line, "rss") == 0) {
            dprintf(1, "rss=%llu\n", rss_now());
        }
    }
    return 0;
}
