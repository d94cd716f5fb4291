/* lib/sym/symvars.c: an ELF file's variables (see symvars.h), read with
 * libelf into two arrays sorted by address. */
#include "symvars.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_array.h"
#include "symbolize.h"

#define SYMVARS_MAX (1u << 22)

typedef struct symvar {
    uint64_t lo, size;
    char *name;
} symvar;

typedef struct symvar_set {
    symvar *v;
    size_t n, cap;
} symvar_set;

struct symvars {
    symvar_set data, tls;
    uint64_t load_vaddr, tls_memsz, tls_align;
};

static int symvars_cmp(const void *a, const void *b)
{
    const symvar *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->size > y->size ? -1 : x->size < y->size; /* the widest first */
}

static int symvars_add(symvar_set *s, uint64_t lo, uint64_t size, const char *name)
{
    if (hs_array_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v), 256) != 0)
        return -1;
    /* C++ variables by their demangled names (store::g_registry) */
    char *copy = strncmp(name, "_Z", 2) == 0 ? sym_demangle_full(name) : NULL;
    if (copy == NULL)
        copy = strdup(name);
    if (copy == NULL)
        return -1;
    s->v[s->n++] = (symvar){lo, size, copy};
    return 0;
}

static int symvars_section(symvars *v, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (data == NULL || sh->sh_entsize == 0)
        return 0;
    size_t count = sh->sh_size / sh->sh_entsize;
    for (size_t i = 0; i < count && v->data.n + v->tls.n < SYMVARS_MAX; i++) {
        GElf_Sym s;
        if (gelf_getsym(data, (int)i, &s) == NULL)
            break;
        int type = GELF_ST_TYPE(s.st_info);
        if ((type != STT_OBJECT && type != STT_TLS) || s.st_shndx == SHN_UNDEF)
            continue;
        const char *name = elf_strptr(elf, sh->sh_link, s.st_name);
        if (name == NULL || name[0] == '\0')
            continue;
        if (symvars_add(type == STT_TLS ? &v->tls : &v->data, s.st_value, s.st_size, name) != 0)
            return -1;
    }
    return 0;
}

static int symvars_read(symvars *v, Elf *elf)
{
    size_t nph = 0;
    bool have_load = false;
    if (elf_getphdrnum(elf, &nph) == 0) {
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(elf, (int)i, &ph) == NULL)
                continue;
            if (ph.p_type == PT_LOAD && (!have_load || ph.p_vaddr < v->load_vaddr)) {
                v->load_vaddr = ph.p_vaddr & ~0xfffull;
                have_load = true;
            } else if (ph.p_type == PT_TLS) {
                v->tls_memsz = ph.p_memsz;
                v->tls_align = ph.p_align;
            }
        }
    }
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn != NULL; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL)
            continue;
        if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) &&
            symvars_section(v, elf, scn, &sh) != 0)
            return -1;
    }
    if (v->data.n > 0)
        qsort(v->data.v, v->data.n, sizeof(symvar), symvars_cmp);
    if (v->tls.n > 0)
        qsort(v->tls.v, v->tls.n, sizeof(symvar), symvars_cmp);
    return 0;
}

symvars *symvars_open(const char *path, hs_err *err)
{
    elf_version(EV_CURRENT);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hs_err_set(err, "cannot open %s to name its variables.", path);
        return NULL;
    }
    symvars *v = calloc(1, sizeof(*v));
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    int rc = -1;
    if (v != NULL && elf != NULL && elf_kind(elf) == ELF_K_ELF)
        rc = symvars_read(v, elf);
    if (elf != NULL)
        elf_end(elf);
    close(fd);
    if (rc != 0) {
        symvars_close(v);
        hs_err_set(err, "%s is not a readable ELF file (or out of memory).", path);
        return NULL;
    }
    return v;
}

static void symvars_free_set(symvar_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].name);
    free(s->v);
}

void symvars_close(symvars *v)
{
    if (v == NULL)
        return;
    symvars_free_set(&v->data);
    symvars_free_set(&v->tls);
    free(v);
}

uint64_t symvars_load_vaddr(const symvars *v)
{
    return v->load_vaddr;
}

void symvars_tls(const symvars *v, uint64_t *memsz, uint64_t *align)
{
    *memsz = v->tls_memsz;
    *align = v->tls_align;
}

/* The symbol covering vaddr, or NULL. */
static const symvar *symvars_find(const symvars *v, uint64_t vaddr, int tls)
{
    const symvar_set *s = tls ? &v->tls : &v->data;
    size_t a = 0, b = s->n; /* first lo > vaddr */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (s->v[m].lo <= vaddr)
            a = m + 1;
        else
            b = m;
    }
    /* Symbols nest rarely (an alias, a member); look a few back. */
    for (size_t k = a; k > 0 && a - k < 8; k--) {
        const symvar *x = &s->v[k - 1];
        if (vaddr < x->lo + (x->size ? x->size : 1))
            return x;
    }
    return NULL;
}

const char *symvars_lookup(const symvars *v, uint64_t vaddr, int tls)
{
    const symvar *x = symvars_find(v, vaddr, tls);
    return x != NULL ? x->name : NULL;
}

uint64_t symvars_start(const symvars *v, uint64_t vaddr, int tls)
{
    const symvar *x = symvars_find(v, vaddr, tls);
    return x != NULL ? x->lo : UINT64_MAX;
}
