/* hook/hook_filter.c: the free path's filter (see hook_filter.h). */
#include "hook_filter.h"

#include <sched.h>
#include <string.h>

void hook_filter_init(struct hook_filter *f, uint8_t *count, uint64_t *summary, uint8_t *lock,
                      unsigned bits)
{
    f->count = count;
    f->summary = summary;
    f->lock = lock;
    f->bits = bits;
    f->full = 0;
    f->filled = 0;
    memset(count, 0, (size_t)1 << bits);
    memset(summary, 0, HOOK_FILTER_WORDS(bits) * sizeof(*summary));
    memset(lock, 0, HOOK_FILTER_WORDS(bits));
}

static void word_lock(struct hook_filter *f, uint32_t w)
{
    while (__atomic_exchange_n(&f->lock[w], 1, __ATOMIC_ACQUIRE) != 0)
        while (__atomic_load_n(&f->lock[w], __ATOMIC_RELAXED) != 0)
            sched_yield();
}

static void word_unlock(struct hook_filter *f, uint32_t w)
{
    __atomic_store_n(&f->lock[w], 0, __ATOMIC_RELEASE);
}

static uint64_t cell_bit(uint32_t c)
{
    return (uint64_t)1 << (c & 63);
}

/* The summary's words change only under their lock: a load and a store
 * each (the free path reads them), no read-modify-write. */
static void word_or(struct hook_filter *f, uint32_t w, uint64_t bits)
{
    uint64_t *p = &f->summary[w];
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) | bits, __ATOMIC_RELAXED);
}

/* Sets cell c's bit (an add has counted it, or the cell saturates). */
static void summary_set(struct hook_filter *f, uint32_t c)
{
    if (__atomic_load_n(&f->filled, __ATOMIC_ACQUIRE))
        return;
    word_lock(f, c >> 6);
    word_or(f, c >> 6, cell_bit(c));
    word_unlock(f, c >> 6);
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
    uint32_t c = hook_filter_cell(addr, f->bits);
    uint8_t *n = &f->count[c];
    uint8_t v = __atomic_load_n(n, __ATOMIC_RELAXED);
    /* A saturated count no longer knows how many entries share the cell. */
    while (v != 255 && v != 0) {
        if (!__atomic_compare_exchange_n(n, &v, v - 1, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            continue;
        if (v == 1 && !__atomic_load_n(&f->filled, __ATOMIC_ACQUIRE)) {
            word_lock(f, c >> 6);
            if (__atomic_load_n(n, __ATOMIC_RELAXED) == 0 &&
                !__atomic_load_n(&f->full, __ATOMIC_RELAXED))
                __atomic_store_n(&f->summary[c >> 6],
                                 __atomic_load_n(&f->summary[c >> 6], __ATOMIC_RELAXED) &
                                     ~cell_bit(c),
                                 __ATOMIC_RELAXED);
            word_unlock(f, c >> 6);
        }
        return;
    }
}

void hook_filter_saturate(struct hook_filter *f, uint64_t addr)
{
    uint32_t c = hook_filter_cell(addr, f->bits);
    __atomic_store_n(&f->count[c], 255, __ATOMIC_RELAXED);
    summary_set(f, c);
}

/* full first, so that no clear starts after it; each word under its lock,
 * after any clear that read full as 0; filled once every word is set. */
void hook_filter_fill(struct hook_filter *f)
{
    __atomic_store_n(&f->full, 1, __ATOMIC_SEQ_CST);
    uint64_t cells = (uint64_t)1 << f->bits;
    for (size_t w = 0; w < HOOK_FILTER_WORDS(f->bits); w++) {
        word_lock(f, (uint32_t)w);
        __atomic_store_n(&f->summary[w], cells >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << cells) - 1,
                         __ATOMIC_RELAXED);
        word_unlock(f, (uint32_t)w);
    }
    __atomic_store_n(&f->filled, 1, __ATOMIC_RELEASE);
}
