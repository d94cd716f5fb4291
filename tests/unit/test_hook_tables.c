/* tests/unit/test_hook_tables.c: hook/hook_tables -- stack dedup, live
 * insert/remove with per-stack counters, bounded tables counting what they
 * drop, readers skipping torn (BUSY) entries, and realloc-failure undo; and
 * hook/hook_counts -- the exact size-class counters' slots and sums. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hook_counts.h"
#include "hook_tables.h"

struct fixture {
    struct heapsnap_registry reg;
    struct hook_tables t;
    void *mem;
    uint8_t count[1 << 12];
    uint64_t summary[HOOK_FILTER_WORDS(12)];
    uint8_t lock[HOOK_FILTER_WORDS(12)];
    struct hook_filter filter;
};

static struct fixture *make(uint64_t nstacks, uint64_t nlive)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->mem = aligned_alloc(64, hook_tables_bytes(nstacks, nlive));
    memset(f->mem, 0, hook_tables_bytes(nstacks, nlive));
    hook_filter_init(&f->filter, f->count, f->summary, f->lock, 12);
    hook_tables_init(&f->t, &f->reg, f->mem, nstacks, nlive, &f->filter, 4096);
    return f;
}

static void destroy(struct fixture *f)
{
    free(f->mem);
    free(f);
}

/* The table's only site, whose counters must be these. */
static struct hook_site assert_one_site(struct fixture *f, uint64_t ao, uint64_t ab, uint64_t fo,
                                        uint64_t fb)
{
    struct hook_site s;
    assert_int_equal(hook_tables_read_sites(&f->t, &s, 1, NULL), 1);
    assert_int_equal(s.alloc_objects, ao);
    assert_int_equal(s.alloc_bytes, ab);
    assert_int_equal(s.free_objects, fo);
    assert_int_equal(s.free_bytes, fb);
    return s;
}

static void test_header(void **state)
{
    (void)state;
    struct fixture *f = make(100, 1000);
    assert_true(f->reg.magic == HEAPSNAP_REGISTRY_MAGIC);
    assert_int_equal(f->reg.version, HEAPSNAP_REGISTRY_VERSION);
    assert_int_equal(f->reg.header_size, sizeof(struct heapsnap_registry));
    assert_int_equal(f->reg.rate, 4096);
    assert_int_equal(f->reg.stacks_capacity, 128);
    assert_int_equal(f->reg.live_capacity, 1024);
    assert_int_equal(f->reg.stack_entry_size, sizeof(struct heapsnap_stack_entry));
    assert_int_equal(f->reg.live_entry_size, sizeof(struct heapsnap_live));
    assert_true(f->reg.stacks_addr == (uint64_t)(uintptr_t)f->mem);
    assert_true(f->reg.live_addr ==
                (uint64_t)(uintptr_t)f->mem + 128 * sizeof(struct heapsnap_stack_entry));
    destroy(f);
}

static void test_stack_dedup(void **state)
{
    (void)state;
    struct fixture *f = make(64, 64);
    uint64_t a[3] = {0x1000, 0x2000, 0x3000}, b[3] = {0x1000, 0x2000, 0x3001};
    int64_t ia = hook_stack_intern(&f->t, a, 3);
    int64_t ib = hook_stack_intern(&f->t, b, 3);
    int64_t ia2 = hook_stack_intern(&f->t, a, 3);
    int64_t ishort = hook_stack_intern(&f->t, a, 2);
    assert_true(ia >= 0 && ib >= 0 && ishort >= 0);
    assert_int_equal(ia, ia2);
    assert_true(ia != ib && ia != ishort && ib != ishort);
    assert_int_equal(f->t.stacks[ia].stack.state, HEAPSNAP_STACK_READY);
    assert_int_equal(f->t.stacks[ia].stack.nframes, 3);
    assert_true(f->t.stacks[ib].stack.frames[2] == 0x3001);
    struct hook_site sites[8];
    assert_int_equal(hook_tables_read_sites(&f->t, sites, 8, NULL), 3);
    destroy(f);
}

