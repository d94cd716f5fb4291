/* analyzer/an_types.c: a suspect's types (see an_types.h), summed like its
 * holders over the samples of its sites in the last snapshot. */
#include "an_types.h"

#include <stdio.h>
#include <string.h>

void an_types_of(const an_analysis *a, const an_verdict *v, an_holders *t)
{
    size_t n;
    const an_held *typed = an_series_typed(a->series, &n);
    an_holders_sum(a, v, typed, n, t);
}

char *an_types_phrase(const an_holders *t, size_t max, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t k = 0; k < t->n && k < max && used < len; k++) {
        if (t->v[k].share < 0.01)
            break;
        int w = snprintf(out + used, len - used, "%s%.0f %% %s", k ? ", " : "", 100 * t->v[k].share,
                         t->v[k].holder);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return out;
}
