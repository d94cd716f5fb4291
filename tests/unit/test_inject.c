/* tests/unit/test_inject.c: lib/proc/inject on tests/progs/inj_blocker, whose
 * threads sit in read, accept, epoll_wait, condition waits (with and without
 * a timeout), clock_nanosleep and pthread_join. Calls are injected into each
 * thread; every register must come back exactly, and the child's own output
 * must show each blocked call completing as if nothing had happened. */
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cowfork.h"
#include "inject.h"
#include "memsrc.h"
#include "ptstop.h"

extern char **environ;

#define NTHREADS 8
#define T_SIGSUSPEND 7
static const char *names[NTHREADS] = {"read",      "accept", "epoll", "cond",
                                      "timedcond", "sleep",  "main",  "sigsuspend"};

typedef struct child {
    pid_t pid;
    int in_w, ep_w, out_r;
    FILE *out;
    char sock[108];
    pid_t tid[NTHREADS];
} child;

static bool child_start(child *c)
{
    memset(c, 0, sizeof(*c));
    int in[2], ep[2], out[2];
    if (pipe(in) || pipe(ep) || pipe(out))
        return false;
    snprintf(c->sock, sizeof(c->sock), "/tmp/hs-inj-%d.sock", (int)getpid());
    unlink(c->sock);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, ep[0], 3);
    const char *root = getenv("top_builddir");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/progs/inj_blocker", root ? root : ".");
    char *argv[] = {path, c->sock, NULL};
    int r = posix_spawn(&c->pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(ep[0]);
    close(out[1]);
    if (r != 0)
        return false;
    c->in_w = in[1];
    c->ep_w = ep[1];
    c->out = fdopen(out[0], "r");
    char line[256];
    int seen = 0;
    while (seen < NTHREADS && fgets(line, sizeof(line), c->out)) {
        char name[32];
        int tid;
        if (sscanf(line, "tid %31s %d", name, &tid) != 2)
            continue;
        for (int i = 0; i < NTHREADS; i++)
            if (strcmp(name, names[i]) == 0) {
                c->tid[i] = tid;
                seen++;
            }
    }
    return seen == NTHREADS;
}

/* The system call thread tid is blocked in, from /proc; -1 while it runs. */
static long blocked_nr(pid_t pid, pid_t tid)
{
    char path[96], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -2;
    long nr = -1;
    if (fgets(buf, sizeof(buf), f) == NULL || sscanf(buf, "%ld", &nr) != 1)
        nr = -1;
    fclose(f);
    return nr;
}

static bool nr_expected(int i, long nr)
{
    switch (i) {
    case 0:
        return nr == SYS_read;
    case 1:
        return nr == SYS_accept || nr == SYS_accept4;
    case 2:
        return nr == SYS_epoll_wait || nr == SYS_epoll_pwait;
    case 5:
        return nr == SYS_clock_nanosleep || nr == SYS_nanosleep;
    case T_SIGSUSPEND:
        return nr == SYS_rt_sigsuspend;
    default:
        return nr == SYS_futex;
    }
}

/* Waits (on the condition, not a clock) until every thread sits in its call. */
static void child_wait_blocked(const child *c)
{
    for (int tries = 0; tries < 100000; tries++) {
        int ok = 0;
        for (int i = 0; i < NTHREADS; i++)
            ok += nr_expected(i, blocked_nr(c->pid, c->tid[i]));
        if (ok == NTHREADS)
            return;
        usleep(1000);
    }
    fail_msg("the child's threads never all blocked");
}

/* Makes every blocked call complete, reads the rest of the output, reaps. */
static void child_finish(child *c, char *all, size_t len)
{
    assert_int_equal(write(c->in_w, "x", 1), 1);
    assert_int_equal(write(c->ep_w, "e", 1), 1);
    assert_int_equal(kill(c->pid, SIGUSR1), 0);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", c->sock);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    size_t used = 0;
    all[0] = '\0';
    char line[256];
    while (fgets(line, sizeof(line), c->out) && used + strlen(line) < len) {
        memcpy(all + used, line, strlen(line) + 1);
        used += strlen(line);
    }
    close(s);
    fclose(c->out);
    close(c->in_w);
    close(c->ep_w);
    int st;
    assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("inj_blocker ended with status 0x%x:\n%s", st, all);
}

