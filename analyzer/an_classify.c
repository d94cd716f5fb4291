/* analyzer/an_classify.c: trend figures, sampling noise, leak verdict, leak
 * pattern and confidence of one series, with the noise model and thresholds
 * of an_classify.h. */
#include "an_classify.h"

#include <math.h>
#include <stdlib.h>

#include "an_trend.h"

/* The mean weight of one sample of the series, an_trend_noise_weight over its
 * summed bytes and objects; 0 when the profile is exact. */
static double sample_weight(const an_series_in *in)
{
    if (in->period <= 1)
        return 0;
    double b = 0, o = 0;
    for (size_t i = 0; i < in->n; i++) {
        b += in->bytes[i];
        o += in->objects ? in->objects[i] : 0;
    }
    if (in->objects == NULL)
        return in->period; /* no counts: assume small objects, the noisiest case */
    return an_trend_noise_weight(b, o, in->period);
}

/* The weight of one sample of the alloc column, which exact totals never
 * pin. */
static double alloc_weight(const an_series_in *in)
{
    if (in->period <= 1)
        return 0;
    return in->alloc_weight > 0 ? in->alloc_weight : sample_weight(in);
}

/* The share of what the series allocated that it kept (1 without an alloc
 * column or allocation). */
static double kept_share(const an_series_in *in)
{
    if (in->alloc == NULL || in->n < 2)
        return 1;
    double came = in->alloc[in->n - 1] - in->alloc[0];
    if (came <= 0)
        return 1;
    return fmin(fmax((in->bytes[in->n - 1] - in->bytes[0]) / came, 0), 1);
}

/* The mean noise weight of the series' bytes: the caller's, or the sample
 * weight less the share that exact totals pin; 0 when the profile is exact.
 * Exact totals pin what a site holds, not when the program frees it: the
 * values of a site that frees what it allocates rise and fall with the
 * program's own timing (a cache cleared every 100 ms, seen at a random fill),
 * which no count pins. Only the share it keeps is pinned; the rest keeps the
 * sampled noise as the scale of that fluctuation. */
static double noise_weight(const an_series_in *in)
{
    if (in->period <= 1)
        return 0;
    double exact = fmin(fmax(in->exact, 0), 1);
    double pinned = in->weight > 0 ? in->weight : (1 - exact) * sample_weight(in);
    if (exact <= 0)
        return pinned;
    double raw = alloc_weight(in);
    return raw - kept_share(in) * fmax(raw - pinned, 0);
}

/* The noise of a series under "no change" (an_classify.h): a steady
 * population of `level` bytes whose objects live `tau` seconds (Little's law:
 * level / allocation rate), sampled with noise weight w. Two values dt apart
 * share the samples of the objects that lived through dt, so their covariance
 * is V max(0, 1 - dt/tau) with V = level w (a fixed lifetime: the least
 * shared, so the most conservative, of all lifetime laws with that mean);
 * tau = 0 when the allocation is unknown (every value independent). Each value
 * also carries half a sample of its own (noise weight w: half a period for
 * small objects, nothing for those always sampled). */
typedef struct noise_model {
    double v, tau, own;
} noise_model;

static double cov(const noise_model *m, double dt, bool same)
{
    double c = 0;
    if (m->tau > 0 && fabs(dt) < m->tau)
        c = m->v * (1 - fabs(dt) / m->tau);
    else if (m->tau <= 0 && same)
        c = m->v;
    return c + (same ? m->own : 0);
}

/* Standard deviation of sum c_i y_i over the n values at times t (sorted),
 * for contrasts (sum c_i = 0): a covariance that is the same for every pair
 * (tau infinite: nothing turns over) cancels, and pairs farther apart than
 * tau share nothing. */
static double lin_noise(const noise_model *m, const double *t, const double *c, size_t n)
{
    double var = 0;
    if (!isfinite(m->tau)) {
        for (size_t i = 0; i < n; i++)
            var += c[i] * c[i] * m->own;
        return sqrt(var);
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i] == 0)
            continue;
        var += c[i] * c[i] * cov(m, 0, true);
        for (size_t j = i + 1; j < n && t[j] - t[i] < m->tau; j++)
            var += 2 * c[i] * c[j] * cov(m, t[j] - t[i], false);
    }
    return var > 0 ? sqrt(var) : 0;
}

