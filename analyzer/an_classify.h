/* analyzer/an_classify.h: the verdict on one series (a function's in-use bytes
 * and objects over time): its trend figures, their sampling noise, whether it
 * is a leak, which kind, and how sure. Every threshold is here, with the reason
 * for its value; the man page (heapsnap-analyze(1), NOISE MODEL and
 * THRESHOLDS) repeats them.
 *
 * The noise model. A sampled profile (Go's, heapsnap's) records an allocation
 * of s bytes with probability p = 1 - exp(-s/R) (R the period) and counts it as
 * s/p bytes, so the value of a site is a sum of Poisson-many samples of weight
 * w = s/p (about R for small objects, s for objects much larger than R). A
 * recorded object stays recorded until it is freed, so between two snapshots
 * the value moves only through samples taken or freed in between: if the true
 * in-use did not change, the bytes that came equal the bytes that went, at most
 * the smaller of the level and the bytes allocated in between (the turnover T),
 * and the change has variance about 2 T w. Never less than one sample of the
 * period (R^2): a site can hold about R bytes that no sample saw. Exact
 * profiles (R <= 1) have no sampling noise. Whatever the model says, the noise
 * is at least what the steps of the series show (their robust spread). */
#ifndef AN_CLASSIFY_H
#define AN_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

/* Growth is significant when it exceeds AN_Z standard deviations of its noise:
 * one-sided, a Gaussian exceeds 2.5 deviations 0.6 % of the time, which keeps
 * false positives under 1 % of the series that do not leak. bench/accuracy
 * measures it on every control shape, rate and snapshot count: at most 0.8 %
 * with 3 or more snapshots (2 deviations: up to 3 %; 3 deviations: 0.4 %,
 * with recall of small-object leaks falling by a third). */
#define AN_Z 2.5
/* A single step rose (or fell) when it moved by more than AN_Z_STEP
 * deviations of its own noise: a weaker test, used only for the shape (still
 * rising at the end, a step that went down), never alone for a verdict. */
#define AN_Z_STEP 2.0
/* ...and growth must be at least this many bytes (tiny growth is not worth a
 * report)... */
#define AN_MIN_GROWTH_BYTES 4096.0
/* ...and at least this share of the largest total heap in the series. */
#define AN_MIN_HEAP_SHARE 0.001
/* Steady: the line explains this much of the variance, or what it leaves is
 * no more than AN_RESID_NOISE times the sampling noise of a point (a sampled
 * leak is as steady as its noise lets it be); a staircase of geometric
 * reallocations needs less (one doubling inside three snapshots fits a line
 * with R^2 0.75 at best, lower when the snapshots are unevenly spaced)... */
#define AN_MIN_R2 0.7
#define AN_MIN_R2_GEOMETRIC 0.5
#define AN_RESID_NOISE 2.0
/* ...and at least half of the steps must not go down beyond noise: churn on
 * top of a leak makes some steps go down, noise makes half of them. */
#define AN_MIN_MONOTONIC 0.5
/* Stopped (a plateau): the second half of the series did not rise beyond
 * AN_Z_STEP deviations, and rose less than AN_STOP_SHARE of what the first
 * half's rate predicts -- the midpoint between "it stopped" and "it goes on",
 * where a likelihood test with the same noise under both puts its bar. While
 * the function still allocates (two periods or more in the second half), its
 * frees decide instead: the second half must free significantly more
 * (AN_Z_STEP deviations) than the first half's retention predicts, and more
 * than AN_STOP_FREES of what that retention says it would keep (perl leaking
 * hash keys freed 14 % of that in one interval; a full cache frees all of
 * it): a full cache evicts what it adds, a
 * leak keeps it, however unevenly the bytes arrive (a Go map's bucket arrays double in jumps; Go's
 * profile lags by a varying number of GC cycles). With three snapshots a series whose last step
 * rose is never a plateau. A buffer that is reallocated larger grows in jumps by a constant factor
 * (2 for glibc-style doubling, 1.25 to 2 for Go slices) and stays flat in between, longer each
 * time: when the last rise multiplied a non-zero value by at least
 * AN_GEOM_MIN without adding objects (by any factor: several reallocations
 * can fall between two snapshots, x4 for two doublings), it has stopped only when
 * its flat tail is longer than AN_TAIL_GAPS times the longest wait between its
 * earlier rises. */
