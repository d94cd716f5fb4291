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

typedef struct an_verdict {
    uint32_t group;
    an_status status;
    an_pattern pattern;
    an_stats st;
    double rel_start;             /* growth / start bytes; < 0 when it started from nothing */
    double rel_heap;              /* growth / total heap at the end */
    uint32_t sites[AN_TOP_SITES]; /* growing sites, fastest first */
    double site_rate[AN_TOP_SITES];
    int nsites;
    /* the representative site's allocating frame */
    const char *function, *file;
    int64_t line;
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
} an_analysis;

int an_analyze(an_analysis *a, const an_input *in, const an_series *series, hs_err *err);
void an_analysis_free(an_analysis *a);

/* In-use bytes of a verdict's function at every snapshot (analysis order). */
void an_analysis_group_bytes(const an_analysis *a, const an_verdict *v, double *out);

/* Verdicts of one status, largest peak first (for the "not leaking" summary). */
size_t an_analysis_by_status(const an_analysis *a, an_status s, size_t *out, size_t max);

#endif
