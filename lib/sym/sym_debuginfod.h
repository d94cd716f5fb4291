/* lib/sym/sym_debuginfod.h: separate debug files fetched by build id from the
 * debuginfod servers named in DEBUGINFOD_URLS, through elfutils' client and
 * its cache. The symbolizer asks here when no local debug file was found. */
#ifndef HS_SYM_DEBUGINFOD_H
#define HS_SYM_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>

/* Fetches (or finds in the client's cache) the debug file of the object with
 * this build id (hex) and writes its path into out. false when
 * DEBUGINFOD_URLS is unset or empty, when libdebuginfod.so.1 cannot be
 * loaded, or when no server has the file; a failed lookup is remembered by
 * the client's cache (cache_miss_s), so asking again is cheap. */
bool sym_debuginfod_find(const char *build_id_hex, char *out, size_t outlen);

#endif
