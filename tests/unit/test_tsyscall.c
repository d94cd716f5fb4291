/* tests/unit/test_tsyscall.c: /proc/PID/task/TID/syscall's three forms
 * parsed to exact values, bad text refused, and a live thread of this
 * process seen asleep in read(2) on a pipe, with the pipe's descriptor as
 * the first argument, then seen no more once the call returned. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tsyscall.h"

static void test_parse(void **state)
{
    (void)state;
    tsyscall t;
    assert_int_equal(tsyscall_parse("running\n", &t), 0);
    assert_int_equal(t.state, TSYSCALL_RUNNING);

    assert_int_equal(tsyscall_parse("-1 0x7ffc8e2a1b40 0x7f3a12345678\n", &t), 0);
    assert_int_equal(t.state, TSYSCALL_NOCALL);
    assert_int_equal(t.sp, 0x7ffc8e2a1b40ULL);
    assert_int_equal(t.pc, 0x7f3a12345678ULL);

    assert_int_equal(tsyscall_parse("202 0x7f3a10000a10 0x80 0x2 0x0 0x0 0xffffffff "
                                    "0x7f3a0fffec40 0x7f3a1208f4d6\n",
                                    &t),
                     0);
    assert_int_equal(t.state, TSYSCALL_BLOCKED);
    assert_int_equal(t.nr, 202);
    assert_int_equal(t.arg[0], 0x7f3a10000a10ULL);
    assert_int_equal(t.arg[1], 0x80);
    assert_int_equal(t.arg[2], 2);
    assert_int_equal(t.arg[5], 0xffffffffULL);
    assert_int_equal(t.sp, 0x7f3a0fffec40ULL);
    assert_int_equal(t.pc, 0x7f3a1208f4d6ULL);

    assert_int_equal(tsyscall_parse("", &t), -1);
    assert_int_equal(t.state, TSYSCALL_UNKNOWN);
    assert_int_equal(tsyscall_parse("0 0x3 0x1\n", &t), -1);  /* cut short */
    assert_int_equal(tsyscall_parse("-1 0x1\n", &t), -1);     /* cut short */
    assert_int_equal(tsyscall_parse("-2 0x1 0x2\n", &t), -1); /* no such form */
    assert_int_equal(tsyscall_parse("runnin\n", &t), -1);
}

static int pipe_fd[2];

static void *reader(void *arg)
{
    (void)arg;
    char c;
    return (void *)(intptr_t)read(pipe_fd[0], &c, 1);
}

static void test_live(void **state)
{
    (void)state;
    assert_int_equal(pipe(pipe_fd), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader, NULL), 0);
    /* its tid: the task of this process asleep in read on the pipe */
    pid_t tid = 0;
    tsyscall t = {0};
    for (int i = 0; i < 5000 && t.state != TSYSCALL_BLOCKED; i++) {
        DIR *d = opendir("/proc/self/task");
        assert_non_null(d);
        for (struct dirent *e; tid == 0 && (e = readdir(d)) != NULL;) {
            pid_t cand = (pid_t)atoi(e->d_name);
            if (cand <= 0 || cand == getpid())
                continue;
            tsyscall_read(getpid(), cand, &t);
            if (t.state == TSYSCALL_BLOCKED && t.nr == SYS_read && t.arg[0] == (uint64_t)pipe_fd[0])
                tid = cand;
        }
        closedir(d);
        if (tid == 0) {
            t.state = TSYSCALL_UNKNOWN;
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
    }
    assert_int_not_equal(tid, 0);
    assert_int_equal(t.nr, SYS_read);
    assert_int_equal(t.arg[0], (uint64_t)pipe_fd[0]);
    assert_int_equal(t.arg[2], 1);
    assert_int_not_equal(t.pc, 0);
    assert_int_equal(write(pipe_fd[1], "x", 1), 1);
    void *ret;
    assert_int_equal(pthread_join(th, &ret), 0);
    assert_int_equal((intptr_t)ret, 1);
    tsyscall_read(getpid(), tid, &t); /* gone */
    assert_int_equal(t.state, TSYSCALL_UNKNOWN);
    close(pipe_fd[0]);
    close(pipe_fd[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