static void test_alloc_free_counters(void **state)
{
    (void)state;
    struct fixture *f = make(64, 64);
    uint64_t st[2] = {0xabc, 0xdef};
    assert_true(hook_record_alloc(&f->t, 0x10000, 100, st, 2, 0));
    assert_true(hook_record_alloc(&f->t, 0x20000, 300, st, 2, 0));
    assert_true(hook_tables_maybe_live(&f->t, 0x10000));
    assert_false(hook_record_free(&f->t, 0x30000, NULL, 0)); /* never sampled */
    struct heapsnap_live e;
    assert_true(hook_record_free(&f->t, 0x10000, &e, 0));
    assert_true(e.addr == 0x10000);
    assert_int_equal(e.size, 100);
    assert_false(hook_record_free(&f->t, 0x10000, NULL, 0)); /* already gone */
    assert_false(hook_tables_maybe_live(&f->t, 0x10000) &&
                 hook_record_free(&f->t, 0x10000, NULL, 0));

    struct hook_site s = assert_one_site(f, 2, 400, 1, 100);
    assert_int_equal(f->reg.sampled_allocs, 2);

    struct heapsnap_live live[4];
    assert_int_equal(hook_tables_read_live(&f->t, live, 4, NULL), 1);
    assert_true(live[0].addr == 0x20000);
    assert_int_equal(live[0].size, 300);
    assert_int_equal(live[0].stack_id, s.id);
    destroy(f);
}

/* Each thread counts in its own stripe of the stack's entry, never in the
 * entry's first line; the readers add the stripes up. */
static void test_counter_stripes(void **state)
{
    (void)state;
    struct fixture *f = make(64, 64);
    uint64_t st[1] = {0x77};
    assert_true(hook_record_alloc(&f->t, 0x10000, 100, st, 1, 1));
    assert_true(hook_record_alloc(&f->t, 0x20000, 50, st, 1, 6)); /* stripe 6 % 4 */
    assert_true(hook_record_free(&f->t, 0x10000, NULL, 3));
    int64_t id = hook_stack_intern(&f->t, st, 1);
    const struct heapsnap_stack_entry *e = &f->t.stacks[id];
    assert_int_equal(e->stack.alloc_objects + e->stack.free_objects, 0);
    assert_int_equal(e->stripes[1].alloc_objects, 1);
    assert_int_equal(e->stripes[1].alloc_bytes, 100);
    assert_int_equal(e->stripes[2].alloc_objects, 1);
    assert_int_equal(e->stripes[2].alloc_bytes, 50);
    assert_int_equal(e->stripes[3].free_objects, 1);
    assert_int_equal(e->stripes[3].free_bytes, 100);
    assert_int_equal(e->stripes[0].alloc_objects + e->stripes[0].free_objects, 0);
    assert_one_site(f, 2, 150, 1, 100);
    destroy(f);
}

/* Addresses 32 KiB apart share their first slot in a 1024-slot table (one
 * slot per 32 bytes): inserts go one slot further each, and a lookup looks as
 * far as the longest insert went, no further, tombstones or not. */
static void test_live_reach(void **state)
{
    (void)state;
    struct fixture *f = make(64, 1024);
    uint64_t st[1] = {0x42}, a = 0x100000, step = 1024 * 32;
    assert_int_equal(f->t.live_reach, 0);
    assert_false(hook_record_free(&f->t, a, NULL, 0)); /* nothing inserted: no probe */
    for (uint64_t i = 0; i < 3; i++)
        assert_true(hook_record_alloc(&f->t, a + i * step, 16, st, 1, 0));
    assert_int_equal(f->t.live_reach, 3);
    struct heapsnap_live e;
    assert_true(hook_record_free(&f->t, a + 2 * step, &e, 0)); /* the furthest one */
    assert_true(e.addr == a + 2 * step);
    assert_true(hook_record_free(&f->t, a, NULL, 0));
    assert_true(hook_record_free(&f->t, a + step, NULL, 0));
    /* Three tombstones now: the next insert takes the first, the reach stays. */
    assert_true(hook_record_alloc(&f->t, a + 3 * step, 16, st, 1, 0));
    assert_int_equal(f->t.live_reach, 3);
    assert_false(hook_record_free(&f->t, a + 4 * step, NULL, 0));
    assert_true(hook_record_free(&f->t, a + 3 * step, NULL, 0));
    struct heapsnap_live live[4];
    assert_int_equal(hook_tables_read_live(&f->t, live, 4, NULL), 0);
    destroy(f);
}

static void test_unrecord_free(void **state)
{
    (void)state;
    struct fixture *f = make(64, 64);
    uint64_t st[1] = {0x42};
    assert_true(hook_record_alloc(&f->t, 0x5000, 64, st, 1, 0));
    struct heapsnap_live e;
    assert_true(hook_record_free(&f->t, 0x5000, &e, 0));
    hook_unrecord_free(&f->t, &e, 0);
    struct hook_site s;
    hook_tables_read_sites(&f->t, &s, 1, NULL);
    assert_int_equal(s.free_objects, 0);
    assert_int_equal(s.free_bytes, 0);
    assert_true(hook_record_free(&f->t, 0x5000, NULL, 0));
    destroy(f);
}