/* c[0..n) = the coefficients of the growth that least squares fits to
 * t[k..k+m) over its own span (slope times span), 0 outside. */
static void fit_coef(const double *t, size_t k, size_t m, size_t n, double *c)
{
    for (size_t i = 0; i < n; i++)
        c[i] = 0;
    double sxx = an_trend_sxx(t + k, m);
    if (sxx <= 0)
        return;
    double mean = 0;
    for (size_t i = k; i < k + m; i++)
        mean += t[i];
    mean /= (double)m;
    double span = t[k + m - 1] - t[k];
    for (size_t i = k; i < k + m; i++)
        c[i] = span * (t[i] - mean) / sxx;
}

/* Standard deviation of the growth fitted to t[k..k+m) of n values. */
static double growth_noise(const noise_model *nm, const double *t, size_t k, size_t m, size_t n)
{
    double *c = malloc(n * sizeof(double));
    if (c == NULL)
        return 0;
    fit_coef(t, k, m, n, c);
    double sd = lin_noise(nm, t, c, n);
    free(c);
    return sd;
}

/* Standard deviation of one step of dt seconds. */
static double step_noise(const noise_model *m, double dt)
{
    double var = 2 * (cov(m, 0, true) - cov(m, dt, false));
    return var > 0 ? sqrt(var) : 0;
}

/* A few buffers larger than the period (always sampled)? Go counts a
 * slice's old array until it is swept, beside the new one, so the bytes of
 * such a series jump after each reallocation and fall back at the next
 * snapshot without anything having been given back. */
static bool few_big_buffers(const an_series_in *in)
{
    if (in->objects == NULL)
        return false;
    for (size_t i = 0; i < in->n; i++)
        if (in->objects[i] > AN_FEW_BUFFERS ||
            (in->objects[i] > 0 && in->bytes[i] / in->objects[i] < in->period))
            return false;
    return true;
}

/* The bytes the series turned over from its first value to its last: the
 * mean of what came (allocated) and what went (allocated minus the rise), so
 * a site that frees nothing shows half the turnover its allocation alone
 * would suggest. */
static double turnover_parts(const an_series_in *in, double *went)
{
    const size_t n = in->n;
    double came = fmax(in->alloc[n - 1] - in->alloc[0], 0);
    *went = fmax(came - (in->bytes[n - 1] - in->bytes[0]), 0);
    return 0.5 * (came + *went);
}

static double turnover(const an_series_in *in)
{
    double went;
    return turnover_parts(in, &went);
}

/* The share of values k..n-1 pinned by exact size-class totals. */
static double pinned_share(const an_series_in *in, size_t k)
{
    if (in->pinned == NULL)
        return fmin(fmax(in->exact, 0), 1);
    double pin = 0, all = 0;
    for (size_t i = k; i < in->n; i++) {
        pin += in->pinned[i];
        all += fmax(in->bytes[i], 0);
    }
    return all > 0 ? fmin(fmax(pin / all, 0), 1) : 0;
}

/* The program's own fluctuation, beside the sampler's: objects that come and
 * go independently (requests holding a buffer for a while) leave a Poisson
 * number of them in use at any instant, so a population of P bytes in
 * objects of mean size s that turns over varies by P s. P is what the series
 * turns over in one interval between snapshots, the mean of what it
 * allocated and what it freed (under "no change" both are the turning
 * population; either alone is biased by the draw), at most its level. It
 * applies only when the object count moved at all and the objects did not
 * grow larger: one buffer reallocated larger is replaced, not joined, by the
 * next. Negligible beside the sampling noise for objects much smaller than
 * the period; what makes large objects in flight no leak. Returns the
 * variance P s (and for Go's sites the sweeper's term below). */
