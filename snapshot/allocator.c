/* snapshot/allocator.c: whose malloc a process uses (see allocator.h): the
 * dynamic symbol tables of its mapped files, read with libelf, and the
 * verdict of the heap walk on the hook's live entries. */
#include "allocator.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *alloc_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

/* glibc's own malloc, and the hook that forwards to the next one. */
static bool alloc_is_glibc_or_hook(const char *base)
{
    return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libheapsnap.so", 14) == 0 ||
           strncmp(base, "ld-linux", 8) == 0;
}

/* true when the ELF file at path defines malloc in its .dynsym. */
static bool alloc_defines_malloc(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    bool found = false;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    Elf_Scn *scn = NULL;
    while (e != NULL && !found && (scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t n = d != NULL ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 0; i < n && !found; i++) {
            GElf_Sym s;
            if (gelf_getsym(d, (int)i, &s) == NULL || s.st_shndx == SHN_UNDEF)
                continue;
            int type = GELF_ST_TYPE(s.st_info);
            if (type != STT_FUNC && type != STT_GNU_IFUNC)
                continue;
            const char *name = elf_strptr(e, sh.sh_link, s.st_name);
            found = name != NULL && strcmp(name, "malloc") == 0;
        }
    }
    elf_end(e);
    close(fd);
    return found;
}

/* true when an executable mapping before index i already named path. */
static bool alloc_seen(const procmaps *m, size_t i, const char *path)
{
    for (size_t k = 0; k < i; k++)
        if (m->v[k].x && m->v[k].path != NULL && strcmp(m->v[k].path, path) == 0)
            return true;
    return false;
}

bool alloc_find_foreign(const procmaps *m, char *name, size_t namelen)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return false;
    for (size_t i = 0; i < m->n; i++) {
        const procmaps_entry *e = &m->v[i];
        /* Code only: an object that defines malloc has it in an executable
         * mapping; data files and devices are never opened. */
        if (!e->x || e->path == NULL || e->path[0] != '/' || strncmp(e->path, "/dev/", 5) == 0 ||
            alloc_seen(m, i, e->path))
            continue;
        const char *base = alloc_basename(e->path);
        if (alloc_is_glibc_or_hook(base))
            continue;
        char open_path[4096];
        if (alloc_defines_malloc(procmaps_open_path(m, e, open_path, sizeof(open_path)))) {
            snprintf(name, namelen, "%s", base);
            return true;
        }
    }
    return false;
}

bool alloc_walk_says_foreign(uint64_t matched, uint64_t stale, size_t nthreads)
{
    return stale > matched && stale > (uint64_t)nthreads;
}
