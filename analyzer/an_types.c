/* analyzer/an_types.c: a suspect's types (see an_types.h), summed like its
 * holders over the samples of its sites in the last snapshot. */
#include "an_types.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "an_hint.h"

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

/* Whether a type label names objects of one fixed size: not an array. (A
 * struct with a flexible array member reads as its struct: hence the check
 * that the objects did not grow larger.) */
static bool an_types_fixed(const char *label)
{
    return strstr(label, "[]") == NULL;
}

an_pattern an_types_pattern(an_pattern counted, const an_stats *st, const char *top, double share)
{
    bool same_size = an_classify_grew_larger(st->start_bytes, st->start_objects, st->end_bytes,
                                             st->end_objects) == 0;
    if (counted == AN_PATTERN_BUFFER && !st->few_at_end && same_size &&
        share >= AN_TYPES_SETTLE_SHARE && an_types_fixed(top))
        return AN_PATTERN_ENTRIES;
    return counted;
}

void an_types_settle(an_analysis *a)
{
    for (size_t i = 0; i < a->nsuspects; i++) {
        an_verdict *v = &a->verdicts[a->suspects[i]];
        an_holders t;
        an_types_of(a, v, &t);
        if (t.n == 0 || t.v[0].share < AN_TYPES_NAME_SHARE)
            continue;
        v->what = t.v[0].holder;
        v->pattern = an_types_pattern(v->pattern, &v->st, v->what, t.v[0].share);
        an_hint_write(v->hint, sizeof(v->hint), v->pattern, v->function, v->file, v->line, v->what);
    }
}
