/* analyzer/an_classify.c: trend figures, leak verdict and leak pattern of one
 * series, with the thresholds of an_classify.h. */
#include "an_classify.h"

#include <math.h>

#include "an_trend.h"

void an_classify_stats(const an_series_in *in, an_stats *st)
{
    const size_t n = in->n;
    *st = (an_stats){0};
    if (n == 0)
        return;
    st->start_bytes = in->bytes[0];
    st->end_bytes = in->bytes[n - 1];
    st->peak_bytes = in->bytes[0];
    for (size_t i = 1; i < n; i++)
        if (in->bytes[i] > st->peak_bytes)
            st->peak_bytes = in->bytes[i];
    st->start_objects = in->objects ? in->objects[0] : 0;
    st->end_objects = in->objects ? in->objects[n - 1] : 0;
    st->span = in->t[n - 1] - in->t[0];
    double sd = sqrt(in->var_bytes), sd_o = sqrt(in->var_objects);
    st->noise_point = sd;

    if (n == 2) {
        /* Two points: the difference is all there is. */
        st->growth_bytes = st->end_bytes - st->start_bytes;
        st->growth_objects = st->end_objects - st->start_objects;
        st->growth_alloc = in->alloc ? in->alloc[1] - in->alloc[0] : 0;
        st->noise_growth = sqrt(2.0) * sd;
        st->noise_objects = sqrt(2.0) * sd_o;
        if (st->span > 0) {
            st->bytes_per_s = st->growth_bytes / st->span;
            st->objects_per_s = st->growth_objects / st->span;
            st->alloc_per_s = st->growth_alloc / st->span;
        }
        st->monotonic = st->growth_bytes >= 0 ? 1 : 0;
        st->rises = st->growth_bytes > 0;
        return;
    }

    an_fit f;
    an_trend_fit(in->t, in->bytes, n, &f);
    st->bytes_per_s = f.slope;
    st->r2 = f.r2;
    st->growth_bytes = f.slope * st->span;
    double sxx = an_trend_sxx(in->t, n);
    st->noise_growth = sxx > 0 ? sd * st->span / sqrt(sxx) : 0;
    /* Go and heapsnap keep a sampled object sampled until it is freed, so a
     * heap that does not turn over moves far less than the model above says.
     * When the steps show it, believe the steps: their spread bounds the noise
     * of a point (sd_step / sqrt 2) and of the growth (a random walk of n-1
     * steps). */
    double step_sd = an_trend_step_sigma(in->bytes, n);
    if (step_sd >= 0) {
        sd = fmin(sd, step_sd / sqrt(2.0));
        st->noise_growth = fmin(st->noise_growth, step_sd * sqrt((double)(n - 1)));
        st->noise_point = sd;
    }
    if (in->objects) {
        an_trend_fit(in->t, in->objects, n, &f);
        st->objects_per_s = f.slope;
        st->growth_objects = f.slope * st->span;
        st->noise_objects = sxx > 0 ? sd_o * st->span / sqrt(sxx) : 0;
        double step_o = an_trend_step_sigma(in->objects, n);
        if (step_o >= 0)
            st->noise_objects = fmin(st->noise_objects, step_o * sqrt((double)(n - 1)));
    }
    if (in->alloc) {
        an_trend_fit(in->t, in->alloc, n, &f);
        st->alloc_per_s = f.slope;
        st->growth_alloc = f.slope * st->span;
    }

    double sd_step = sqrt(2.0) * sd;
    double growth = fabs(st->growth_bytes);
    double tol = fmax(3 * sd_step, 0.01 * growth);
    st->monotonic = an_trend_monotonic(in->bytes, n, tol);
    double rise = fmax(3 * sd_step, growth / (4.0 * (double)(n - 1)));
    an_rises r;
    an_trend_rises(in->t, in->bytes, n, rise, &r);
    st->rises = r.count;
    st->tail = r.tail;
    st->max_gap = r.max_gap;
    if (r.count > 0 && in->bytes[r.last] > 0) {
        double ratio = in->bytes[r.last + 1] / in->bytes[r.last];
        bool same_count =
            in->objects == NULL || fabs(in->objects[r.last + 1] - in->objects[r.last]) <= 0.5;
        st->geometric = ratio >= AN_GEOM_MIN && ratio <= AN_GEOM_MAX && same_count;
    }

    /* The second half: from the first point at or after the middle of the span,
     * with at least two points. */
    size_t k = 0;
    while (k < n && in->t[k] < in->t[0] + st->span / 2)
        k++;
    if (k > n - 2)
        k = n - 2;
    size_t m = n - k;
    an_trend_fit(in->t + k, in->bytes + k, m, &f);
    double late_span = in->t[n - 1] - in->t[k];
    double late_sxx = an_trend_sxx(in->t + k, m);
    st->late_slope = f.slope;
    st->late_growth = f.slope * late_span;
    st->late_noise = late_sxx > 0 ? sd * late_span / sqrt(late_sxx) : 0;
}

