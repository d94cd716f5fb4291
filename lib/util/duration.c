/* lib/util/duration.c: "500ms", "10s", "1m" to nanoseconds (see duration.h).
 * Whole and fractional parts are parsed as integers so "0.1s" is exactly 100 ms. */
#include "duration.h"

#include <ctype.h>
#include <string.h>

static const struct {
    const char *name;
    uint64_t ns;
} duration_units[] = {
    {"ns", 1ULL},
    {"us", 1000ULL},
    {"ms", 1000000ULL},
    {"s", 1000000000ULL},
    {"m", 60ULL * 1000000000ULL},
    {"h", 3600ULL * 1000000000ULL},
};

int duration_parse(const char *text, uint64_t *out_ns, hs_err *err)
{
    const char *p = text;
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    int ndigits = 0;

    while (isdigit((unsigned char)*p)) {
        if (whole > UINT64_MAX / 10)
            return hs_err_set(err, "duration '%s' is too long; use at most a few days.", text);
        whole = whole * 10 + (uint64_t)(*p - '0');
        p++;
        ndigits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (frac_scale < 1000000000000000000ULL) { /* digits past 1e-18 do not matter */
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
            }
            p++;
            ndigits++;
        }
    }
    if (ndigits == 0)
        return hs_err_set(err, "'%s' is not a duration; write it like 500ms, 10s or 1m.", text);

    uint64_t unit = 0;
    if (*p == '\0') {
        unit = 1000000000ULL; /* a bare number is seconds, as in sleep(1) */
    } else {
        for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
            if (strcmp(p, duration_units[i].name) == 0)
                unit = duration_units[i].ns;
    }
    if (unit == 0)
        return hs_err_set(err, "'%s' has an unknown unit; use ns, us, ms, s, m or h.", text);
    if (whole > UINT64_MAX / unit / 2)
        return hs_err_set(err, "duration '%s' is too long; use at most a few days.", text);
    /* unit <= 3.6e12 and frac < frac_scale <= 1e18: split to avoid overflow. */
    uint64_t fns = (frac_scale >= unit) ? frac / (frac_scale / unit) : frac * (unit / frac_scale);
    uint64_t ns = whole * unit + fns;
    if (ns == 0)
        return hs_err_set(err, "duration '%s' is zero; give a positive interval.", text);
    *out_ns = ns;
    return 0;
}
