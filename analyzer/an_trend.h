/* analyzer/an_trend.h: the arithmetic of growth over a time series: least-squares
 * line, R², monotonic steps, where the rises are, and the sampling noise of a
 * pprof value. Pure functions on arrays; no allocation, no I/O. */
#ifndef AN_TREND_H
#define AN_TREND_H

#include <stddef.h>

/* y = intercept + slope * t, fitted by ordinary least squares. */
typedef struct an_fit {
    double slope, intercept;
    double r2; /* fraction of the variance of y the line explains; 0 when y is constant */
} an_fit;

/* Fits y over t. -1 when n < 2 or every t is equal (no time axis), else 0. */
int an_trend_fit(const double *t, const double *y, size_t n, an_fit *out);

/* Sum of squared deviations of t from its mean (the fit's leverage). */
double an_trend_sxx(const double *t, size_t n);

/* Fraction of the n-1 steps with y[i+1] >= y[i] - tol; 1 when n < 2. */
double an_trend_monotonic(const double *y, size_t n, double tol);

/* Where a series rises: a step counts as a rise when y grows by more than
 * thresh. A rise happens somewhere inside its step, so the time between two
 * can be as long as from the start of the earlier one's step to the end of
 * the later one's: max_gap is the longest such time (from t[0] for the
 * first rise); tail the time since the end of the last rise's step (t[n-1] -
 * t[0] when nothing rose). */
typedef struct an_rises {
    size_t count;
    size_t last; /* the last rise is the step y[last] -> y[last+1] (when count > 0) */
    double max_gap, tail;
} an_rises;
void an_trend_rises(const double *t, const double *y, size_t n, double thresh, an_rises *out);

/* The noise that the steps of a series show, judged by its drops alone:
 * sqrt(2 * mean of min(step, 0)^2) over the n-1 steps. Noise around a flat
 * level makes half the steps drop, so this is about the spread of a step;
 * growth, steady or in bursts, drops nowhere and shows none. -1 when there are
 * fewer than AN_TREND_MIN_STEPS steps. */
#define AN_TREND_MIN_STEPS 4
double an_trend_drop_sigma(const double *y, size_t n);

/* The variance that one byte of a sampled in-use value carries: an object of
 * size bytes/objects is recorded with probability p = 1 - exp(-size/period)
 * and counted as size/p, so B bytes held in such objects read with variance
 * B * size * (1 - p) / p, i.e. B times the value returned (about the period for
 * small objects, near 0 for objects much larger than it). 0 when period <= 1
 * (every allocation recorded); the period itself when nothing is held (an
 * unseen object is a small one). */
double an_trend_noise_weight(double bytes, double objects, double period);

#endif
