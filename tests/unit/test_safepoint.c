/* tests/unit/test_safepoint.c: lib/proc/safepoint -- which headers have the
 * safepoint, the state a thread's words stand for, reading them through
 * process_vm_readv (this process stands in for the target: its "threads"
 * are buffers, an unreadable one among them, more than one batch of them),
 * and the request's words as posted and withdrawn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "safepoint.h"

#define NTHREADS 300 /* more than one read's batch (256) */
#define TLS_OFFSET (-24)

static struct heapsnap_registry reg;
static struct heapsnap_safepoint_thread words[NTHREADS];

static void open_self(safepoint *sp)
{
    memset(&reg, 0, sizeof(reg));
    reg.version = 3;
    reg.safepoint_tls = TLS_OFFSET;
    reg.hook_pid = (uint64_t)getpid();
    assert_int_equal(safepoint_open(sp, getpid(), (uint64_t)(uintptr_t)&reg, &reg), 1);
}

static void test_open(void **state)
{
    (void)state;
    safepoint sp;
    struct heapsnap_registry h = {.version = 2, .safepoint_tls = TLS_OFFSET};
    assert_int_equal(safepoint_open(&sp, getpid(), 0x1000, &h), 0); /* version 2: none */
    h.version = 3;
    h.safepoint_tls = 0;
    assert_int_equal(safepoint_open(&sp, getpid(), 0x1000, &h), 0); /* not published */
    h.safepoint_tls = TLS_OFFSET;
    h.hook_pid = 4242;
    assert_int_equal(safepoint_open(&sp, getpid(), 0x1000, &h), 1);
    assert_int_equal(sp.park_addr, 0x1000 + 152);
    assert_int_equal(sp.tls, TLS_OFFSET);
    assert_int_equal(sp.target, 4242);
    assert_int_equal(sp.requester, (uint32_t)getpid()); /* one pid namespace */
    assert_int_equal(sp.posted, 0);
}

static void test_state_of(void **state)
{
    (void)state;
    struct heapsnap_safepoint_thread w = {0, 0};
    assert_int_equal(safepoint_state_of(&w), SAFEPOINT_OUTSIDE);
    w.inside = 2;
    assert_int_equal(safepoint_state_of(&w), SAFEPOINT_INSIDE);
    w.parked = 1; /* a signal handler allocating while parked: inside wins */
    assert_int_equal(safepoint_state_of(&w), SAFEPOINT_INSIDE);
    w.inside = 0;
    assert_int_equal(safepoint_state_of(&w), SAFEPOINT_PARKED);
}

static void test_read(void **state)
{
    (void)state;
    safepoint sp;
    open_self(&sp);
    uint64_t tp[NTHREADS];
    unsigned char st[NTHREADS];
    for (size_t i = 0; i < NTHREADS; i++) {
        words[i].inside = i % 3 == 1;
        words[i].parked = i % 3 == 2;
        tp[i] = (uint64_t)(uintptr_t)&words[i] - (uint64_t)TLS_OFFSET;
    }
    tp[5] = 0;      /* no thread pointer */
    tp[7] = 0x1000; /* unmapped: this one alone is unknown */
    tp[280] = 0x2000;
    memset(st, 0xff, sizeof(st));
    hs_err err = {{0}};
    assert_int_equal(safepoint_read(&sp, tp, NTHREADS, st, &err), 0);
    size_t counts[4] = {0};
    for (size_t i = 0; i < NTHREADS; i++) {
        int want = i == 5 || i == 7 || i == 280 ? SAFEPOINT_UNKNOWN
                   : i % 3 == 1                 ? SAFEPOINT_INSIDE
                   : i % 3 == 2                 ? SAFEPOINT_PARKED
                                                : SAFEPOINT_OUTSIDE;
        assert_int_equal(st[i], want);
        counts[st[i]]++;
    }
    assert_int_equal(counts[SAFEPOINT_UNKNOWN], 3);
    assert_int_equal(counts[SAFEPOINT_INSIDE], 98); /* 100 less 7 and 280 */
    assert_int_equal(counts[SAFEPOINT_PARKED], 99); /* 100 less 5 */
    assert_int_equal(counts[SAFEPOINT_OUTSIDE], 100);
}

static void test_read_gone(void **state)
{
    (void)state;
    safepoint sp;
    open_self(&sp);
    sp.pid = 0x7fffffff; /* no such process */
    uint64_t tp[1] = {(uint64_t)(uintptr_t)&words[0] - (uint64_t)TLS_OFFSET};
    unsigned char st[1];
    hs_err err = {{0}};
    assert_int_equal(safepoint_read(&sp, tp, 1, st, &err), -1);
    assert_string_equal(err.msg, "process 2147483647 exited while its threads' safepoint words "
                                 "were read.");
}

static void test_post_withdraw(void **state)
{
    (void)state;
    safepoint sp;
    open_self(&sp);
    hs_err err = {{0}};
    assert_int_equal(safepoint_withdraw(&sp, &err), 0); /* none posted: nothing written */
    reg.park = 99;
    assert_int_equal(safepoint_withdraw(&sp, &err), 0);
    assert_int_equal(reg.park, 99);
    reg.park = 0;
    assert_int_equal(safepoint_post(&sp, 1050, &err), 0);
    assert_true(reg.park != 0);
    assert_int_equal(reg.park, sp.posted);
    assert_int_equal(reg.park_timeout_ms, 1050);
    assert_int_equal(reg.park_requester, (uint32_t)getpid());
    assert_int_equal(reg.park_target, (uint32_t)getpid());
    assert_int_equal(reg.parks, 0); /* the hook's own counter is left alone */
    uint32_t first = sp.posted;
    assert_int_equal(safepoint_withdraw(&sp, &err), 0);
    assert_int_equal(reg.park, 0);
    assert_int_equal(sp.posted, 0);
    assert_int_equal(reg.park_timeout_ms, 1050);
    assert_int_equal(safepoint_post(&sp, 0, &err), 0);
    assert_true(sp.posted != first);          /* a new id per request */
    assert_int_equal(reg.park_timeout_ms, 1); /* never 0: the hook would take 60 s */
    assert_int_equal(safepoint_withdraw(&sp, &err), 0);

    sp.park_addr = 0x1000; /* unmapped */
    assert_int_equal(safepoint_post(&sp, 10, &err), -1);
    assert_true(strstr(err.msg, "cannot write the park request into process ") == err.msg);
    assert_int_equal(sp.posted, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open),          cmocka_unit_test(test_state_of),
        cmocka_unit_test(test_read),          cmocka_unit_test(test_read_gone),
        cmocka_unit_test(test_post_withdraw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