static void expect_all_ok(const char *all)
{
    static const char *want[] = {"read ok x\n",
                                 "accept ok\n",
                                 "epoll ok\n",
                                 "cond ok\n",
                                 "timedcond ok\n",
                                 "sleep ok\n",
                                 "sigsuspend ok handled=1 mask=blocked\n",
                                 "done failures=0\n"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (strstr(all, want[i]) == NULL)
            fail_msg("missing '%.*s' in the child's output:\n%s", (int)strlen(want[i]) - 1, want[i],
                     all);
}

static size_t get_xstate(pid_t tid, unsigned char *buf, size_t cap)
{
    struct iovec iov = {buf, cap};
    assert_int_equal(ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov), 0);
    return iov.iov_len;
}

/* Calls getpid and strlen in every thread; each comes back exactly. */
static void test_calls_in_blocked_threads(void **state)
{
    (void)state;
    child c;
    assert_true(child_start(&c));
    child_wait_blocked(&c);
    hs_err err = {{0}};
    inj_target *t = inj_open(c.pid, &err);
    assert_non_null(t);
    uint64_t fn_getpid, fn_strlen;
    assert_int_equal(inj_libc_symbol(t, "getpid", &fn_getpid, &err), 0);
    assert_int_equal(inj_libc_symbol(t, "strlen", &fn_strlen, &err), -1); /* an IFUNC */
    assert_int_equal(inj_libc_symbol(t, "confstr", &fn_strlen, &err), 0);
    ptstop *s = ptstop_stop_all(c.pid, &err);
    assert_non_null(s);
    static unsigned char x0[16384], x1[16384];
    for (int i = 0; i < NTHREADS; i++) {
        pid_t tid = c.tid[i];
        struct user_regs_struct before, after;
        assert_int_equal(ptrace(PTRACE_GETREGS, tid, NULL, &before), 0);
        size_t xl0 = get_xstate(tid, x0, sizeof(x0));
        /* A signal sent while the process is stopped: only the sigsuspend
         * thread takes it, and it must wake that thread once, after the
         * calls (its handler run during a call would leave the restarted
         * sigsuspend waiting for a signal already taken). */
        if (i == T_SIGSUSPEND)
            assert_int_equal(kill(c.pid, SIGUSR1), 0);
        inj_thread *it = inj_begin(t, tid, &err);
        if (it == NULL)
            fail_msg("inj_begin on %s: %s", names[i], err.msg);
        uint64_t ret = 0;
        assert_int_equal(inj_call(it, fn_getpid, NULL, 0, 0, &ret, &err), INJ_DONE);
        assert_int_equal(ret, (uint64_t)c.pid);
        /* confstr(_CS_PATH, buf, 64): a pointer argument, an exact result */
        char want[64];
        size_t wl = confstr(_CS_PATH, want, sizeof(want));
        uint64_t buf;
        assert_int_equal(
            inj_push(it, "................................................................", 64,
                     &buf, &err),
            0);
        uint64_t args[3] = {_CS_PATH, buf, 64};
        assert_int_equal(inj_call(it, fn_strlen, args, 3, 0, &ret, &err), INJ_DONE);
        assert_int_equal(ret, wl);
        assert_int_equal(inj_end(it, &err), 0);
        assert_int_equal(ptrace(PTRACE_GETREGS, tid, NULL, &after), 0);
        size_t xl1 = get_xstate(tid, x1, sizeof(x1));
        assert_int_equal(xl0, xl1);
        /* all FP/vector state as it was; only the XSAVE header's in-use
         * bits may differ (x87 marked in use after a restore of its init state) */
        assert_memory_equal(x0, x1, 512);
        assert_memory_equal(x0 + 520, x1 + 520, xl0 - 520);
        /* every register as it was, but orig_rax: what runs on resumption */
        int64_t resume = inj_resume_nr(before.rax, (int64_t)before.orig_rax);
        assert_int_equal((int64_t)after.orig_rax, resume);
        after.orig_rax = before.orig_rax;
        assert_memory_equal(&before, &after, sizeof(before));
        if (i == 0)
            assert_int_equal(resume, SYS_read); /* stopped with -ERESTARTSYS */
    }
    ptstop_detach_all(s);
    inj_close(t);
    char all[4096];
    child_finish(&c, all, sizeof(all));
    expect_all_ok(all);
}

/* heapsnap killed in the middle of a call: a helper process injects a long
 * call and is SIGKILLed while it runs; the kernel detaches, and the thread,
 * no longer traced, returns through its signal frame: its read goes on. */
