/* analyzer/an_input.h: reads the profiles (through lib/pprof's reader only),
 * checks they are of one kind (same sample types, period type and period),
 * picks the sample columns to follow and puts the snapshots in time order. */
#ifndef AN_INPUT_H
#define AN_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "an_series.h"
#include "hs_error.h"

typedef struct an_snapshot {
    const char *path;
    int64_t time_nanos;
    uint32_t pos; /* input position: the snapshot id in the series */
    double t;     /* seconds since the first snapshot (or the step number) */
    /* malloc's own figures from a heapsnap profile's comments: bytes its
     * arenas took from the system, and free inside them; NAN when absent */
    double sys_bytes, free_bytes;
    /* the process's resident set size from the same comment; NAN when absent */
    double rss_bytes;
    /* bytes in malloc's mmapped chunks (outside the arenas); NAN when absent */
    double mmapped_bytes;
} an_snapshot;

#define AN_INPUT_MAX_NOTES 4

typedef struct an_input {
    size_t n;
    an_snapshot *snaps; /* in analysis order */
    bool has_time;      /* false: file order, t = step number */
    char sample_type[128], sample_unit[64], objects_type[128];
    char period_type[64], period_unit[32];
    int64_t period;
    bool sampled; /* period > 1 and counted in bytes: values are estimates */
    an_series_cols cols;
    size_t nexact; /* profiles whose values were scaled to exact size-class totals */
    char notes[AN_INPUT_MAX_NOTES][320];
    int nnotes;
} an_input;

/* Reads every path, feeds the series (created here, freed by the caller) and
 * orders the snapshots: by time_nanos, or as given when keep_order (--base) or
 * when a profile has no time. sample_index is a sample type name or a number
 * (NULL: inuse_space, else the profile's default). */
int an_input_load(an_input *in, char *const *paths, size_t n, const char *sample_index,
                  bool keep_order, const an_frames *filter, an_series **series, hs_err *err);
void an_input_free(an_input *in);

#endif
