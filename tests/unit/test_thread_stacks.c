/* tests/unit/test_thread_stacks.c: lib/thread_stacks on a child blocked in a
 * known function (tests/progs/symtest's symtest_block): the test seizes and
 * interrupts it itself, unwinds, symbolizes, builds the threads/count profile
 * and detaches. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "pprof.h"
#include "symbolize.h"
#include "thread_stacks.h"
#include "symtest_child.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool seize_and_stop(pid_t pid)
{
    if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0)
        return false;
    if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) != 0)
        return false;
    int st;
    return waitpid(pid, &st, __WALL) == pid && WIFSTOPPED(st);
}

static void test_blocked_child(void **state)
{
    (void)state;
    symtest_child c;
    bool ok = symtest_child_start(&c, NULL);
    assert_true(ok);
    ok = symtest_child_wait_blocked(&c);
    assert_true(ok);
    ok = seize_and_stop(c.pid);
    if (!ok && errno == EPERM) { /* ptrace not allowed here (yama, seccomp) */
        symtest_child_stop(&c);
        skip();
    }
    assert_true(ok);

    hs_err err;
    tstacks *t = tstacks_capture(c.pid, &c.pid, 1, &err);
    /* The stack is in hand: let the child run again before checking. */
    ptrace(PTRACE_DETACH, c.pid, NULL, NULL);
    assert_non_null(t);
    assert_int_equal(t->n, 1);
    const tstacks_thread *th = &t->v[0];
    assert_int_equal(th->tid, c.pid);
    assert_string_equal(th->name, "symtest");
    assert_true(th->n >= 3);
    assert_true((th->exact & 1) != 0);

    sym_ctx *s = sym_open(c.pid, &err);
    assert_non_null(s);
    /* Leaf: libc's read; then symtest_block at its read() call; then main. */
    sym_frame f[8];
    size_t n = sym_lookup(s, th->pc[0], false, f, 8);
    assert_string_equal(f[n - 1].function, "read");
    int block = -1;
    for (size_t i = 1; i < th->n; i++) {
        n = sym_lookup(s, th->pc[i], true, f, 8);
        if (strcmp(f[n - 1].function, "symtest_block") == 0) {
            block = (int)i;
            assert_true(ends_with(f[n - 1].file, "/tests/progs/symtest.c"));
            assert_int_equal(f[n - 1].line, symtest_marker_line("symtest.c", "block_call"));
            assert_int_equal(f[n - 1].start_line, symtest_marker_line("symtest.c", "block_decl"));
            break;
        }
    }
    /* Frame 1, or later when a sanitizer's read() interceptor sits between. */
    assert_true(block >= 1);
    n = sym_lookup(s, th->pc[block + 1], true, f, 8);
    assert_string_equal(f[n - 1].function, "main");

    /* The profile: one sample, one thread, labelled with its name and tid. */
    pprof_builder *b = tstacks_profile(t, s, &err);
    assert_non_null(b);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(pprof_encode(b, false, &buf, &len, &err), 0);
    pprof_profile *p = pprof_parse(buf, len, &err);
    assert_non_null(p);
    assert_int_equal(p->pb->n_sample_type, 1);
    assert_string_equal(pprof_str(p, p->pb->sample_type[0]->type), "threads");
    assert_string_equal(pprof_str(p, p->pb->sample_type[0]->unit), "count");
    assert_int_equal(p->pb->n_sample, 1);
    const pprof_pb_sample *smp = p->pb->sample[0];
    assert_int_equal(smp->value[0], 1);
    assert_int_equal(smp->n_location_id, th->n);
    assert_int_equal(pprof_sample_num_label(p, smp, "tid", -1), c.pid);
    bool named = false;
    for (size_t i = 0; i < smp->n_label; i++) {
        if (strcmp(pprof_str(p, smp->label[i]->key), "thread") == 0)
            named = strcmp(pprof_str(p, smp->label[i]->str), "symtest") == 0;
    }
    assert_true(named);
    const pprof_pb_location *loc = pprof_location(p, smp->location_id[block]);
    assert_non_null(loc);
    const pprof_pb_function *fn = pprof_function(p, loc->line[loc->n_line - 1]->function_id);
    assert_string_equal(pprof_str(p, fn->name), "symtest_block");
    pprof_profile_free(p);
    free(buf);
    pprof_builder_free(b);
    sym_close(s);
    tstacks_free(t);
    symtest_child_stop(&c);
}

static void test_not_stopped(void **state)
{
    (void)state;
    symtest_child c;
    bool ok = symtest_child_start(&c, NULL);
    assert_true(ok);
    /* Not traced by us: the thread is kept, with the reason, not dropped. */
    hs_err err;
    tstacks *t = tstacks_capture(c.pid, &c.pid, 1, &err);
    assert_non_null(t);
    assert_int_equal(t->v[0].n, 0);
    assert_non_null(strstr(t->v[0].error, "must be stopped under ptrace"));
    uint64_t pcs[4], exact;
    assert_int_equal(tstacks_unwind(c.pid, pcs, 4, &exact, &err), -1);
    pprof_builder *b = tstacks_profile(t, NULL, &err);
    assert_non_null(b);
    assert_int_equal(pprof_builder_nsamples(b), 1);
    pprof_builder_free(b);
    tstacks_free(t);
    symtest_child_stop(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocked_child),
        cmocka_unit_test(test_not_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
