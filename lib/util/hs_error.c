/* lib/util/hs_error.c: formatting of error messages carried as values (see hs_error.h). */
#include "hs_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hs_err_set(hs_err *e, const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int hs_err_prefix(hs_err *e, const char *fmt, ...)
{
    if (e == NULL)
        return -1;
    char prefix[256];
    char old[sizeof(e->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char joined[sizeof(prefix) + sizeof(old) + 2];
    memcpy(old, e->msg, sizeof(old));
    snprintf(joined, sizeof(joined), "%s: %s", prefix, old);
    snprintf(e->msg, sizeof(e->msg), "%.*s", (int)sizeof(e->msg) - 1, joined);
    return -1;
}
