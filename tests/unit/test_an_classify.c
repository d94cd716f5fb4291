/* tests/unit/test_an_classify.c: the verdict, pattern, thresholds, hints and
 * allocator-frame rules of heapsnap-analyze on series built by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "an_classify.h"
#include "an_frames.h"
#include "an_hint.h"

static const double T10[] = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90};
static const an_limits EXACT = {0, 1e6};

/* period: the sampling period of the series (0: exact) */
static an_status status_of(const double *b, const double *o, const double *al, size_t n,
                           double period, an_stats *st)
{
    an_series_in in = {T10, b, o, al, n, period, 0, 0, 0, NULL, false};
    an_classify_stats(&in, st);
    an_limits lim = {period, 1e6};
    return an_classify_status(st, &lim, n == 2);
}

static void test_entries_leak(void **state)
{
    (void)state;
    double b[10], o[10];
    for (int i = 0; i < 10; i++) {
        o[i] = 1000 + 500 * i;
        b[i] = 128 * o[i];
    }
    an_stats st;
    assert_int_equal(status_of(b, o, NULL, 10, 0, &st), AN_STATUS_LEAK);
    assert_float_equal(st.bytes_per_s, 6400, 1e-9); /* 64000 bytes per 10 s */
    assert_float_equal(st.objects_per_s, 50, 1e-9);
    assert_float_equal(st.growth_bytes, 576000, 1e-6); /* 6400 * 90 */
    assert_float_equal(st.r2, 1, 1e-12);
    assert_float_equal(st.monotonic, 1, 0);
    assert_int_equal(st.rises, 9);
    assert_float_equal(st.tail, 0, 0);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_ENTRIES);
}