static double population_var(const an_series_in *in, double level)
{
    const size_t n = in->n;
    if (in->objects == NULL || in->alloc == NULL || n < 2)
        return 0;
    bool moved = false;
    double b = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        moved = moved || fabs(in->objects[i] - in->objects[0]) > 0.5;
        b += fmax(in->bytes[i], 0);
        o += fmax(in->objects[i], 0);
    }
    if (!moved || o <= 0)
        return 0;
    /* ...nor when its objects grew larger (AN_BUFFER_SIZE_FACTOR, the pattern's
     * own test): a buffer reallocated larger, however its count moved */
    if (an_classify_grew_larger(in->bytes[0], in->objects[0], in->bytes[n - 1],
                                in->objects[n - 1]) == 1)
        return 0;
    double went;
    double p = fmin(level, turnover_parts(in, &went) / (double)(n - 1));
    /* Go's heap profile counts an object in use until the sweeper frees it
     * after the collection that found it dead, so beside what is live a site
     * shows some of what it dropped in one GC cycle: none to all of it,
     * depending on when the profile is pulled, uniformly. That is at most
     * what it freed between snapshots and, at Go's default GOGC (a cycle
     * allocates about the live heap), about its level: G, the smaller, and
     * the variance of a uniform draw on [0, G] is G^2 / 12. A site that
     * keeps what it allocates drops nothing and gets nothing here. (A busy
     * handler's in-use was seen to climb by half its level over three pulls
     * of a steady server under load.) */
    double g = in->gc ? fmin(level, went / (double)(n - 1)) : 0;
    return p * (b / o) + g * g / 12;
}

static void stats_of(const an_series_in *in, an_stats *st);

void an_classify_stats(const an_series_in *in, an_stats *st)
{
    if (in->n < 2 || !few_big_buffers(in)) {
        stats_of(in, st);
        return;
    }
    /* ...so a point that holds more buffers than the next one held old
     * arrays awaiting the sweep: count it as the next one's number of its
     * own average buffers. A series that keeps more and more buffers is left
     * as it is. */
    double *live = malloc(2 * in->n * sizeof(double));
    if (live == NULL) {
        stats_of(in, st);
        st->buffers = true;
        return;
    }
    double *count = live + in->n;
    for (size_t i = 0; i < in->n; i++) {
        live[i] = in->bytes[i];
        count[i] = in->objects[i];
        if (i + 1 < in->n && in->objects[i] > in->objects[i + 1] && in->objects[i + 1] > 0) {
            live[i] = in->bytes[i] / in->objects[i] * in->objects[i + 1];
            count[i] = in->objects[i + 1];
        }
    }
    /* The last point has no next one to tell: when the count held still
     * until it, its extra buffers may be an old array beside its new one as
     * well (a snapshot taken while a vector copies into its larger buffer, or
     * before Go's sweep), so it counts as the previous point's number of its
     * average buffers; a buffer that stays shows at the next snapshot. */
    size_t last = in->n - 1;
    if (in->n >= 3 && in->objects[last] > count[last - 1] && count[last - 1] > 0 &&
        count[last - 1] == count[last - 2]) {
        live[last] = in->bytes[last] / in->objects[last] * count[last - 1];
        count[last] = count[last - 1];
    }
    an_series_in e = *in;
    e.bytes = live;
    e.objects = count;
    stats_of(&e, st);
    st->buffers = true;
    free(live);
}