/* Version 5's unseen blocks: in the live table and the filter, found and
 * removed by a free without touching any stack's counters, skipped by the
 * in-process readers, put back by an undo, and counted when there is no room. */
static void test_unseen(void **state)
{
    (void)state;
    struct fixture *f = make(16, 8);
    uint64_t st[1] = {0x42};
    assert_true(hook_record_alloc(&f->t, 0x5000, 64, st, 1, 0));
    assert_true(hook_record_unseen(&f->t, 0x9000));
    assert_true(hook_tables_maybe_live(&f->t, 0x9000));
    struct heapsnap_live out[4];
    size_t torn = 9;
    assert_int_equal(hook_tables_read_live(&f->t, out, 4, &torn), 1); /* only the sample */
    assert_int_equal(torn, 0);
    assert_true(out[0].addr == 0x5000);
    struct heapsnap_live e;
    assert_true(hook_record_free(&f->t, 0x9000, &e, 0));
    assert_int_equal(e.state, HEAPSNAP_LIVE_UNSEEN);
    assert_true(e.addr == 0x9000);
    assert_false(hook_tables_maybe_live(&f->t, 0x9000));
    assert_one_site(f, 1, 64, 0, 0); /* the stack's counters untouched */
    hook_unrecord_free(&f->t, &e, 0);
    assert_true(hook_tables_maybe_live(&f->t, 0x9000));
    assert_one_site(f, 1, 64, 0, 0);
    assert_true(hook_record_free(&f->t, 0x9000, &e, 0));
    assert_int_equal(e.state, HEAPSNAP_LIVE_UNSEEN);
    assert_false(hook_record_free(&f->t, 0x9000, NULL, 0));
    /* Full: 8 slots, one of them the sample's. */
    for (uint64_t i = 0; i < 9; i++)
        assert_int_equal(hook_record_unseen(&f->t, 0x100000 + 8 * i), i < 7);
    assert_int_equal(f->reg.unseen_lost, 2);
    assert_int_equal(f->reg.dropped_live, 0);
    /* One granule, one cell: the seven kept, not the two lost. */
    assert_int_equal(f->count[hook_filter_cell(0x100000, 12)], 7);
    /* A sampled block's free is still counted against its stack. */
    assert_true(hook_record_free(&f->t, 0x5000, &e, 0));
    assert_int_equal(e.state, HEAPSNAP_LIVE_USED);
    assert_one_site(f, 1, 64, 1, 64);
    destroy(f);
}

/* hook_filter_add/del count per cell and saturate, as the tables' own; the
 * summary bit follows the count, except that a saturated or filled one stays. */
static void test_filter_add_del(void **state)
{
    (void)state;
    uint8_t count[1 << 4], lock[1];
    uint64_t summary[1];
    struct hook_filter f;
    hook_filter_init(&f, count, summary, lock, 4);
    uint64_t a = 0x7000, b = 0x7000 + 16; /* the same granule: the same cell */
    uint32_t c = hook_filter_cell(a, 4);
    hook_filter_add(&f, a);
    hook_filter_add(&f, b);
    assert_int_equal(count[c], 2);
    assert_true(summary[0] == (uint64_t)1 << c);
    hook_filter_del(&f, a);
    assert_int_equal(count[c], 1);
    assert_true(hook_filter_summary_has(summary, c));
    hook_filter_del(&f, b);
    hook_filter_del(&f, b); /* never below 0 */
    assert_int_equal(count[c], 0);
    assert_false(hook_filter_counted(&f, a));
    assert_true(summary[0] == 0);
    hook_filter_saturate(&f, a);
    hook_filter_del(&f, a);
    assert_int_equal(count[c], 255);
    assert_true(summary[0] == (uint64_t)1 << c);
    /* Filled: every bit, kept when a cell empties; the counts still kept. */
    hook_filter_fill(&f);
    assert_true(summary[0] == 0xffff);
    hook_filter_add(&f, 0x9040); /* cell 1: not the saturated one */
    assert_true(hook_filter_counted(&f, 0x9040));
    hook_filter_del(&f, 0x9040);
    assert_false(hook_filter_counted(&f, 0x9040));
    assert_true(summary[0] == 0xffff);
    assert_int_equal(lock[0], 0);
}

