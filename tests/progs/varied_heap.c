/* tests/progs/varied_heap.c: a target for the walker. Builds a varied glibc
 * heap from a seed in the main thread and N more threads (many sizes; frees
 * landing in tcache, fastbins, unsorted, small and large bins; a grown top;
 * mmapped and memalign'd chunks; each thread in its own arena; a thread's
 * tcache holding main-arena chunks), prints its own mallinfo2() as one JSON
 * line, then waits until killed, touching nothing.
 * Usage: varied_heap SEED NTHREADS */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VH_N 2000
#define VH_MAX_THREADS 64
#define VH_SHARED 64

static pthread_barrier_t vh_built;
/* Stores here keep the compiler from dropping a malloc whose result is unused. */
static void *volatile vh_sink;
static void *vh_shared[VH_MAX_THREADS + 1][VH_SHARED]; /* main-arena blocks a thread frees */

static unsigned vh_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xffffff;
}

static size_t vh_size(unsigned *s)
{
    unsigned r = vh_rand(s) % 100;
    if (r < 40)
        return 1 + vh_rand(s) % 128; /* fastbin and tcache range */
    if (r < 70)
        return 129 + vh_rand(s) % 896; /* small bins */
    if (r < 93)
        return 1025 + vh_rand(s) % 7168; /* large bins */
    if (r < 99)
        return 8192 + vh_rand(s) % 90000;
    return 140000 + vh_rand(s) % 400000; /* mmapped, while under the threshold */
}

static void *vh_alloc(unsigned *s, size_t n)
{
    if (vh_rand(s) % 100 < 5) {
        static const size_t aligns[] = {32, 64, 256, 4096, 65536};
        void *p = NULL;
        if (posix_memalign(&p, aligns[vh_rand(s) % 5], n) != 0)
            return NULL;
        return p;
    }
    return malloc(n);
}

/* Builds one thread's share of the heap; what stays allocated is kept. */
static void vh_build(unsigned seed, int idx)
{
    static __thread void *p[VH_N], *guard[VH_N];
    unsigned s = seed * 7919u + (unsigned)idx * 104729u + 1;
    for (int i = 0; i < VH_N; i++) {
        size_t n = vh_size(&s);
        p[i] = vh_alloc(&s, n);
        if (p[i])
            memset(p[i], 0xa5, n < 64 ? n : 64);
        /* mostly kept: so that freed blocks stay apart and stay in their bins */
        guard[i] = vh_rand(&s) % 8 ? malloc(1 + vh_rand(&s) % 24) : NULL;
        if (guard[i])
            memset(guard[i], 0x5a, 1);
    }
    /* about half freed in scattered order: tcache first, then fastbins/unsorted */
    for (int k = 0; k < VH_N; k++) {
        int i = (int)((unsigned)(k * 7 + seed) % VH_N);
        if (p[i] && vh_rand(&s) % 2) {
            free(p[i]);
            p[i] = NULL;
        }
    }
    /* grow top, then give it back (this also consolidates the fastbins) */
    void *g = malloc(90000 + vh_rand(&s) % 20000);
    vh_sink = g;
    free(vh_sink);
    /* more frees, then a large-range request sorts the unsorted bin into the
     * small and large bins (free lists fill only when malloc sorts them) */
    for (int i = 0; i < VH_N; i++) {
        if (p[i] && vh_rand(&s) % 4 == 0) {
            free(p[i]);
            p[i] = NULL;
        }
    }
    vh_sink = malloc(3000 + vh_rand(&s) % 2000);
    /* last frees: small blocks go to fastbins behind full tcache bins, larger
     * ones to the unsorted bin */
    for (int i = 0; i < VH_N; i++) {
        if (p[i] && vh_rand(&s) % 6 == 0) {
            free(p[i]);
            p[i] = NULL;
        }
    }
    /* free main-arena blocks from this thread: its tcache/arena lists hold them */
    for (int i = 0; i < VH_SHARED; i += 2) {
        free(vh_shared[idx][i]);
        vh_shared[idx][i] = NULL;
    }
}

static void *vh_thread(void *arg)
{
    unsigned seed = (unsigned)(((uintptr_t)arg) >> 8);
    int idx = (int)(((uintptr_t)arg) & 0xff);
    vh_build(seed, idx);
    pthread_barrier_wait(&vh_built);
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: varied_heap SEED NTHREADS\n");
        return 2;
    }
    unsigned seed = (unsigned)strtoul(argv[1], NULL, 10);
    int nthreads = atoi(argv[2]);
    if (nthreads < 0 || nthreads > VH_MAX_THREADS) {
        fprintf(stderr, "varied_heap: NTHREADS must be 0..%d\n", VH_MAX_THREADS);
        return 2;
    }
    /* a memalign'd mmapped chunk: its header moves inside the mapping */
    void *aligned = NULL;
    if (posix_memalign(&aligned, 65536, 300000) == 0)
        memset(aligned, 2, 64);
    for (int t = 0; t <= nthreads; t++)
        for (int i = 0; i < VH_SHARED; i++)
            vh_shared[t][i] = malloc(24 + (size_t)(i % 8) * 16);
    pthread_barrier_init(&vh_built, NULL, (unsigned)nthreads + 1);
    pthread_t tids[VH_MAX_THREADS];
    for (int t = 0; t < nthreads; t++) {
        uintptr_t arg = ((uintptr_t)seed << 8) | (uintptr_t)(t + 1);
        if (pthread_create(&tids[t], NULL, vh_thread, (void *)arg) != 0) {
            fprintf(stderr, "varied_heap: pthread_create failed\n");
            return 1;
        }
    }
    vh_build(seed, 0);
    pthread_barrier_wait(&vh_built);

    /* Nothing below may allocate: stdio's buffer would change the heap. */
    struct mallinfo2 mi = mallinfo2();
    char line[512];
    int n = snprintf(line, sizeof(line),
                     "{\"arena\":%zu,\"ordblks\":%zu,\"smblks\":%zu,\"hblks\":%zu,\"hblkhd\":%zu,"
                     "\"usmblks\":%zu,\"fsmblks\":%zu,\"uordblks\":%zu,\"fordblks\":%zu,"
                     "\"keepcost\":%zu}\n",
                     mi.arena, mi.ordblks, mi.smblks, mi.hblks, mi.hblkhd, mi.usmblks, mi.fsmblks,
                     mi.uordblks, mi.fordblks, mi.keepcost);
    if (write(1, line, (size_t)n) != n)
        return 1;
    for (;;)
        pause();
}