static void stats_of(const an_series_in *in, an_stats *st)
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
    /* It ends as a few buffers: a few objects, each at least the period. */
    st->few_at_end = in->objects != NULL && st->end_objects > 0 &&
                     st->end_objects <= AN_FEW_BUFFERS &&
                     st->end_bytes / st->end_objects >= fmax(in->period, 1);
    st->span = in->t[n - 1] - in->t[0];
    const double w = noise_weight(in);
    st->weight = w;
    if (n < 2)
        return;

    /* The noise model of the series under "no change", and at least what
     * its drops show (when there are enough steps). */
    /* Half a sample of its own: the weight of one sample (a period for small
     * objects, nothing for objects so large they are always sampled) */
    noise_model nm = {0, 0, in->period > 1 ? in->period * w / 2 : 0};
    double level = 0;
    for (size_t i = 0; i < n; i++)
        level += fmax(in->bytes[i], 0);
    level /= (double)n;
    nm.v = level * w + population_var(in, level);
    if (in->alloc != NULL && st->span > 0) {
        double rate = turnover(in) / st->span;
        nm.tau = rate > 0 ? level / rate : INFINITY;
    }
    double sd_step = step_noise(&nm, st->span / (double)(n - 1));
    double step_sd = an_trend_drop_sigma(in->bytes, n);
    double inflate = 1;
    if (step_sd > sd_step && sd_step > 0) {
        inflate = step_sd / sd_step;
    } else if (step_sd > 0 && sd_step <= 0) {
        nm.own = step_sd * step_sd / 2; /* an exact profile: only the steps tell */
        sd_step = step_noise(&nm, st->span / (double)(n - 1));
    }
    sd_step = fmax(sd_step, step_sd);
    double sd = sd_step / sqrt(2.0);
    st->noise_point = sd;
    /* The object count carries the same samples, each standing for 1/p
     * objects instead of size/p bytes. */
    double size = 0;
    if (in->objects && st->end_objects + st->start_objects > 0)
        size = (st->end_bytes + st->start_bytes) / (st->end_objects + st->start_objects);

    an_fit f;
    if (n == 2) {
        /* Two points: the difference is all there is. */
        st->growth_bytes = st->end_bytes - st->start_bytes;
        st->growth_objects = st->end_objects - st->start_objects;
        st->growth_alloc = in->alloc ? in->alloc[1] - in->alloc[0] : 0;
        st->noise_growth = sd_step;
        st->noise_objects = size > 0 ? sd_step / size : 0;
        if (st->span > 0) {
            st->bytes_per_s = st->growth_bytes / st->span;
            st->objects_per_s = st->growth_objects / st->span;
            st->alloc_per_s = st->growth_alloc / st->span;
        }
        st->monotonic = st->growth_bytes >= 0 ? 1 : 0;
        st->rises = st->growth_bytes > 0;
        st->last_rose = st->growth_bytes > AN_Z_STEP * st->noise_growth;
    } else {
        an_trend_fit(in->t, in->bytes, n, &f);
        st->bytes_per_s = f.slope;
        st->r2 = f.r2;
        st->growth_bytes = f.slope * st->span;
        st->noise_growth = inflate * growth_noise(&nm, in->t, 0, n, n);
        double ssr = 0;
        for (size_t i = 0; i < n; i++) {
            double r = in->bytes[i] - (f.intercept + f.slope * in->t[i]);
            ssr += r * r;
        }
        st->resid_sd = sqrt(ssr / (double)(n - 2));
        if (in->objects) {
            an_trend_fit(in->t, in->objects, n, &f);
            st->objects_per_s = f.slope;
            st->growth_objects = f.slope * st->span;
            st->noise_objects = size > 0 ? st->noise_growth / size : 0;
        }
        if (in->alloc) {
            an_trend_fit(in->t, in->alloc, n, &f);
            st->alloc_per_s = f.slope;
            st->growth_alloc = f.slope * st->span;
        }
    }
    st->z = st->noise_growth > 0 ? st->growth_bytes / st->noise_growth
                                 : (st->growth_bytes > 0 ? INFINITY : 0);
    if (n == 2)
        return;

    /* The shape: which steps rose or fell beyond their noise. */
    double growth = fabs(st->growth_bytes);
    double tol = fmax(AN_Z_STEP * sd_step, 0.01 * growth);
    st->monotonic = an_trend_monotonic(in->bytes, n, tol);
    double rise = fmax(AN_Z_STEP * sd_step, growth / (4.0 * (double)(n - 1)));
    an_rises r;
    an_trend_rises(in->t, in->bytes, n, rise, &r);
    st->rises = r.count;
    st->tail = r.tail;
    st->max_gap = r.max_gap;
    st->last_rose = r.count > 0 && r.last == n - 2;
    if (r.count > 0 && in->bytes[r.last] > 0) {
        double ratio = in->bytes[r.last + 1] / in->bytes[r.last];
        bool same_count =
            in->objects == NULL || fabs(in->objects[r.last + 1] - in->objects[r.last]) <= 0.5;
        st->geometric = ratio >= AN_GEOM_MIN && same_count;
    }

    /* The two halves: [0, k] and [k, n), each at least two points; they
     * share the point nearest the middle of the span (snapshots a few
     * milliseconds early or late move no point from one half to the other). */
    size_t k = 0;
    double mid = in->t[0] + st->span / 2;
    while (k + 1 < n && fabs(in->t[k + 1] - mid) <= fabs(in->t[k] - mid))
        k++;
    if (k > n - 2)
        k = n - 2;
    if (k < 1)
        k = 1;
    an_fit ef, lf;
    an_trend_fit(in->t, in->bytes, k + 1, &ef);
    an_trend_fit(in->t + k, in->bytes + k, n - k, &lf);
    st->early_slope = ef.slope;
    st->late_slope = lf.slope;
    double late_span = in->t[n - 1] - in->t[k];
    st->late_growth = lf.slope * late_span;
    st->late_noise = inflate * growth_noise(&nm, in->t, k, n - k, n);
    st->late_expected = st->early_slope * (in->t[n - 1] - in->t[k]);
    /* What the second half freed beyond what the first half's retention
     * predicts (the bytes freed are the bytes allocated minus the rise, read
     * from the same samples). A function that still allocates but now gives
     * back what it adds -- a full cache evicting -- has stopped; one that
     * keeps what it allocates has not, however unevenly the bytes came in. */
    st->late_freed_excess = NAN;
    st->late_alloc = NAN;
    if (in->alloc != NULL) {
        double early_alloc = in->alloc[k] - in->alloc[0];
        double late_alloc = in->alloc[n - 1] - in->alloc[k];
        st->late_alloc = late_alloc;
        double still = fmax(AN_MIN_GROWTH_BYTES, in->period > 1 ? 2 * in->period : 0);
        if (early_alloc > 0 && late_alloc >= still) {
            double keep = fmin(fmax((in->bytes[k] - in->bytes[0]) / early_alloc, 0), 1);
            double went = late_alloc - (in->bytes[n - 1] - in->bytes[k]);
            st->late_freed_excess = went - (1 - keep) * late_alloc;
            st->late_kept_expected = keep * late_alloc;
            /* Poisson noise of the frees, and of the retention they are
             * compared with; at least one sample of the period. Bytes that
             * exact totals pin no longer share the alloc column's samples:
             * the kept share of the allocation carries its own sampling
             * noise, in the frees and in the retention. */
            double wa = alloc_weight(in);
            double pinned = pinned_share(in, k);
            double var = (1 - keep) * late_alloc * w +
                         late_alloc * late_alloc * keep * (1 - keep) * w / early_alloc +
                         pinned * keep * late_alloc * wa +
                         pinned * late_alloc * late_alloc * keep * keep * wa / early_alloc;
            if (in->period > 1)
                var += in->period * in->period;
            st->late_freed_noise = sqrt(var);
        }
    }
}

