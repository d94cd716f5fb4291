/* tests/unit/test_cowmode.c: snapshot/cowmode.c's choice between a fork and
 * a copy, and the reason it gives for copying: --no-cow, a small heap, a
 * cgroup or commit limit too tight for the fork's worst case, transparent
 * huge pages, and --cow over the estimates but not over the limits; the
 * holders' roots in the copy's estimate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cowmode.h"

#define MIB (1024ull * 1024ull)

static memroom room_of(uint64_t anon, uint64_t huge)
{
    memroom r;
    memset(&r, 0, sizeof(r));
    r.anon_bytes = anon;
    r.anon_huge_bytes = huge;
    r.private_bytes = anon + 8 * MIB;
    r.cgroup_room = MEMROOM_UNLIMITED;
    r.overcommit = 0;
    r.commit_room = MEMROOM_UNLIMITED;
    return r;
}

static void test_big_heap_forks(void **state)
{
    (void)state;
    memroom r = room_of(1024 * MIB, 0);
    cowmode_estimate e;
    char why[512];
    assert_true(cowmode_decide(COWMODE_AUTO, 1024 * MIB, false, &r, &e, why, sizeof(why)));
    assert_string_equal(why, "");
    /* 262144 pages x 120 ns + 450 us; 1 GiB / 3000 bytes per us */
    assert_int_equal(e.fork_us, 450 + 31457);
    assert_int_equal(e.copy_us, 357913);
}

static void test_no_cow(void **state)
{
    (void)state;
    memroom r = room_of(1024 * MIB, 0);
    cowmode_estimate e;
    char why[512];
    assert_false(cowmode_decide(COWMODE_NEVER, 1024 * MIB, false, &r, &e, why, sizeof(why)));
    assert_string_equal(why, "--no-cow given");
}

static void test_small_heap_copies(void **state)
{
    (void)state;
    memroom r = room_of(2 * MIB, 0);
    cowmode_estimate e;
    char why[512];
    assert_false(cowmode_decide(COWMODE_AUTO, 512 * 1024, false, &r, &e, why, sizeof(why)));
    assert_string_equal(why, "the heap (524288 bytes) is small enough that a copy (about 174 us) "
                             "is no slower than a fork (about 511 us)");
    /* --cow forks all the same */
    assert_true(cowmode_decide(COWMODE_ALWAYS, 512 * 1024, false, &r, &e, why, sizeof(why)));
}

static void test_cgroup_too_small(void **state)
{
    (void)state;
    memroom r = room_of(1024 * MIB, 0);
    r.cgroup_room = 100 * MIB;
    strcpy(r.cgroup, "/test.slice");
    cowmode_estimate e;
    char why[512];
    assert_false(cowmode_decide(COWMODE_ALWAYS, 1024 * MIB, false, &r, &e, why, sizeof(why)));
    assert_string_equal(why, "cgroup /test.slice has 104857600 bytes left below memory.max, less "
                             "than the 1073741824 bytes of private memory the process could "
                             "dirty while the fork lives");
    r.cgroup_room = 2048 * MIB;
    assert_true(cowmode_decide(COWMODE_AUTO, 1024 * MIB, false, &r, &e, why, sizeof(why)));
}

static void test_strict_overcommit(void **state)
{
    (void)state;
    memroom r = room_of(1024 * MIB, 0);
    r.overcommit = 2;
    r.commit_room = 512 * MIB;
    cowmode_estimate e;
    char why[512];
    assert_false(cowmode_decide(COWMODE_AUTO, 1024 * MIB, false, &r, &e, why, sizeof(why)));
    assert_string_equal(why, "strict overcommit (vm.overcommit_memory=2) leaves 536870912 bytes "
                             "to commit, less than the 1082130432 bytes a fork commits");
    r.overcommit = 0; /* the heuristic mode: a refused fork falls back by itself */
    assert_true(cowmode_decide(COWMODE_AUTO, 1024 * MIB, false, &r, &e, why, sizeof(why)));
}

static void test_huge_pages(void **state)
{
    (void)state;
    /* 8 MiB, all of it in 4 huge pages: 450 + 4 x 10 us against 2796 us */
    memroom r = room_of(8 * MIB, 8 * MIB);
    cowmode_estimate e;
    char why[512];
    assert_true(cowmode_decide(COWMODE_AUTO, 8 * MIB, false, &r, &e, why, sizeof(why)));
    assert_int_equal(e.fork_us, 490);
    /* a 512 KiB heap in a process of 4 MiB of huge pages: the copy wins, and
     * the reason names the huge pages */
    r = room_of(4 * MIB, 4 * MIB);
    assert_false(cowmode_decide(COWMODE_AUTO, 512 * 1024, false, &r, &e, why, sizeof(why)));
    assert_string_equal(why, "transparent huge pages (4194304 of 4194304 anonymous bytes) make a "
                             "fork (about 470 us) no cheaper than a copy (about 174 us)");
}

static void test_roots_count_in_the_copy(void **state)
{
    (void)state;
    /* 64 threads with a 4 MiB heap in 40 MiB of private anonymous memory
     * (libunwind's caches, stacks, globals): the heap alone copies faster
     * than the fork (4 MiB / 3000 bytes per us against 450 us + 10240 pages
     * x 120 ns)... */
    memroom r = room_of(40 * MIB, 0);
    cowmode_estimate e;
    char why[512];
    assert_false(cowmode_decide(COWMODE_AUTO, 4 * MIB, false, &r, &e, why, sizeof(why)));
    assert_int_equal(e.root_bytes, 0);
    assert_int_equal(e.copy_us, 1398);
    assert_int_equal(e.fork_us, 1678);
    assert_string_equal(why, "the heap (4194304 bytes) is small enough that a copy (about 1398 us) "
                             "is no slower than a fork (about 1678 us)");
    /* ...but a copy that must take the roots in the stop too reads the other
     * 36 MiB as well, and the fork wins */
    assert_true(cowmode_decide(COWMODE_AUTO, 4 * MIB, true, &r, &e, why, sizeof(why)));
    assert_int_equal(e.root_bytes, 36 * MIB);
    assert_int_equal(e.copy_us, 13981);
    assert_int_equal(e.fork_us, 1678);
    assert_string_equal(why, "");
    /* a small process still copies, and the reason counts the roots */
    r = room_of(1 * MIB, 0);
    assert_false(cowmode_decide(COWMODE_AUTO, 512 * 1024, true, &r, &e, why, sizeof(why)));
    assert_int_equal(e.root_bytes, 512 * 1024);
    assert_string_equal(why, "the heap (524288 bytes) is small enough that a copy of it and of "
                             "524288 bytes of roots (about 349 us) is no slower than a fork (about "
                             "480 us)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_heap_forks),          cmocka_unit_test(test_no_cow),
        cmocka_unit_test(test_small_heap_copies),       cmocka_unit_test(test_cgroup_too_small),
        cmocka_unit_test(test_strict_overcommit),       cmocka_unit_test(test_huge_pages),
        cmocka_unit_test(test_roots_count_in_the_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
