/* tests/fuzz/fuzz_symelf.c: the symbolizer's ELF reader (lib/sym/sym_elf.c:
 * segments, symbol tables, debug link) on arbitrary bytes presented as a file.
 * DWARF is not fuzzed here: libdwarf 20210528 itself double-frees inside
 * dwarf_load_rnglists on a corrupt .debug_rnglists within seconds, which no
 * caller can prevent (see the symbolizer's notes). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sym_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-symelf", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    sym_pool *pool = sym_pool_new();
    sym_elf e = {0};
    hs_err err;
    if (pool != NULL && sym_elf_read(&e, path, pool, true, &err) == 0) {
        uint64_t v = 0;
        sym_elf_offset_to_vaddr(&e, size / 2, &v);
        sym_elf_lookup(&e, v);
        for (size_t i = 0; i < e.nsyms && i < 64; i++)
            sym_elf_lookup(&e, e.syms[i].lo + (e.syms[i].hi - e.syms[i].lo) / 2);
    }
    sym_elf_free(&e);
    sym_pool_free(pool);
    close(fd);
    return 0;
}
