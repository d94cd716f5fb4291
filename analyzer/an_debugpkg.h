/* analyzer/an_debugpkg.h: the Debian package whose -dbgsym package would give
 * a stripped file its symbols, asked of dpkg on this machine. */
#ifndef AN_DEBUGPKG_H
#define AN_DEBUGPKG_H

#include <stdbool.h>
#include <stddef.h>

/* Writes "<package>-dbgsym" for the installed file path into out and returns
 * true; false when the file is not here, dpkg is missing or owns no such
 * file (the analyzer may run on another machine than the program). */
bool an_debug_package(const char *path, char *out, size_t len);

#endif
