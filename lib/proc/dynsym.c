/* lib/proc/dynsym.c: dynamic symbol lookup in a mapped object (see dynsym.h),
 * through its DT_GNU_HASH table, or DT_HASH for objects without one. */
#include "dynsym.h"

#include <elf.h>
#include <string.h>

#include "elf_mem.h"

#define DYNSYM_MAX_DYN 512    /* dynamic entries read at most */
#define DYNSYM_MAX_CHAIN 4096 /* entries walked in one hash chain at most */

typedef struct dynsym_obj {
    memsrc *m;
    uint64_t bias;
    uint64_t symtab, strtab, strsz, gnuhash, hash, versym;
} dynsym_obj;

/* ld.so relocates most d_ptr values in place; the vdso's stay unrelocated. */
static uint64_t dynsym_ptr(const dynsym_obj *o, uint64_t v)
{
    return v < o->bias ? v + o->bias : v;
}

static int dynsym_open(memsrc *m, uint64_t base, dynsym_obj *o)
{
    Elf64_Phdr ph[ELFMEM_MAX_PHDRS];
    memset(o, 0, sizeof(*o));
    o->m = m;
    int n = elfmem_phdrs(m, base, ph, &o->bias);
    if (n < 0)
        return -1;
    uint64_t dyn = 0, dynsz = 0;
    for (int i = 0; i < n; i++)
        if (ph[i].p_type == PT_DYNAMIC) {
            dyn = o->bias + ph[i].p_vaddr;
            dynsz = ph[i].p_memsz;
        }
    if (dyn == 0)
        return -1;
    size_t nd = dynsz / sizeof(Elf64_Dyn);
    if (nd > DYNSYM_MAX_DYN)
        nd = DYNSYM_MAX_DYN;
    for (size_t i = 0; i < nd; i++) {
        Elf64_Dyn d;
        if (memsrc_read(m, dyn + i * sizeof(d), sizeof(d), &d) != 0)
            return -1;
        if (d.d_tag == DT_NULL)
            break;
        switch (d.d_tag) {
        case DT_SYMTAB:
            o->symtab = d.d_un.d_ptr;
            break;
        case DT_STRTAB:
            o->strtab = d.d_un.d_ptr;
            break;
        case DT_STRSZ:
            o->strsz = d.d_un.d_val;
            break;
        case DT_GNU_HASH:
            o->gnuhash = d.d_un.d_ptr;
            break;
        case DT_HASH:
            o->hash = d.d_un.d_ptr;
            break;
        case DT_VERSYM:
            o->versym = d.d_un.d_ptr;
            break;
        default:
            break;
        }
    }
    if (o->symtab == 0 || o->strtab == 0 || (o->gnuhash == 0 && o->hash == 0))
        return -1;
    o->symtab = dynsym_ptr(o, o->symtab);
    o->strtab = dynsym_ptr(o, o->strtab);
    o->gnuhash = o->gnuhash ? dynsym_ptr(o, o->gnuhash) : 0;
    o->hash = o->hash ? dynsym_ptr(o, o->hash) : 0;
    o->versym = o->versym ? dynsym_ptr(o, o->versym) : 0;
    return 0;
}

/* Whether symbol idx is called name and defined; its version's hidden bit
 * in *hidden. */
static int dynsym_match(const dynsym_obj *o, uint32_t idx, const char *name, Elf64_Sym *sym,
                        int *hidden)
{
    if (memsrc_read(o->m, o->symtab + (uint64_t)idx * sizeof(*sym), sizeof(*sym), sym) != 0)
        return -1;
    if (sym->st_shndx == SHN_UNDEF || sym->st_value == 0)
        return 0;
    size_t len = strlen(name);
    char buf[256];
    if (len + 1 > sizeof(buf) || (o->strsz && sym->st_name + len + 1 > o->strsz))
        return 0;
    if (memsrc_read(o->m, o->strtab + sym->st_name, len + 1, buf) != 0)
        return 0;
    if (memcmp(buf, name, len + 1) != 0)
        return 0;
    uint16_t vs = 0;
    if (o->versym)
        memsrc_read(o->m, o->versym + (uint64_t)idx * 2, 2, &vs);
    *hidden = (vs & 0x8000) != 0;
    return 1;
}

