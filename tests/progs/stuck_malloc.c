/* tests/progs/stuck_malloc.c: a process that stays inside malloc. A thread
 * calls malloc_stats(), which holds main_arena's lock while it writes to
 * stderr; stderr is a pipe we filled and never read, so the write blocks
 * there for good (PC in write(), malloc.c frames further up the stack).
 * Prints "ready" on stdout, then waits until killed. */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "full_stderr.h"

static void *sm_stats(void *arg)
{
    (void)arg;
    malloc_stats();
    return NULL;
}

static void *keep; /* a chunk in the heap before the lock is taken */

int main(void)
{
    keep = malloc(100);
    if (keep == NULL || full_stderr() != 0)
        return 1;
    pthread_t t;
    if (pthread_create(&t, NULL, sm_stats, NULL) != 0)
        return 1;
    usleep(200000); /* let it reach the blocking write */
    if (write(1, "ready\n", 6) != 6)
        return 1;
    for (;;)
        pause();
}