/* The part of the threshold that does not depend on the series' noise. */
static double floor_of(const an_limits *lim)
{
    return fmax(AN_MIN_GROWTH_BYTES, AN_MIN_HEAP_SHARE * lim->heap_max);
}

double an_classify_threshold(const an_stats *st, const an_limits *lim)
{
    return fmax(floor_of(lim), AN_Z * st->noise_growth);
}

/* The second half rose on its own: beyond its noise and at least a quarter
 * as fast as the whole series (a crumb of growth at the end of a plateau is
 * not a rise). */
static bool late_rising(const an_stats *st)
{
    return st->late_growth > AN_Z_STEP * st->late_noise &&
           st->late_slope >= 0.25 * st->bytes_per_s && st->late_growth > 0;
}

/* Growth that stopped. While the function still allocates: its second half
 * frees significantly more than the first half's retention predicts. Once it
 * allocates no more: the end did not rise and rose less than half of what the
 * first half's rate predicts (the likelihood midpoint between "stopped" and
 * "goes on"). A reallocated buffer waits longer between
 * its jumps each time, so it has stopped only after a wait much longer than
 * any before. */
static bool stopped(const an_stats *st)
{
    if (st->geometric)
        return st->tail > AN_TAIL_GAPS * st->max_gap;
    /* still allocating: the frees tell, far more surely than the bytes, when
     * they take back more than AN_STOP_FREES of what it would have kept (a
     * program that leaks also frees its temporaries now and then) and clear
     * their noise --
     * except for buffers, which free the old array at each reallocation */
    if (!isnan(st->late_freed_excess) && !st->buffers)
        return st->late_freed_excess > AN_Z_STEP * st->late_freed_noise &&
               st->late_freed_excess > AN_STOP_FREES * st->late_kept_expected;
    if (st->last_rose || late_rising(st) || st->early_slope <= 0)
        return false;
    return st->late_growth < AN_STOP_SHARE * st->late_expected;
}

