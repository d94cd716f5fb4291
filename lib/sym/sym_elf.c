/* lib/sym/sym_elf.c: what the symbolizer needs from one ELF file through libelf:
 * the PT_LOAD segments (runtime offset -> link-time address), the function
 * symbols of .symtab and .dynsym as one sorted table with the best name per
 * address, and the .gnu_debuglink pointer to a separate debug file. */
#include "sym_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Hostile or huge files must not make us allocate without bound. */
#define SYM_ELF_MAX_SYMS (1u << 24)
#define SYM_ELF_MAX_PHDRS 4096

typedef struct raw_sym {
    uint64_t lo, size;
    const char *name; /* points into libelf's data, valid while the Elf is open */
    unsigned char bind;
} raw_sym;

/* Alias preference at one address: a global name over a weak or local one,
 * then fewer leading underscores (malloc over __libc_malloc), then the
 * shorter, then alphabetical so the choice is stable. */
static int alias_rank_cmp(const raw_sym *a, const raw_sym *b)
{
    int ra = a->bind == STB_GLOBAL ? 0 : a->bind == STB_WEAK ? 1 : 2;
    int rb = b->bind == STB_GLOBAL ? 0 : b->bind == STB_WEAK ? 1 : 2;
    if (ra != rb)
        return ra - rb;
    size_t ua = strspn(a->name, "_"), ub = strspn(b->name, "_");
    if (ua != ub)
        return ua < ub ? -1 : 1;
    size_t la = strlen(a->name), lb = strlen(b->name);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int raw_sym_cmp(const void *pa, const void *pb)
{
    const raw_sym *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return alias_rank_cmp(a, b);
}

static int elf_sym_cmp(const void *pa, const void *pb)
{
    const sym_elf_symbol *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return 0;
}

/* Collects FUNC/IFUNC symbols of one symbol table section into *v. */
static int collect_syms(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, raw_sym **v, size_t *n,
                        size_t *cap)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (data == NULL || sh->sh_entsize == 0)
        return 0;
    size_t count = sh->sh_size / sh->sh_entsize;
    if (count > SYM_ELF_MAX_SYMS)
        count = SYM_ELF_MAX_SYMS;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym s;
        if (gelf_getsym(data, (int)i, &s) == NULL)
            break;
        int type = GELF_ST_TYPE(s.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
            s.st_value == 0)
            continue;
        const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
        if (name == NULL || name[0] == '\0')
            continue;
        if (*n == *cap) {
            size_t ncap = *cap ? *cap * 2 : 1024;
            if (ncap > SYM_ELF_MAX_SYMS)
                return 0;
            raw_sym *nv = realloc(*v, ncap * sizeof(raw_sym));
            if (nv == NULL)
                return -1;
            *v = nv;
            *cap = ncap;
        }
        (*v)[(*n)++] = (raw_sym){s.st_value, s.st_size, name, GELF_ST_BIND(s.st_info)};
    }
    return 0;
}

/* Demangles "name" or "name@VERSION" (versioned names appear in .symtab). */
static const char *display_name(sym_pool *pool, const char *name)
{
    const char *at = strchr(name, '@');
    if (at == NULL)
        return sym_demangle(pool, name);
    const char *base = sym_pool_strn(pool, name, (size_t)(at - name));
    if (base == NULL)
        return name;
    return sym_demangle(pool, base);
}

/* Merges raw symbols (sorted, best alias first) into e->syms. */
static int merge_syms(sym_elf *e, raw_sym *v, size_t n, sym_pool *pool)
{
    size_t cap = e->nsyms + n;
    if (cap == 0)
        return 0;
    sym_elf_symbol *out = realloc(e->syms, cap * sizeof(sym_elf_symbol));
    if (out == NULL)
        return -1;
    e->syms = out;
    size_t old = e->nsyms;
    size_t k = e->nsyms;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && v[i].lo == v[i - 1].lo)
            continue; /* an alias of a better name at the same address */
        const char *sys = sym_pool_str(pool, v[i].name);
        if (sys == NULL)
            return -1;
        const char *name = display_name(pool, sys);
        out[k++] = (sym_elf_symbol){v[i].lo, v[i].lo + v[i].size, name, sys};
    }
    e->nsyms = k;
    if (old == 0)
        return 0;
    /* Second table: keep the first table's entry at an address it already
     * has (the stripped binary and its debug file agree on addresses). */
    qsort(e->syms, e->nsyms, sizeof(sym_elf_symbol), elf_sym_cmp);
    size_t w = 0;
    for (size_t i = 0; i < e->nsyms; i++) {
        if (w > 0 && e->syms[w - 1].lo == e->syms[i].lo) {
            if (e->syms[w - 1].hi == e->syms[w - 1].lo)
                e->syms[w - 1].hi = e->syms[i].hi;
            continue;
        }
        e->syms[w++] = e->syms[i];
    }
    e->nsyms = w;
    return 0;
}

