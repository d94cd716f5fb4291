/* tests/unit/test_hook_sampler.c: hook/hook_sampler -- the exponential
 * thresholds have the configured mean, are reproducible from a seed, and the
 * countdown samples bytes at the configured rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hook_sampler.h"

static void test_mean_interval(void **state)
{
    (void)state;
    uint64_t rng;
    hook_rng_seed(&rng, 42);
    double sum = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++)
        sum += (double)hook_sampler_draw(&rng, HOOK_RATE_DEFAULT);
    double mean = sum / n;
    print_message("# mean interval over %d draws: %.1f (rate %u)\n", n, mean, HOOK_RATE_DEFAULT);
    assert_true(mean > HOOK_RATE_DEFAULT * 0.98);
    assert_true(mean < HOOK_RATE_DEFAULT * 1.02);
}

static void test_mean_small_rate(void **state)
{
    (void)state;
    uint64_t rng;
    hook_rng_seed(&rng, 7);
    double sum = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++)
        sum += (double)hook_sampler_draw(&rng, 4096);
    assert_true(sum / n > 4096 * 0.98);
    assert_true(sum / n < 4096 * 1.02);
}

static void test_deterministic(void **state)
{
    (void)state;
    uint64_t a, b, c;
    hook_rng_seed(&a, 1234);
    hook_rng_seed(&b, 1234);
    hook_rng_seed(&c, 1235);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t x = hook_sampler_draw(&a, 524288), y = hook_sampler_draw(&b, 524288);
        assert_int_equal(x, y);
        differ += x != hook_sampler_draw(&c, 524288);
    }
    assert_int_equal(differ, 1000);
}

static void test_special_rates(void **state)
{
    (void)state;
    uint64_t rng;
    hook_rng_seed(&rng, 1);
    assert_int_equal(hook_sampler_draw(&rng, 1), 0);
    assert_int_equal(hook_sampler_draw(&rng, 0), HOOK_SAMPLE_NEVER);
    for (int i = 0; i < 100000; i++)
        assert_true(hook_sampler_draw(&rng, 2) >= 1);
}

/* Drives the fast path and the slow path as malloc does; counts samples. */
static uint64_t run(uint64_t rate, uint64_t size, uint64_t count, uint64_t seed)
{
    struct hook_sampler s = {0, 0};
    uint64_t sampled = 0;
    for (uint64_t i = 0; i < count; i++)
        if (hook_sampler_tick(&s, size) && hook_sampler_decide(&s, rate, size, seed))
            sampled++;
    return sampled;
}

static void test_every_allocation(void **state)
{
    (void)state;
    assert_int_equal(run(1, 64, 10000, 9), 10000);
    assert_int_equal(run(1, 0, 100, 9), 100); /* malloc(0) too */
}

static void test_none(void **state)
{
    (void)state;
    assert_int_equal(run(0, 1 << 20, 100000, 9), 0);
}

static void test_sampled_bytes(void **state)
{
    (void)state;
    /* 4e9 bytes in 64-byte allocations at rate 65536: about 61035 samples. */
    uint64_t n = run(65536, 64, 62500000, 5);
    double expect = 62500000.0 * 64 / 65536;
    print_message("# %llu samples, expected %.0f\n", (unsigned long long)n, expect);
    assert_true(n > expect * 0.98 && n < expect * 1.02);
    /* Same seed, same decisions. */
    assert_int_equal(run(65536, 64, 1000000, 5), run(65536, 64, 1000000, 5));
}

static void test_large_allocations_always(void **state)
{
    (void)state;
    /* An allocation 64x the rate is sampled with probability 1 - e^-64. */
    assert_int_equal(run(4096, 4096 * 64, 1000, 3), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_interval),    cmocka_unit_test(test_mean_small_rate),
        cmocka_unit_test(test_deterministic),    cmocka_unit_test(test_special_rates),
        cmocka_unit_test(test_every_allocation), cmocka_unit_test(test_none),
        cmocka_unit_test(test_sampled_bytes),    cmocka_unit_test(test_large_allocations_always),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
