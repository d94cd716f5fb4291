/* lib/sym/sym_internal.h: the symbolizer's private pieces, shared by its files
 * (sym_pool.c, sym_elf.c, sym_debugfile.c, sym_dwarf.c, symbolize.c) and by no
 * one else. Every address here is a link-time (ELF virtual) address of one
 * file unless a name says "runtime". */
#ifndef HS_SYM_INTERNAL_H
#define HS_SYM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"

/* ---- sym_pool.c: interned strings and u64-keyed tables ---- */

/* Strings live until the pool is freed; equal strings share one copy. */
typedef struct sym_pool sym_pool;
sym_pool *sym_pool_new(void);
void sym_pool_free(sym_pool *p);
/* The pooled copy of s (NULL in, "" out); NULL only when out of memory. */
const char *sym_pool_str(sym_pool *p, const char *s);
const char *sym_pool_strn(sym_pool *p, const char *s, size_t n);

/* Open-addressing map from a 64-bit key to a 64-bit value. */
typedef struct sym_u64map {
    uint64_t *keys, *vals;
    uint8_t *used;
    size_t cap, n;
} sym_u64map;
bool sym_u64map_get(const sym_u64map *m, uint64_t key, uint64_t *val);
int sym_u64map_put(sym_u64map *m, uint64_t key, uint64_t val); /* -1 on OOM */
void sym_u64map_clear(sym_u64map *m);
void sym_u64map_free(sym_u64map *m);

/* Demangles a C++ (Itanium ABI) name into the pool; returns name itself when
 * it is not mangled or cannot be demangled. */
const char *sym_demangle(sym_pool *p, const char *name);
/* sym_short_name of name, pooled; name itself when it is already short. */
const char *sym_short(sym_pool *p, const char *name);

/* ---- sym_elf.c: one ELF file's segments, symbols and debug links ---- */

typedef struct sym_elf_load {
    uint64_t offset, vaddr, filesz;
} sym_elf_load;

typedef struct sym_elf_symbol {
    uint64_t lo, hi;         /* [lo, hi); hi == lo for a zero-size symbol */
    const char *name;        /* demangled, pooled */
    const char *system_name; /* as in the symbol table, pooled */
} sym_elf_symbol;

typedef struct sym_elf {
    sym_elf_load *loads;
    size_t nloads;
    sym_elf_symbol *syms; /* sorted by lo, one per address (best alias) */
    size_t nsyms;
    bool has_debug_info; /* has a non-empty .debug_info */
    bool has_symtab;
    char *debuglink; /* .gnu_debuglink file name, or NULL */
    uint32_t debuglink_crc;
} sym_elf;

/* Reads path's program headers, .symtab and .dynsym, and debug-link data.
 * Symbols are appended to an existing table when e already holds some (a
 * separate debug file adds its .symtab to the stripped binary's .dynsym). */
int sym_elf_read(sym_elf *e, const char *path, sym_pool *pool, bool want_loads, hs_err *err);
void sym_elf_free(sym_elf *e);
/* Link-time address of a file offset, via the PT_LOAD that maps it. */
bool sym_elf_offset_to_vaddr(const sym_elf *e, uint64_t off, uint64_t *vaddr);
/* The symbol covering vaddr, or NULL. */
const sym_elf_symbol *sym_elf_lookup(const sym_elf *e, uint64_t vaddr);

/* ---- sym_debugfile.c: finding a separate debug file ---- */

/* Finds the file holding path's DWARF: by build id under debug_dir (and the
 * process root, if root is not NULL), by .gnu_debuglink next to the binary,
 * in its .debug/ and under debug_dir/<dir>. Writes the path into out and
 * returns true when found. */
bool sym_debugfile_find(const char *open_path, const char *root, const char *build_id_hex,
                        const char *debuglink, uint32_t debuglink_crc, const char *debug_dir,
                        char *out, size_t outlen);

/* ---- sym_dwarf.c: lines and inlined frames from one file's DWARF ---- */

typedef struct sym_dwarf sym_dwarf;

/* One source-level frame at an address, innermost first. */
typedef struct sym_dwarf_frame {
    const char *name;        /* demangled or plain DW_AT_name, pooled; "" if unknown */
    const char *system_name; /* linkage name or name, pooled */
    const char *file;        /* pooled, "" if unknown */
    int64_t line, start_line;
    uint64_t func_lo; /* entry address of the enclosing concrete function (outer frame) */
} sym_dwarf_frame;

/* Opens the DWARF of path (NULL + err when it has none or is unreadable). */
sym_dwarf *sym_dwarf_open(const char *path, sym_pool *pool, hs_err *err);
void sym_dwarf_close(sym_dwarf *d);
bool sym_dwarf_has_lines(sym_dwarf *d);
bool sym_dwarf_has_functions(sym_dwarf *d);
/* Frames at link-time address pc, innermost first; returns how many (0 when
 * the DWARF does not cover pc). */
size_t sym_dwarf_lookup(sym_dwarf *d, uint64_t pc, sym_dwarf_frame *frames, size_t max);
/* Where the variable at link-time address vaddr (a global or a static, its
 * DW_AT_location a single DW_OP_addr) is declared: true with *file and
 * *line. The variables are indexed on the first call. */
bool sym_dwarf_var_decl(sym_dwarf *d, uint64_t vaddr, const char **file, int64_t *line);

#endif