static void test_killed_mid_call(void **state)
{
    (void)state;
    child c;
    assert_true(child_start(&c));
    child_wait_blocked(&c);
    int sync[2];
    assert_int_equal(pipe(sync), 0);
    pid_t helper = fork();
    assert_true(helper >= 0);
    if (helper == 0) {
        hs_err err = {{0}};
        inj_target *t = inj_open(c.pid, &err);
        uint64_t fn_usleep;
        if (t == NULL || inj_libc_symbol(t, "usleep", &fn_usleep, &err) != 0)
            _exit(1);
        ptstop *s = ptstop_stop_all(c.pid, &err);
        inj_thread *it = s ? inj_begin(t, c.tid[0], &err) : NULL;
        uint64_t args[1] = {200000};
        if (it == NULL || inj_call(it, fn_usleep, args, 1, 1000, NULL, &err) != INJ_RUNNING)
            _exit(1);
        if (write(sync[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(sync[1]);
    char r = 0;
    assert_int_equal(read(sync[0], &r, 1), 1);
    assert_int_equal(r, 'r');
    kill(helper, SIGKILL);
    int st;
    assert_int_equal(waitpid(helper, &st, 0), helper);
    close(sync[0]);
    char all[4096];
    child_finish(&c, all, sizeof(all));
    expect_all_ok(all);
}

/* A call that takes long while the other threads are let run a while (as
 * heapsnap does when a call waits for a lock one of them holds): the thread
 * running it stays in ptstop's list, and the call completes. */
static void test_others_run_meanwhile(void **state)
{
    (void)state;
    child c;
    assert_true(child_start(&c));
    child_wait_blocked(&c);
    hs_err err = {{0}};
    inj_target *t = inj_open(c.pid, &err);
    assert_non_null(t);
    uint64_t fn_usleep;
    assert_int_equal(inj_libc_symbol(t, "usleep", &fn_usleep, &err), 0);
    ptstop *s = ptstop_stop_all(c.pid, &err);
    assert_non_null(s);
    assert_int_equal(ptstop_nthreads(s), NTHREADS);
    inj_thread *it = inj_begin(t, c.tid[0], &err);
    assert_non_null(it);
    uint64_t args[1] = {100000};
    inj_status st = inj_call(it, fn_usleep, args, 1, 1000, NULL, &err);
    assert_int_equal(st, INJ_RUNNING);
    for (int round = 0; round < 2; round++) {
        bool run[NTHREADS];
        for (size_t i = 0; i < ptstop_nthreads(s); i++)
            run[i] = ptstop_thread_at(s, i)->tid != c.tid[0];
        if (ptstop_resume_some(s, run, 2000, &err) != 0)
            fail_msg("round %d: %s", round, err.msg);
        assert_int_equal(ptstop_nthreads(s), NTHREADS);
    }
    uint64_t ret = 1;
    assert_int_equal(inj_wait(it, 0, &ret, &err), INJ_DONE);
    assert_int_equal(ret, 0);
    assert_int_equal(inj_end(it, &err), 0);
    ptstop_detach_all(s);
    inj_close(t);
    char all[4096];
    child_finish(&c, all, sizeof(all));
    expect_all_ok(all);
}

/* /proc/PID/task/TID/comm without its newline. */
static void read_comm(pid_t pid, pid_t tid, char *out, size_t len)
{
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    assert_non_null(fgets(out, (int)len, f));
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

/* State (field 3) and exit signal (field 38) of /proc/PID/stat. */
static void proc_state(pid_t pid, char *state, int *exit_signal)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')') + 2;
    *state = *p;
    for (int field = 3; field < 38; p++)
        if (*p == ' ')
            field++;
    assert_int_equal(sscanf(p, "%d", exit_signal), 1);
}

/* The frozen child (inj_clone, through cowfork): forked on the main thread
 * blocked in pthread_join, it starts in a ptrace stop, with exit signal 0
 * and the process's memory; killed, it is a zombie of the process that
 * cowfork_zombies finds and cowfork_reap's second stop collects; and every
 * blocked call of the process completes as if nothing had happened. */
static void test_clone_and_reap(void **state)
{
    (void)state;
    child c;
    assert_true(child_start(&c));
    child_wait_blocked(&c);
    hs_err err = {{0}};
    cowfork *cf = cowfork_open(c.pid, &err);
    assert_non_null(cf);
    ptstop *s = ptstop_stop_all(c.pid, &err);
    assert_non_null(s);
    pid_t kid = 0;
    int cerr = -1;
    if (cowfork_fork(cf, c.tid[6], &kid, &cerr, &err) != 0)
        fail_msg("cowfork_fork: %s", err.msg);
    assert_int_equal(cerr, 0);
    assert_true(kid > 0);
    ptstop_detach_all(s);
    char st;
    int sig;
    proc_state(kid, &st, &sig);
    assert_int_equal(st, 't'); /* a ptrace stop: it never ran */
    assert_int_equal(sig, 0);
    /* its name marks it as heapsnap's; the thread's own name is back */
    char name[64];
    read_comm(kid, kid, name, sizeof(name));
    assert_string_equal(name, "heapsnap-frozen");
    read_comm(c.pid, c.tid[6], name, sizeof(name));
    assert_string_equal(name, "inj_blocker");
    /* the same memory: the main thread's stack above its stack pointer (its
     * callers' frames; the injection wrote only below it), from both */
    memsrc *mp = memsrc_open_pid(c.pid, 0, &err), *mk = memsrc_open_frozen(kid, 0, &err);
    assert_non_null(mp);
    assert_non_null(mk);
    s = ptstop_stop_all(c.pid, &err);
    assert_non_null(s);
    uint64_t sp = 0;
    for (size_t i = 0; i < ptstop_nthreads(s); i++)
        if (ptstop_thread_at(s, i)->tid == c.tid[6])
            sp = ptstop_thread_at(s, i)->regs.rsp;
    ptstop_detach_all(s);
    assert_true(sp != 0);
    unsigned char a[256], b[256];
    assert_int_equal(memsrc_read(mp, sp, sizeof(a), a), 0);
    assert_int_equal(memsrc_read(mk, sp, sizeof(b), b), 0);
    assert_memory_equal(a, b, sizeof(a));
    memsrc_close(mp);
    memsrc_close(mk);
    uint64_t pages = 99;
    assert_int_equal(cowfork_dirtied(cf, &pages, &err), 0);
    assert_true(pages < 16);
    assert_int_equal(cowfork_kill(cf, &err), 0);
    pid_t z[4];
    assert_int_equal(cowfork_zombies(c.pid, z, 4), 1);
    assert_int_equal(z[0], kid);
    uint64_t reap_us = 0;
    if (cowfork_reap(cf, &reap_us, &err) != 0)
        fail_msg("cowfork_reap: %s", err.msg);
    assert_true(reap_us > 0);
    assert_int_equal(cowfork_zombies(c.pid, z, 4), 0);
    assert_int_equal(kill(kid, 0), -1); /* gone, not even a zombie */
    cowfork_close(cf);
    char all[4096];
    child_finish(&c, all, sizeof(all));
    expect_all_ok(all);
}

static void test_restart_regs(void **state)
{
    (void)state;
    uint64_t rip = 0x1002, rax = (uint64_t)-512;
    inj_restart_regs(&rip, &rax, SYS_futex);
    assert_int_equal(rip, 0x1000);
    assert_int_equal(rax, SYS_futex);
    rip = 0x1002, rax = (uint64_t)-516;
    inj_restart_regs(&rip, &rax, SYS_clock_nanosleep);
    assert_int_equal(rip, 0x1000);
    assert_int_equal(rax, SYS_restart_syscall);
    rip = 0x1002, rax = (uint64_t)-4; /* EINTR: a result, kept */
    inj_restart_regs(&rip, &rax, SYS_epoll_wait);
    assert_int_equal(rip, 0x1002);
    assert_int_equal(rax, (uint64_t)-4);
    rip = 0x1002, rax = (uint64_t)-512; /* not in a system call */
    inj_restart_regs(&rip, &rax, -1);
    assert_int_equal(rip, 0x1002);
    assert_int_equal(inj_resume_nr((uint64_t)-513, SYS_read), SYS_read);
    assert_int_equal(inj_resume_nr((uint64_t)-514, SYS_read), SYS_read);
    assert_int_equal(inj_resume_nr((uint64_t)-516, SYS_nanosleep), SYS_restart_syscall);
    assert_int_equal(inj_resume_nr(5, SYS_read), -1);
    assert_int_equal(inj_resume_nr((uint64_t)-512, -1), -1);
}

static void test_not_glibc(void **state)
{
    (void)state;
    hs_err err = {{0}};
    const char *root = getenv("top_builddir");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/progs/snap_static", root ? root : ".");
    char status[64];
    snprintf(status, sizeof(status), "/tmp/hs-inj-static-%d", (int)getpid());
    unlink(status);
    char *argv[] = {path, status, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, path, NULL, NULL, argv, environ), 0);
    /* past its exec once it has written the file */
    for (int i = 0; i < 100000 && access(status, F_OK) != 0; i++)
        usleep(1000);
    inj_target *t = inj_open(pid, &err);
    assert_null(t);
    assert_non_null(strstr(err.msg, "statically linked or uses another C library"));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_regs),    cmocka_unit_test(test_calls_in_blocked_threads),
        cmocka_unit_test(test_killed_mid_call), cmocka_unit_test(test_others_run_meanwhile),
        cmocka_unit_test(test_not_glibc),       cmocka_unit_test(test_clone_and_reap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
