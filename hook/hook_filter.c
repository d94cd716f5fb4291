/* hook/hook_filter.c: the free path's filter (see hook_filter.h). */
#include "hook_filter.h"

#include <string.h>

static uint64_t summary_words(unsigned bits)
{
    return bits >= 6 ? (uint64_t)1 << (bits - 6) : 1;
}

void hook_filter_init(struct hook_filter *f, uint8_t *count, uint64_t *summary, unsigned bits)
{
    f->count = count;
    f->summary = summary;
    f->bits = bits;
    f->nstale = 0;
    f->full = 0;
    memset(count, 0, (size_t)1 << bits);
    memset(summary, 0, summary_words(bits) * sizeof(*summary));
}

static void summary_set(struct hook_filter *f, uint32_t c)
{
    uint64_t bit = (uint64_t)1 << (c & 63), *w = &f->summary[c >> 6];
    if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit))
        __atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
}

void hook_filter_add(struct hook_filter *f, uint64_t addr)
{
    uint32_t c = hook_filter_cell(addr, f->bits);
    uint8_t *n = &f->count[c];
    uint8_t v = __atomic_load_n(n, __ATOMIC_RELAXED);
    while (v != 255 &&
           !__atomic_compare_exchange_n(n, &v, v + 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
    summary_set(f, c);
}

void hook_filter_del(struct hook_filter *f, uint64_t addr)
{
    uint8_t *n = &f->count[hook_filter_cell(addr, f->bits)];
    uint8_t v = __atomic_load_n(n, __ATOMIC_RELAXED);
    /* A saturated count no longer knows how many entries share the cell. */
    while (v != 255 && v != 0) {
        if (__atomic_compare_exchange_n(n, &v, v - 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            if (v == 1) {
                uint32_t i = __atomic_fetch_add(&f->nstale, 1, __ATOMIC_RELAXED);
                if (i < HOOK_FILTER_STALE)
                    __atomic_store_n(&f->stale[i], (uint32_t)(n - f->count), __ATOMIC_RELAXED);
            }
            return;
        }
    }
}

void hook_filter_saturate(struct hook_filter *f, uint64_t addr)
{
    uint32_t c = hook_filter_cell(addr, f->bits);
    __atomic_store_n(&f->count[c], 255, __ATOMIC_RELAXED);
    summary_set(f, c);
}

bool hook_filter_refresh_due(const struct hook_filter *f)
{
    return __atomic_load_n(&f->nstale, __ATOMIC_RELAXED) >= HOOK_FILTER_STALE &&
           !__atomic_load_n(&f->full, __ATOMIC_RELAXED);
}

static bool cell_empty(const struct hook_filter *f, uint64_t c)
{
    return __atomic_load_n(&f->count[c], __ATOMIC_RELAXED) == 0;
}

void hook_filter_refresh(struct hook_filter *f)
{
    uint32_t n = __atomic_load_n(&f->nstale, __ATOMIC_RELAXED);
    __atomic_store_n(&f->nstale, 0, __ATOMIC_RELAXED);
    if (__atomic_load_n(&f->full, __ATOMIC_RELAXED))
        return;
    if (n <= HOOK_FILTER_STALE) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t c = f->stale[i];
            if (cell_empty(f, c))
                __atomic_fetch_and(&f->summary[c >> 6], ~((uint64_t)1 << (c & 63)),
                                   __ATOMIC_RELAXED);
        }
        return;
    }
    uint64_t cells = (uint64_t)1 << f->bits;
    for (uint64_t w = 0; w < summary_words(f->bits); w++) {
        uint64_t v = 0;
        for (uint64_t j = 0; j < 64 && w * 64 + j < cells; j++)
            v |= (uint64_t)!cell_empty(f, w * 64 + j) << j;
        __atomic_store_n(&f->summary[w], v, __ATOMIC_RELAXED);
    }
}

void hook_filter_fill(struct hook_filter *f)
{
    __atomic_store_n(&f->full, 1, __ATOMIC_RELAXED);
    uint64_t cells = (uint64_t)1 << f->bits;
    for (uint64_t w = 0; w < summary_words(f->bits); w++)
        __atomic_store_n(&f->summary[w], cells >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << cells) - 1,
                         __ATOMIC_RELAXED);
}
