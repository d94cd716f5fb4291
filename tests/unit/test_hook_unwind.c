/* tests/unit/test_hook_unwind.c: the hook's cached CFI unwinder gives the
 * same return addresses as libunwind on the same stacks: recursion at -O2,
 * frames addressed through rbp (a variable-length array), frames inside libc
 * (qsort's comparator), another thread's stack (ending at clone3) and the
 * main thread's (ending at _start); a signal frame makes it hand over to
 * libunwind (-1); a second capture of the same stack computes no rule. */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "../../hook/hook_unwind.h"

#define MAXF 80

struct capture {
    void *mine[MAXF], *theirs[MAXF];
    int nmine, ntheirs;
};

/* Both captures from one frame: entry 0 is each call's own return address,
 * every later entry must agree. */
static __attribute__((noinline)) void capture_both(struct capture *c)
{
    c->nmine = hook_unwind_backtrace(c->mine, MAXF);
    c->ntheirs = unw_backtrace(c->theirs, MAXF);
    __asm__ volatile("" ::: "memory");
}

static void assert_same(const struct capture *c)
{
    assert_true(c->nmine > 3);
    assert_int_equal(c->nmine, c->ntheirs);
    for (int i = 1; i < c->nmine; i++)
        assert_ptr_equal(c->mine[i], c->theirs[i]);
}

static volatile int sink;

static __attribute__((noinline)) void recurse(struct capture *c, int depth)
{
    if (depth == 0)
        capture_both(c);
    else
        recurse(c, depth - 1);
    sink = depth; /* no tail call */
}

static volatile int rounds = 2; /* not a constant: the loop keeps one call site */

static void test_recursion(void **state)
{
    (void)state;
    struct capture c;
    uint64_t before = 0;
    for (int round = 0; round < rounds; round++) {
        before = hook_unwind_computed();
        recurse(&c, 20);
        assert_same(&c);
        assert_true(c.nmine > 22);
    }
    assert_int_equal(hook_unwind_computed(), before); /* every rule from the cache */
}

/* The distinct return addresses of a capture: the rules its walk needs. */
static uint64_t distinct_frames(const struct capture *c)
{
    uint64_t n = 0;
    for (int i = 0; i < c->nmine; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = c->mine[j] == c->mine[i];
        n += !seen;
    }
    return n;
}

/* After hook_unwind_forget (an object unloaded) no cached rule is used: the
 * same stack takes one rule computed again per distinct return address and
 * comes out the same; the next capture is from the cache again. One call
 * site for the three captures (rounds is volatile: no unrolling). */
static void test_forget(void **state)
{
    (void)state;
    struct capture c = {{0}, {0}, 0, 0};
    uint64_t delta[3] = {0, 0, 0};
    for (int round = 0; round < rounds + 1 && round < 3; round++) {
        if (round == 1)
            hook_unwind_forget();
        uint64_t before = hook_unwind_computed();
        recurse(&c, 20);
        assert_same(&c);
        delta[round] = hook_unwind_computed() - before;
    }
    assert_true(distinct_frames(&c) >= 4);
    assert_int_equal(delta[1], distinct_frames(&c));
    assert_int_equal(delta[2], 0);
}

/* A variable-length array: gcc addresses the frame through rbp. */
static __attribute__((noinline)) void vla_frame(struct capture *c, int n)
{
    volatile char buf[n];
    buf[0] = 1;
    capture_both(c);
    sink = (unsigned char)buf[0];
}

static void test_rbp_frame(void **state)
{
    (void)state;
    struct capture c;
    vla_frame(&c, 100 + sink);
    assert_same(&c);
    /* The rule at the return address into vla_frame (entry 1; 0 is in
     * capture_both): CFA = rbp + 16, rbp
     * saved at CFA - 16 (push %rbp; mov %rsp, %rbp). */
    struct dl_find_object obj;
    uint64_t ra = (uint64_t)(uintptr_t)c.mine[1];
    assert_int_equal(_dl_find_object((void *)(uintptr_t)(ra - 1), &obj), 0);
    struct hook_unwind_rule r = hook_unwind_rule_at(obj.dlfo_eh_frame, ra - 1);
    assert_int_equal(r.kind, HOOK_UNWIND_STEP);
    assert_int_equal(r.cfa_rbp, 1);
    assert_int_equal(r.cfa_off, 16);
    assert_int_equal(r.rbp_saved, 1);
    assert_int_equal(r.rbp_off, -16);
}

static struct capture qsort_capture;
static int qsort_done;

static int cmp_capture(const void *a, const void *b)
{
    if (!qsort_done) {
        qsort_done = 1;
        capture_both(&qsort_capture);
    }
    return *(const int *)a - *(const int *)b;
}

static void test_through_libc(void **state)
{
    (void)state;
    int v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (i * 37) % 64;
    qsort_done = 0;
    qsort(v, 64, sizeof(v[0]), cmp_capture);
    assert_same(&qsort_capture);
    Dl_info info;
    int in_libc = 0;
    for (int i = 1; i < qsort_capture.nmine; i++)
        if (dladdr(qsort_capture.mine[i], &info) && info.dli_fname &&
            strstr(info.dli_fname, "libc.so"))
            in_libc++;
    assert_true(in_libc >= 1);
}

static void *thread_main(void *arg)
{
    recurse(arg, 5);
    return NULL;
}

static void test_thread_stack(void **state)
{
    (void)state;
    struct capture c;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_main, &c), 0);
    pthread_join(t, NULL);
    assert_same(&c);
}

static struct capture sig_capture;

static void on_signal(int sig)
{
    (void)sig;
    capture_both(&sig_capture);
}

static void test_signal_frame(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, &old);
    raise(SIGUSR1);
    sigaction(SIGUSR1, &old, NULL);
    assert_int_equal(sig_capture.nmine, -1); /* handed over to libunwind */
    assert_true(sig_capture.ntheirs > 3);
}

/* The search table's edges: an address before every FDE has no rule. */
static void test_no_fde(void **state)
{
    (void)state;
    struct dl_find_object obj;
    assert_int_equal(_dl_find_object((void *)(uintptr_t)&recurse, &obj), 0);
    struct hook_unwind_rule r = hook_unwind_rule_at(obj.dlfo_eh_frame, 1);
    assert_int_equal(r.kind, HOOK_UNWIND_NOINFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recursion),    cmocka_unit_test(test_forget),
        cmocka_unit_test(test_rbp_frame),    cmocka_unit_test(test_through_libc),
        cmocka_unit_test(test_thread_stack), cmocka_unit_test(test_signal_frame),
        cmocka_unit_test(test_no_fde),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
