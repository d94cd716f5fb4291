/* tests/unit/test_hook_forklock.c: hook/hook_forklock -- shared holders
 * nest across threads, the exclusive hold waits for every shared holder to
 * leave, new shared holders wait for the exclusive one, and the forking
 * thread itself passes through. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hook_forklock.h"
#include "hook_internal.h"

/* hook_malloc.c owns this in the library. */
__thread struct hook_thread hook_thread __attribute__((tls_model("initial-exec")));

static int in_section, seen_by_writer = -1, reader_got_in;

static void *holder(void *arg)
{
    (void)arg;
    bool taken = hook_forklock_shared();
    in_section = 1;
    /* Give the writer every chance to get in too early. */
    for (int i = 0; i < 1000; i++)
        sched_yield();
    in_section = 2;
    hook_forklock_unshare(taken);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&in_section, __ATOMIC_ACQUIRE) == 0)
        sched_yield();
    hook_forklock_exclusive();
    seen_by_writer = __atomic_load_n(&in_section, __ATOMIC_ACQUIRE);
    hook_forklock_release();
    return NULL;
}

static void test_exclusive_waits_for_shared(void **state)
{
    (void)state;
    pthread_t a, b;
    pthread_create(&a, NULL, holder, NULL);
    pthread_create(&b, NULL, writer, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(seen_by_writer, 2);
}

static void *late_reader(void *arg)
{
    (void)arg;
    bool taken = hook_forklock_shared();
    __atomic_store_n(&reader_got_in, 1, __ATOMIC_RELEASE);
    hook_forklock_unshare(taken);
    return NULL;
}

static void test_shared_waits_for_exclusive(void **state)
{
    (void)state;
    hook_forklock_exclusive();
    /* The forking thread itself passes (and takes nothing). */
    assert_false(hook_forklock_shared());
    hook_forklock_unshare(false);
    pthread_t r;
    pthread_create(&r, NULL, late_reader, NULL);
    for (int i = 0; i < 1000; i++)
        sched_yield();
    int before = __atomic_load_n(&reader_got_in, __ATOMIC_ACQUIRE);
    hook_forklock_release();
    pthread_join(r, NULL);
    assert_int_equal(before, 0);
    assert_int_equal(reader_got_in, 1);
    /* Free again: a shared hold on this thread is a real one now. */
    bool taken = hook_forklock_shared();
    assert_true(taken);
    hook_forklock_unshare(taken);
}

static void test_reset_in_child(void **state)
{
    (void)state;
    bool taken = hook_forklock_shared();
    assert_true(taken);
    hook_forklock_unshare(taken);
    hook_forklock_exclusive();
    hook_forklock_reset_child();
    taken = hook_forklock_shared();
    assert_true(taken);
    hook_forklock_unshare(taken);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exclusive_waits_for_shared),
        cmocka_unit_test(test_shared_waits_for_exclusive),
        cmocka_unit_test(test_reset_in_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
