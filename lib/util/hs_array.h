/* lib/util/hs_array.h: growable arrays and binary search over arrays of
 * structs sorted by a uint64_t member. */
#ifndef HS_ARRAY_H
#define HS_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Makes *arr (elements of elem bytes, *cap of them) hold at least need,
 * doubling from first (or 16 when first is 0). 0, or -1 when out of memory
 * (the array is left as it was). */
int hs_array_grow(void **arr, size_t *cap, size_t need, size_t elem, size_t first);

/* In base[0..n) (elements of stride bytes, sorted by the uint64_t member at
 * byte offset off): the index of the first element whose member is >= key
 * (lower bound) or > key (upper bound); n when there is none. */
size_t hs_array_lower_bound(const void *base, size_t n, size_t stride, size_t off, uint64_t key);
size_t hs_array_upper_bound(const void *base, size_t n, size_t stride, size_t off, uint64_t key);

/* A qsort comparator for elements whose first member is a uint64_t (or
 * that are one): ascending by it. */
int hs_array_cmp_u64(const void *a, const void *b);

#endif
