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
/* "64 % struct session, 30 % char[] in session::user": the first max types
 * of t with a share of at least 1 %. Returns out. */
char *an_types_phrase(const an_holders *t, size_t max, char *out, size_t len);

#endif
