/* lib/util/hs_error.h: errors as values. A function that can fail fills an hs_err
 * with one sentence (cause and fix) and returns -1 or NULL; only main() prints. */
#ifndef HS_ERROR_H
#define HS_ERROR_H

#include <stddef.h>

typedef struct hs_err {
    char msg[512];
} hs_err;

/* Formats the message into e (if e is non-NULL); always returns -1 so callers
 * can write `return hs_err_set(e, ...);`. */
int hs_err_set(hs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message with more context: "ctx: old message". */
int hs_err_prefix(hs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