/* Two threads add and remove addresses of cells that share a summary word
 * (and, for half the rounds, one cell): each finds its cell's bit set after
 * its own add, every time. */
struct filter_race {
    struct hook_filter *f;
    uint64_t addr;
    int missed;
};

static void *filter_racer(void *arg)
{
    struct filter_race *r = arg;
    for (int i = 0; i < 200000; i++) {
        uint64_t a = r->addr + (uint64_t)(i & 1) * 16; /* odd rounds: the other's cell */
        hook_filter_add(r->f, a);
        r->missed += !hook_filter_summary_has(r->f->summary, hook_filter_cell(a, r->f->bits));
        hook_filter_del(r->f, a);
    }
    return NULL;
}

static void test_filter_race(void **state)
{
    (void)state;
    uint8_t count[1 << 6], lock[1];
    uint64_t summary[1];
    struct hook_filter f;
    hook_filter_init(&f, count, summary, lock, 6);
    /* one word of 64 cells: cells 1 and 2 for one thread, 0 and 1 for the other */
    struct filter_race r[2] = {{&f, 0x70, 0}, {&f, 0x30, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, filter_racer, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(r[0].missed + r[1].missed, 0);
    assert_true(summary[0] == 0);
    for (int c = 0; c < 64; c++)
        assert_int_equal(count[c], 0);
}

static void test_stack_table_full(void **state)
{
    (void)state;
    struct fixture *f = make(4, 64);
    for (uint64_t i = 0; i < 10; i++) {
        uint64_t fr = 0x1000 + i;
        bool ok = hook_record_alloc(&f->t, 0x100000 + i * 16, 8, &fr, 1, 0);
        assert_int_equal(ok, i < 4);
    }
    assert_int_equal(f->reg.dropped_stacks, 6);
    assert_int_equal(f->reg.sampled_allocs, 4);
    /* Known stacks still work when the table is full. */
    uint64_t fr = 0x1000;
    assert_true(hook_record_alloc(&f->t, 0x200000, 8, &fr, 1, 0));
    assert_int_equal(f->reg.dropped_stacks, 6);
    destroy(f);
}

static void test_live_table_full(void **state)
{
    (void)state;
    struct fixture *f = make(16, 8);
    uint64_t fr = 0x77;
    for (uint64_t i = 0; i < 20; i++)
        assert_int_equal(hook_record_alloc(&f->t, 0x100000 + i * 32, 10, &fr, 1, 0), i < 8);
    assert_int_equal(f->reg.dropped_live, 12);
    struct hook_site s;
    hook_tables_read_sites(&f->t, &s, 1, NULL);
    /* Dropped samples are not counted as allocations: a free of them could
     * not be seen, and in-use would grow forever. */
    assert_int_equal(s.alloc_objects, 8);
    assert_int_equal(s.alloc_bytes, 80);
    /* A freed slot is reused. */
    assert_true(hook_record_free(&f->t, 0x100000, NULL, 0));
    assert_true(hook_record_alloc(&f->t, 0x900000, 10, &fr, 1, 0));
    destroy(f);
}

static void test_torn_entries_skipped(void **state)
{
    (void)state;
    struct fixture *f = make(16, 16);
    uint64_t a = 0x11, b = 0x22;
    assert_true(hook_record_alloc(&f->t, 0x1000, 16, &a, 1, 0));
    assert_true(hook_record_alloc(&f->t, 0x2000, 32, &b, 1, 0));
    /* Freeze one stack entry and one live entry mid-update, as a reader that
     * stopped the process between the writer's two stores would find them. */
    int64_t ib = hook_stack_intern(&f->t, &b, 1);
    f->t.stacks[ib].stack.state = HEAPSNAP_STACK_BUSY;
    f->t.stacks[ib].stack.nframes = 9999; /* garbage that must not be read */
    for (uint64_t i = 0; i <= f->t.live_mask; i++)
        if (f->t.live[i].state == HEAPSNAP_LIVE_USED && f->t.live[i].addr == 0x1000)
            f->t.live[i].state = HEAPSNAP_LIVE_BUSY;

    struct hook_site sites[4];
    size_t torn = 0;
    assert_int_equal(hook_tables_read_sites(&f->t, sites, 4, &torn), 1);
    assert_int_equal(torn, 1);
    assert_true(sites[0].frames[0] == 0x11);
    struct heapsnap_live live[4];
    assert_int_equal(hook_tables_read_live(&f->t, live, 4, &torn), 1);
    assert_int_equal(torn, 1);
    assert_true(live[0].addr == 0x2000);
    destroy(f);
}

/* A cell per 64-byte granule: neighbours share a cell or sit in the next one,
 * and the 4 MiB region is xor-ed in. */
static void test_filter_cell(void **state)
{
    (void)state;
    assert_int_equal(hook_filter_cell(0, 16), 0);
    assert_int_equal(hook_filter_cell(0x555555559000, 16), hook_filter_cell(0x55555555903f, 16));
    /* granule 0x555555559000 >> 6 = 0x15555555640: low 16 bits 0x5640, xor
     * region 0x555555559000 >> 22 = 0x1555555 (low 16 bits 0x5555) */
    assert_int_equal(hook_filter_cell(0x555555559000, 16), 0x5640 ^ 0x5555);
    /* the next granule: the next cell, the same word of the summary */
    assert_int_equal(hook_filter_cell(0x555555559040, 16), 0x5641 ^ 0x5555);
    assert_int_equal(hook_filter_cell(0x555555559040, 16) >> 6,
                     hook_filter_cell(0x555555559000, 16) >> 6);
    /* 4 MiB further: the same low granule bits, region 0x1555556 */
    assert_int_equal(hook_filter_cell(0x555555959000, 16), 0x5640 ^ 0x5556);
    assert_int_equal(hook_filter_cell(0x7f0000001000, 12), (0x1fc00000040u ^ 0x1fc0000u) & 0xfff);
}

static void test_filter_saturates(void **state)
{
    (void)state;
    /* A 2-cell filter; only addresses of cell 0 are used. */
    struct fixture *f = calloc(1, sizeof(*f));
    f->mem = aligned_alloc(64, hook_tables_bytes(16, 1024));
    memset(f->mem, 0, hook_tables_bytes(16, 1024));
    hook_filter_init(&f->filter, f->count, f->summary, f->lock, 1);
    hook_tables_init(&f->t, &f->reg, f->mem, 16, 1024, &f->filter, 1);
    uint64_t addrs[300], fr = 1;
    size_t n = 0;
    for (uint64_t a = 0x10000; n < 300; a += 32) /* glibc's smallest chunk */
        if (hook_filter_cell(a, 1) == 0)
            addrs[n++] = a;
    assert_false(hook_tables_maybe_live(&f->t, addrs[0]));
    assert_true(hook_record_alloc(&f->t, addrs[0], 1, &fr, 1, 0));
    assert_true(hook_tables_maybe_live(&f->t, addrs[1]));
    assert_true(hook_record_free(&f->t, addrs[0], NULL, 0));
    assert_false(hook_tables_maybe_live(&f->t, addrs[1]));
    for (size_t i = 0; i < n; i++)
        assert_true(hook_record_alloc(&f->t, addrs[i], 1, &fr, 1, 0));
    for (size_t i = 0; i < n; i++)
        assert_true(hook_record_free(&f->t, addrs[i], NULL, 0));
    /* Saturated: stays set (false positives only, never a missed free). */
    assert_int_equal(f->count[0], 255);
    assert_true(hook_tables_maybe_live(&f->t, addrs[0]));
    destroy(f);
}

/* glibc size words: size | PREV_INUSE (1) | IS_MMAPPED (2) | NON_MAIN_ARENA (4). */
#define W48 (48u | 1u)
#define W48_THREAD_ARENA (48u | 1u | 4u)
#define W2000 (2000u | 1u)
#define W_MMAP (135168u | 2u)

static struct heapsnap_counts *counts_slots(size_t n)
{
    struct heapsnap_counts *c = aligned_alloc(64, n * sizeof(*c));
    memset(c, 0, n * sizeof(*c));
    return c;
}

/* Classes from the chunk's own size word: exact 16-byte classes up to 1024
 * (count only), powers of two above, mmapped apart; flags never matter but
 * IS_MMAPPED. */
static void test_counts_classes(void **state)
{
    (void)state;
    struct heapsnap_counts *c = counts_slots(1);
    hook_counts_update(c, W48, 1);
    hook_counts_update(c, W48_THREAD_ARENA, 1);
    hook_counts_update(c, W2000, 1);
    hook_counts_update(c, W_MMAP, 1);
    hook_counts_update(c, W48, (uint64_t)-1);
    assert_int_equal(c->count[3], 1);
    assert_int_equal(c->bytes[3], 0); /* exact classes keep no bytes */
    assert_int_equal(c->count[65 + 11], 1);
    assert_int_equal(c->bytes[65 + 11], 2000);
    assert_int_equal(c->count[129 + 18], 1);
    assert_int_equal(c->bytes[129 + 18], 135168);
    assert_int_equal(c->count[65 + 18], 0); /* the same size not mmapped */
    free(c);
}

/* The fast path's class above the exact ones is heapsnap_size_class, which
 * the heap walk uses, at every power-of-two boundary, with and without each
 * flag. */
static void test_counts_large_class(void **state)
{
    (void)state;
    unsigned checked = 0;
    for (unsigned bit = 10; bit < 62; bit++)
        for (int64_t d = -16; d <= 16; d += 16) {
            uint64_t size = ((uint64_t)1 << bit) + (uint64_t)d;
            if (size <= HEAPSNAP_CLASS_EXACT_MAX)
                continue;
            for (uint64_t flags = 0; flags < 8; flags++) {
                uint64_t w = size | flags;
                assert_int_equal(hook_counts_large_class(w),
                                 heapsnap_size_class(size, (w & 2) != 0));
                checked++;
            }
        }
    assert_int_equal(checked, (52 * 3 - 2) * 8); /* 1024 - 16 and 1024 are exact classes */
    assert_int_equal(hook_counts_large_class(1040 | 1), 65 + 11);
    assert_int_equal(hook_counts_large_class(2048 | 2), 129 + 11);
}

/* Slots: taken lowest first, a given-back slot is reused before a new one,
 * the last slot is never owned (shared, atomic); a thread freeing another's
 * blocks goes negative in its own slot and only the sum is the total. */
static void test_counts_slots_and_sum(void **state)
{
    (void)state;
    struct heapsnap_counts *mem = counts_slots(3);
    struct hook_counts_table t;
    hook_counts_init(&t, mem, 3);
    struct heapsnap_counts *a = hook_counts_claim(&t), *b = hook_counts_claim(&t);
    assert_ptr_equal(a, &mem[0]);
    assert_ptr_equal(b, &mem[1]);
    assert_int_equal(a->owner, HEAPSNAP_COUNTS_OWNED);
    assert_null(hook_counts_claim(&t)); /* only the shared slot is left */
    for (int i = 0; i < 3; i++)
        hook_counts_update(a, W48, 1);
    hook_counts_update(b, W48, (uint64_t)-1);
    hook_counts_update(b, W48, (uint64_t)-1);
    hook_counts_update(b, W2000, 1);
    hook_counts_update_shared(&mem[2], W2000, 1);
    hook_counts_update_shared(&mem[2], W48, 1);
    assert_int_equal(b->count[3], (uint64_t)-2);

    uint64_t count[HEAPSNAP_NCLASSES], bytes[HEAPSNAP_NCLASSES];
    hook_counts_sum(&t, count, bytes);
    assert_int_equal(count[3], 3 - 2 + 1);
    assert_int_equal(bytes[3], 2 * 48);
    assert_int_equal(count[76], 2);
    assert_int_equal(bytes[76], 4000);

    /* a's thread exits: its counts stay, its slot is the next one taken */
    hook_counts_release(a);
    assert_int_equal(a->owner, HEAPSNAP_COUNTS_FREE);
    hook_counts_sum(&t, count, bytes);
    assert_int_equal(count[3], 2);
    assert_ptr_equal(hook_counts_claim(&t), a);
    assert_int_equal(a->count[3], 3);

    /* a fork child keeps only the forking thread's slot */
    hook_counts_fork_child(&t, b);
    assert_int_equal(a->owner, HEAPSNAP_COUNTS_FREE);
    assert_int_equal(b->owner, HEAPSNAP_COUNTS_OWNED);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_stack_dedup),
        cmocka_unit_test(test_alloc_free_counters),
        cmocka_unit_test(test_live_reach),
        cmocka_unit_test(test_counter_stripes),
        cmocka_unit_test(test_unrecord_free),
        cmocka_unit_test(test_unseen),
        cmocka_unit_test(test_filter_add_del),
        cmocka_unit_test(test_filter_race),
        cmocka_unit_test(test_stack_table_full),
        cmocka_unit_test(test_live_table_full),
        cmocka_unit_test(test_torn_entries_skipped),
        cmocka_unit_test(test_filter_cell),
        cmocka_unit_test(test_filter_saturates),
        cmocka_unit_test(test_counts_classes),
        cmocka_unit_test(test_counts_large_class),
        cmocka_unit_test(test_counts_slots_and_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
