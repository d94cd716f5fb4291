/* lib/util/duration.h: the durations users type for periodic snapshots
 * ("500ms", "10s", "1m", "2h", "1.5s"), parsed into nanoseconds. */
#ifndef HS_DURATION_H
#define HS_DURATION_H

#include <stdint.h>

#include "hs_error.h"

/* Parses a positive duration: a decimal number followed by one of the units
 * ns, us, ms, s, m, h (a bare number means seconds). 0 or -1 + err. */
int duration_parse(const char *text, uint64_t *out_ns, hs_err *err);

#endif