/* The part of the threshold that does not depend on the series' noise. */
static double floor_of(const an_limits *lim)
{
    double floor = AN_MIN_GROWTH_BYTES;
    if (lim->period > 1)
        floor = fmax(floor, AN_MIN_GROWTH_PERIODS * lim->period);
    return fmax(floor, AN_MIN_HEAP_SHARE * lim->heap_max);
}

double an_classify_threshold(const an_stats *st, const an_limits *lim)
{
    return fmax(floor_of(lim), AN_Z * st->noise_growth);
}

an_status an_classify_status(const an_stats *st, const an_limits *lim, bool two_point)
{
    double thr = an_classify_threshold(st, lim);
    bool grew = st->growth_bytes >= thr;
    if (two_point) {
        if (grew)
            return AN_STATUS_GREW;
    } else {
        bool steady = st->r2 >= (st->geometric ? AN_MIN_R2_GEOMETRIC : AN_MIN_R2) &&
                      st->monotonic >= AN_MIN_MONOTONIC;
        bool still = (st->rises > 0 && (st->tail < AN_TAIL_SHARE * st->span || st->geometric) &&
                      st->tail <= AN_TAIL_GAPS * st->max_gap) ||
                     (st->late_growth > 0 && st->late_slope >= AN_LATE_SHARE * st->bytes_per_s &&
                      st->late_growth > AN_Z_LATE * st->late_noise);
        if (grew && steady && still)
            return AN_STATUS_LEAK;
        /* A peak counts against the noise of two single points, not of a fit. */
        double peak_thr = fmax(floor_of(lim), AN_Z * sqrt(2.0) * st->noise_point);
        /* ...and a plateau stays up: it ends nearer its peak than its start. */
        bool stayed = st->end_bytes - st->start_bytes >= 0.5 * (st->peak_bytes - st->start_bytes);
        if ((grew || st->peak_bytes - st->start_bytes >= peak_thr) && stayed && !still)
            return AN_STATUS_PLATEAU;
        if (grew)
            return AN_STATUS_UNSTEADY;
        /* Grew, though not clearly above the noise (few snapshots, few
         * samples): not churn, whose in-use stays put -- a python3 program's
         * sqlite table, 2.5 -> 13.6 MiB over 3 snapshots, was called churn. */
        if (st->growth_bytes >= floor_of(lim) && st->end_bytes > st->start_bytes &&
            st->r2 >= AN_MIN_R2)
            return AN_STATUS_UNSTEADY;
    }
    if (st->growth_bytes <= -thr)
        return AN_STATUS_SHRINKING;
    /* Allocation that keeps going while in-use stays put: frees keep up. */
    double alloc_floor = AN_MIN_GROWTH_BYTES;
    if (lim->period > 1)
        alloc_floor = fmax(alloc_floor, AN_MIN_GROWTH_PERIODS * lim->period);
    if (st->growth_alloc >= alloc_floor)
        return AN_STATUS_CHURN;
    return AN_STATUS_FLAT;
}

an_pattern an_classify_pattern(const an_stats *st)
{
    if (st->growth_bytes <= 0)
        return AN_PATTERN_NONE;
    double count_noise = fmax(AN_Z * st->noise_objects, 0.5);
    if (st->growth_objects <= count_noise)
        return AN_PATTERN_BUFFER;
    if (st->start_objects > 0 && st->start_bytes > 0 && st->end_objects > 0) {
        double size0 = st->start_bytes / st->start_objects;
        double size1 = st->end_bytes / st->end_objects;
        if (size1 >= AN_BUFFER_SIZE_FACTOR * size0 &&
            st->end_objects <= AN_BUFFER_COUNT_FACTOR * st->start_objects)
            return AN_PATTERN_BUFFER;
    }
    return AN_PATTERN_ENTRIES;
}

const char *an_classify_status_name(an_status s)
{
    switch (s) {
    case AN_STATUS_LEAK:
        return "leak";
    case AN_STATUS_GREW:
        return "grew";
    case AN_STATUS_PLATEAU:
        return "plateau";
    case AN_STATUS_UNSTEADY:
        return "unsteady";
    case AN_STATUS_CHURN:
        return "churn";
    case AN_STATUS_SHRINKING:
        return "shrinking";
    case AN_STATUS_FLAT:
    case AN_STATUS_COUNT:
        break;
    }
    return "flat";
}

const char *an_classify_pattern_name(an_pattern p)
{
    switch (p) {
    case AN_PATTERN_BUFFER:
        return "growing-buffer";
    case AN_PATTERN_ENTRIES:
        return "accumulating-entries";
    case AN_PATTERN_NONE:
        break;
    }
    return "none";
}
