/* lib/sym/buildid.h: GNU build ids of ELF files (NT_GNU_BUILD_ID notes, read with
 * libelf) and the conventional path of a separate debug file by build id. */
#ifndef HS_BUILDID_H
#define HS_BUILDID_H

#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"

#define BUILDID_MAX 64 /* bytes; SHA-1 ids are 20 */

/* Reads the build id of the ELF file at path into id (raw bytes). Returns the
 * length (> 0), 0 when the file has no build-id note, -1 on error. */
int buildid_read_file(const char *path, uint8_t *id, size_t idlen, hs_err *err);
/* Lower-case hex of id into out (needs 2*len+1 bytes); returns out. */
char *buildid_hex(const uint8_t *id, size_t len, char *out, size_t outlen);
/* "/usr/lib/debug/.build-id/xx/yyyy.debug" for the hex id (root may be NULL
 * for "/usr/lib/debug"). Returns out. */
char *buildid_debug_path(const char *hex, const char *root, char *out, size_t outlen);

#endif
