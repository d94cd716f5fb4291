/* snapshot/trim.h: heapsnap --trim: malloc_trim(0) run inside the process
 * (through the injected-call session of attach.h), its RSS before and after. */
#ifndef HS_SNAPSHOT_TRIM_H
#define HS_SNAPSHOT_TRIM_H

#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

typedef struct trim_report {
    uint64_t rss_before, rss_after; /* bytes, /proc/PID/smaps_rollup's Rss */
    int released;                   /* malloc_trim's result: 1 if memory went back */
    int have_prediction;            /* the RSS ledger's (--stats) prediction, just before */
    uint64_t predicted;             /* its reclaimable bytes */
    uint64_t pause_us;
} trim_report;

/* Runs malloc_trim(0) in pid with every other thread stopped. */
int trim_run(pid_t pid, trim_report *rep, hs_err *err);

#endif
