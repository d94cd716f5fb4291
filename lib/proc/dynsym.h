/* lib/proc/dynsym.h: a symbol's address looked up by name in the dynamic
 * symbol table of an object mapped in a process (its .dynsym and hash table as
 * ld.so mapped them), read through a memory source: no file needed, so it
 * works for libraries of a container, deleted files and memfds alike. */
#ifndef HS_DYNSYM_H
#define HS_DYNSYM_H

#include <stdint.h>

#include "memsrc.h"

/* Looks name up in the object whose file offset 0 is mapped at base. 1 and
 * *addr (the address in the process; the default version when several are
 * defined) when it is defined there, 0 when not, -1 when base holds no ELF
 * object with a dynamic symbol table. *is_func (may be NULL) says whether the
 * symbol is a plain function (STT_FUNC; an IFUNC is not). */
int dynsym_lookup(memsrc *m, uint64_t base, const char *name, uint64_t *addr, int *is_func);
/* dynsym_lookup that also gives the symbol's size (st_size) in *size. */
int dynsym_lookup_size(memsrc *m, uint64_t base, const char *name, uint64_t *addr, uint64_t *size);

#endif
