/* lib/util/hs_array.c: growable arrays and sorted search (see hs_array.h). */
#include "hs_array.h"

#include <stdlib.h>
#include <string.h>

int hs_array_grow(void **arr, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : (first ? first : 16);
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return -1;
        ncap *= 2;
    }
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static uint64_t hs_array_key(const void *base, size_t i, size_t stride, size_t off)
{
    uint64_t k;
    memcpy(&k, (const unsigned char *)base + i * stride + off, sizeof(k));
    return k;
}

size_t hs_array_lower_bound(const void *base, size_t n, size_t stride, size_t off, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hs_array_key(base, mid, stride, off) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t hs_array_upper_bound(const void *base, size_t n, size_t stride, size_t off, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hs_array_key(base, mid, stride, off) <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int hs_array_cmp_u64(const void *a, const void *b)
{
    uint64_t x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    return x < y ? -1 : x > y;
}
