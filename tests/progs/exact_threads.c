/* tests/progs/exact_threads.c: thread churn for the hook's size-class
 * counters (tests/integration/exact_threads.sh). Prints "ready 0" and waits
 * for SIGUSR1; then runs THREADS threads one after another (more than the
 * hook's 1023 per-thread counter slots), each allocating 64 blocks of 24 to
 * 1000 bytes and freeing half of the previous thread's (a free in another
 * thread than the allocation's), and keeps the rest; prints "ready 1" and
 * waits to be killed. Usage: exact_threads THREADS */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PER_THREAD 64

static void **blocks;
static long nthreads;

static void *worker(void *arg)
{
    long t = (long)arg;
    for (long i = 0; i < PER_THREAD; i++)
        blocks[t * PER_THREAD + i] = malloc(24 + (size_t)((t * 131 + i * 71) % 977));
    if (t > 0)
        for (long i = 0; i < PER_THREAD; i += 2) {
            free(blocks[(t - 1) * PER_THREAD + i]);
            blocks[(t - 1) * PER_THREAD + i] = NULL;
        }
    return NULL;
}

int main(int argc, char **argv)
{
    nthreads = argc > 1 ? atol(argv[1]) : 0;
    if (nthreads <= 0) {
        fprintf(stderr, "usage: exact_threads THREADS\n");
        return 2;
    }
    blocks = calloc((size_t)nthreads * PER_THREAD, sizeof(*blocks));
    if (!blocks)
        return 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    printf("ready 0\n");
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    for (long t = 0; t < nthreads; t++) {
        pthread_t th;
        if (pthread_create(&th, NULL, worker, (void *)t) != 0 || pthread_join(th, NULL) != 0)
            return 1;
    }
    printf("ready 1\n");
    fflush(stdout);
    for (;;)
        pause();
}
