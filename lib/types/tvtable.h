/* lib/types/tvtable.h: the dynamic C++ class of a heap object from its first
 * word. An object of a class with virtual functions begins with a pointer to
 * an address point of its class's vtable; the two words before that point
 * hold the offset to the top of the complete object (0 for the primary
 * vtable of an object that starts there) and the class's std::type_info,
 * whose second word points at the mangled type name ("6Circle"). All of these
 * live in read-only file mappings of loaded objects (.data.rel.ro, .rodata),
 * and the RTTI names survive stripping, so classes are named in stripped
 * binaries too. Every step is checked (mapping, alignment, offset 0, the name
 * demangles as a type), so a word that merely looks like a pointer is not
 * taken for a vtable. Programs built with -fno-rtti get no names. */
#ifndef HS_TVTABLE_H
#define HS_TVTABLE_H

#include <stdint.h>

#include "hs_error.h"
#include "memsrc.h"
#include "procmaps.h"

typedef struct tvt tvt;

/* Reads through m (the process, or a buffer in tests); pm is the process's
 * map (both must outlive the index). NULL + err when out of memory. */
tvt *tvt_open(memsrc *m, const procmaps *pm, hs_err *err);
/* The demangled class name ("Circle", "ns::Session") when word is the
 * primary vtable pointer of a complete object, else NULL. Results are cached
 * per word; the string lives as long as t. */
const char *tvt_class_of(tvt *t, uint64_t word);
void tvt_close(tvt *t);

#endif
