/* analyzer/an_holders.c: a suspect's holders (see an_holders.h), summed over
 * the labelled samples of its sites in the last snapshot. */
#include "an_holders.h"

#include <stdlib.h>
#include <string.h>

#include "an_hint.h"

static int an_holders_cmp(const void *x, const void *y)
{
    const an_holding *a = x, *b = y;
    return a->bytes > b->bytes ? -1 : a->bytes < b->bytes;
}

void an_holders_of(const an_analysis *a, const an_verdict *v, an_holders *h)
{
    size_t nheld;
    const an_held *held = an_series_held(a->series, &nheld);
    an_holders_sum(a, v, held, nheld, h);
}

void an_holders_sum(const an_analysis *a, const an_verdict *v, const an_held *held, size_t nheld,
                    an_holders *h)
{
    memset(h, 0, sizeof(*h));
    if (nheld == 0 || a->in->n == 0)
        return;
    uint32_t last = a->in->snaps[a->in->n - 1].pos;
    /* Few holders per suspect: a short list, merged by string id. */
    uint32_t ids[AN_HOLDERS_MAX * 4] = {0};
    double bytes[AN_HOLDERS_MAX * 4] = {0};
    size_t n = 0;
    double other = 0, total = 0;
    for (size_t i = 0; i < nheld; i++) {
        const an_held *e = &held[i];
        if (e->snap != last || an_series_site(a->series, e->site)->group != v->group ||
            e->bytes <= 0)
            continue;
        total += (double)e->bytes;
        size_t k = 0;
        while (k < n && ids[k] != e->holder)
            k++;
        if (k == n && n == sizeof(ids) / sizeof(ids[0])) {
            other += (double)e->bytes;
            continue;
        }
        if (k == n) {
            ids[n] = e->holder;
            bytes[n++] = 0;
        }
        bytes[k] += (double)e->bytes;
    }
    an_holding all[AN_HOLDERS_MAX * 4] = {{NULL, 0, 0}};
    size_t listed = 0;
    for (size_t k = 0; k < n; k++) {
        const char *name = an_series_str(a->series, ids[k]);
        if (name[0] == '\0')
            continue; /* no label: in the total, not in the list */
        all[listed++] = (an_holding){name, bytes[k], total > 0 ? bytes[k] / total : 0};
        if (strcmp(name, "lost") == 0)
            h->lost_bytes = bytes[k];
    }
    n = listed;
    (void)other;
    qsort(all, n, sizeof(all[0]), an_holders_cmp);
    h->n = n < AN_HOLDERS_MAX ? n : AN_HOLDERS_MAX;
    memcpy(h->v, all, h->n * sizeof(all[0]));
}

void an_holders_hints(an_analysis *a)
{
    for (size_t i = 0; i < a->nsuspects; i++) {
        an_verdict *v = &a->verdicts[a->suspects[i]];
        an_holders h;
        an_holders_of(a, v, &h);
        if (h.n > 0 && h.v[0].share >= 0.5)
            an_hint_write_held(v->hint, sizeof(v->hint), v->pattern, v->function, v->file, v->line,
                               v->what, h.v[0].holder, h.v[0].share);
    }
}
