/* lib/util/hs_intern.h: an interning table: byte strings, copied in, to
 * non-zero ids the caller chooses (usually its array index + 1). Open
 * addressing with linear probing, at most half full; FNV-1a hashes. Used by
 * the pprof builder and the analyzer's series; the hook keeps its own tables,
 * since it must not allocate. */
#ifndef HS_INTERN_H
#define HS_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct hs_intern {
    uint64_t *hash;
    uint32_t *val; /* 0 = empty slot */
    unsigned char **key;
    size_t *klen;
    size_t cap, n;
} hs_intern;

/* The id stored for key[0..klen), or, when it is not there, stores newid
 * (non-zero) and returns it with *added = 1. 0 when out of memory. */
uint32_t hs_intern_get_or_put(hs_intern *t, const void *key, size_t klen, uint32_t newid,
                              int *added);
/* The id stored for key, or 0. */
uint32_t hs_intern_get(const hs_intern *t, const void *key, size_t klen);
/* Frees the keys and the slots; the table is empty and usable again. */
void hs_intern_free(hs_intern *t);

/* 64-bit FNV-1a of p[0..n), continuing from h (start with HS_HASH_SEED). */
#define HS_HASH_SEED 14695981039346656037ULL
uint64_t hs_hash_bytes(const void *p, size_t n, uint64_t h);

#endif
