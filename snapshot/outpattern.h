/* snapshot/outpattern.h: output names for periodic snapshots. A pattern holds
 * exactly one printf-style integer conversion ("snap-%04d.pb.gz"); it is checked
 * once, so formatting it can never read a missing argument. */
#ifndef HS_SNAPSHOT_OUTPATTERN_H
#define HS_SNAPSHOT_OUTPATTERN_H

#include <stddef.h>

#include "hs_error.h"

/* 0 when pattern has exactly one %d/%i/%u conversion (flags '0', '-', ' ', '+'
 * and a width allowed, "%%" is a literal percent), else -1 + err. */
int outpattern_check(const char *pattern, hs_err *err);

/* Writes pattern with its conversion replaced by k into buf. 0, or -1 + err
 * when the name does not fit. The pattern must have passed outpattern_check. */
int outpattern_format(const char *pattern, unsigned long k, char *buf, size_t len, hs_err *err);

#endif