#define AN_STOP_SHARE 0.5
#define AN_STOP_FREES 0.25
#define AN_GEOM_MIN 1.1
#define AN_TAIL_GAPS 2.0
/* Pattern: a buffer when the object count does not grow beyond noise (or half
 * an object), or when the average object size at least doubles while the
 * count grows less than 1.5 times. */
#define AN_BUFFER_SIZE_FACTOR 2.0
/* A series of at most this many objects, each at least the sampling period
 * (always sampled), is a few buffers: each reallocation frees the old array,
 * so its frees say nothing of a stop; and a point that holds more of them than
 * the next held old arrays awaiting Go's sweep beside the new one, and counts
 * as the next point's number of its average buffers. */
#define AN_FEW_BUFFERS 4.0
#define AN_BUFFER_COUNT_FACTOR 1.5
/* Confidence: high needs at least AN_CONF_HIGH_N snapshots, growth twice as
 * far above its noise as significance asks, and a second half that rose
 * significantly on its own; two or three snapshots are always low. */
#define AN_CONF_HIGH_N 5
#define AN_CONF_LOW_N 3

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

typedef enum an_confidence {
    AN_CONF_LOW,
    AN_CONF_MEDIUM,
    AN_CONF_HIGH,
} an_confidence;

/* One series, in time order. objects and alloc (cumulative allocated bytes)
 * may be NULL. period: the profile's sampling period in bytes, <= 1 when
 * exact. weight: the mean weight of one sample in bytes when the caller knows
 * it better (sites of several object sizes), else 0 and it is derived from
 * bytes / objects. */
typedef struct an_series_in {
    const double *t, *bytes, *objects, *alloc;
    size_t n;
    double period, weight;
    double exact; /* share of the bytes pinned by exact size-class totals (0..1) */
    /* the mean weight of one sample of the alloc column, which exact totals
     * never pin (0: derived from bytes / objects, as weight) */
    double alloc_weight;
    /* per value, the bytes pinned by exact size-class totals (NULL: the share
     * exact throughout) */
    const double *pinned;
    /* the site is in garbage-collected code (Go): its in-use includes what
     * the sweeper has not freed yet (population_var, an_classify.c) */
    bool gc;
} an_series_in;

typedef struct an_stats {
    double bytes_per_s, objects_per_s, alloc_per_s;
    double r2, monotonic;
    double growth_bytes;   /* fitted: slope * span (two points: last - first) */
    double growth_objects; /* the same for the object count */
    double growth_alloc;
    double start_bytes, end_bytes, peak_bytes, start_objects, end_objects;
    double span;         /* seconds (or steps) from first to last */
    double weight;       /* bytes one sample stands for (0 when exact) */
    double noise_point;  /* standard deviation of one value under "no change" */
    double noise_growth; /* standard deviation of growth_bytes under "no change" */
    double noise_objects;
    double resid_sd; /* spread of the values around the fitted line */
    double z;        /* growth_bytes / noise_growth (large when the noise is 0) */
    size_t rises;
    double tail, max_gap;
    bool last_rose;                             /* the last step rose beyond its noise */
    double late_slope, late_growth, late_noise; /* the fit of the second half */
    double early_slope;                         /* the fit of the first half */
    double late_expected;      /* growth of the second half at the first half's rate */
    double late_freed_excess;  /* second half's frees beyond the first half's retention;
                                  NAN when it no longer allocates */
    double late_freed_noise;   /* the standard deviation of that */
    double late_kept_expected; /* what the second half would keep at that retention */
    double late_alloc;         /* bytes the second half allocated (NAN: no alloc column) */
    bool geometric;            /* the last rise looks like a reallocation to a larger buffer */
    bool buffers;              /* a few buffers (AN_FEW_BUFFERS): reallocation frees the old one */
    bool few_at_end;           /* the last value is a few objects, each at least the period */
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
/* Whether the mean object size went from bytes0/objects0 to at least
 * AN_BUFFER_SIZE_FACTOR times that at bytes1/objects1 (a buffer reallocated
 * larger): 1 when it did, 0 when it did not, -1 when either mean is unknown
 * (no objects or no bytes). */
int an_classify_grew_larger(double bytes0, double objects0, double bytes1, double objects1);
/* How sure a LEAK or GREW verdict is, from n snapshots. */
an_confidence an_classify_confidence(const an_stats *st, size_t n, bool two_point);

const char *an_classify_status_name(an_status s);
const char *an_classify_pattern_name(an_pattern p);
const char *an_classify_confidence_name(an_confidence c);

#endif