static void test_buffer_leak(void **state)
{
    (void)state;
    const double M = 1048576;
    double b[] = {1 * M, 2 * M, 4 * M, 4 * M, 8 * M, 8 * M, 8 * M, 8 * M, 16 * M, 16 * M};
    double o[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    an_stats st;
    assert_int_equal(status_of(b, o, NULL, 10, 0, &st), AN_STATUS_LEAK);
    /* Sxy = 1325 MiB s, Sxx = 8250 s² */
    assert_float_equal(st.bytes_per_s, 1325.0 / 8250.0 * M, 1e-6);
    assert_int_equal(st.rises, 4);         /* at 10, 20, 40, 80 s */
    assert_float_equal(st.max_gap, 50, 0); /* the rise seen at 40 from 30 on, to 80 */
    assert_float_equal(st.tail, 10, 0);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
}

static void test_plateau_and_warmup(void **state)
{
    (void)state;
    double b[10], o[10], w[10];
    for (int i = 0; i < 10; i++) {
        o[i] = 1 + 1000 * (i < 4 ? i : 4);
        b[i] = 512 * o[i];
        w[i] = i == 0 ? 0 : 8388608;
    }
    an_stats st;
    assert_int_equal(status_of(b, o, NULL, 10, 0, &st), AN_STATUS_PLATEAU);
    assert_float_equal(st.tail, 50, 0); /* last rise at 40 s */
    assert_int_equal(status_of(w, NULL, NULL, 10, 0, &st), AN_STATUS_PLATEAU);
    assert_int_equal(st.rises, 1);
    assert_float_equal(st.tail, 80, 0);
}

static void test_geometric_buffer(void **state)
{
    (void)state;
    /* three snapshots of a doubling buffer: 4, 8, 8 MiB in one object. The flat
     * last step is the wait for the next doubling, not a plateau. */
    const double M = 1048576;
    double t[] = {0, 1, 2, 3, 4, 5};
    double b[] = {4 * M, 8 * M, 8 * M, 8 * M, 8 * M, 8 * M};
    double o[] = {1, 1, 1, 1, 1, 1};
    an_series_in in = {t, b, o, NULL, 3, 0, 0, 0, 0, NULL, false};
    an_stats st;
    an_classify_stats(&in, &st);
    assert_true(st.geometric);
    assert_float_equal(st.r2, 0.75, 1e-12); /* Sxy = 4 M, Sxx = 2, Syy = 32/3 M² */
    assert_int_equal(an_classify_status(&st, &EXACT, false), AN_STATUS_LEAK);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
    /* the same jump followed by four flat steps: it stopped */
    in.n = 6;
    an_classify_stats(&in, &st);
    assert_int_equal(an_classify_status(&st, &EXACT, false), AN_STATUS_PLATEAU);
    /* two doublings between two snapshots (a loaded machine, or a slow
     * snapshot): x4 with no object added is still a reallocation */
    double q[] = {2 * M, 8 * M, 8 * M};
    an_series_in qin = {t, q, o, NULL, 3, 0, 0, 0, 0, NULL, false};
    an_classify_stats(&qin, &st);
    assert_true(st.geometric);
    assert_int_equal(an_classify_status(&st, &EXACT, false), AN_STATUS_LEAK);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
    /* from nothing to 8 MiB is a one-time allocation, not a reallocation */
    double w[] = {0, 8 * M, 8 * M};
    an_series_in win = {t, w, o, NULL, 3, 0, 0, 0, 0, NULL, false};
    an_classify_stats(&win, &st);
    assert_false(st.geometric);
    assert_int_equal(an_classify_status(&st, &EXACT, false), AN_STATUS_PLATEAU);
}

static void test_churn_flat_shrinking(void **state)
{
    (void)state;
    double flat[10], alloc[10], down[10];
    for (int i = 0; i < 10; i++) {
        flat[i] = 512000;
        alloc[i] = 512000 + 2560000.0 * i;
        down[i] = 10e6 - 1e5 * i;
    }
    an_stats st;
    assert_int_equal(status_of(flat, NULL, NULL, 10, 0, &st), AN_STATUS_FLAT);
    assert_int_equal(status_of(flat, NULL, alloc, 10, 0, &st), AN_STATUS_CHURN);
    assert_float_equal(st.alloc_per_s, 256000, 1e-6);
    assert_int_equal(status_of(down, NULL, NULL, 10, 0, &st), AN_STATUS_SHRINKING);
}

static void test_noise_is_not_a_leak(void **state)
{
    (void)state;
    /* 10 MiB of 64-byte objects sampled every 512 KiB, wobbling by 1 MiB with
     * no trend: each value has a noise of sqrt(10 MiB * 512 KiB) = 2.3 MiB */
    const double M = 1048576, R = 524288;
    double b[] = {10 * M,   12 * M,  9 * M,  11.5 * M, 10.2 * M,
                  12.4 * M, 9.1 * M, 11 * M, 10.6 * M, 12 * M};
    double o[10];
    for (int i = 0; i < 10; i++)
        o[i] = b[i] / 64;
    an_stats st;
    an_status s = status_of(b, o, NULL, 10, R, &st);
    assert_int_not_equal(s, AN_STATUS_LEAK);
    an_limits lim = {R, 1e6};
    assert_true(st.growth_bytes < an_classify_threshold(&st, &lim));
    /* the same steady growth, exact: a leak */
    double g[10];
    for (int i = 0; i < 10; i++)
        g[i] = 10 * M + 0.5 * M * i + (i % 2 ? 0.3 * M : -0.3 * M);
    assert_int_equal(status_of(g, NULL, NULL, 10, 0, &st), AN_STATUS_LEAK);
    /* sampled, four points: 1.5 MiB of growth on 11 MiB is noise */
    for (int i = 0; i < 10; i++)
        o[i] = g[i] / 64;
    an_series_in in = {T10, g, o, NULL, 4, R, 0, 0, 0, NULL, false};
    an_classify_stats(&in, &st);
    assert_int_not_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
}

/* The noise of a difference under "no change" (an_classify.h), by hand: 64-byte
 * objects sampled every R bytes carry w = 64 (1 - p) / p per byte, with p =
 * 1 - exp(-64/R). 10 R -> 13 R while 3 R were allocated and nothing freed: the
 * turnover is half of (came 3 R + went 0) over 10 s, so objects live tau =
 * 11.5 R / 0.15 R = 76.67 s, and the step has variance
 * 2 * 11.5 R * w * 10 / tau + R^2 (one sample of the period). */
static void test_noise_model_by_hand(void **state)
{
    (void)state;
    const double R = 524288;
    double b[] = {10 * R, 13 * R}, o[] = {10 * R / 64, 13 * R / 64}, al[] = {100 * R, 103 * R};
    an_series_in in = {T10, b, o, al, 2, R, 0, 0, 0, NULL, false};
    an_stats st;
    an_classify_stats(&in, &st);
    double p = -expm1(-64 / R);
    double w = 64 * (1 - p) / p;
    assert_float_equal(st.weight, w, 1e-6);
    double tau = 11.5 * R / (0.5 * 3 * R / 10);
    /* the sampler's noise, and the program's own: it turned over 1.5 R (the
     * mean of 3 R allocated and nothing freed) in objects of 64 bytes; and
     * half a sample of its own each */
    double var = 2 * (11.5 * R * w + 1.5 * R * 64) * 10 / tau + R * w;
    assert_float_equal(st.noise_growth, sqrt(var), 1e-3);
    assert_float_equal(st.z, 3 * R / sqrt(var), 1e-9);
    /* 1.5 deviations: not significant, even with two points */
    an_limits lim = {R, 0};
    assert_int_equal(an_classify_status(&st, &lim, true), AN_STATUS_FLAT);
    /* a churning site that allocated 100 R meanwhile: objects live under
     * 1.2 s, so the two values share nothing, and all of its level turns
     * over: variance 2 * level * (w + 64) + R w */
    double al2[] = {0, 100 * R};
    in.alloc = al2;
    an_classify_stats(&in, &st);
    assert_float_equal(st.noise_growth, sqrt(2 * 11.5 * R * (w + 64) + R * w), 1e-3);
    /* an exact profile has no sampling noise: only the program's own */
    in.period = 0;
    an_classify_stats(&in, &st);
    assert_float_equal(st.noise_growth, sqrt(2 * 11.5 * R * 64), 1e-3);
    assert_float_equal(st.weight, 0, 0);
    /* ...and none when nothing turns over */
    double al3[] = {100 * R, 103 * R};
    in.alloc = al3;
    double o_same[] = {1000, 1000};
    in.objects = o_same; /* its count held still: one buffer reallocated larger */
    an_classify_stats(&in, &st);
    assert_float_equal(st.noise_growth, 0, 0);
}

/* Three snapshots: a series that still rose at its last step is never a
 * plateau; one whose last step is flat after a clear rise is. */
static void test_three_snapshots(void **state)
{
    (void)state;
    const double M = 1048576;
    double up[] = {1 * M, 10 * M, 12 * M}, stop[] = {1 * M, 10 * M, 10 * M};
    double o1[] = {1000, 10000, 12000}, o2[] = {1000, 10000, 10000};
    an_stats st;
    assert_int_equal(status_of(up, o1, NULL, 3, 0, &st), AN_STATUS_LEAK);
    assert_true(st.last_rose);
    assert_int_equal(an_classify_confidence(&st, 3, false), AN_CONF_LOW);
    assert_int_equal(status_of(stop, o2, NULL, 3, 0, &st), AN_STATUS_PLATEAU);
    assert_false(st.last_rose);
}

static void test_confidence(void **state)
{
    (void)state;
    double b[10], o[10];
    for (int i = 0; i < 10; i++) {
        o[i] = 1000 + 500 * i;
        b[i] = 128 * o[i];
    }
    an_stats st;
    assert_int_equal(status_of(b, o, NULL, 10, 0, &st), AN_STATUS_LEAK);
    assert_int_equal(an_classify_confidence(&st, 10, false), AN_CONF_HIGH);
    assert_int_equal(an_classify_confidence(&st, 4, false), AN_CONF_MEDIUM);
    assert_int_equal(an_classify_confidence(&st, 3, false), AN_CONF_LOW);
    assert_int_equal(an_classify_confidence(&st, 10, true), AN_CONF_LOW);
    assert_string_equal(an_classify_confidence_name(AN_CONF_HIGH), "high");
    assert_string_equal(an_classify_confidence_name(AN_CONF_MEDIUM), "medium");
    assert_string_equal(an_classify_confidence_name(AN_CONF_LOW), "low");
    /* sampled at 512 KiB, 128-byte objects: 64 KB per step is an eighth of a
     * sample, far below the noise: not even a low-confidence leak */
    assert_int_not_equal(status_of(b, o, NULL, 10, 524288, &st), AN_STATUS_LEAK);
}

/* Whether growth stopped is read from the frees while the function still
 * allocates: a full cache frees what it adds, a leak keeps it, however the
 * bytes wobble. Sampled at 512 KiB, one sample of the period is the noise of
 * frees that the first half's retention (all kept) predicts to be none. */
static void test_frees_tell_a_stop(void **state)
{
    (void)state;
    const double R = 524288;
    double b[] = {10 * R, 13 * R, 16 * R, 16 * R, 16 * R};
    double o[5], al_cache[] = {10 * R, 13 * R, 16 * R, 19 * R, 22 * R};
    for (int i = 0; i < 5; i++)
        o[i] = b[i] / 40;
    an_stats st;
    an_limits lim = {R, 0};
    an_series_in in = {T10, b, o, al_cache, 5, R, 0, 0, 0, NULL, false};
    an_classify_stats(&in, &st);
    /* second half: 6 R allocated, 0 kept, 6 R freed where 0 was due */
    assert_float_equal(st.late_freed_excess, 6 * R, 1e-3);
    assert_float_equal(st.late_freed_noise, R, 1e-3);
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_PLATEAU);
    /* the same bytes with nothing freed (the second half allocated only what
     * it kept): a leak that slowed down, not a stop */
    double grow[] = {10 * R, 14 * R, 17 * R, 19 * R, 21.5 * R};
    double al_leak[] = {10 * R, 14 * R, 17 * R, 19 * R, 21.5 * R};
    for (int i = 0; i < 5; i++)
        o[i] = grow[i] / 40;
    an_series_in in2 = {T10, grow, o, al_leak, 5, R, 0, 0, 0, NULL, false};
    an_classify_stats(&in2, &st);
    assert_float_equal(st.late_freed_excess, 0, 1e-3);
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
}

