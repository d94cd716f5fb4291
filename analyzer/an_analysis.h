/* analyzer/an_analysis.h: the whole analysis of a profile series: the verdict
 * of every allocating function, the ranked suspects with their growing call
 * sites, and the figures the reports print. */
#ifndef AN_ANALYSIS_H
#define AN_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "an_classify.h"
#include "an_input.h"
#include "an_series.h"
#include "hs_error.h"

#define AN_TOP_SITES 3
/* A suspect whose in-use grew by less than a tenth of what it allocated in the
 * same time is mostly churn whose level drifts (in Go's profiles the garbage
 * of a busy function is counted until it is swept, so its in-use follows the
 * GC's pace as the heap grows): it is still reported, after the suspects that
 * keep most of what they allocate. */
#define AN_RETENTION_MIN 0.1
/* The suspects account for the heap's growth when they hold at least half of
 * it; else the report names where the rest went. */
#define AN_EXPLAINED_SHARE 0.5
/* malloc keeps free memory worth a word when at least this share of what it
 * took from the system is free and that is at least AN_KEPT_MIN bytes (a
 * high RSS that is not the program's data)... */
#define AN_KEPT_SHARE 0.5
#define AN_KEPT_MIN (4.0 * 1048576)
/* ...and its memory grew without the program's data when it took at least
 * AN_KEPT_MIN and a tenth more from the system while the heap in use grew by
 * less than half of that. */
#define AN_SYS_GROWTH 0.1
/* (the same two thresholds decide that RSS grew without the program's data) */

/* Which objects of a function a verdict is about (an_analysis.c,
 * classify_parts). */
typedef enum an_part {
    AN_PART_ALL,   /* all of them */
    AN_PART_SMALL, /* those smaller than the sampling period */
    AN_PART_LARGE, /* those at least as large (buffers, always sampled) */
} an_part;

typedef struct an_verdict {
    uint32_t group;
    an_status status;
    an_pattern pattern;
    an_confidence confidence; /* of a LEAK or GREW verdict */
    double retention;         /* in-use growth / allocated meanwhile (1 when unknown) */
    an_part part;             /* which of its objects the verdict is about */
    an_stats st;
    double rel_start;             /* growth / start bytes; < 0 when it started from nothing */
    double rel_heap;              /* growth / total heap at the end */
    uint32_t sites[AN_TOP_SITES]; /* growing sites, fastest first */
    double site_rate[AN_TOP_SITES];
    int nsites;
    /* the representative site's allocating frame */
    const char *function, *file;
    int64_t line;
    const char *what; /* the type most of its bytes are (an_types_settle), NULL: unknown */
    char hint[768];
} an_verdict;

typedef struct an_analysis {
    const an_input *in;
    const an_series *series;
    bool two_point;
    size_t n;
    double *t;           /* time of each snapshot, analysis order */
    double *total_bytes; /* total in use, analysis order */
    an_stats total;
    an_verdict *verdicts; /* one per group */
    size_t nverdicts;
    size_t *suspects; /* indices into verdicts, ranked by bytes_per_s */
    size_t nsuspects;
    size_t count[AN_STATUS_COUNT];
    bool total_grew;              /* the total in use grew beyond its noise */
    double unexplained_bytes;     /* > 0: growth of the total that no suspect holds */
    size_t growers[AN_TOP_SITES]; /* then: the verdicts that grew most, largest first */
    size_t ngrowers;
    /* Functions that are not suspects but rose by more than AN_Z_STEP
     * deviations: a leak, perhaps, that more snapshots would confirm. */
    size_t rising[AN_TOP_SITES];
    size_t nrising;
    /* heapsnap's pseudo-sites ([unattributed ...], [unsampled ...]) that grew
     * like a leak: memory whose call site no sample caught. */
    size_t uncoded[AN_TOP_SITES];
    size_t nuncoded;
    /* malloc's own memory (heapsnap's profiles say it): taken from the
     * system and free inside, at the first and last snapshot */
    bool has_malloc;
    double sys_start, sys_end, free_start, free_end;
    bool malloc_keeps; /* most of it is free (AN_KEPT_SHARE) */
    bool malloc_grew;  /* it grew, the heap in use did not (AN_SYS_GROWTH) */
    /* the process's RSS at the first and last snapshot (their comments) */
    bool has_rss;
    double rss_start, rss_end;
    /* RSS grew by AN_KEPT_MIN and AN_SYS_GROWTH while the heap in use grew by
     * less than half as much, and malloc's free memory at the end covers at
     * least half of that growth: memory malloc keeps, not the program's */
    bool rss_kept;
    /* RSS grew outside malloc: by rss_outside_bytes at least (the growth less
     * all that malloc's arenas and mmapped chunks could have made resident
     * beyond the start's heap in use), which is at least AN_KEPT_MIN, a tenth
     * of the first RSS (AN_SYS_GROWTH) and half of RSS's growth: mappings the
     * program makes itself (another allocator's pools, mmap, thread stacks),
     * which a heap profile does not see */
    bool rss_outside;
    double rss_outside_bytes;
} an_analysis;

int an_analyze(an_analysis *a, const an_input *in, const an_series *series, hs_err *err);
void an_analysis_free(an_analysis *a);

/* In-use bytes of a verdict's function at every snapshot (analysis order). */
void an_analysis_group_bytes(const an_analysis *a, const an_verdict *v, double *out);

/* Verdicts of one status, largest peak first (for the "not leaking" summary). */
size_t an_analysis_by_status(const an_analysis *a, an_status s, size_t *out, size_t max);

/* The statuses of the functions that do not leak, in the order every report
 * lists them. */
#define AN_NOT_LEAKING_N 5
extern const an_status an_not_leaking[AN_NOT_LEAKING_N];

#endif
