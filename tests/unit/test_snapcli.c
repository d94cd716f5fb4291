/* tests/unit/test_snapcli.c: heapsnap's duration parser and periodic output
 * patterns (lib/util/duration.c, snapshot/outpattern.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "duration.h"
#include "outpattern.h"

static void test_durations(void **state)
{
    (void)state;
    uint64_t ns;
    hs_err err = {{0}};
    assert_int_equal(duration_parse("500ms", &ns, &err), 0);
    assert_int_equal(ns, 500000000ULL);
    assert_int_equal(duration_parse("10s", &ns, &err), 0);
    assert_int_equal(ns, 10000000000ULL);
    assert_int_equal(duration_parse("1m", &ns, &err), 0);
    assert_int_equal(ns, 60000000000ULL);
    assert_int_equal(duration_parse("2h", &ns, &err), 0);
    assert_int_equal(ns, 7200000000000ULL);
    assert_int_equal(duration_parse("1.5s", &ns, &err), 0);
    assert_int_equal(ns, 1500000000ULL);
    assert_int_equal(duration_parse("0.1s", &ns, &err), 0);
    assert_int_equal(ns, 100000000ULL);
    assert_int_equal(duration_parse("3", &ns, &err), 0);
    assert_int_equal(ns, 3000000000ULL);
    assert_int_equal(duration_parse("250us", &ns, &err), 0);
    assert_int_equal(ns, 250000ULL);
    assert_int_equal(duration_parse("", &ns, &err), -1);
    assert_int_equal(duration_parse("ms", &ns, &err), -1);
    assert_int_equal(duration_parse("10 s", &ns, &err), -1);
    assert_int_equal(duration_parse("10x", &ns, &err), -1);
    assert_int_equal(duration_parse("-1s", &ns, &err), -1);
    assert_int_equal(duration_parse("0s", &ns, &err), -1);
    assert_int_equal(duration_parse("99999999999999999999h", &ns, &err), -1);
}

static void test_patterns(void **state)
{
    (void)state;
    hs_err err = {{0}};
    char buf[64];
    assert_int_equal(outpattern_check("snap-%04d.pb.gz", &err), 0);
    assert_int_equal(outpattern_format("snap-%04d.pb.gz", 7, buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "snap-0007.pb.gz");
    assert_int_equal(outpattern_format("100%%-%d.pb.gz", 12345, buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "100%-12345.pb.gz");
    assert_int_equal(outpattern_format("%u", 3, buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "3");
    assert_int_equal(outpattern_check("snap.pb.gz", &err), -1);
    assert_int_equal(outpattern_check("%d-%d", &err), -1);
    assert_int_equal(outpattern_check("%s", &err), -1);
    assert_int_equal(outpattern_check("%n", &err), -1);
    assert_int_equal(outpattern_check("%ld", &err), -1);
    assert_int_equal(outpattern_check("%99999d", &err), -1);
    assert_int_equal(outpattern_check("100%", &err), -1);
    assert_int_equal(outpattern_format("%08d", 1, buf, 4, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
