/* tests/progs/hook_leak.c: a single-threaded program for the hook's tests. It
 * allocates through every interposed function with known sizes (some blocks
 * kept, some freed, one realloc'd until it moves), writes "ready" to the file
 * named by argv[1], then waits to be killed; each SIGUSR1 makes it keep 10 more
 * blocks of 4096 bytes (leak_more). leak_malloc holds the most. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void *volatile keep[2000];
static int nkeep;
static volatile sig_atomic_t pending;

static void on_usr1(int sig)
{
    (void)sig;
    pending++;
}

NOINLINE void leak_more(void)
{
    for (int i = 0; i < 10 && nkeep < 2000; i++)
        keep[nkeep++] = malloc(4096);
}

NOINLINE void leak_malloc(void)
{
    for (int i = 0; i < 1000; i++) {
        keep[nkeep] = malloc(4096);
        memset(keep[nkeep++], 1, 4096);
    }
}

NOINLINE void churn(void)
{
    for (int i = 0; i < 1000; i++) {
        char *volatile p = malloc(4096);
        p[0] = 1;
        free(p);
    }
}

NOINLINE void leak_calloc(void)
{
    for (int i = 0; i < 100; i++)
        keep[nkeep++] = calloc(10, 100);
}

/* 16 bytes by malloc, then realloc'd to 32, 64, ... 65536: each realloc frees
 * the old block and allocates the new one, as the caller sees it. */
NOINLINE void grow_buffer(void)
{
    char *p = malloc(16);
    for (size_t n = 32; n <= 65536; n *= 2) {
        char *q = realloc(p, n);
        if (q == NULL)
            abort(); /* the test's counts would be wrong */
        p = q;
        memset(p, 2, n);
    }
    keep[nkeep++] = p;
}

NOINLINE void leak_aligned(void)
{
    for (int i = 0; i < 10; i++) {
        void *p = NULL;
        if (posix_memalign(&p, 64, 8192) == 0)
            keep[nkeep++] = p;
    }
    for (int i = 0; i < 5; i++)
        keep[nkeep++] = memalign(128, 100);
    for (int i = 0; i < 5; i++)
        keep[nkeep++] = aligned_alloc(256, 256);
    for (int i = 0; i < 3; i++)
        keep[nkeep++] = valloc(5000);
    keep[nkeep++] = reallocarray(NULL, 7, 11);
}

/* The NULL pointer's way through the hook (its filter cell is always set, so
 * it takes the slow path): realloc(NULL, n) allocates, free(NULL) does nothing. */
NOINLINE void realloc_null(void)
{
    void *volatile none = NULL;
    free(none);
    keep[nkeep++] = realloc(none, 24);
}

int main(int argc, char **argv)
{
    signal(SIGUSR1, on_usr1);
    leak_malloc();
    churn();
    leak_calloc();
    grow_buffer();
    leak_aligned();
    realloc_null();
    /* malloc_usable_size still answers for hooked blocks. */
    if (malloc_usable_size(keep[0]) < 4096)
        return 1;
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        fprintf(f, "ready %d\n", (int)getpid());
        fclose(f);
    }
    for (;;) {
        pause();
        for (; pending > 0; pending--)
            leak_more();
    }
}
