/* bench/leakbias.c: a leak whose size is known exactly, for measuring how
 * close heapsnap's estimate of the leaking call site comes at a sampling rate
 * (bench/bias). leak_site keeps N objects of 40 bytes (48-byte chunks);
 * share_site keeps M more of the same size (a steady holder in the same size
 * class, so the estimate must split the class); between them churn_site
 * allocates and frees objects of 64-2048 bytes as a program's work does.
 * When done, prints "ready PID LEAK_BYTES SHARE_BYTES", the chunk bytes the
 * two sites hold (glibc hands out a 40-byte request as a 48-byte chunk, or
 * as a 64-byte one when the free chunk it splits would leave less than its
 * minimum), and waits for stdin to close.
 *   leakbias [-n N] [-m M] [-k CHURN_PER_LEAK] [-s SEED] */
#include <stdint.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define RING 512

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* The bookkeeping lives outside the heap, so that the heap holds only what
 * the three sites allocate (and the C library's own blocks). */
static void *table(size_t n)
{
    void *p =
        mmap(NULL, n * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("leakbias: mmap");
        exit(1);
    }
    return p;
}

/* Each site stores what it allocated, so that malloc is not a tail call and
 * the site's own frame is the caller on the stack. */
__attribute__((noipa)) static int leak_site(void **slot)
{
    *slot = malloc(40);
    return *slot != NULL;
}

__attribute__((noipa)) static int share_site(void **slot)
{
    *slot = malloc(40);
    return *slot != NULL;
}

__attribute__((noipa)) static void churn_site(void **ring)
{
    size_t i = rng() % RING;
    free(ring[i]);
    ring[i] = malloc(64 + rng() % (2048 - 64 + 1));
}

int main(int argc, char **argv)
{
    long n = 200000, m = 0, k = 10, seed = 1;
    int c;
    while ((c = getopt(argc, argv, "n:m:k:s:")) != -1) {
        switch (c) {
        case 'n':
            n = atol(optarg);
            break;
        case 'm':
            m = atol(optarg);
            break;
        case 'k':
            k = atol(optarg);
            break;
        case 's':
            seed = atol(optarg);
            break;
        default:
            fprintf(stderr, "usage: leakbias [-n N] [-m M] [-k CHURN_PER_LEAK] [-s SEED]\n");
            return 2;
        }
    }
    if (n < 0 || m < 0 || k < 0) {
        fprintf(stderr, "leakbias: -n, -m and -k take counts >= 0.\n");
        return 2;
    }
    rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ULL | 1;
    void **leak = table((size_t)n + 1), **share = table((size_t)m + 1), **ring = table(RING);
    long most = n > m ? n : m;
    for (long i = 0; i < most; i++) {
        if (i < n && !leak_site(&leak[i]))
            return 1;
        if (i < m && !share_site(&share[i]))
            return 1;
        for (long j = 0; j < k; j++)
            churn_site(ring);
    }
    /* A chunk is its usable size plus the 8-byte size word (never mmapped here). */
    unsigned long long lb = 0, sb = 0;
    for (long i = 0; i < n; i++)
        lb += malloc_usable_size(leak[i]) + 8;
    for (long i = 0; i < m; i++)
        sb += malloc_usable_size(share[i]) + 8;
    printf("ready %d %llu %llu\n", (int)getpid(), lb, sb);
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof(buf)) > 0)
        ;
    return 0;
}