/* cxx_leak's std::unordered_map under load (heapsnap's exact size-class
 * totals pin its in-use bytes, its allocated bytes stay sampled): the fourth
 * snapshot came 10 ms early and the program slowed down at the end. The
 * halves share the snapshot nearest the middle, and 2.4 MB "freed" in the
 * last interval is within the sampling noise of what was allocated. */
static void test_pinned_frees_are_sampled(void **state)
{
    (void)state;
    const double R = 524288;
    const double t[] = {0, 1.0, 1.99, 3.0, 4.0};
    double b[] = {6272032, 14976048, 23911520, 31207520, 36596576};
    double al[] = {7003660, 15128925, 24017976, 31313976, 39103691};
    double o[5];
    for (int i = 0; i < 5; i++)
        o[i] = b[i] / 96;
    an_series_in in = {t, b, o, al, 5, R, 0, 1, 0, b, false};
    an_stats st;
    an_classify_stats(&in, &st);
    an_limits lim = {R, 0};
    assert_float_equal(st.late_alloc, 39103691 - 24017976, 1e-3); /* halves meet at 1.99 s */
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
    /* the same values from one set of samples: those frees are real, but
     * less than a quarter of the 15.1 MB the second half would keep */
    in.exact = 0;
    in.pinned = NULL;
    an_classify_stats(&in, &st);
    assert_float_equal(st.late_freed_excess, (39103691 - 24017976) - (36596576 - 23911520), 1e-3);
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
}

