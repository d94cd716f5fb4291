/* analyzer/an_frames.h: what kind of code a stack frame is -- the allocator or
 * a wrapper around it (malloc family, operator new, xmalloc-style helpers),
 * the standard library and language runtimes (C++ std::, libstdc++/libc++,
 * libc, Go's runtime, Rust's alloc/core, GLib), or the program's own code --
 * by name, source file and mapping, so that a call site is attributed to the
 * first frame of the user's code. Wrappers recognised by what they do across
 * a whole profile series are an_series' business. */
#ifndef AN_FRAMES_H
#define AN_FRAMES_H

#include <stdbool.h>

#include "hs_error.h"

typedef struct an_frames an_frames;

typedef enum an_frame_kind {
    AN_FRAME_USER,      /* the program's own code */
    AN_FRAME_ALLOCATOR, /* the allocator, a wrapper of it, or heapsnap's hook */
    AN_FRAME_LIBRARY,   /* a standard library or language runtime */
} an_frame_kind;

/* The built-in rules (see AN_FRAMES_DEFAULT in an_frames.c). */
an_frames *an_frames_new(hs_err *err);
/* Adds one extended regular expression (POSIX ERE, matched against the whole
 * function name, short or full) of more frames to skip: --drop REGEX. */
int an_frames_add_drop(an_frames *f, const char *regex, hs_err *err);
/* True when function (a name as it appears in a profile) matches an
 * allocator rule or a --drop expression. */
bool an_frames_is_allocator(const an_frames *f, const char *function);
/* The kind of a frame: name is the short name (AuditLog::append), signature
 * the full one (or the same), file its source file and module its mapping's
 * file ("" when unknown). */
an_frame_kind an_frames_kind(const an_frames *f, const char *name, const char *signature,
                             const char *file, const char *module);
/* A short label for the library a library frame belongs to ("libstdc++",
 * "the Go runtime", "libc"), for folded call paths. */
const char *an_frames_label(const char *name, const char *file, const char *module);
void an_frames_free(an_frames *f);

#endif