static void read_debuglink(sym_elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
    if (e->debuglink != NULL || sh->sh_type == SHT_NOBITS)
        return;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (d == NULL || d->d_buf == NULL || d->d_size < 8)
        return;
    const char *p = d->d_buf;
    size_t len = strnlen(p, d->d_size);
    if (len == 0 || len >= d->d_size)
        return;
    size_t crc_off = (len + 4) & ~(size_t)3;
    if (crc_off + 4 > d->d_size)
        return;
    /* The name must be a plain file name: it is joined to directories. */
    if (memchr(p, '/', len) != NULL)
        return;
    e->debuglink = strndup(p, len);
    uint32_t crc;
    memcpy(&crc, p + crc_off, 4);
    e->debuglink_crc = crc; /* stored in the file's (here: host) byte order */
}

int sym_elf_read(sym_elf *e, const char *path, sym_pool *pool, bool want_loads, hs_err *err)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return hs_err_set(err, "libelf is unusable (%s); reinstall libelf1", elf_errmsg(-1));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hs_err_set(err, "cannot open %s (%s); check the file exists and is readable", path,
                          strerror(errno));
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (elf == NULL || elf_kind(elf) != ELF_K_ELF) {
        if (elf != NULL)
            elf_end(elf);
        close(fd);
        return hs_err_set(err, "%s is not an ELF file, so it has no symbols", path);
    }
    int rc = 0;
    GElf_Ehdr eh;
    if (gelf_getehdr(elf, &eh) == NULL) {
        rc = hs_err_set(err, "%s has a damaged ELF header (%s)", path, elf_errmsg(-1));
        goto out;
    }
    if (want_loads) {
        size_t nph = 0;
        if (elf_getphdrnum(elf, &nph) == 0 && nph > 0 && nph <= SYM_ELF_MAX_PHDRS) {
            e->loads = calloc(nph, sizeof(sym_elf_load));
            if (e->loads == NULL) {
                rc = hs_err_set(err, "out of memory reading %s", path);
                goto out;
            }
            for (size_t i = 0; i < nph; i++) {
                GElf_Phdr ph;
                if (gelf_getphdr(elf, (int)i, &ph) == NULL || ph.p_type != PT_LOAD)
                    continue;
                e->loads[e->nloads++] = (sym_elf_load){ph.p_offset, ph.p_vaddr, ph.p_filesz};
            }
        }
    }
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        goto out; /* no sections: segments only (e.g. a trimmed binary) */
    raw_sym *v = NULL;
    size_t n = 0, cap = 0;
    /* .symtab first: when present it is a superset of .dynsym. */
    for (int pass = 0; pass < 2; pass++) {
        Elf_Scn *scn = NULL;
        size_t guard = 0;
        while ((scn = elf_nextscn(elf, scn)) != NULL && guard++ < 65536) {
            GElf_Shdr sh;
            if (gelf_getshdr(scn, &sh) == NULL)
                continue;
            if (pass == 0) {
                const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
                if (name == NULL)
                    continue;
                if (strcmp(name, ".gnu_debuglink") == 0)
                    read_debuglink(e, scn, &sh);
                else if (strcmp(name, ".debug_info") == 0 && sh.sh_type != SHT_NOBITS &&
                         sh.sh_size > 0)
                    e->has_debug_info = true;
                if (sh.sh_type == SHT_SYMTAB && collect_syms(elf, scn, &sh, &v, &n, &cap) == 0)
                    e->has_symtab = e->has_symtab || n > 0;
            } else if (sh.sh_type == SHT_DYNSYM && !e->has_symtab) {
                collect_syms(elf, scn, &sh, &v, &n, &cap);
            }
        }
    }
    if (n > 0) {
        qsort(v, n, sizeof(raw_sym), raw_sym_cmp);
        if (merge_syms(e, v, n, pool) != 0)
            rc = hs_err_set(err, "out of memory reading the symbols of %s", path);
    }
    free(v);
out:
    elf_end(elf);
    close(fd);
    return rc;
}

void sym_elf_free(sym_elf *e)
{
    free(e->loads);
    free(e->syms);
    free(e->debuglink);
    memset(e, 0, sizeof(*e));
}

bool sym_elf_offset_to_vaddr(const sym_elf *e, uint64_t off, uint64_t *vaddr)
{
    for (size_t i = 0; i < e->nloads; i++) {
        const sym_elf_load *l = &e->loads[i];
        if (off >= l->offset && off - l->offset < l->filesz) {
            *vaddr = off - l->offset + l->vaddr;
            return true;
        }
    }
    return false;
}

const sym_elf_symbol *sym_elf_lookup(const sym_elf *e, uint64_t vaddr)
{
    size_t lo = 0, hi = e->nsyms;
    while (lo < hi) { /* first symbol with lo > vaddr */
        size_t mid = lo + (hi - lo) / 2;
        if (e->syms[mid].lo <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Look back a little: a large symbol may enclose smaller ones. */
    for (size_t k = 0; k < 4 && lo > 0; k++, lo--) {
        const sym_elf_symbol *s = &e->syms[lo - 1];
        if (vaddr < s->hi)
            return s;
        /* A zero-size symbol (hand-written assembly) covers up to the next one. */
        if (k == 0 && s->hi == s->lo)
            return s;
    }
    return NULL;
}
