/* lib/sym/symtypes.h: the types in a loaded file's DWARF, as the symbolizer
 * reads it (the file's own DWARF or its separate debug file): its global and
 * static variables with the DIE of their type, and each type DIE decoded one
 * step (its kind, name, size, what it refers to, its members). lib/types
 * builds the type model from these steps; no second DWARF reader. */
#ifndef HS_SYMTYPES_H
#define HS_SYMTYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize.h"

typedef struct sym_dwarf sym_dwarf;

/* A variable at a fixed link-time address; type is its type DIE's offset (0
 * when it has none). */
typedef struct sym_tvar {
    uint64_t vaddr;
    const char *name; /* "" when unnamed */
    uint64_t type;
} sym_tvar;

typedef enum sym_tkind {
    SYM_T_OTHER, /* functions, pointers to members, anything else */
    SYM_T_BASE,
    SYM_T_STRUCT, /* struct and class */
    SYM_T_UNION,
    SYM_T_ENUM,
    SYM_T_POINTER, /* pointers and references */
    SYM_T_ARRAY,
    SYM_T_ALIAS, /* typedef, const, volatile, restrict, atomic: ref is what they name */
} sym_tkind;

typedef struct sym_tdie {
    sym_tkind kind;
    const char *name; /* "" when anonymous; a C++ type's qualified ("std::pair<...>") */
    uint64_t size;    /* DW_AT_byte_size, 0 when absent */
    uint64_t ref;     /* DW_AT_type (pointee, element, aliased); 0: void */
    uint64_t count;   /* SYM_T_ARRAY: elements of its first dimension, 0 unknown */
    bool declaration; /* a struct declared here and defined elsewhere */
    bool cplus;       /* its unit is C++ (a struct is named without "struct ") */
} sym_tdie;

typedef struct sym_tmember {
    const char *name; /* "" for an anonymous member */
    uint64_t offset;  /* DW_AT_data_member_location as a constant */
    uint64_t type;
} sym_tmember;

/* A logical frame at a pc (the function, or a function inlined into it):
 * the line it is at (for an outer frame, the line of the inlined call),
 * its function's return type DIE (0: void or unknown) and name, and its local
 * variables in scope at the pc, vars[first..first+n). */
typedef struct sym_tframe {
    int64_t line;
    uint64_t ret_type;
    size_t first, n;
    const char *function; /* its name, as the symbolizer's frames give it ("" unknown) */
} sym_tframe;

/* Where a local variable is at the pc asked about, from its DW_AT_location
 * (an expression, or the location list entry covering the pc). Registers are
 * DWARF numbers (x86-64: 0 rax, 3 rbx, 6 rbp, 7 rsp, 12-15 r12-r15). Only
 * one-operation locations are read; pieces, computed values and entry
 * values are SYM_LOC_NONE. */
typedef enum sym_tloc_kind {
    SYM_LOC_NONE, /* optimized out here, or an expression not read */
    SYM_LOC_CFA,  /* in memory at the concrete frame's CFA + off (DW_OP_fbreg
                   * with a DW_OP_call_frame_cfa frame base) */
    SYM_LOC_MEM,  /* in memory at register reg's value + off (DW_OP_bregN, or
                   * DW_OP_fbreg with a register frame base) */
    SYM_LOC_REG,  /* its value is register reg's (DW_OP_regN) */
} sym_tloc_kind;

typedef struct sym_tloc {
    sym_tloc_kind kind;
    uint16_t reg;
    int64_t off;
} sym_tloc;

typedef struct sym_tlocal {
    const char *name;  /* "" when unnamed */
    int64_t decl_line; /* 0 when the DWARF does not say */
    uint64_t type;     /* its type DIE */
    uint32_t frame;    /* index into the frames */
    sym_tloc loc;      /* where it is at the pc */
} sym_tlocal;

/* The DWARF of the file mapped at path in the symbolizer's process (NULL
 * when it has none); owned by s. */
sym_dwarf *sym_dwarf_of(sym_ctx *s, const char *path);
/* Its variables at fixed addresses, sorted by vaddr (read on first call). */
size_t sym_dwarf_globals(sym_dwarf *d, const sym_tvar **out);
/* The logical frames at link-time pc, innermost first (as the symbolizer's
 * inlined frames), with the variables declared in each scope (lexical blocks
 * included) that holds pc, the function's parameters among them, and where
 * each is at pc (an inlined frame's are in
 * the concrete frame's CFA and registers); returns the frames' count, *nvars
 * the variables'. 0 when no function's DWARF covers pc. For a return
 * address, ask about the call (ra - 1): the locations there are those
 * during the call. */
size_t sym_dwarf_scopes(sym_dwarf *d, uint64_t pc, sym_tframe *frames, size_t maxf,
                        sym_tlocal *vars, size_t maxv, size_t *nvars);
/* The DWARF of the file mapped at runtime address addr in the symbolizer's
 * process, and addr's link-time address in it; NULL when there is none. */
sym_dwarf *sym_dwarf_at(sym_ctx *s, uint64_t addr, uint64_t *vaddr);
/* Its thread-local variables, vaddr their offset in its TLS block. */
size_t sym_dwarf_tls_globals(sym_dwarf *d, const sym_tvar **out);
/* The type DIE at off, one step; false when off is not a readable DIE. */
bool sym_dwarf_tdie(sym_dwarf *d, uint64_t off, sym_tdie *out);
/* The data members of the struct or union DIE at off with a constant
 * location (bases included, named by their type), up to max into out;
 * returns how many. */
size_t sym_dwarf_tmembers(
    sym_dwarf *d, uint64_t off, sym_tmember *out,
    size_t max); /* The type DIEs of the template type parameters of the struct DIE at off
                  * (std::list<T>'s T), up to max into out; returns how many. */
size_t sym_dwarf_tparams(sym_dwarf *d, uint64_t off, uint64_t *out, size_t max);

#endif
