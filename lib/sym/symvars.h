/* lib/sym/symvars.h: the variables of one ELF file, to name the global or
 * thread-local variable that covers an address: its data symbols (objects,
 * static ones too, from .symtab and .dynsym), its TLS symbols (offsets in
 * its TLS block) and the placement of its PT_LOAD and PT_TLS segments. */
#ifndef HS_SYMVARS_H
#define HS_SYMVARS_H

#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"

typedef struct symvars symvars;

/* Reads path's symbols and program headers. NULL + err when it is not a
 * readable ELF file. */
symvars *symvars_open(const char *path, hs_err *err);
void symvars_close(symvars *v);
/* The lowest PT_LOAD vaddr, rounded down to its page: a mapping's load bias
 * is its file's lowest mapped address minus this. */
uint64_t symvars_load_vaddr(const symvars *v);
/* PT_TLS's size in memory and alignment (0, 0 when the file has no TLS). */
void symvars_tls(const symvars *v, uint64_t *memsz, uint64_t *align);
/* The data symbol covering link-time address vaddr (NULL when none); with
 * tls set, the TLS symbol covering offset vaddr of the TLS block. */
const char *symvars_lookup(const symvars *v, uint64_t vaddr, int tls);
/* That symbol's own address (UINT64_MAX when none covers vaddr). */
uint64_t symvars_start(const symvars *v, uint64_t vaddr, int tls);

#endif
