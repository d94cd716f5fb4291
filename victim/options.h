/* victim/options.h: heapsnap-victim's command line, parsed into one struct. */
#ifndef VICTIM_OPTIONS_H
#define VICTIM_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hs_error.h"
#include "scenario.h"

#define VICTIM_DEFAULT_RATE 2000
#define VICTIM_DEFAULT_MAX_MB 512
#define VICTIM_MAX_THREADS 64

struct victim_opts {
    const struct victim_scenario *scenario; /* NULL until --scenario */
    int list, fixed, help, version;
    uint64_t rate;        /* operations per second across all threads; 0 = no limit */
    uint64_t duration_ns; /* 0 = until killed */
    unsigned threads;
    uint64_t seed;
    size_t max_mb;
    const char *http; /* NULL or ADDR for the /debug/pprof endpoint */
};

/* Parses argv into o (defaults first). -1 with one sentence in err on a usage
 * error; a missing --scenario is not checked here (--list and --help need none). */
int victim_opts_parse(int argc, char **argv, struct victim_opts *o, hs_err *err);

/* Parses a duration such as 500ms, 10s, 5m, 1h or 30 (seconds) into ns. */

/* Prints --help. */
void victim_opts_usage(FILE *out);

#endif
