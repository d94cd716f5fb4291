/* snapshot/report.h: how heapsnap tells the user about a snapshot it took: a
 * one-line summary on stderr, a JSON object per snapshot on stdout (--json), and
 * the notices (no hook, no libc debug info) printed once per run. */
#ifndef HS_SNAPSHOT_REPORT_H
#define HS_SNAPSHOT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "snapshot.h"

/* "heapsnap: wrote out.pb.gz: 12.3 MiB in use in 4567 chunks (...), pause 3.2 ms" */
void report_summary(FILE *f, const char *path, const snap_result *r);
/* One JSON object on one line (keys documented in heapsnap(1)). */
void report_json(FILE *f, unsigned long index, const char *path, const char *threads_path,
                 const snap_result *r);
/* Prints r's notices that have not been printed yet in this run. */
void report_notices(FILE *f, const snap_result *r);
/* Human-readable bytes ("12.3 MiB") into buf; returns buf. */
const char *report_bytes(unsigned long long n, char *buf, size_t len);

#endif
