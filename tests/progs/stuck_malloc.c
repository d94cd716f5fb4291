/* tests/progs/stuck_malloc.c: a process that stays inside malloc. A thread
 * calls malloc_stats(), which holds main_arena's lock while it writes to
 * stderr; stderr is a pipe we filled and never read, so the write blocks
 * there for good (PC in write(), malloc.c frames further up the stack).
 * Prints "ready" on stdout, then waits until killed. */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *sm_stats(void *arg)
{
    (void)arg;
    malloc_stats();
    return NULL;
}

int main(void)
{
    void *keep = malloc(100);
    int p[2];
    if (keep == NULL || pipe(p) != 0)
        return 1;
    /* fill the pipe without blocking, then make writes block */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char buf[4096];
    memset(buf, 'x', sizeof(buf));
    while (write(p[1], buf, sizeof(buf)) > 0)
        ;
    fcntl(p[1], F_SETFL, 0);
    dup2(p[1], 2);
    pthread_t t;
    if (pthread_create(&t, NULL, sm_stats, NULL) != 0)
        return 1;
    usleep(200000); /* let it reach the blocking write */
    if (write(1, "ready\n", 6) != 6)
        return 1;
    for (;;)
        pause();
}
