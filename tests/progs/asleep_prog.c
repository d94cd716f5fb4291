/* tests/progs/asleep_prog.c: threads asleep in known places, for
 * hproc_asleep_outside (tests/unit/test_heap_process.c). With one arena
 * (M_ARENA_MAX 1): "holder" blocks in malloc_stats()'s write to a full pipe
 * holding main_arena's lock (tests/progs/full_stderr.h), and "waiter" then blocks
 * in its first malloc on that lock (a futex wait inside malloc); "reader"
 * sleeps in read(2) on a pipe, "sleeper" in nanosleep, "cond" in
 * pthread_cond_wait, and "spinner" never sleeps. Prints one line
 * "ready reader=T sleeper=T cond=T waiter=T spinner=T holder=T" (thread ids)
 * with write(2) -- stdio would malloc its buffer and block on the lock --
 * then waits until killed. */
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "full_stderr.h"

enum { READER, SLEEPER, COND, WAITER, SPINNER, HOLDER, NROLES };
static const char *const role_name[NROLES] = {"reader", "sleeper", "cond",
                                              "waiter", "spinner", "holder"};
static volatile pid_t tid[NROLES];
static int idle_pipe[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t go;
static void *volatile sink; /* the malloc must stay */

static void *run(void *arg)
{
    int role = (int)(long)arg;
    tid[role] = (pid_t)syscall(SYS_gettid);
    char c;
    switch (role) {
    case READER:
        if (read(idle_pipe[0], &c, 1) < 0)
            return NULL;
        break;
    case SLEEPER:
        nanosleep(&(struct timespec){100000, 0}, NULL);
        break;
    case COND:
        pthread_mutex_lock(&mu);
        for (;;)
            pthread_cond_wait(&cv, &mu);
    case WAITER:
        sem_wait(&go);
        sink = malloc(100);
        break;
    case SPINNER:
        for (volatile unsigned long i = 0;; i++)
            ;
    case HOLDER:
        malloc_stats();
        break;
    default:
        break;
    }
    return NULL;
}

int main(void)
{
    mallopt(M_ARENA_MAX, 1);
    if (pipe(idle_pipe) != 0 || sem_init(&go, 0, 0) != 0 || full_stderr() != 0)
        return 1;
    pthread_t t;
    for (long r = 0; r < NROLES; r++)
        if (pthread_create(&t, NULL, run, (void *)r) != 0)
            return 1;
    nanosleep(&(struct timespec){0, 200000000}, NULL); /* the holder blocks */
    sem_post(&go);
    nanosleep(&(struct timespec){0, 200000000}, NULL); /* the waiter blocks */
    char line[256];
    int n = snprintf(line, sizeof(line), "ready");
    for (int r = 0; r < NROLES; r++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%d", role_name[r], (int)tid[r]);
    line[n++] = '\n';
    if (write(1, line, (size_t)n) != n)
        return 1;
    for (;;)
        pause();
}
