/* tests/progs/cow_reaper.c: a process that must never notice heapsnap's
 * copy-on-write child. It builds a small heap, says "ready" through a file,
 * then (--children) forks a short-lived child every few milliseconds and
 * reaps them in its own SIGCHLD handler with waitpid(-1, ..., WNOHANG),
 * counting every pid that it did not fork itself ("foreign") and every
 * status it did not expect. SIGUSR1 writes the counts to the file; SIGUSR2
 * stops the forking and reaps what is left first.
 *
 * --no-clone instead installs a seccomp filter that fails the clone system
 * call with EPERM (a process that forbids fork), and forks nothing.
 *
 * Usage: cow_reaper STATUSFILE [--children | --no-clone] [--mb MB] */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CR_MAX_KIDS 200000

static const char *status_path;
static pid_t kids[CR_MAX_KIDS];
static volatile sig_atomic_t nkids, reaped, foreign, badstatus, want_status, stop_forking;

static void cr_say(const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", status_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) < 0)
        _exit(3);
    close(fd);
    rename(tmp, status_path);
}

static int cr_known(pid_t p)
{
    for (sig_atomic_t i = 0; i < nkids; i++)
        if (kids[i] == p)
            return 1;
    return 0;
}

static void cr_on_chld(int sig)
{
    (void)sig;
    int saved = errno, st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        reaped++;
        if (!cr_known(p))
            foreign++;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
            badstatus++;
    }
    errno = saved;
}

static void cr_on_usr1(int sig)
{
    (void)sig;
    want_status = 1;
}

static void cr_on_usr2(int sig)
{
    (void)sig;
    stop_forking = 1;
}

/* clone fails with EPERM; everything else is allowed. */
static void cr_no_clone(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("cow_reaper: seccomp");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cow_reaper STATUSFILE [--children | --no-clone] [--mb MB]\n");
        return 2;
    }
    status_path = argv[1];
    int children = 0, no_clone = 0;
    long mb = 8;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--children") == 0)
            children = 1;
        else if (strcmp(argv[i], "--no-clone") == 0)
            no_clone = 1;
        else if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc)
            mb = atol(argv[++i]);
    }
    /* A heap of small chunks, every tenth freed again. */
    uint64_t x = 88172645463325252ull;
    size_t n = (size_t)mb * 1024 * 1024 / 136;
    void **v = malloc(n * sizeof(*v));
    for (size_t i = 0; v != NULL && i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v[i] = malloc(16 + x % 240);
    }
    for (size_t i = 0; v != NULL && i < n; i += 10)
        free(v[i]);
    if (no_clone)
        cr_no_clone();
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = cr_on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = cr_on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = cr_on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    cr_say("ready\n");
    for (;;) {
        if (children && !stop_forking && nkids < CR_MAX_KIDS) {
            /* SIGCHLD held until the pid is on the list: the handler never
             * takes one of ours for a stranger. */
            sigprocmask(SIG_BLOCK, &chld, &old);
            pid_t p = fork();
            if (p == 0)
                _exit(7);
            if (p > 0)
                kids[nkids++] = p;
            sigprocmask(SIG_SETMASK, &old, NULL);
        }
        if (want_status) {
            want_status = 0;
            sigprocmask(SIG_BLOCK, &chld, &old);
            char text[256];
            snprintf(text, sizeof(text), "forked %d reaped %d foreign %d bad %d stopped %d\n",
                     (int)nkids, (int)reaped, (int)foreign, (int)badstatus, (int)stop_forking);
            sigprocmask(SIG_SETMASK, &old, NULL);
            cr_say(text);
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
}
