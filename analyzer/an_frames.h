/* analyzer/an_frames.h: which stack frames are the allocator or a wrapper
 * around it (malloc family, operator new, xmalloc-style helpers, Go's runtime
 * allocation paths), so that a call site is attributed to the first frame of
 * the program's own code: the allocating function. */
#ifndef AN_FRAMES_H
#define AN_FRAMES_H

#include <stdbool.h>

#include "hs_error.h"

typedef struct an_frames an_frames;

/* The built-in allocator/wrapper list (see AN_FRAMES_DEFAULT in an_frames.c). */
an_frames *an_frames_new(hs_err *err);
/* Adds one extended regular expression (POSIX ERE, matched against the whole
 * function name) of more frames to skip: --drop REGEX. */
int an_frames_add_drop(an_frames *f, const char *regex, hs_err *err);
bool an_frames_is_allocator(const an_frames *f, const char *function);
void an_frames_free(an_frames *f);

#endif
