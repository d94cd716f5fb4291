/* snapshot/periodic.h: a series of snapshots at a fixed interval
 * (`-i 10s -n 30 -o 'snap-%04d.pb.gz'`), until the count is reached, the user
 * presses Ctrl-C (the current snapshot is finished first) or the process exits. */
#ifndef HS_SNAPSHOT_PERIODIC_H
#define HS_SNAPSHOT_PERIODIC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

typedef struct periodic_opts {
    pid_t pid;
    uint64_t interval_ns;
    unsigned long count;         /* 0 = until interrupted or the process exits */
    const char *out_pattern;     /* checked with outpattern_check */
    const char *threads_pattern; /* NULL, or checked with outpattern_check */
    bool json;                   /* one JSON line per snapshot on stdout */
} periodic_opts;

/* Runs the series. Returns the number of snapshots written (>= 0) or -1 + err
 * when a snapshot failed for a reason other than the process exiting. */
long periodic_run(const periodic_opts *o, hs_err *err);

#endif
