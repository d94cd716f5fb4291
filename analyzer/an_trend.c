/* analyzer/an_trend.c: least squares, monotonic steps, rises and sampling
 * noise over one time series (see an_trend.h). */
#include "an_trend.h"

#include <math.h>

double an_trend_sxx(const double *t, size_t n)
{
    if (n == 0)
        return 0;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += t[i];
    mean /= (double)n;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (t[i] - mean) * (t[i] - mean);
    return s;
}

int an_trend_fit(const double *t, const double *y, size_t n, an_fit *out)
{
    out->slope = 0;
    out->intercept = n ? y[0] : 0;
    out->r2 = 0;
    if (n < 2)
        return -1;
    double mt = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mt += t[i];
        my += y[i];
    }
    mt /= (double)n;
    my /= (double)n;
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dt = t[i] - mt, dy = y[i] - my;
        sxx += dt * dt;
        sxy += dt * dy;
        syy += dy * dy;
    }
    out->intercept = my;
    if (sxx <= 0)
        return -1;
    out->slope = sxy / sxx;
    out->intercept = my - out->slope * mt;
    /* A constant series has nothing to explain: call it no trend, not a perfect one. */
    out->r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
    return 0;
}

double an_trend_monotonic(const double *y, size_t n, double tol)
{
    if (n < 2)
        return 1;
    size_t up = 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (y[i + 1] >= y[i] - tol)
            up++;
    return (double)up / (double)(n - 1);
}

void an_trend_rises(const double *t, const double *y, size_t n, double thresh, an_rises *out)
{
    out->count = 0;
    out->last = 0;
    out->max_gap = 0;
    out->tail = n ? t[n - 1] - t[0] : 0;
    if (n < 2)
        return;
    double prev = t[0]; /* the earliest the previous rise can have happened */
    for (size_t i = 0; i + 1 < n; i++) {
        if (y[i + 1] - y[i] <= thresh)
            continue;
        double gap = t[i + 1] - prev;
        if (gap > out->max_gap)
            out->max_gap = gap;
        prev = t[i];
        out->last = i;
        out->count++;
    }
    if (out->count > 0)
        out->tail = t[n - 1] - t[out->last + 1];
}

double an_trend_noise_weight(double bytes, double objects, double period)
{
    if (period <= 1)
        return 0;
    if (bytes <= 0 || objects <= 0)
        return period;
    double size = bytes / objects;
    double p = -expm1(-size / period);
    return size * (1 - p) / p;
}

double an_trend_drop_sigma(const double *y, size_t n)
{
    if (n < AN_TREND_MIN_STEPS + 1)
        return -1;
    double sum = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double d = fmin(y[i + 1] - y[i], 0);
        sum += d * d;
    }
    return sqrt(2 * sum / (double)(n - 1));
}
