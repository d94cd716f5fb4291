/* analyzer/an_holders.h: who holds a suspect's memory, from the held_by
 * labels of heapsnap's profiles: its in-use bytes in the last snapshot by
 * holder ("global g_sessions", "lost", ...), largest first, and the words of
 * the report that follow from it. */
#ifndef AN_HOLDERS_H
#define AN_HOLDERS_H

#include <stddef.h>

#include "an_analysis.h"

#define AN_HOLDERS_MAX 8

typedef struct an_holding {
    const char *holder;
    double bytes, share; /* share of the suspect's labelled bytes, 0..1 */
} an_holding;

typedef struct an_holders {
    an_holding v[AN_HOLDERS_MAX]; /* largest first */
    size_t n;                     /* 0: the profiles carry no held_by label */
    double lost_bytes;
} an_holders;

/* Fills h for verdict v from the last snapshot of the analysis. */
void an_holders_of(const an_analysis *a, const an_verdict *v, an_holders *h);
/* The same sum over other labelled entries (an_series_typed): shares of all
 * their bytes, entries labelled "" counted but not listed. */
void an_holders_sum(const an_analysis *a, const an_verdict *v, const an_held *held, size_t nheld,
                    an_holders *h);

/* Rewrites each suspect's hint from its holders (an_hint_write_held) when
 * one holder has at least half of its labelled bytes. */
void an_holders_hints(an_analysis *a);

#endif
