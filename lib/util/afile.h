/* lib/util/afile.h: write a whole output file atomically (temp file in the
 * same directory, fsync, rename), so a reader or a crash never sees a partial
 * file under the final name, and a failed write leaves the old file intact. */
#ifndef HS_ATOMIC_FILE_H
#define HS_ATOMIC_FILE_H

#include <stddef.h>

#include "hs_error.h"

/* Writes len bytes to path atomically. Refuses a path that is a directory or a
 * symbolic link (it would not be replaced as the user expects). 0 or -1. */
int afile_write(const char *path, const void *data, size_t len, hs_err *err);
/* Checks, before there is anything to write, that afile_write(path) could
 * create its file: the same refusals, and a temp file created in the
 * directory and removed at once (permissions, read-only or full inode table).
 * 0, or -1 + err with the sentence afile_write would give. Leaves nothing. */
int afile_check(const char *path, hs_err *err);

#endif