/* cxx_leak's control: a map cleared every 100 ms, seen at a random fill by
 * five snapshots that exact size-class totals pin. It kept 1 MB of the 20 MB
 * it allocated: the pin covers that share only, the rest keeps its sampled
 * noise, and the fluctuation is no leak. */
static void test_pinned_churn_keeps_its_noise(void **state)
{
    (void)state;
    const double R = 524288;
    double b[] = {0, 383936, 1023712, 383936, 1152048}, o[5];
    double al[] = {20e6, 25e6, 30e6, 35e6, 40e6};
    for (int i = 0; i < 5; i++)
        o[i] = b[i] / 72;
    an_series_in in = {T10, b, o, al, 5, R, 0, 1, 0, b, false};
    an_stats st;
    an_classify_stats(&in, &st);
    double p = -expm1(-72 / R);
    assert_float_equal(st.weight, 72 * (1 - p) / p * (1 - 1152048 / 20e6), 1e-6);
    an_limits lim = {R, 0};
    assert_int_not_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
}

/* One std::vector<char> of 4.5 to 6.5 MiB at the default rate grows by 512 KiB
 * steps, one interval without a step: objects this large are always sampled,
 * so each step is exact and the last one rose -- still a leak. */
static void test_big_buffer_steps_are_exact(void **state)
{
    (void)state;
    const double R = 524288;
    double b[] = {4722688, 5771264, 6295552, 6295552, 6819840}, o[] = {1, 1, 1, 1, 1};
    an_stats st;
    assert_int_equal(status_of(b, o, NULL, 5, R, &st), AN_STATUS_LEAK);
    assert_true(st.last_rose);
    assert_true(st.noise_point < 0.05 * R); /* 20 KB */
}

