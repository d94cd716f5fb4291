/* lib/proc/elf_mem.h: the program headers of an ELF object as it is mapped in a
 * process's memory (its ELF header sits at the start of its lowest mapping),
 * read through a memory source: no file needed, so it also serves the vdso
 * and files deleted or replaced since they were mapped. */
#ifndef HS_ELF_MEM_H
#define HS_ELF_MEM_H

#include <elf.h>
#include <stdint.h>

#include "memsrc.h"

#define ELFMEM_MAX_PHDRS 64

/* Reads the program headers of the object mapped at base (the address of
 * its file offset 0) into ph (room for ELFMEM_MAX_PHDRS). Returns their
 * number, -1 when base holds no 64-bit ELF header. *bias (may be NULL) gets
 * the load bias: add it to a p_vaddr to get the address in the process. */
int elfmem_phdrs(memsrc *m, uint64_t base, Elf64_Phdr *ph, uint64_t *bias);

#endif
