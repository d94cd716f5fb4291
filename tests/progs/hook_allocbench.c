/* tests/progs/hook_allocbench.c: an allocation-heavy loop to measure the
 * hook's overhead: each of T threads does N malloc/free pairs of 16..1024
 * bytes over a ring of 1024 live blocks. Prints CPU ns (all threads, user +
 * system) per malloc+free pair: steadier than wall time on a busy machine.
 * Usage: hook_allocbench [N (default 20000000)] [T (default 1)]. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long iters = 20000000;

static void *run(void *arg)
{
    uint64_t x = 88172645463325252ULL ^ (uint64_t)(uintptr_t)arg;
    void *ring[1024] = {0};
    for (long i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t k = i & 1023;
        free(ring[k]);
        ring[k] = malloc(16 + (x & 1008));
        *(volatile char *)ring[k] = 1;
    }
    for (int k = 0; k < 1024; k++)
        free(ring[k]);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = 1;
    if (argc > 1)
        iters = atol(argv[1]);
    if (argc > 2)
        threads = atoi(argv[2]);
    if (iters <= 0 || threads <= 0 || threads > 64) {
        fprintf(stderr, "usage: hook_allocbench [ITERATIONS] [THREADS]\n");
        return 2;
    }
    pthread_t th[64];
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    for (long t = 0; t < threads; t++)
        pthread_create(&th[t], NULL, run, (void *)(t + 1));
    for (int t = 0; t < threads; t++)
        pthread_join(th[t], NULL);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    printf("%.2f ns per malloc+free (%d threads x %ld)\n", ns / ((double)iters * threads), threads,
           iters);
    return 0;
}