/* cxx_leak's AuditLog::append, the last snapshot taken while its vector
 * copied into a larger buffer: the old (7.9 MB) and the new (8.4 MB) buffer
 * both in use. The last point counts one buffer of their average size. */
static void test_last_point_mid_reallocation(void **state)
{
    (void)state;
    const double R = 524288;
    double b[] = {5246976, 5771264, 6819840, 7344128, 16261120}, o[] = {1, 1, 1, 1, 2};
    an_stats st;
    assert_int_equal(status_of(b, o, NULL, 5, R, &st), AN_STATUS_LEAK);
    assert_float_equal(st.end_bytes, 16261120 / 2.0, 1e-6);
    assert_true(st.r2 > 0.9);
}

/* A Go server's growing slice, three profiles 5 s apart: the first and the
 * last each hold an old array awaiting the sweep beside the new one. Both
 * count as one buffer (the last by the count before it, once the first is
 * counted so), the count then holds still, and the arrays that come and go
 * are reallocations, not requests in flight: still a leak. */
static void test_go_slice_old_arrays_at_both_ends(void **state)
{
    (void)state;
    const double R = 524288;
    const double t[] = {0, 5, 10};
    double b[] = {6633254, 17596416, 61898752}, o[] = {2, 1, 2};
    double al[] = {15440067, 84933614, 168836078};
    an_series_in in = {t, b, o, al, 3, R, 0, 0, 0, NULL, false};
    an_stats st;
    an_classify_stats(&in, &st);
    assert_float_equal(st.end_bytes, 61898752 / 2.0, 1e-6);
    an_limits lim = {R, 0};
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
}

/* Go counts a slice's old array until it is swept: a profile can hold the old
 * and the new array (two objects) and the next only the new one. The point
 * with more buffers than the next counts as the next one's number of its
 * average buffers, so the slice still grows steadily. */
