/* snapshot/stats.h: `heapsnap -p PID --stats [--json]`: stop the process, walk
 * its arenas, resume it, and print the census per arena (table or JSON). */
#ifndef HS_SNAPSHOT_STATS_H
#define HS_SNAPSHOT_STATS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "hs_error.h"

/* Prints the report to out. 0, or -1 + err (the process is always resumed). */
int stats_run(pid_t pid, bool json, FILE *out, hs_err *err);

#endif
