/* tests/progs/hook_threads.c: a multi-threaded program for the hook's tests.
 * Four threads each keep 500 blocks of 1024 bytes (thread_leak) and churn
 * 1000 more; one thread allocates 1000 blocks of 512 bytes (handoff_alloc)
 * that main frees. Writes "ready" to argv[1], then waits to be killed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define NTHREADS 4

static void *kept[NTHREADS][500];
static void *handoff[1000];

NOINLINE void thread_leak(int t)
{
    for (int i = 0; i < 500; i++) {
        kept[t][i] = malloc(1024);
        memset(kept[t][i], t, 1024);
    }
}

NOINLINE void thread_churn(void)
{
    for (int i = 0; i < 1000; i++) {
        char *volatile p = malloc(256);
        p[0] = 1;
        free(p);
    }
}

NOINLINE void handoff_alloc(void)
{
    for (int i = 0; i < 1000; i++)
        handoff[i] = malloc(512);
}

static void *worker(void *arg)
{
    int t = (int)(long)arg;
    thread_leak(t);
    thread_churn();
    if (t == 0)
        handoff_alloc();
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[NTHREADS];
    for (long t = 0; t < NTHREADS; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    for (int i = 0; i < 1000; i++)
        free(handoff[i]); /* freed by another thread than the one that allocated */
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        fprintf(f, "ready\n");
        fclose(f);
    }
    for (;;)
        pause();
}