static void test_go_slice_old_array(void **state)
{
    (void)state;
    const double M = 1e6, R = 524288;
    const double t[] = {0, 5, 10};
    double b[] = {6.87 * M, 20.98 * M + 16.78 * M, 32.8 * M}, o[] = {1, 2, 1};
    double al[] = {20 * M, 60 * M, 100 * M};
    an_series_in in = {t, b, o, al, 3, R, 0, 0, 0, NULL, false};
    an_stats st;
    an_classify_stats(&in, &st);
    assert_true(st.buffers);
    assert_float_equal(st.peak_bytes, 32.8 * M, 1e-3); /* (20.98 + 16.78) / 2 < 32.8 */
    an_limits lim = {R, 0};
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
    /* a buffer still smaller than the period when first sampled counts as
     * 1/p objects (100 KB at 512 KiB: 5.7), then as one: it ends as one
     * large buffer, so it is a growing buffer, not entries */
    double bs[] = {100e3, 2 * M, 4 * M}, os[] = {100e3 / (-expm1(-100e3 / R)) / 100e3, 1, 1};
    an_series_in ins = {t, bs, os, NULL, 3, R, 0, 0, 0, NULL, false};
    an_classify_stats(&ins, &st);
    assert_true(st.few_at_end);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
    /* a series that keeps more and more buffers is left as it is */
    double b3[] = {2 * M, 4 * M, 6 * M}, o3[] = {1, 2, 3};
    an_series_in in3 = {t, b3, o3, NULL, 3, R, 0, 0, 0, NULL, false};
    an_classify_stats(&in3, &st);
    assert_float_equal(st.start_bytes, 2 * M, 0);
    assert_float_equal(st.end_bytes, 6 * M, 0);
}

/* A short, sampled series that clearly went up is a leak (the sqlite table
 * of a python3 program, 2.5 -> 13.6 MiB over 3 snapshots, once called churn);
 * the same length of noise around a flat level stays churn. */
static void test_short_growth_is_not_churn(void **state)
{
    (void)state;
    const double M = 1048576, R = 524288;
    double up[] = {2.5 * M, 8 * M, 13.6 * M}, alloc[] = {0, 40 * M, 80 * M};
    double noise[] = {10 * M, 12.5 * M, 10.4 * M};
    an_stats st;
    an_limits lim = {R, 0};
    an_series_in in = {T10, up, NULL, alloc, 3, R, 0, 0, 0, NULL, false};
    an_classify_stats(&in, &st);
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
    assert_int_equal(an_classify_confidence(&st, 3, false), AN_CONF_LOW);
    an_series_in flat = {T10, noise, NULL, alloc, 3, R, 0, 0, 0, NULL, false};
    an_classify_stats(&flat, &st);
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_CHURN);
}

/* One doubling of a buffer inside three unevenly spaced snapshots (as under a
 * slow, sanitized heapsnap): R^2 0.58, still a leak, because the rise is a
 * reallocation (same object count, twice the bytes). The same shape with
 * objects added is no such staircase and stays below the bar. */
/* A steady Go server's busy handler under load, three pulls 5 s apart at
 * Go's default rate (the profile's own values): its in-use climbs from 7.5 to
 * 19 MB while its ring holds 12 MB, because the profile counts what the
 * sweeper has not freed yet. As a C site it reads as a leak; as a Go site
 * (gc) the sweeper's term makes it noise. A site that keeps what it
 * allocates (a map gaining entries) gets no such term: still a leak. */
static void test_go_sweep_term(void **state)
{
    (void)state;
    const double k = 1024, R = 512 * k;
    const double t[] = {0, 5, 10};
    double b[] = {7724.46 * k, 12875.90 * k, 19082.71 * k}, o[] = {1309, 2140, 2574};
    double al[] = {35038.36 * k, 188.21 * k * k, 353.79 * k * k};
    an_series_in in = {t, b, o, al, 3, R, 0, 0, 0, NULL, false};
    an_stats st;
    an_limits lim = {R, 20 * k * k};
    an_classify_stats(&in, &st);
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
    in.gc = true;
    an_classify_stats(&in, &st);
    assert_int_not_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
    /* the map: 1.2 -> 6.7 -> 12.3 MB, allocating no more than it keeps */
    double mb[] = {1.2 * k * k, 6.7 * k * k, 12.3 * k * k}, mo[] = {5000, 28000, 51000};
    double ma[] = {1.3 * k * k, 6.9 * k * k, 12.6 * k * k};
    an_series_in map = {t, mb, mo, ma, 3, R, 0, 0, 0, NULL, true};
    an_classify_stats(&map, &st);
    assert_int_equal(an_classify_status(&st, &lim, false), AN_STATUS_LEAK);
}

