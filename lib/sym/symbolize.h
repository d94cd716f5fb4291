/* lib/sym/symbolize.h: addresses of a process (the calling one or another, live or
 * just stopped) to function, file, line and inlined frames, from the ELF symbol
 * tables and DWARF of the executable and its libraries, including separate debug
 * files found by build id (/usr/lib/debug/.build-id/) and .gnu_debuglink; C++
 * names demangled. Results go straight into a pprof builder so profiles read the
 * same on a machine that has none of the binaries. */
#ifndef HS_SYMBOLIZE_H
#define HS_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"
#include "pprof.h"

typedef struct sym_ctx sym_ctx;

typedef struct sym_frame {
    const char *function;    /* demangled; never NULL ("??" style fallback is "0x1234") */
    const char *system_name; /* mangled (or same as function) */
    const char *file;        /* "" when unknown */
    int64_t line;            /* 0 when unknown */
    int64_t start_line;      /* 0 when unknown */
} sym_frame;

/* The name the way pprof shows C++ by default (-symbolize=demangle=default):
 * a demangled signature without its return type, parameter lists, template
 * arguments, cv-qualifiers and clone suffix, so "void std::vector<char,
 * std::allocator<char> >::_M_range_insert<char const*>(...)" is
 * "std::vector::_M_range_insert" and "AuditLog::append(char const*, unsigned
 * long)" is "AuditLog::append". Other names are copied as they are. Writes at
 * most cap bytes with the NUL; returns the length written. */
size_t sym_short_name(const char *name, char *out, size_t cap);

/* The full demangled signature of a mangled C++ name ("_Z..."), allocated
 * with malloc; NULL when name is not mangled or cannot be demangled. */
char *sym_demangle_full(const char *name);

/* Opens a symbolizer for process pid (0 = the calling process): reads its maps
 * now; ELF/DWARF files are opened lazily and cached. */
sym_ctx *sym_open(pid_t pid, hs_err *err);
void sym_close(sym_ctx *s);

/* Symbolizes addr into up to max frames, innermost inlined frame first, the
 * last one being the real (outer) function. Strings stay valid until
 * sym_close. Returns the number of frames (>= 1 always: an unknown address
 * gets one frame named by its hex value). A return address should be passed
 * as is with is_return_address = true (the call instruction is looked up). */
size_t sym_lookup(sym_ctx *s, uint64_t addr, bool is_return_address, sym_frame *frames, size_t max);

/* Adds (or finds) the pprof location for addr: its mapping (file, offsets,
 * build id, has_* flags set truthfully) and its lines (inlined frames).
 * Location ids are cached per address. Returns the location id, 0 on OOM. */
uint64_t sym_location(sym_ctx *s, pprof_builder *b, uint64_t addr, bool is_return_address);

/* (Added by the symbolizer.) sym_location remembers the builder it last saw
 * and its ids; call this before handing it a new builder that may reuse a
 * freed builder's address. A return address is recorded as addr - 1, the
 * address that was symbolized (inside the call instruction). */
void sym_forget_builder(sym_ctx *s);
/* Where the variable at link-time address vaddr of the mapped file path is
 * declared (its DWARF, from the file or its debug file): true with *file and
 * *line, false when that is not known. */
bool sym_var_decl(sym_ctx *s, const char *path, uint64_t vaddr, const char **file, int64_t *line);

#endif
