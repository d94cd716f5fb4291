/* snapshot/trim.c: heapsnap --trim (see trim.h). malloc_trim takes every
 * arena's lock in turn, so it runs only with the heap quiet and on a thread
 * fit for injected calls, as --attach does; the process's RSS is read from
 * smaps_rollup before the stop and after the resume. */
#include "trim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "resident.h"
#include "stats.h"

/* The RSS ledger's prediction of what malloc_trim(0) gives back (heapsnap
 * --stats, its own stop just before the trim's): 0, or -1 when the census
 * could not be taken (no layout for this libc...), and then none is shown. */
static int trim_predict(pid_t pid, uint64_t *bytes)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return -1;
    hs_err e;
    int rc = stats_run(pid, false, f, &e);
    fclose(f);
    const char *p = rc == 0 && buf != NULL ? strstr(buf, "reclaimable by malloc_trim(0): ") : NULL;
    unsigned long long v = 0;
    int ok = p != NULL && sscanf(p, "reclaimable by malloc_trim(0): %llu bytes", &v) == 1;
    free(buf);
    *bytes = v;
    return ok ? 0 : -1;
}

int trim_run(pid_t pid, trim_report *rep, hs_err *err)
{
    memset(rep, 0, sizeof(*rep));
    rep->have_prediction = trim_predict(pid, &rep->predicted) == 0;
    if (resident_rollup(pid, &rep->rss_before, err) != 0)
        return -1;
    attach_ctx *a = attach_session_open(pid, err);
    if (a == NULL)
        return -1;
    uint64_t args[1] = {0}, ret = 0;
    int rc = attach_session_call(a, "malloc_trim", args, 1, &ret, err);
    rc = attach_session_close(a, rc, &rep->pause_us, err);
    if (rc != 0)
        return -1;
    rep->released = (int)(int32_t)ret;
    return resident_rollup(pid, &rep->rss_after, err);
}
