/* analyzer/an_hint.h: the fix hint for a suspect, in words a programmer acts
 * on, naming the function and its file:line, phrased for Go or for C/C++. */
#ifndef AN_HINT_H
#define AN_HINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "an_classify.h"

/* what (NULL: unknown): the type most of the suspect's bytes are, named in
 * the hint ("entries (struct session) allocated in ..."). */
void an_hint_write(char *buf, size_t len, an_pattern pattern, const char *function,
                   const char *file, int64_t line, const char *what);

/* The hint once heapsnap's held_by labels say who holds most (share, 0..1)
 * of the suspect's memory: "lost" asks for a free() on some path, a root
 * ("global NAME", "tls NAME", "stack TID FUNCTION", ...) for the container
 * or variable it names to let go. Leaves buf as it is for "shared". */
void an_hint_write_held(char *buf, size_t len, an_pattern pattern, const char *function,
                        const char *file, int64_t line, const char *what, const char *holder,
                        double share);

/* True for a Go source file (a site in garbage-collected Go code). */
bool an_hint_is_go(const char *file);

#endif