static uint32_t dynsym_gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static uint32_t dynsym_elf_hash(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++) {
        h = (h << 4) + (unsigned char)*s;
        uint32_t g = h & 0xf0000000u;
        if (g)
            h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

/* Remembers a match: the first of the default version wins over hidden ones. */
static void dynsym_keep(const dynsym_obj *o, const Elf64_Sym *sym, int hidden, int *found,
                        int *found_hidden, uint64_t *addr, int *is_func, uint64_t *size)
{
    if (*found && !(*found_hidden && !hidden))
        return;
    *found = 1;
    *found_hidden = hidden;
    *addr = o->bias + sym->st_value;
    *size = sym->st_size;
    if (is_func != NULL)
        *is_func = ELF64_ST_TYPE(sym->st_info) == STT_FUNC;
}

static int dynsym_find(memsrc *m, uint64_t base, const char *name, uint64_t *addr, int *is_func,
                       uint64_t *size);

int dynsym_lookup(memsrc *m, uint64_t base, const char *name, uint64_t *addr, int *is_func)
{
    uint64_t size;
    return dynsym_find(m, base, name, addr, is_func, &size);
}

int dynsym_lookup_size(memsrc *m, uint64_t base, const char *name, uint64_t *addr, uint64_t *size)
{
    return dynsym_find(m, base, name, addr, NULL, size);
}

static int dynsym_find(memsrc *m, uint64_t base, const char *name, uint64_t *addr, int *is_func,
                       uint64_t *size)
{
    dynsym_obj o;
    if (dynsym_open(m, base, &o) != 0)
        return -1;
    int found = 0, found_hidden = 0, hidden = 0;
    Elf64_Sym sym;
    if (o.gnuhash) {
        uint32_t hdr[4]; /* nbuckets, symoffset, bloom words, bloom shift */
        if (memsrc_read(m, o.gnuhash, sizeof(hdr), hdr) != 0 || hdr[0] == 0)
            return -1;
        uint32_t h = dynsym_gnu_hash(name);
        uint64_t buckets = o.gnuhash + sizeof(hdr) + (uint64_t)hdr[2] * 8;
        uint64_t chains = buckets + (uint64_t)hdr[0] * 4;
        uint32_t idx;
        if (memsrc_read(m, buckets + (uint64_t)(h % hdr[0]) * 4, 4, &idx) != 0)
            return -1;
        if (idx == 0 || idx < hdr[1])
            return 0;
        for (int guard = 0; guard < DYNSYM_MAX_CHAIN; guard++, idx++) {
            uint32_t ch;
            if (memsrc_read(m, chains + (uint64_t)(idx - hdr[1]) * 4, 4, &ch) != 0)
                return -1;
            if ((ch | 1) == (h | 1) && dynsym_match(&o, idx, name, &sym, &hidden) == 1)
                dynsym_keep(&o, &sym, hidden, &found, &found_hidden, addr, is_func, size);
            if (ch & 1)
                break;
        }
        return found;
    }
    uint32_t hdr[2]; /* nbucket, nchain */
    if (memsrc_read(m, o.hash, sizeof(hdr), hdr) != 0 || hdr[0] == 0)
        return -1;
    uint32_t idx;
    if (memsrc_read(m, o.hash + 8 + (uint64_t)(dynsym_elf_hash(name) % hdr[0]) * 4, 4, &idx) != 0)
        return -1;
    for (int guard = 0; idx != 0 && idx < hdr[1] && guard < DYNSYM_MAX_CHAIN; guard++) {
        if (dynsym_match(&o, idx, name, &sym, &hidden) == 1)
            dynsym_keep(&o, &sym, hidden, &found, &found_hidden, addr, is_func, size);
        if (memsrc_read(m, o.hash + 8 + (uint64_t)hdr[0] * 4 + (uint64_t)idx * 4, 4, &idx) != 0)
            return -1;
    }
    return found;
}
