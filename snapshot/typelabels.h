/* snapshot/typelabels.h: the type stage of a snapshot. Each in-use chunk's
 * type -- its dynamic C++ class (lib/types/tvtable.h, from the first word
 * of its copy), else its DWARF type (typedwarf.h) -- is joined to its
 * held_by label, so that every sample can carry both labels: the chunks'
 * label index then points into a joint table of (held_by, type, type_from)
 * triples for attr_build_typed. */
#ifndef HS_SNAPSHOT_TYPELABELS_H
#define HS_SNAPSHOT_TYPELABELS_H

#include <stddef.h>

#include "attribute.h"
#include "hs_error.h"
#include "memsrc.h"
#include "tvtable.h"

typedef struct tlab tlab;

/* Reads the first word of each chunk's user bytes through m (the capture's
 * source; a chunk it cannot read gets no class) and names its class
 * through t into classes[i] (NULL: none). */
void tlab_vtables(const attr_chunk *chunks, size_t n, memsrc *m, tvt *t, const char **classes);
/* Joins chunk i's type -- classes[i] ("vtable"), else dwarf[i] ("dwarf");
 * either array may be NULL -- to its held_by, and rewrites chunks[i].held_by
 * -- an index into held[0..nheld) (held may be NULL) -- to an index into the
 * joint table. NULL + err when out of memory (the chunks are unchanged
 * then). */
tlab *tlab_assign(attr_chunk *chunks, size_t n, const char *const *classes,
                  const char *const *dwarf, const char *const *held, size_t nheld, hs_err *err);
/* The joint table: held_by and type of each index (NULL: none), n entries. */
const char *const *tlab_held(const tlab *l);
const char *const *tlab_types(const tlab *l);
/* The evidence of each index's type: "vtable", "dwarf" (NULL: none). */
const char *const *tlab_froms(const tlab *l);
size_t tlab_count(const tlab *l);
/* Chunks that got a type (either evidence), and their bytes. */
size_t tlab_typed_chunks(const tlab *l);
uint64_t tlab_typed_bytes(const tlab *l);
void tlab_free(tlab *l);

#endif
