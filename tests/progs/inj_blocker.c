/* tests/progs/inj_blocker.c: threads blocked in the system calls an injected
 * call must leave undisturbed -- read (stdin), accept (unix socket argv[1]),
 * epoll_wait (fd 3), a condition variable with and without a timeout,
 * clock_nanosleep, sigsuspend (SIGUSR1 blocked outside it, as a program that
 * waits for a signal writes it) -- while the main thread sits in
 * pthread_join. Prints each
 * thread's id, then, as each call completes, what it returned; exits 0 only if
 * every call completed as if never interrupted. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, failures, started;
static const char *sock_path;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    pthread_mutex_lock(&mu);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    pthread_mutex_unlock(&mu);
}

static void report_tid(const char *name)
{
    say("tid %s %d\n", name, (int)gettid());
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
}

static void fail(const char *what, int e)
{
    say("%s FAIL %s\n", what, strerror(e));
    __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
}

static void *t_read(void *arg)
{
    (void)arg;
    report_tid("read");
    char c;
    ssize_t n = read(0, &c, 1);
    if (n != 1)
        fail("read", n < 0 ? errno : EIO);
    else
        say("read ok %c\n", c);
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *t_accept(void *arg)
{
    (void)arg;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s, 1) != 0) {
        fail("listen", errno);
        return NULL;
    }
    report_tid("accept");
    int c = accept(s, NULL, NULL);
    if (c < 0)
        fail("accept", errno);
    else
        say("accept ok\n");
    return NULL;
}

/* epoll_wait fails with EINTR after any ptrace stop (signal(7)); programs
 * retry, and so does this one, counting. */
static void *t_epoll(void *arg)
{
    (void)arg;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 3, &ev) != 0) {
        fail("epoll_ctl", errno);
        return NULL;
    }
    report_tid("epoll");
    int n;
    while ((n = epoll_wait(ep, &out, 1, -1)) < 0 && errno == EINTR)
        ;
    if (n != 1)
        fail("epoll", n < 0 ? errno : EIO);
    else
        say("epoll ok\n");
    return NULL;
}

static void *t_cond(void *arg)
{
    int timed = arg != NULL;
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    report_tid(timed ? "timedcond" : "cond");
    pthread_mutex_lock(&mu);
    while (!go) {
        int rc;
        if (timed) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 600;
            rc = pthread_cond_timedwait(&cv, &mu, &ts);
        } else {
            rc = pthread_cond_wait(&cv, &mu);
        }
        if (rc != 0) {
            pthread_mutex_unlock(&mu);
            fail(timed ? "timedcond" : "cond", rc);
            return NULL;
        }
    }
    pthread_mutex_unlock(&mu);
    say("%s ok\n", timed ? "timedcond" : "cond");
    return NULL;
}

static void *t_sleep(void *arg)
{
    (void)arg;
    report_tid("sleep");
    /* Until the read thread's byte arrives, in 100 ms naps that each must end
     * in full, not early with EINTR. */
    for (;;) {
        struct timespec d = {0, 100 * 1000 * 1000}, rem;
        int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &d, &rem);
        if (rc != 0) {
            fail("sleep", rc);
            return NULL;
        }
        if (__atomic_load_n(&go, __ATOMIC_SEQ_CST))
            break;
    }
    say("sleep ok\n");
    return NULL;
}

static volatile sig_atomic_t usr1_handled;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_handled = usr1_handled + 1;
}

/* Waits in sigsuspend until SIGUSR1's handler has run, then says how many
 * times it ran and whether SIGUSR1 is blocked again: one signal must wake it
 * exactly once, and the mask outside sigsuspend must be the program's. */
static void *t_sigsuspend(void *arg)
{
    (void)arg;
    sigset_t open, now;
    pthread_sigmask(SIG_BLOCK, NULL, &open);
    sigdelset(&open, SIGUSR1);
    report_tid("sigsuspend");
    while (usr1_handled == 0)
        sigsuspend(&open);
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    say("sigsuspend ok handled=%d mask=%s\n", (int)usr1_handled,
        sigismember(&now, SIGUSR1) ? "blocked" : "open");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: inj_blocker SOCKET-PATH (stdin and fd 3 are pipes)\n");
        return 2;
    }
    sock_path = argv[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* every thread inherits it */
    pthread_t t[7];
    void *(*fn[7])(void *) = {t_read, t_accept, t_epoll, t_cond, t_cond, t_sleep, t_sigsuspend};
    void *args[7] = {NULL, NULL, NULL, NULL, (void *)1, NULL, NULL};
    for (int i = 0; i < 7; i++)
        if (pthread_create(&t[i], NULL, fn[i], args[i]) != 0) {
            fprintf(stderr, "inj_blocker: pthread_create failed\n");
            return 1;
        }
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 7)
        usleep(1000);
    say("tid main %d\n", (int)getpid());
    for (int i = 0; i < 7; i++)
        pthread_join(t[i], NULL);
    say("done failures=%d\n", failures);
    unlink(sock_path);
    return failures == 0 ? 0 : 1;
}