static bool steady(const an_stats *st)
{
    double r2 = st->geometric ? AN_MIN_R2_GEOMETRIC : AN_MIN_R2;
    bool fits = st->r2 >= r2 || st->resid_sd <= AN_RESID_NOISE * st->noise_point;
    return fits && st->monotonic >= AN_MIN_MONOTONIC;
}

an_status an_classify_status(const an_stats *st, const an_limits *lim, bool two_point)
{
    double thr = an_classify_threshold(st, lim);
    bool grew = st->growth_bytes >= thr;
    if (two_point) {
        if (grew)
            return AN_STATUS_GREW;
    } else {
        bool stop = stopped(st);
        if (grew && steady(st) && !stop)
            return AN_STATUS_LEAK;
        /* A peak counts against the noise of two single points, not of a fit. */
        double peak_thr = fmax(floor_of(lim), AN_Z * sqrt(2.0) * st->noise_point);
        /* ...and a plateau stays up: it ends nearer its peak than its start. */
        bool stayed = st->end_bytes - st->start_bytes >= 0.5 * (st->peak_bytes - st->start_bytes);
        if ((grew || st->peak_bytes - st->start_bytes >= peak_thr) && stayed && stop)
            return AN_STATUS_PLATEAU;
        if (grew)
            return AN_STATUS_UNSTEADY;
        /* Grew, though not clearly above the noise (few snapshots, few
         * samples): not churn, whose in-use stays put -- a python3 program's
         * sqlite table, 2.5 -> 13.6 MiB over 3 snapshots, was called churn. */
        if (st->growth_bytes >= floor_of(lim) && st->end_bytes > st->start_bytes &&
            st->r2 >= AN_MIN_R2 && st->z >= AN_Z_STEP)
            return AN_STATUS_UNSTEADY;
    }
    if (st->growth_bytes <= -thr)
        return AN_STATUS_SHRINKING;
    /* Allocation that keeps going while in-use stays put: frees keep up
     * (what was freed is what was allocated beyond the rise). One or two
     * samples are no evidence of that. */
    double alloc_floor = fmax(AN_MIN_GROWTH_BYTES, lim->period > 1 ? 2 * lim->period : 0);
    if (st->growth_alloc - fmax(st->growth_bytes, 0) >= alloc_floor)
        return AN_STATUS_CHURN;
    return AN_STATUS_FLAT;
}

an_pattern an_classify_pattern(const an_stats *st)
{
    if (st->growth_bytes <= 0)
        return AN_PATTERN_NONE;
    double count_noise = fmax(AN_Z * st->noise_objects, 0.5);
    /* A sampled buffer smaller than the period counts as 1/p objects, so
     * a series that ends as a few large buffers is one whatever its start. */
    if (st->growth_objects <= count_noise || st->few_at_end)
        return AN_PATTERN_BUFFER;
    if (an_classify_grew_larger(st->start_bytes, st->start_objects, st->end_bytes,
                                st->end_objects) == 1 &&
        st->end_objects <= AN_BUFFER_COUNT_FACTOR * st->start_objects)
        return AN_PATTERN_BUFFER;
    return AN_PATTERN_ENTRIES;
}

int an_classify_grew_larger(double bytes0, double objects0, double bytes1, double objects1)
{
    if (objects0 <= 0 || bytes0 <= 0 || objects1 <= 0 || bytes1 <= 0)
        return -1;
    return bytes1 / objects1 >= AN_BUFFER_SIZE_FACTOR * (bytes0 / objects0);
}

an_confidence an_classify_confidence(const an_stats *st, size_t n, bool two_point)
{
    if (two_point || n <= AN_CONF_LOW_N)
        return AN_CONF_LOW;
    if (n >= AN_CONF_HIGH_N && st->z >= 2 * AN_Z && (late_rising(st) || st->geometric))
        return AN_CONF_HIGH;
    return AN_CONF_MEDIUM;
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

const char *an_classify_confidence_name(an_confidence c)
{
    switch (c) {
    case AN_CONF_HIGH:
        return "high";
    case AN_CONF_MEDIUM:
        return "medium";
    case AN_CONF_LOW:
        break;
    }
    return "low";
}
