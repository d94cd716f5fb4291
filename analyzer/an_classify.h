/* analyzer/an_classify.h: the verdict on one series (a function's in-use bytes
 * and objects over time): its trend figures, whether it is a leak, and which
 * kind. Every threshold is here, with the reason for its value; the man page
 * (heapsnap-analyze(1), THRESHOLDS) repeats them. */
#ifndef AN_CLASSIFY_H
#define AN_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

/* Fitted growth must exceed this many standard deviations of the sampling
 * noise of that growth: a sampled profile's value for a site is a sum of
 * samples each standing for about `period` bytes, so it moves by about
 * sqrt(bytes * period) between two snapshots even when nothing changes. */
#define AN_Z 4.0
/* ...and at least this many bytes (tiny growth is not worth a report)... */
#define AN_MIN_GROWTH_BYTES 4096.0
/* ...and at least this many sampling periods (a couple of samples is noise)... */
#define AN_MIN_GROWTH_PERIODS 2.0
/* ...and at least this share of the largest total heap in the series. */
#define AN_MIN_HEAP_SHARE 0.001
/* Steady: the line must explain this much of the variance (a staircase of
 * geometric reallocations less: one doubling inside three snapshots fits a
 * line with R^2 0.75 at best, lower when the snapshots are unevenly spaced)... */
#define AN_MIN_R2 0.7
#define AN_MIN_R2_GEOMETRIC 0.5
/* ...and at least half of the steps must not go down (beyond noise): churn on
 * top of a leak makes some steps go down, noise makes half of them. */
#define AN_MIN_MONOTONIC 0.5
/* Still growing: the last rise must be in the second half of the series and no
 * longer ago than twice the longest gap between earlier rises. Growth that
 * stops (warm-up, a cache that fills up, a pool that reaches its size) is a
 * plateau, not a leak. A step is a rise when it exceeds 3 noise deviations and
 * a quarter of the average step of the whole growth. */
#define AN_TAIL_SHARE 0.5
#define AN_TAIL_GAPS 2.0
/* A buffer reallocated larger grows in jumps by a constant factor (2 for
 * glibc-style doubling, 1.25 to 2 for Go slices) and stays flat in between,
 * longer each time, so its flat tail is no sign of a plateau: when the last
 * rise multiplied a non-zero value by AN_GEOM_MIN..AN_GEOM_MAX without adding
 * objects, only the AN_TAIL_GAPS rule applies. */
#define AN_GEOM_MIN 1.1
#define AN_GEOM_MAX 2.1
/* Sampled profiles move by more than one step of a slow leak, so single steps
 * cannot be told from noise there: the series also counts as still growing
 * when a line fitted to its second half rises at least a quarter as fast as
 * the whole series and by more than AN_Z_LATE deviations of its noise. */
#define AN_LATE_SHARE 0.25
#define AN_Z_LATE 3.0
/* Pattern: a buffer when the object count does not grow beyond noise (or half
 * an object), or when the average object size at least doubles while the
 * count grows less than 1.5 times. */
#define AN_BUFFER_SIZE_FACTOR 2.0
#define AN_BUFFER_COUNT_FACTOR 1.5

typedef enum an_status {
    AN_STATUS_LEAK,      /* grows steadily and is still growing */
    AN_STATUS_GREW,      /* two-point diff: grew significantly (weaker verdict) */
    AN_STATUS_PLATEAU,   /* grew, then stopped */
    AN_STATUS_UNSTEADY,  /* grew, but not steadily enough to call it a leak */
    AN_STATUS_CHURN,     /* allocates all along, frees keep up: in use flat */
    AN_STATUS_SHRINKING, /* in use went down */
    AN_STATUS_FLAT,      /* nothing significant */
    AN_STATUS_COUNT
} an_status;

typedef enum an_pattern {
    AN_PATTERN_NONE,
    AN_PATTERN_BUFFER,  /* bytes grow, object count flat: one buffer keeps growing */
    AN_PATTERN_ENTRIES, /* object count grows: entries accumulate */
} an_pattern;

/* One series, in time order. objects and alloc may be NULL. The variances are
 * those of one point (an_trend_bytes_variance / an_trend_objects_variance). */
typedef struct an_series_in {
    const double *t, *bytes, *objects, *alloc;
    size_t n;
    double var_bytes, var_objects;
} an_series_in;

typedef struct an_stats {
    double bytes_per_s, objects_per_s, alloc_per_s;
    double r2, monotonic;
    double growth_bytes;   /* fitted: slope * span (two points: last - first) */
    double growth_objects; /* the same for the object count */
    double growth_alloc;
    double start_bytes, end_bytes, peak_bytes, start_objects, end_objects;
    double span;         /* seconds (or steps) from first to last */
    double noise_growth; /* standard deviation of growth_bytes from sampling */
    double noise_point;  /* standard deviation of one value from sampling */
    double noise_objects;
    size_t rises;
    double tail, max_gap;
    double late_slope, late_growth, late_noise; /* the fit of the second half */
    bool geometric; /* the last rise looks like a reallocation to a larger buffer */
} an_stats;

/* Limits that depend on the whole input. */
typedef struct an_limits {
    double period;   /* sampling period in bytes; <= 1 when exact */
    double heap_max; /* largest total heap in the series */
} an_limits;

void an_classify_stats(const an_series_in *in, an_stats *st);
/* The smallest growth that counts as significant for these stats. */
double an_classify_threshold(const an_stats *st, const an_limits *lim);
an_status an_classify_status(const an_stats *st, const an_limits *lim, bool two_point);
an_pattern an_classify_pattern(const an_stats *st);

const char *an_classify_status_name(an_status s);
const char *an_classify_pattern_name(an_pattern p);

#endif
