/* lib/util/slurp.h: read a whole file (regular or /proc) into memory, with a size
 * limit, for the parsers that want all their bytes at once. */
#ifndef HS_SLURP_H
#define HS_SLURP_H

#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"

/* Reads path into a malloc'd buffer (NUL-terminated, the NUL not counted in
 * *len). Fails with one sentence when the file cannot be opened or read, or is
 * larger than max bytes. */
int slurp_file(const char *path, size_t max, uint8_t **buf, size_t *len, hs_err *err);

#endif
