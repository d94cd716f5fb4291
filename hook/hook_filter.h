/* hook/hook_filter.h: the free path's filter over the addresses in the live
 * table (sampled and unseen blocks). A cell per 64-byte granule (hashed into
 * 2^bits cells) holds two things:
 *   - a count of the table's addresses in it, kept by the slow paths, exact
 *     until it saturates at 255 (then it stays: false positives only);
 *   - a summary bit, the only part an unsampled free reads: one bit a cell
 *     (8 KiB for 2^16 cells, an eighth of the counts, so that more of it
 *     stays in the cache beside the program's own data: perf put 69 % of the
 *     hook's free on its load when the free path read a byte of the 64 KiB
 *     of counts).
 * A cell's bit is set exactly when its count is not 0, and changes under
 * its word's lock (a byte per 64 cells): an add counts, then sets the bit
 * under the lock; the del that takes a count to 0 clears the bit under the
 * lock if the count is still 0 there. So the bit of a cell that an add has
 * counted is set when the add returns, whatever clear runs beside it (a
 * clear that does not take the lock can read the count before another
 * thread's add and clear the bit after that add set it: a free of the new
 * block would then miss it).
 * Over memory the caller provides, like the tables. */
#ifndef HOOK_FILTER_H
#define HOOK_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hook_filter {
    uint8_t *count;    /* 2^bits cells */
    uint64_t *summary; /* 2^bits bits, bit (c & 63) of word c >> 6 for cell c */
    uint8_t *lock;     /* a spin lock per summary word */
    unsigned bits;
    int full;   /* every summary bit is to stay set (hook_filter_fill): no clear */
    int filled; /* and is set: no add needs to set its bit */
};

/* The words of a summary of 2^bits cells (and its locks). */
#define HOOK_FILTER_WORDS(bits) ((bits) >= 6 ? (size_t)1 << ((bits)-6) : (size_t)1)

/* The filter's cell of an address: its 64-byte granule, so that a sampled
 * block sends to the slow path only the frees of the one or two chunks
 * beside it (with a cell per 4 KiB page, every free in the page went there:
 * five table probes per sample on bench/allocbench, each a cache miss), and
 * frees close together in memory read the same word of the summary (a word
 * per 4 KiB). Granules 4 MiB apart share a cell; the region above that is
 * xor-ed in so that glibc's equally aligned thread heaps do not share the
 * same cells granule for granule. */
#define HOOK_FILTER_GRANULE_SHIFT 6
#define HOOK_FILTER_REGION_SHIFT 22
static inline uint32_t hook_filter_cell(uint64_t addr, unsigned bits)
{
    return (uint32_t)((addr >> HOOK_FILTER_GRANULE_SHIFT) ^ (addr >> HOOK_FILTER_REGION_SHIFT)) &
           ((1u << bits) - 1);
}

/* Whether cell's summary bit is set in summary: the free path's test. */
static inline bool hook_filter_summary_has(const uint64_t *summary, uint32_t cell)
{
    return (__atomic_load_n(&summary[cell >> 6], __ATOMIC_RELAXED) >> (cell & 63)) & 1;
}

/* Sets f up over count (2^bits bytes), summary and lock
 * (HOOK_FILTER_WORDS(bits) words and bytes), all zeroed here. */
void hook_filter_init(struct hook_filter *f, uint8_t *count, uint64_t *summary, uint8_t *lock,
                      unsigned bits);

/* One more (or one fewer) address in the cell of addr; a saturated cell (255)
 * stays saturated. An add sets the cell's bit before it returns; the del that
 * empties a cell clears it. */
void hook_filter_add(struct hook_filter *f, uint64_t addr);
void hook_filter_del(struct hook_filter *f, uint64_t addr);
/* Saturates addr's cell for good (its bit stays set). */
void hook_filter_saturate(struct hook_filter *f, uint64_t addr);

/* False when no address in the table can be addr: its cell's count is 0. The
 * slow paths' test, after the summary's. */
static inline bool hook_filter_counted(const struct hook_filter *f, uint64_t addr)
{
    return __atomic_load_n(&f->count[hook_filter_cell(addr, f->bits)], __ATOMIC_RELAXED) != 0;
}

/* Sets every summary bit for good: every free takes the slow path (the
 * hook's counters, which count every free there; HEAPSNAP_RATE=1, where
 * every block is in the table). Adds and dels then touch only the counts. */
void hook_filter_fill(struct hook_filter *f);

#endif
