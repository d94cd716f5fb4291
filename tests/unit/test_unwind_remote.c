/* tests/unit/test_unwind_remote.c: lib/proc/uwr on a child blocked in a
 * known function (tests/progs/symtest's symtest_block). Its stack must come
 * out exactly as libunwind-ptrace's own unwinder (lib/thread_stacks) sees it,
 * with every procedure found through the search tables located up front. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "memsrc.h"
#include "procmaps.h"
#include "symbolize.h"
#include "symtest_child.h"
#include "thread_stacks.h"
#include "uwr.h"

typedef struct fixture {
    symtest_child c;
    procmaps *pm;
    memsrc *m;
    uwr *u;
    struct user_regs_struct regs;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (f == NULL || !symtest_child_start(&f->c, NULL) || !symtest_child_wait_blocked(&f->c))
        return -1;
    hs_err err;
    f->pm = procmaps_read(f->c.pid, &err);
    f->m = memsrc_open_pid(f->c.pid, 0, &err);
    if (f->pm == NULL || f->m == NULL)
        return -1;
    /* Prepared while the child runs, as heapsnap does before its stop. */
    f->u = uwr_open(f->c.pid, f->pm, f->m);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    uwr_close(f->u);
    memsrc_close(f->m);
    procmaps_free(f->pm);
    symtest_child_stop(&f->c);
    free(f);
    return 0;
}

static bool stop_child(fixture *f)
{
    pid_t pid = f->c.pid;
    int st;
    return ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0 &&
           ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == 0 && waitpid(pid, &st, __WALL) == pid &&
           WIFSTOPPED(st) && ptrace(PTRACE_GETREGS, pid, NULL, &f->regs) == 0;
}

static void test_same_stack_as_libunwind_ptrace(void **state)
{
    fixture *f = *state;
    assert_non_null(f->u);
    uwr_stats s0 = uwr_get_stats(f->u);
    /* symtest, libc, ld.so and the vdso all carry .eh_frame_hdr */
    assert_true(s0.objects >= 4);
    assert_int_equal(s0.objects_with_table, s0.objects);
    assert_int_equal(s0.table_lookups, 0);

    if (!stop_child(f) && errno == EPERM) /* ptrace not allowed here (yama, seccomp) */
        skip();
    uint64_t pcs[64];
    int n = uwr_frames(f->u, &f->regs, pcs, 64);
    hs_err err;
    tstacks *t = tstacks_capture(f->c.pid, &f->c.pid, 1, &err);
    /* An unwind with a frame budget of 2 stops after two frames. */
    uint64_t two[2];
    int n2 = uwr_frames(f->u, &f->regs, two, 2);
    ptrace(PTRACE_DETACH, f->c.pid, NULL, NULL);

    assert_non_null(t);
    assert_int_equal(t->n, 1);
    assert_true(n >= 3);
    assert_int_equal((size_t)n, t->v[0].n);
    for (int i = 0; i < n; i++)
        assert_int_equal(pcs[i], t->v[0].pc[i]);
    assert_int_equal(pcs[0], f->regs.rip);
    assert_int_equal(n2, 2);
    assert_int_equal(two[0], pcs[0]);
    assert_int_equal(two[1], pcs[1]);

    /* One frame is symtest_block, at its read() call. */
    sym_ctx *sc = sym_open(f->c.pid, &err);
    assert_non_null(sc);
    int block = -1;
    for (int i = 1; i < n && block < 0; i++) {
        sym_frame fr[8];
        size_t k = sym_lookup(sc, pcs[i], true, fr, 8);
        if (k > 0 && strcmp(fr[k - 1].function, "symtest_block") == 0)
            block = i;
    }
    sym_close(sc);
    tstacks_free(t);
    assert_true(block >= 1);

    /* Every procedure came from the tables found before the stop. */
    uwr_stats s = uwr_get_stats(f->u);
    assert_true(s.table_lookups >= 1);
    assert_int_equal(s.fallback_lookups, 0);
}

static void test_bad_input(void **state)
{
    fixture *f = *state;
    uint64_t pcs[4];
    assert_int_equal(uwr_frames(NULL, &f->regs, pcs, 4), -1);
    assert_int_equal(uwr_frames(f->u, NULL, pcs, 4), -1);
    assert_int_equal(uwr_frames(f->u, &f->regs, pcs, 0), -1);
    /* A pc in no mapping: the leaf is reported, then the unwind ends. */
    struct user_regs_struct r;
    memset(&r, 0, sizeof(r));
    r.rip = 0x1000;
    r.rsp = 0x2000;
    int n = uwr_frames(f->u, &r, pcs, 4);
    assert_true(n <= 1);
    if (n == 1)
        assert_int_equal(pcs[0], 0x1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_stack_as_libunwind_ptrace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
