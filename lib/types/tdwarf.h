/* lib/types/tdwarf.h: the C and C++ types of a process's global variables,
 * from the DWARF of its executable and libraries (lib/sym/symtypes.h):
 * structs, classes and unions with their members (name, offset, type),
 * pointers, arrays (element type, count), base types and enums; typedefs
 * and cv-qualifiers are seen through. Each type gets a small id; the type
 * stage spreads them over the heap graph (tspread.h). */
#ifndef HS_TDWARF_H
#define HS_TDWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"
#include "symbolize.h"
#include "symtypes.h"

typedef enum tdw_kind {
    TDW_VOID,   /* id 0: void, or a type the DWARF does not describe */
    TDW_SCALAR, /* base types and enums */
    TDW_STRUCT, /* struct and class */
    TDW_UNION,
    TDW_POINTER,
    TDW_ARRAY,
    TDW_OTHER, /* functions and the rest: nothing to follow */
} tdw_kind;

typedef struct tdw_type {
    tdw_kind kind;
    const char
        *name; /* as declared: "struct session", "Polygon", "char", "struct session *", "int[16]" */
    const char *tag; /* a struct's or union's bare name for owner fields ("session"), else "" */
    uint64_t size;   /* bytes; 0 when unknown (an incomplete struct) */
    uint32_t target; /* pointer: the pointee; array: the element; else 0 */
    uint64_t count;  /* array: elements, 0 when unknown */
    uint32_t first, nmembers; /* struct/union: its members in tdw_member(t, first + k) */
    uint32_t tparam[2];       /* a template's first two type parameters (0: none) */
} tdw_type;

typedef struct tdw_member {
    const char *name; /* "" for an anonymous member */
    uint64_t offset;
    uint32_t type;
} tdw_member;

typedef struct tdw_global {
    uint64_t addr; /* runtime address */
    const char *name;
    uint32_t type;
    bool stack; /* a local variable's slot in a thread's stack frame */
} tdw_global;

typedef struct tdw tdw;

tdw *tdw_new(hs_err *err);
/* Adds the globals of the file mapped at path (loaded at bias: runtime
 * address minus link-time address) and their types, through s's DWARF.
 * Returns how many globals it added (0 when the file has no DWARF), -1 +
 * err when out of memory. */
long tdw_add_object(tdw *t, sym_ctx *s, const char *path, uint64_t bias, hs_err *err);
/* Adds the thread-local variables of the file mapped at path, one global
 * per thread: at blocks[k] + their offset for each of the threads' copies
 * of its TLS block, named "NAME" as the others. Returns how many globals
 * it added, -1 + err when out of memory. */
long tdw_add_tls(tdw *t, sym_ctx *s, const char *path, const uint64_t *blocks, size_t nblocks,
                 hs_err *err);
/* Adds a local variable's slot in a thread's stack, at runtime address addr,
 * of type id type (tdw_type_in), named name ("main::table"). 0, or -1 + err
 * when out of memory. */
int tdw_add_local(tdw *t, uint64_t addr, const char *name, uint32_t type, hs_err *err);
/* s, copied and kept until tdw_free (one copy per distinct string); NULL
 * when out of memory. */
const char *tdw_intern(tdw *t, const char *s);
/* The type id of the type DIE at die in d's DWARF (read with its members
 * on first use, as the globals' are): 0 for void, an unreadable DIE or no
 * DWARF, UINT32_MAX when out of memory. */
uint32_t tdw_type_in(tdw *t, sym_dwarf *d, uint64_t die);
size_t tdw_ntypes(const tdw *t);
const tdw_type *tdw_type_at(const tdw *t, uint32_t id);
const tdw_member *tdw_member_at(const tdw *t, uint32_t idx);
/* Every global added so far, sorted by address. */
size_t tdw_globals(tdw *t, const tdw_global **out);
/* The global covering runtime address addr exactly at its start, or NULL. */
const tdw_global *tdw_global_at(tdw *t, uint64_t addr);
void tdw_free(tdw *t);

#endif
