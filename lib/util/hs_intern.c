/* lib/util/hs_intern.c: the interning table (see hs_intern.h). */
#include "hs_intern.h"

#include <stdlib.h>
#include <string.h>

uint64_t hs_hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int hs_intern_grow(hs_intern *t)
{
    size_t ncap =
        t->cap ? t->cap * 2 : 16; /* most tables stay small: builders per test, per series */
    uint64_t *nh = calloc(ncap, sizeof(*nh));
    uint32_t *nv = calloc(ncap, sizeof(*nv));
    unsigned char **nk = calloc(ncap, sizeof(*nk));
    size_t *nl = calloc(ncap, sizeof(*nl));
    if (!nh || !nv || !nk || !nl) {
        free(nh);
        free(nv);
        free(nk);
        free(nl);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (t->val[i] == 0)
            continue;
        size_t j = t->hash[i] & (ncap - 1);
        while (nv[j] != 0)
            j = (j + 1) & (ncap - 1);
        nh[j] = t->hash[i];
        nv[j] = t->val[i];
        nk[j] = t->key[i];
        nl[j] = t->klen[i];
    }
    free(t->hash);
    free(t->val);
    free(t->key);
    free(t->klen);
    t->hash = nh;
    t->val = nv;
    t->key = nk;
    t->klen = nl;
    t->cap = ncap;
    return 0;
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t hs_intern_slot(const hs_intern *t, const void *key, size_t klen, uint64_t h)
{
    size_t j = h & (t->cap - 1);
    while (t->val[j] != 0) {
        if (t->hash[j] == h && t->klen[j] == klen && memcmp(t->key[j], key, klen) == 0)
            return j;
        j = (j + 1) & (t->cap - 1);
    }
    return j;
}

uint32_t hs_intern_get(const hs_intern *t, const void *key, size_t klen)
{
    if (t->cap == 0)
        return 0;
    return t->val[hs_intern_slot(t, key, klen, hs_hash_bytes(key, klen, HS_HASH_SEED))];
}

uint32_t hs_intern_get_or_put(hs_intern *t, const void *key, size_t klen, uint32_t newid,
                              int *added)
{
    *added = 0;
    if ((t->n + 1) * 2 > t->cap && hs_intern_grow(t) != 0)
        return 0;
    uint64_t h = hs_hash_bytes(key, klen, HS_HASH_SEED);
    size_t j = hs_intern_slot(t, key, klen, h);
    if (t->val[j] != 0)
        return t->val[j];
    unsigned char *copy = malloc(klen ? klen : 1);
    if (copy == NULL)
        return 0;
    if (klen)
        memcpy(copy, key, klen);
    t->hash[j] = h;
    t->val[j] = newid;
    t->key[j] = copy;
    t->klen[j] = klen;
    t->n++;
    *added = 1;
    return newid;
}

void hs_intern_free(hs_intern *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->val[i] != 0)
            free(t->key[i]);
    free(t->hash);
    free(t->val);
    free(t->key);
    free(t->klen);
    memset(t, 0, sizeof(*t));
}
