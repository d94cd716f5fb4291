/* lib/proc/elf_mem.c: program headers read from a process's memory (see elf_mem.h). */
#include "elf_mem.h"

#include <string.h>

int elfmem_phdrs(memsrc *m, uint64_t base, Elf64_Phdr *ph, uint64_t *bias)
{
    Elf64_Ehdr eh;
    if (memsrc_read(m, base, sizeof(eh), &eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
        eh.e_phnum == 0 || eh.e_phnum > ELFMEM_MAX_PHDRS)
        return -1;
    if (memsrc_read(m, base + eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr), ph))
        return -1;
    /* The lowest PT_LOAD starts at base, rounded down to its page. */
    uint64_t lowest = UINT64_MAX;
    for (unsigned i = 0; i < eh.e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < lowest)
            lowest = ph[i].p_vaddr;
    if (bias != NULL)
        *bias = lowest == UINT64_MAX ? base : base - (lowest & ~(uint64_t)0xfff);
    return eh.e_phnum;
}
