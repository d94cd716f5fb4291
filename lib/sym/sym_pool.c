/* lib/sym/sym_pool.c: memory that lives as long as a symbolizer context: interned
 * strings (so frames can hand out plain const char * that stay valid until
 * sym_close) and a small u64 -> u64 hash map for the per-address caches. */
#include "sym_internal.h"

#include <stdlib.h>
#include <string.h>

#include "hs_intern.h"

#define POOL_CHUNK 65536

typedef struct pool_chunk {
    struct pool_chunk *next;
    size_t used, cap;
    char data[];
} pool_chunk;

struct sym_pool {
    pool_chunk *chunks;
    const char **slots; /* hash set of interned strings */
    size_t cap, n;
};

sym_pool *sym_pool_new(void)
{
    return calloc(1, sizeof(sym_pool));
}

void sym_pool_free(sym_pool *p)
{
    if (p == NULL)
        return;
    pool_chunk *c = p->chunks;
    while (c != NULL) {
        pool_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(p->slots);
    free(p);
}

static char *pool_alloc(sym_pool *p, size_t n)
{
    if (p->chunks == NULL || p->chunks->cap - p->chunks->used < n) {
        size_t cap = n > POOL_CHUNK ? n : POOL_CHUNK;
        pool_chunk *c = malloc(sizeof(pool_chunk) + cap);
        if (c == NULL)
            return NULL;
        c->next = p->chunks;
        c->used = 0;
        c->cap = cap;
        p->chunks = c;
    }
    char *r = p->chunks->data + p->chunks->used;
    p->chunks->used += n;
    return r;
}

static int pool_grow(sym_pool *p)
{
    size_t ncap = p->cap ? p->cap * 2 : 1024;
    const char **ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL)
        return -1;
    for (size_t i = 0; i < p->cap; i++) {
        const char *s = p->slots[i];
        if (s == NULL)
            continue;
        size_t j = hs_hash_bytes(s, strlen(s), HS_HASH_SEED) & (ncap - 1);
        while (ns[j] != NULL)
            j = (j + 1) & (ncap - 1);
        ns[j] = s;
    }
    free(p->slots);
    p->slots = ns;
    p->cap = ncap;
    return 0;
}

const char *sym_pool_strn(sym_pool *p, const char *s, size_t n)
{
    if (s == NULL || n == 0)
        return "";
    if ((p->n + 1) * 2 > p->cap && pool_grow(p) != 0)
        return NULL;
    size_t j = hs_hash_bytes(s, n, HS_HASH_SEED) & (p->cap - 1);
    while (p->slots[j] != NULL) {
        const char *t = p->slots[j];
        if (strncmp(t, s, n) == 0 && t[n] == '\0')
            return t;
        j = (j + 1) & (p->cap - 1);
    }
    char *copy = pool_alloc(p, n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    p->slots[j] = copy;
    p->n++;
    return copy;
}

const char *sym_pool_str(sym_pool *p, const char *s)
{
    return s == NULL ? "" : sym_pool_strn(p, s, strlen(s));
}

static uint64_t hash_u64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

bool sym_u64map_get(const sym_u64map *m, uint64_t key, uint64_t *val)
{
    if (m->cap == 0)
        return false;
    size_t j = hash_u64(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            *val = m->vals[j];
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return false;
}

static int u64map_grow(sym_u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 256;
    sym_u64map n = {.cap = ncap};
    n.keys = malloc(ncap * sizeof(uint64_t));
    n.vals = malloc(ncap * sizeof(uint64_t));
    n.used = calloc(ncap, 1);
    if (n.keys == NULL || n.vals == NULL || n.used == NULL) {
        sym_u64map_free(&n);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i])
            continue;
        size_t j = hash_u64(m->keys[i]) & (ncap - 1);
        while (n.used[j])
            j = (j + 1) & (ncap - 1);
        n.used[j] = 1;
        n.keys[j] = m->keys[i];
        n.vals[j] = m->vals[i];
    }
    n.n = m->n;
    sym_u64map_free(m);
    *m = n;
    return 0;
}

int sym_u64map_put(sym_u64map *m, uint64_t key, uint64_t val)
{
    if ((m->n + 1) * 2 > m->cap && u64map_grow(m) != 0)
        return -1;
    size_t j = hash_u64(key) & (m->cap - 1);
    while (m->used[j]) {
        if (m->keys[j] == key) {
            m->vals[j] = val;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->used[j] = 1;
    m->keys[j] = key;
    m->vals[j] = val;
    m->n++;
    return 0;
}

void sym_u64map_clear(sym_u64map *m)
{
    if (m->cap)
        memset(m->used, 0, m->cap);
    m->n = 0;
}

void sym_u64map_free(sym_u64map *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof(*m));
}
