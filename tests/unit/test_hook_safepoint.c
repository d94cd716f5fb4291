/* tests/unit/test_hook_safepoint.c: hook/hook_safepoint -- the inside word
 * nests, a thread parks only when its outermost call ends with a request
 * posted, a parked thread goes on when the request is withdrawn (no wake
 * needed) and withdraws a request itself when it was left by a poster that is
 * gone, meant for another process, or kept for its timeout; a fork child
 * starts without one; errno survives a park. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hook_safepoint.h"

/* hook_init.c owns this in the library (an alias of heapsnap_registry), and
 * hook_malloc.c the thread's words. */
struct heapsnap_registry hook_registry;
__thread struct hook_thread hook_thread __attribute__((tls_model("initial-exec")));

static void post(uint32_t id, uint32_t timeout_ms, uint32_t requester, uint32_t target)
{
    hook_registry.park_timeout_ms = timeout_ms;
    hook_registry.park_requester = requester;
    hook_registry.park_target = target;
    __atomic_store_n(&hook_registry.park, id, __ATOMIC_RELEASE);
}

static int reset(void **state)
{
    (void)state;
    memset(&hook_registry, 0, sizeof(hook_registry));
    hook_thread.sp.inside = hook_thread.sp.parked = 0;
    return 0;
}

static void test_start_publishes_tls_offset(void **state)
{
    (void)state;
    hook_safepoint_start(&hook_registry);
    char *tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    assert_true(hook_registry.safepoint_tls < 0); /* x86-64: TLS below the TCB */
    assert_ptr_equal(tp + hook_registry.safepoint_tls, (char *)&hook_thread.sp);
}

static void test_inside_nests(void **state)
{
    (void)state;
    hook_safepoint_enter();
    hook_safepoint_enter(); /* a signal handler's malloc inside malloc */
    assert_int_equal(hook_thread.sp.inside, 2);
    hook_safepoint_exit();
    assert_int_equal(hook_thread.sp.inside, 1);
    hook_safepoint_exit();
    assert_int_equal(hook_thread.sp.inside, 0);
    assert_int_equal(hook_registry.parks, 0);
}

/* The inner call of two ends: no park, the request stays for the outer. */
static void test_no_park_inside_outer_call(void **state)
{
    (void)state;
    hook_safepoint_enter();
    hook_safepoint_enter();
    post(7, 20, (uint32_t)getpid(), (uint32_t)getpid());
    hook_safepoint_exit();
    assert_int_equal(hook_registry.parks, 0);
    assert_int_equal(hook_registry.park, 7);
    hook_registry.park = 0;
    hook_safepoint_exit();
    assert_int_equal(hook_registry.parks, 0);
}

/* Kept for its whole timeout (the poster, this process, lives on): the
 * thread parks once, then withdraws the request for everybody. */
static void test_timeout_withdraws(void **state)
{
    (void)state;
    post(11, 30, (uint32_t)getpid(), (uint32_t)getpid());
    errno = 1234;
    hook_safepoint_enter();
    hook_safepoint_exit();
    assert_int_equal(errno, 1234);
    assert_int_equal(hook_registry.parks, 1);
    assert_int_equal(hook_registry.park, 0);
    assert_int_equal(hook_thread.sp.parked, 0);
}

static void test_stale_target_withdrawn_without_park(void **state)
{
    (void)state;
    /* 2^31 - 1 is above any pid_max: a request for another process. */
    post(12, 60000, (uint32_t)getpid(), 0x7fffffffu);
    hook_safepoint_enter();
    hook_safepoint_exit();
    assert_int_equal(hook_registry.parks, 0);
    assert_int_equal(hook_registry.park, 0);
}

static void test_gone_poster_withdrawn_without_park(void **state)
{
    (void)state;
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    assert_true(child > 0);
    int st;
    assert_int_equal(waitpid(child, &st, 0), child); /* reaped: the pid is gone */
    post(13, 60000, (uint32_t)child, (uint32_t)getpid());
    hook_safepoint_enter();
    hook_safepoint_exit();
    assert_int_equal(hook_registry.parks, 0);
    assert_int_equal(hook_registry.park, 0);
}

static struct heapsnap_safepoint_thread *parker_words;

static void *parker(void *arg)
{
    (void)arg;
    __atomic_store_n(&parker_words, &hook_thread.sp, __ATOMIC_RELEASE);
    hook_safepoint_enter();
    hook_safepoint_exit(); /* parks until the request is withdrawn */
    return NULL;
}

/* heapsnap withdraws by writing the word, without a wake: the parked thread
 * sees it at its next recheck (or, when ptrace-stopped, on the restart). */
static void test_withdrawn_request_releases(void **state)
{
    (void)state;
    parker_words = NULL;
    post(21, 60000, (uint32_t)getpid(), (uint32_t)getpid());
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, parker, NULL), 0);
    struct heapsnap_safepoint_thread *w;
    while ((w = __atomic_load_n(&parker_words, __ATOMIC_ACQUIRE)) == NULL ||
           __atomic_load_n(&w->parked, __ATOMIC_ACQUIRE) == 0)
        sched_yield();
    assert_int_equal(w->inside, 0);
    assert_int_equal(hook_registry.parks, 1);
    __atomic_store_n(&hook_registry.park, 0, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(hook_registry.parks, 1);
    /* Its words are gone with it; the main thread never parked. */
    assert_int_equal(hook_thread.sp.parked, 0);
}

/* A fork child: with the atfork handler the request is gone at once; a
 * child of a raw fork (no handlers) finds it meant for its parent. */
static void test_fork_child(void **state)
{
    (void)state;
    for (int handler = 0; handler < 2; handler++) {
        post(31, 60000, (uint32_t)getpid(), (uint32_t)getpid());
        pid_t child = fork();
        if (child == 0) {
            if (handler)
                hook_safepoint_atfork_child(&hook_registry);
            int cleared_by_handler = hook_registry.park == 0;
            hook_safepoint_enter();
            hook_safepoint_exit();
            _exit(hook_registry.parks == 0 && hook_registry.park == 0 &&
                          cleared_by_handler == handler
                      ? 0
                      : 1);
        }
        int st;
        assert_int_equal(waitpid(child, &st, 0), child);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
        assert_int_equal(hook_registry.park, 31); /* the parent's is its own */
        hook_registry.park = 0;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_start_publishes_tls_offset, reset),
        cmocka_unit_test_setup(test_inside_nests, reset),
        cmocka_unit_test_setup(test_no_park_inside_outer_call, reset),
        cmocka_unit_test_setup(test_timeout_withdraws, reset),
        cmocka_unit_test_setup(test_stale_target_withdrawn_without_park, reset),
        cmocka_unit_test_setup(test_gone_poster_withdrawn_without_park, reset),
        cmocka_unit_test_setup(test_withdrawn_request_releases, reset),
        cmocka_unit_test_setup(test_fork_child, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
