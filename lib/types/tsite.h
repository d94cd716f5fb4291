/* lib/types/tsite.h: the type of an allocation from the code that made it.
 * For a chunk the hook recorded a stack for: the pointer variable that the
 * allocating call's line declares -- `struct session *s = malloc(sizeof
 * *s)`, `struct map_session **b = calloc(n, sizeof(*b))`, `T *p = new T` --
 * in the innermost frame (inlined ones included) that declares one there.
 * The search goes outward only through allocation entry points (malloc's
 * family, operator new, strdup: they return what they allocated, untyped)
 * and through functions that return void * (xmalloc-style wrappers); a
 * function that returns anything else has done with the memory what its own
 * lines say, so its callers' variables say nothing of it. Two variables of
 * different types declared on the line say nothing either. The chunk's type
 * is the pointee; void, incomplete and one-byte pointees (char: raw bytes as
 * often as a string) say nothing. */
#ifndef HS_TSITE_H
#define HS_TSITE_H

#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"
#include "symbolize.h"
#include "tdwarf.h"

typedef struct tsite tsite;

tsite *tsite_new(tdw *t, sym_ctx *s, hs_err *err);
/* The pointee's tdw type id for an allocation made from the stack
 * frames[0..n) (return addresses, leaf first: frames[0] is in malloc's
 * caller), 0 when the code does not say; UINT32_MAX when out of memory. */
uint32_t tsite_type(tsite *ts, const uint64_t *frames, size_t n);
void tsite_free(tsite *ts);

#endif