static void test_one_doubling_in_three(void **state)
{
    (void)state;
    const double M = 1048576;
    const double t[] = {0, 1.5, 2.2};
    double b[] = {4.1 * M, 4.2 * M, 8.2 * M}, o[] = {1, 1, 1}, o2[] = {100, 100, 200};
    an_series_in in = {t, b, o, NULL, 3, 0, 0, 0, 0, NULL, false};
    an_stats st;
    an_classify_stats(&in, &st);
    assert_true(st.geometric);
    assert_true(st.r2 < AN_MIN_R2 && st.r2 >= AN_MIN_R2_GEOMETRIC);
    assert_int_equal(an_classify_status(&st, &EXACT, false), AN_STATUS_LEAK);
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
    an_series_in in2 = {t, b, o2, NULL, 3, 0, 0, 0, 0, NULL, false};
    an_classify_stats(&in2, &st);
    assert_false(st.geometric);
    assert_int_not_equal(an_classify_status(&st, &EXACT, false), AN_STATUS_LEAK);
}

static void test_two_point(void **state)
{
    (void)state;
    double up[] = {0, 1e6}, small[] = {0, 1000};
    double o[] = {0, 100};
    an_stats st;
    assert_int_equal(status_of(up, o, NULL, 2, 0, &st), AN_STATUS_GREW);
    assert_float_equal(st.growth_bytes, 1e6, 0);
    assert_float_equal(st.bytes_per_s, 1e5, 1e-9); /* over 10 s */
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_ENTRIES);
    assert_int_equal(status_of(small, NULL, NULL, 2, 0, &st), AN_STATUS_FLAT);
}

static void test_threshold(void **state)
{
    (void)state;
    an_stats st = {0};
    an_limits exact = {0, 0}, sampled = {524288, 0}, big = {0, 1e10};
    assert_float_equal(an_classify_threshold(&st, &exact), AN_MIN_GROWTH_BYTES, 0);
    /* a sampled series' floor is its noise (at least one sample of the
     * period, an_classify_stats), not a fixed share of the period */
    assert_float_equal(an_classify_threshold(&st, &sampled), AN_MIN_GROWTH_BYTES, 0);
    assert_float_equal(an_classify_threshold(&st, &big), 1e7, 0); /* 0.1 % of 10 GB */
    st.noise_growth = 1e6;
    assert_float_equal(an_classify_threshold(&st, &exact), 2.5e6, 0); /* 2.5 deviations */
}

static void test_pattern_size_factor(void **state)
{
    (void)state;
    /* 100 objects of 1 KiB -> 120 objects of 3.4 KiB: the objects grow a little,
     * their size more than doubles: a buffer (a few reallocated arrays) */
    an_stats st = {0};
    st.growth_bytes = 300000;
    st.start_bytes = 102400;
    st.end_bytes = 409600;
    st.start_objects = 100;
    st.end_objects = 120;
    st.growth_objects = 20;
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_BUFFER);
    st.end_objects = 400; /* four times the entries: accumulating */
    st.growth_objects = 300;
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_ENTRIES);
    st.growth_bytes = 0;
    assert_int_equal(an_classify_pattern(&st), AN_PATTERN_NONE);
}

static void test_hints(void **state)
{
    (void)state;
    char h[768];
    an_hint_write(h, sizeof(h), AN_PATTERN_ENTRIES, "main.addSessions", "/src/main.go", 49, NULL);
    assert_non_null(strstr(h, "main.addSessions (/src/main.go:49)"));
    assert_non_null(strstr(h, "delete(m, k)"));
    an_hint_write(h, sizeof(h), AN_PATTERN_ENTRIES, "add_entry", "src/cache.c", 17, NULL);
    assert_non_null(strstr(h, "add_entry (src/cache.c:17)"));
    assert_non_null(strstr(h, "free()"));
    an_hint_write(h, sizeof(h), AN_PATTERN_BUFFER, "main.growBuffer", "main.go", 42, NULL);
    assert_non_null(strstr(h, "s = s[:0]"));
    an_hint_write(h, sizeof(h), AN_PATTERN_BUFFER, "grow_buffer", "src/buffer.c", 42, NULL);
    assert_non_null(strstr(h, "bound its size"));
    assert_string_equal(an_classify_pattern_name(AN_PATTERN_BUFFER), "growing-buffer");
    assert_string_equal(an_classify_pattern_name(AN_PATTERN_ENTRIES), "accumulating-entries");
}

