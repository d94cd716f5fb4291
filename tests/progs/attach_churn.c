/* tests/progs/attach_churn.c: the target of the attach tests. THREADS threads
 * (default 4) allocate, resize and free without pause through every entry of
 * the malloc family, writing a pattern into each block and checking it before
 * the block goes, and the main thread dlopens and dlcloses libm; so a GOT
 * entry rewritten badly, a block freed by the wrong allocator, or an injected
 * call that disturbs a thread shows up in this program's own output. Runs until
 * its standard input reaches end of file, then prints "thread I ok" for each
 * worker and "done" and exits 0; on any mismatch prints "CORRUPT ..." and
 * exits 3. A line "r" on its input prints "ops N", the operations made so far
 * (bench/attachbench). Usage: attach_churn [THREADS] */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AC_SLOTS 256
#define AC_MAX_THREADS 16

static atomic_int ac_stop;
static atomic_ulong ac_ops; /* all threads' operations, added every 1024 */

struct ac_block {
    unsigned char *p;
    size_t n;
    unsigned char fill;
};

static void ac_corrupt(int t, const char *what, size_t n)
{
    printf("CORRUPT thread %d: %s (size %zu)\n", t, what, n);
    fflush(stdout);
    _exit(3);
}

static void ac_check(int t, const struct ac_block *b)
{
    if (b->n == 0)
        return;
    if (malloc_usable_size(b->p) < b->n)
        ac_corrupt(t, "malloc_usable_size below the size asked", b->n);
    if (b->p[0] != b->fill || b->p[b->n / 2] != b->fill || b->p[b->n - 1] != b->fill)
        ac_corrupt(t, "pattern changed", b->n);
}

static void *ac_worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    struct ac_block slot[AC_SLOTS];
    memset(slot, 0, sizeof(slot));
    uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(t + 1);
    unsigned long ops = 0;
    while (!atomic_load_explicit(&ac_stop, memory_order_relaxed)) {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        uint64_t r = s * 2685821657736338717ull;
        struct ac_block *b = &slot[r % AC_SLOTS];
        size_t n = 1 + (size_t)((r >> 16) % ((r >> 40) % 8 == 0 ? 65536 : 512));
        ac_check(t, b);
        unsigned kind = (unsigned)((r >> 8) % 8);
        void *p = NULL;
        if (kind == 0 && b->p != NULL) {
            p = realloc(b->p, n); /* keeps the old bytes up to the smaller size */
            if (p == NULL)
                ac_corrupt(t, "realloc failed", n);
            size_t keep = n < b->n ? n : b->n;
            if (((unsigned char *)p)[keep - 1] != b->fill)
                ac_corrupt(t, "realloc lost the contents", n);
            b->p = NULL;
        } else {
            free(b->p);
            b->p = NULL;
            switch (kind) {
            case 1:
                p = calloc(1, n);
                if (p != NULL && (((unsigned char *)p)[0] | ((unsigned char *)p)[n - 1]))
                    ac_corrupt(t, "calloc not zeroed", n);
                break;
            case 2:
                if (posix_memalign(&p, 64, n) != 0)
                    p = NULL;
                if (p != NULL && (uintptr_t)p % 64 != 0)
                    ac_corrupt(t, "posix_memalign misaligned", n);
                break;
            case 3:
                p = aligned_alloc(128, (n + 127) & ~(size_t)127);
                if (p != NULL && (uintptr_t)p % 128 != 0)
                    ac_corrupt(t, "aligned_alloc misaligned", n);
                break;
            case 4:
                p = memalign(32, n);
                if (p != NULL && (uintptr_t)p % 32 != 0)
                    ac_corrupt(t, "memalign misaligned", n);
                break;
            case 5:
                p = (r >> 20) % 64 == 0 ? valloc(n) : malloc(n);
                break;
            default:
                p = malloc(n);
                break;
            }
        }
        if (p == NULL)
            ac_corrupt(t, "allocation failed", n);
        b->p = p;
        b->n = n;
        b->fill = (unsigned char)(r >> 56);
        memset(b->p, b->fill, n);
        if (++ops % 1024 == 0)
            atomic_fetch_add_explicit(&ac_ops, 1024, memory_order_relaxed);
    }
    for (int i = 0; i < AC_SLOTS; i++) {
        ac_check(t, &slot[i]);
        free(slot[i].p);
    }
    return (void *)ops;
}

int main(int argc, char **argv)
{
    int nt = argc > 1 ? atoi(argv[1]) : 4;
    if (nt < 1 || nt > AC_MAX_THREADS) {
        fprintf(stderr, "usage: attach_churn [THREADS (1-16)]\n");
        return 2;
    }
    pthread_t th[AC_MAX_THREADS];
    for (int i = 0; i < nt; i++)
        if (pthread_create(&th[i], NULL, ac_worker, (void *)(intptr_t)i) != 0)
            return 1;
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    /* The main thread: dlopen/dlclose (objects loaded while attached are
     * patched too) until stdin ends. */
    char c;
    int dl = 0;
    for (;;) {
        fd_set in;
        FD_ZERO(&in);
        FD_SET(0, &in);
        struct timeval tv = {0, 20000};
        int r = select(1, &in, NULL, NULL, &tv);
        if (r > 0 && read(0, &c, 1) <= 0)
            break;
        if (r > 0 && c == 'r') { /* bench/attachbench reads the throughput */
            printf("ops %lu\n", atomic_load(&ac_ops));
            fflush(stdout);
        }
        void *h = dlopen("libm.so.6", RTLD_NOW);
        double (*cosf_)(double) = h ? (double (*)(double))dlsym(h, "cos") : NULL;
        if (cosf_ == NULL || cosf_(0.0) != 1.0)
            ac_corrupt(-1, "dlopen of libm failed", 0);
        char *s = strdup("dlopen");
        if (s == NULL || strcmp(s, "dlopen") != 0)
            ac_corrupt(-1, "strdup", 7);
        free(s);
        dlclose(h);
        dl++;
    }
    atomic_store(&ac_stop, 1);
    for (int i = 0; i < nt; i++) {
        void *ops;
        pthread_join(th[i], &ops);
        printf("thread %d ok%s\n", i, ops != NULL ? "" : " (no operations)");
    }
    printf("done dlopens=%s\n", dl > 0 ? "yes" : "no");
    return 0;
}
