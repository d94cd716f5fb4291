/* analyzer/an_types.h: what a suspect's memory is, from the type labels of
 * heapsnap's profiles: its in-use bytes in the last snapshot by type
 * ("struct session", "char[] in session::user"), largest first, as shares
 * of all its bytes (untyped ones included), and the phrase the reports
 * print ("holds 64 % struct session, 30 % char[] in session::user"). */
#ifndef AN_TYPES_H
#define AN_TYPES_H

#include <stddef.h>

#include "an_analysis.h"
#include "an_holders.h"

/* Fills t (holder = the type) for verdict v; t->n == 0 when the profiles
 * carry no type label or none of v's bytes has one. */
void an_types_of(const an_analysis *a, const an_verdict *v, an_holders *t);
/* Share of a suspect's bytes one type must hold to be what it is (its
 * hint names it), and to settle its pattern. */
#define AN_TYPES_NAME_SHARE 0.5
#define AN_TYPES_SETTLE_SHARE 0.9
/* For each suspect whose types say what it is: v->what, named in its hint;
 * and the pattern when the counts could not tell it -- a growth the object
 * count did not clear the noise of, in objects that did not grow larger, is
 * more entries when nearly all of it (AN_TYPES_SETTLE_SHARE) is of one
 * fixed-size type (a struct, a class, a container's node; not T[]): such an
 * object cannot grow by reallocation. Run before an_holders_hints. */
void an_types_settle(an_analysis *a);
/* That rule: the pattern given the one the counts gave, the stats, and the
 * type holding the largest share of the bytes. */
an_pattern an_types_pattern(an_pattern counted, const an_stats *st, const char *top, double share);
/* "64 % struct session, 30 % char[] in session::user": the first max types
 * of t with a share of at least 1 %. Returns out. */
char *an_types_phrase(const an_holders *t, size_t max, char *out, size_t len);

#endif
