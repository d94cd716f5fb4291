/* snapshot/typelabels.c: the type stage (see typelabels.h). */
#include "typelabels.h"

#include <stdlib.h>

#include "hs_array.h"
#include "hs_intern.h"

struct tlab {
    const char **held, **types, **froms; /* the joint table; index 0: no label */
    size_t n, cap;
    size_t typed_chunks;
    uint64_t typed_bytes;
};

static int tlab_grow(tlab *l)
{
    if (l->n < l->cap)
        return 0;
    size_t ncap = l->cap ? l->cap * 2 : 64;
    const char **h = realloc(l->held, ncap * sizeof(*h));
    if (h == NULL)
        return -1;
    l->held = h;
    const char **t = realloc(l->types, ncap * sizeof(*t));
    if (t == NULL)
        return -1;
    l->types = t;
    const char **f = realloc(l->froms, ncap * sizeof(*f));
    if (f == NULL)
        return -1;
    l->froms = f;
    l->cap = ncap;
    return 0;
}

void tlab_vtables(const attr_chunk *chunks, size_t n, memsrc *m, tvt *t, const char **classes)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t word = 0;
        classes[i] = NULL;
        if (chunks[i].size >= 24 && memsrc_read(m, chunks[i].addr + 16, 8, &word) == 0)
            classes[i] = tvt_class_of(t, word);
    }
}

tlab *tlab_assign(attr_chunk *chunks, size_t n, const char *const *classes,
                  const char *const *dwarf, const char *const *held, size_t nheld, hs_err *err)
{
    tlab *l = calloc(1, sizeof(*l));
    hs_intern pairs = {0};
    uint32_t *joint = malloc((n ? n : 1) * sizeof(*joint));
    if (l == NULL || joint == NULL || tlab_grow(l) != 0)
        goto oom;
    l->held[0] = l->types[0] = l->froms[0] = NULL;
    l->n = 1;
    for (size_t i = 0; i < n; i++) {
        attr_chunk *c = &chunks[i];
        /* vtable evidence is stronger than DWARF's */
        const char *type = classes != NULL ? classes[i] : NULL;
        const char *from = "vtable";
        if (type == NULL && dwarf != NULL) {
            type = dwarf[i];
            from = "dwarf";
        }
        uint32_t h = held != NULL && c->held_by < nheld ? c->held_by : 0;
        if (type != NULL) {
            l->typed_chunks++;
            l->typed_bytes += c->size;
        }
        uint64_t key[2] = {h, (uint64_t)(uintptr_t)type}; /* type strings are unique */
        if (h == 0 && type == NULL) {
            joint[i] = 0;
            continue;
        }
        int added = 0;
        uint32_t id = hs_intern_get_or_put(&pairs, key, sizeof(key), (uint32_t)l->n + 1, &added);
        if (id == 0 || (added && tlab_grow(l) != 0))
            goto oom;
        if (added) {
            l->held[l->n] = h != 0 ? held[h] : NULL;
            l->types[l->n] = type;
            l->froms[l->n] = type != NULL ? from : NULL;
            l->n++;
        }
        joint[i] = id - 1;
    }
    for (size_t i = 0; i < n; i++)
        chunks[i].held_by = joint[i];
    free(joint);
    hs_intern_free(&pairs);
    return l;
oom:
    free(joint);
    hs_intern_free(&pairs);
    tlab_free(l);
    hs_err_set(err, "out of memory while naming the types of %zu chunks.", n);
    return NULL;
}

const char *const *tlab_held(const tlab *l)
{
    return l->held;
}

const char *const *tlab_types(const tlab *l)
{
    return l->types;
}

const char *const *tlab_froms(const tlab *l)
{
    return l->froms;
}

size_t tlab_count(const tlab *l)
{
    return l->n;
}

size_t tlab_typed_chunks(const tlab *l)
{
    return l->typed_chunks;
}

uint64_t tlab_typed_bytes(const tlab *l)
{
    return l->typed_bytes;
}

void tlab_free(tlab *l)
{
    if (l == NULL)
        return;
    free(l->held);
    free(l->types);
    free(l->froms);
    free(l);
}
