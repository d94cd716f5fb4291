/* lib/types/tvtable.c: C++ classes from vtable pointers (see tvtable.h). */
#include "tvtable.h"

#include <stdlib.h>
#include <string.h>

#include "symbolize.h"

#define TVT_NAME_MAX 512

typedef struct tvt_slot {
    uint64_t word; /* 0: empty */
    char *name;    /* NULL: not a vtable pointer */
} tvt_slot;

struct tvt {
    memsrc *m;
    const procmaps *pm;
    tvt_slot *slot;
    size_t cap, n; /* cap a power of two */
};

tvt *tvt_open(memsrc *m, const procmaps *pm, hs_err *err)
{
    tvt *t = calloc(1, sizeof(*t));
    if (t != NULL) {
        t->cap = 1024;
        t->slot = calloc(t->cap, sizeof(*t->slot));
    }
    if (t == NULL || t->slot == NULL) {
        free(t);
        hs_err_set(err, "out of memory for the vtable index");
        return NULL;
    }
    t->m = m;
    t->pm = pm;
    return t;
}

void tvt_close(tvt *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->slot[i].name);
    free(t->slot);
    free(t);
}

/* True when [addr, addr + len) lies in one readable file mapping that is not
 * writable (vtables, type_info objects and their names are all read-only
 * data of a loaded object once relocated). */
static int tvt_ro_file(const tvt *t, uint64_t addr, uint64_t len)
{
    const procmaps_entry *e = procmaps_find(t->pm, addr);
    return e != NULL && e->r && !e->w && e->inode != 0 && e->path[0] == '/' &&
           addr + len <= e->end && addr + len > addr;
}

/* A mangled type name as a type_info holds it: [A-Za-z0-9_$.] only, after a
 * '*' that GCC puts before the names of types with internal linkage. */
static char *tvt_name_at(tvt *t, uint64_t at)
{
    char raw[TVT_NAME_MAX + 4] = "_ZTS";
    size_t n = 0;
    for (;;) {
        uint64_t chunk = 64 - (at + n) % 64; /* never read across a 64-byte line */
        if (n + chunk > TVT_NAME_MAX)
            return NULL;
        if (!tvt_ro_file(t, at + n, chunk) || memsrc_read(t->m, at + n, chunk, raw + 4 + n) != 0)
            return NULL;
        void *nul = memchr(raw + 4 + n, '\0', chunk);
        n += chunk;
        if (nul != NULL)
            break;
    }
    char *name = raw + 4;
    if (*name == '*')
        memmove(name, name + 1, strlen(name));
    if (*name == '\0')
        return NULL;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '$' || *p == '.'))
            return NULL;
    char *full = sym_demangle_full(raw); /* "typeinfo name for Circle" */
    static const char prefix[] = "typeinfo name for ";
    if (full == NULL || strncmp(full, prefix, sizeof(prefix) - 1) != 0) {
        free(full);
        return NULL;
    }
    memmove(full, full + sizeof(prefix) - 1, strlen(full) - (sizeof(prefix) - 1) + 1);
    return full;
}

static char *tvt_resolve(tvt *t, uint64_t w)
{
    uint64_t head[2], ti[2]; /* offset to top, type_info; type_info's vptr, name */
    if ((w & 7) != 0 || w < 16 || !tvt_ro_file(t, w - 16, 16) ||
        memsrc_read(t->m, w - 16, sizeof(head), head) != 0)
        return NULL;
    if (head[0] != 0 || (head[1] & 7) != 0 || !tvt_ro_file(t, head[1], 16) ||
        memsrc_read(t->m, head[1], sizeof(ti), ti) != 0)
        return NULL;
    if ((ti[0] & 7) != 0 || !tvt_ro_file(t, ti[0], 8))
        return NULL;
    return tvt_name_at(t, ti[1]);
}

static int tvt_grow(tvt *t)
{
    size_t ncap = t->cap * 2;
    tvt_slot *ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slot[i].word == 0)
            continue;
        size_t j = (t->slot[i].word * 0x9e3779b97f4a7c15ull) >> 20 & (ncap - 1);
        while (ns[j].word != 0)
            j = (j + 1) & (ncap - 1);
        ns[j] = t->slot[i];
    }
    free(t->slot);
    t->slot = ns;
    t->cap = ncap;
    return 0;
}

const char *tvt_class_of(tvt *t, uint64_t word)
{
    if (word == 0)
        return NULL;
    if ((t->n + 1) * 2 > t->cap && tvt_grow(t) != 0)
        return NULL;
    size_t j = (word * 0x9e3779b97f4a7c15ull) >> 20 & (t->cap - 1);
    while (t->slot[j].word != 0) {
        if (t->slot[j].word == word)
            return t->slot[j].name;
        j = (j + 1) & (t->cap - 1);
    }
    /* Only words inside a read-only file mapping are looked at further;
     * the rest (heap pointers, numbers, text) are not cached, to keep the
     * table as small as the set of candidate vtable pointers. */
    if (!tvt_ro_file(t, word, 8))
        return NULL;
    t->slot[j].word = word;
    t->slot[j].name = tvt_resolve(t, word);
    t->n++;
    return t->slot[j].name;
}
