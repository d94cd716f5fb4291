/* tests/progs/hook_fork.c: fork() under the hook. The parent keeps 100 blocks
 * of 1000 bytes (before_fork), then forks 20 short-lived children while a
 * second thread hammers malloc/free (a child must never deadlock on a lock that
 * thread held), then forks one long-lived child that keeps 200 blocks of 2048
 * (child_leak) and starts its own endpoint on argv[3] through
 * heapsnap_http_start; the parent keeps 50 blocks of 3000 (parent_after).
 * Usage: hook_fork READYFILE CHILDREADYFILE CHILDADDR. Exit 1 on any failure. */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void *volatile kept[400];
static volatile int stop;

NOINLINE void before_fork(void)
{
    for (int i = 0; i < 100; i++)
        kept[i] = malloc(1000);
}

NOINLINE void child_leak(void)
{
    for (int i = 0; i < 200; i++)
        kept[100 + i] = malloc(2048);
}

NOINLINE void parent_after(void)
{
    for (int i = 0; i < 50; i++)
        kept[300 + i] = malloc(3000);
}

static void *hammer(void *arg)
{
    (void)arg;
    while (!stop) {
        void *p = malloc(64);
        free(p);
    }
    return NULL;
}

static void ready(const char *path)
{
    FILE *f = fopen(path, "w");
    fprintf(f, "ready %d\n", (int)getpid());
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    before_fork();

    pthread_t th;
    pthread_create(&th, NULL, hammer, NULL);
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(20); /* a deadlocked child dies and the parent notices */
            for (int k = 0; k < 1000; k++)
                free(malloc(100));
            _exit(0);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "hook_fork: child %d failed\n", i);
            return 1;
        }
    }
    stop = 1;
    pthread_join(th, NULL);

    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test's parent */
        child_leak();
        int (*start)(const char *) =
            (int (*)(const char *))dlsym(RTLD_DEFAULT, "heapsnap_http_start");
        if (!start || start(argv[3]) != 0) {
            perror("hook_fork: heapsnap_http_start");
            _exit(1);
        }
        ready(argv[2]);
        for (;;)
            pause();
    }
    parent_after();
    ready(argv[1]);
    for (;;)
        pause();
}