static void test_allocator_frames(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
    assert_non_null(f);
    const char *alloc[] = {"malloc",
                           "__libc_malloc",
                           "calloc",
                           "realloc",
                           "posix_memalign",
                           "strdup",
                           "xmalloc",
                           "xrealloc",
                           "g_malloc0",
                           "operator new(unsigned long)",
                           "operator new[](unsigned long)",
                           "_PyObject_Malloc",
                           "PyMem_Realloc",
                           "sqlite3Malloc",
                           "sqlite3_malloc64",
                           "av_mallocz",
                           "ngx_palloc",
                           "CRYPTO_zalloc",
                           "apr_pstrdup",
                           "__rust_alloc"};
    for (size_t i = 0; i < sizeof(alloc) / sizeof(alloc[0]); i++)
        assert_true(an_frames_is_allocator(f, alloc[i]));
    /* the standard libraries and runtimes are never the user's frame */
    const char *lib[] = {"std::vector<int, std::allocator<int> >::_M_realloc_insert<int>",
                         "runtime.mallocgc", "runtime.growslice", "runtime.mapassign_faststr",
                         "alloc::raw_vec::RawVec<T,A>::grow_one"};
    for (size_t i = 0; i < sizeof(lib) / sizeof(lib[0]); i++)
        assert_int_not_equal(an_frames_kind(f, lib[i], lib[i], "", ""), AN_FRAME_USER);
    const char *user[] = {"add_entry",        "main.addSessions", "mallocate_table", "pool_get",
                          "allocate_session", "dict_alloc_entry", "strdup_all_keys"};
    for (size_t i = 0; i < sizeof(user) / sizeof(user[0]); i++)
        assert_false(an_frames_is_allocator(f, user[i]));
    assert_int_equal(an_frames_add_drop(f, "pool_get|arena_.*", &err), 0);
    assert_true(an_frames_is_allocator(f, "pool_get"));
    assert_true(an_frames_is_allocator(f, "arena_alloc"));
    assert_false(an_frames_is_allocator(f, "my_pool_get"));
    assert_int_equal(an_frames_add_drop(f, "(", &err), -1);
    assert_non_null(strstr(err.msg, "bad --drop expression '('"));
    an_frames_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entries_leak),
        cmocka_unit_test(test_buffer_leak),
        cmocka_unit_test(test_plateau_and_warmup),
        cmocka_unit_test(test_geometric_buffer),
        cmocka_unit_test(test_churn_flat_shrinking),
        cmocka_unit_test(test_noise_is_not_a_leak),
        cmocka_unit_test(test_noise_model_by_hand),
        cmocka_unit_test(test_three_snapshots),
        cmocka_unit_test(test_confidence),
        cmocka_unit_test(test_frees_tell_a_stop),
        cmocka_unit_test(test_pinned_frees_are_sampled),
        cmocka_unit_test(test_big_buffer_steps_are_exact),
        cmocka_unit_test(test_pinned_churn_keeps_its_noise),
        cmocka_unit_test(test_last_point_mid_reallocation),
        cmocka_unit_test(test_go_slice_old_arrays_at_both_ends),
        cmocka_unit_test(test_go_slice_old_array),
        cmocka_unit_test(test_short_growth_is_not_churn),
        cmocka_unit_test(test_go_sweep_term),
        cmocka_unit_test(test_one_doubling_in_three),
        cmocka_unit_test(test_two_point),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_pattern_size_factor),
        cmocka_unit_test(test_hints),
        cmocka_unit_test(test_allocator_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
