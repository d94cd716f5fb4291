/* tests/unit/test_an_trend.c: analyzer/an_trend.c against values computed by
 * hand (shown next to each assertion). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "an_trend.h"

static void test_fit_exact_line(void **state)
{
    (void)state;
    double t[] = {0, 1, 2, 3}, y[] = {1, 3, 5, 7};
    an_fit f;
    assert_int_equal(an_trend_fit(t, y, 4, &f), 0);
    assert_true(f.slope == 2.0);
    assert_true(f.intercept == 1.0);
    assert_true(f.r2 == 1.0);
}

static void test_fit_by_hand(void **state)
{
    (void)state;
    /* mean t 1, mean y 7/3; Sxy = 3, Sxx = 2, Syy = 42/9: slope 1.5,
     * intercept 7/3 - 1.5, R² = 9 / (2 * 42/9) = 81/84 */
    double t[] = {0, 1, 2}, y[] = {1, 2, 4};
    an_fit f;
    assert_int_equal(an_trend_fit(t, y, 3, &f), 0);
    assert_float_equal(f.slope, 1.5, 1e-12);
    assert_float_equal(f.intercept, 7.0 / 3.0 - 1.5, 1e-12);
    assert_float_equal(f.r2, 81.0 / 84.0, 1e-12);
}

static void test_fit_no_trend(void **state)
{
    (void)state;
    double t[] = {0, 1, 2}, y[] = {0, 1, 0}, c[] = {5, 5, 5};
    an_fit f;
    assert_int_equal(an_trend_fit(t, y, 3, &f), 0);
    assert_true(f.slope == 0.0);
    assert_true(f.r2 == 0.0);
    /* a constant series explains nothing: R² 0, not 1 */
    assert_int_equal(an_trend_fit(t, c, 3, &f), 0);
    assert_true(f.r2 == 0.0);
}

static void test_fit_degenerate(void **state)
{
    (void)state;
    double t[] = {4, 4, 4}, y[] = {1, 2, 3};
    an_fit f;
    assert_int_equal(an_trend_fit(t, y, 3, &f), -1);
    assert_int_equal(an_trend_fit(t, y, 1, &f), -1);
    assert_true(f.slope == 0.0);
}

static void test_sxx(void **state)
{
    (void)state;
    double t[] = {0, 10, 20};
    assert_float_equal(an_trend_sxx(t, 3), 200.0, 1e-12); /* 100 + 0 + 100 */
    assert_float_equal(an_trend_sxx(t, 0), 0.0, 0);
}

static void test_monotonic(void **state)
{
    (void)state;
    double y[] = {1, 2, 2, 1, 3}; /* steps +1, 0, -1, +2 */
    assert_float_equal(an_trend_monotonic(y, 5, 0), 0.75, 1e-12);
    assert_float_equal(an_trend_monotonic(y, 5, 1), 1.0, 1e-12);
    assert_float_equal(an_trend_monotonic(y, 1, 0), 1.0, 1e-12);
}

static void test_rises_doubling(void **state)
{
    (void)state;
    /* a doubling buffer: rises seen at t = 1, 2, 4, each somewhere inside
     * its step: gaps at most 1 (from 0), 2 (0 to 2), 3 (1 to 4); tail 7 - 4 */
    double t[] = {0, 1, 2, 3, 4, 5, 6, 7}, y[] = {1, 2, 4, 4, 8, 8, 8, 8};
    an_rises r;
    an_trend_rises(t, y, 8, 0.5, &r);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.last, 3); /* the step y[3] -> y[4] */
    assert_float_equal(r.max_gap, 3.0, 1e-12);
    assert_float_equal(r.tail, 3.0, 1e-12);
}

static void test_rises_none(void **state)
{
    (void)state;
    double t[] = {0, 10, 20}, y[] = {5, 5, 4};
    an_rises r;
    an_trend_rises(t, y, 3, 0, &r);
    assert_int_equal(r.count, 0);
    assert_float_equal(r.tail, 20.0, 1e-12);
    assert_float_equal(r.max_gap, 0.0, 0);
}

static void test_noise_weight(void **state)
{
    (void)state;
    /* 1000 objects of 1 KiB at period 512 KiB: p = 1 - exp(-1/512), each byte
     * carries 1024 (1-p)/p of variance */
    double p = 1 - exp(-1.0 / 512);
    assert_float_equal(an_trend_noise_weight(1024000, 1000, 524288), 1024 * (1 - p) / p, 1e-6);
    assert_float_equal(an_trend_noise_weight(1024000, 1000, 524288), 523776.1666, 1e-3);
    /* exact profiles have no sampling noise; an empty site is the noisiest */
    assert_float_equal(an_trend_noise_weight(1024000, 1000, 1), 0, 0);
    assert_float_equal(an_trend_noise_weight(0, 0, 524288), 524288, 0);
    /* a 64 MiB buffer is always sampled: practically no noise */
    assert_true(an_trend_noise_weight(64.0 * 1048576, 1, 524288) < 1e-30);
}

static void test_drop_sigma(void **state)
{
    (void)state;
    /* growth, steady or in bursts, drops nowhere */
    double steady[] = {0, 1, 2, 3, 4, 5}, bursts[] = {0, 0, 3, 3, 3, 6};
    assert_float_equal(an_trend_drop_sigma(steady, 6), 0.0, 0);
    assert_float_equal(an_trend_drop_sigma(bursts, 6), 0.0, 0);
    /* steps 1, -2, 1, -2: sqrt(2 * (4 + 4) / 4) = 2 */
    double y[] = {0, 1, -1, 0, -2};
    assert_float_equal(an_trend_drop_sigma(y, 5), 2.0, 1e-12);
    /* too few steps to say */
    assert_float_equal(an_trend_drop_sigma(y, 4), -1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_exact_line),
        cmocka_unit_test(test_fit_by_hand),
        cmocka_unit_test(test_fit_no_trend),
        cmocka_unit_test(test_fit_degenerate),
        cmocka_unit_test(test_sxx),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_rises_doubling),
        cmocka_unit_test(test_rises_none),
        cmocka_unit_test(test_noise_weight),
        cmocka_unit_test(test_drop_sigma),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
