/* snapshot/outpattern.c: periodic output names (see outpattern.h). The pattern
 * is validated here once, so that snprintf later gets exactly one integer. */
#include "outpattern.h"

#include <stdio.h>
#include <string.h>

/* Finds the one conversion: its start and end (one past the letter). */
static int outpattern_scan(const char *pattern, size_t *start, size_t *end, hs_err *err)
{
    int found = 0;
    for (size_t i = 0; pattern[i] != '\0'; i++) {
        if (pattern[i] != '%')
            continue;
        if (pattern[i + 1] == '%') {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (pattern[j] != '\0' && strchr("0- +", pattern[j]) != NULL)
            j++;
        size_t w = 0;
        while (pattern[j] >= '0' && pattern[j] <= '9') {
            j++;
            if (++w > 3)
                return hs_err_set(err, "the width in '%s' is too large; use at most 3 digits.",
                                  pattern);
        }
        if (pattern[j] != 'd' && pattern[j] != 'i' && pattern[j] != 'u')
            return hs_err_set(err,
                              "'%s' has a conversion other than %%d; use one %%d (e.g. "
                              "snap-%%04d.pb.gz) and write a literal %% as %%%%.",
                              pattern);
        if (found++)
            return hs_err_set(err, "'%s' has more than one %%d; use exactly one.", pattern);
        *start = i;
        *end = j + 1;
        i = j;
    }
    if (!found)
        return hs_err_set(err,
                          "'%s' has no %%d for the snapshot number; use a pattern such as "
                          "'snap-%%04d.pb.gz'.",
                          pattern);
    return 0;
}

int outpattern_check(const char *pattern, hs_err *err)
{
    size_t s = 0, e = 0;
    return outpattern_scan(pattern, &s, &e, err);
}

int outpattern_format(const char *pattern, unsigned long k, char *buf, size_t len, hs_err *err)
{
    size_t s = 0, e = 0;
    if (outpattern_scan(pattern, &s, &e, err) != 0)
        return -1;
    /* Rewrite the conversion as the same flags/width with 'lu' so k is printed whole. */
    char fmt[4096];
    size_t plen = strlen(pattern);
    if (plen + 3 > sizeof(fmt))
        return hs_err_set(err, "the output pattern is too long; use a shorter name.");
    memcpy(fmt, pattern, e - 1);
    fmt[e - 1] = 'l';
    fmt[e] = 'u';
    memcpy(fmt + e + 1, pattern + e, plen - e + 1);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    int n = snprintf(buf, len, fmt, k);
#pragma GCC diagnostic pop
    if (n < 0 || (size_t)n >= len)
        return hs_err_set(err,
                          "the output name for snapshot %lu is too long; use a shorter "
                          "pattern.",
                          k);
    return 0;
}
