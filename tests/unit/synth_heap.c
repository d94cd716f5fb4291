/* tests/unit/synth_heap.c: the standard synthetic heap. Main arena (sbrk heap
 * at SH_MAIN_HEAP, 0x3000 bytes): the main tcache struct, in-use chunks, one
 * tcache chunk, two fastbin chunks, one unsorted, one smallbin, one largebin
 * chunk, top. Arena 2 (heap at SH_HEAP2, 0x4000 bytes): its tcache struct,
 * in-use chunks, one tcache, one fastbin, one unsorted chunk, top. One
 * mmapped chunk of 0x2000 bytes at SH_MMAP. */
#include "synth_heap.h"

#include <string.h>

#define L_MAIN_ARENA 0x0
#define L_MP 0x900
#define L_NARENAS 0x990
#define L_LIST_LOCK 0x998
#define L_FREE_LIST 0x9a0
#define L_FREE_LIST_LOCK 0x9a8
#define L_GLOBAL_MAX_FAST 0x9b0
#define L_TCACHE_KEY 0x9b8

void synth_layout(glayout *l)
{
    glayout_builtin(GLAYOUT_DEBIAN12_BUILDID, l, NULL);
    l->main_arena = L_MAIN_ARENA;
    l->mp_ = L_MP;
    l->narenas = L_NARENAS;
    l->list_lock = L_LIST_LOCK;
    l->free_list = L_FREE_LIST;
    l->free_list_lock = L_FREE_LIST_LOCK;
    l->global_max_fast = L_GLOBAL_MAX_FAST;
    l->tcache_key = L_TCACHE_KEY;
    strcpy(l->source, "synthetic layout");
}

uint64_t synth_get64(const synth_heap *s, uint64_t addr)
{
    uint64_t v;
    memcpy(&v, s->mem + (addr - SH_BASE), 8);
    return v;
}

void synth_put64(synth_heap *s, uint64_t addr, uint64_t v)
{
    memcpy(s->mem + (addr - SH_BASE), &v, 8);
}

static void put32(synth_heap *s, uint64_t addr, uint32_t v)
{
    memcpy(s->mem + (addr - SH_BASE), &v, 4);
}

static void put16(synth_heap *s, uint64_t addr, uint16_t v)
{
    memcpy(s->mem + (addr - SH_BASE), &v, 2);
}

enum { K_USED, K_FREE_BINNED, K_TOP };

/* Lays chunks one after another, keeping PREV_INUSE and footers right. */
typedef struct sh_cursor {
    synth_heap *s;
    uint64_t p;
    int prev_free;
    uint64_t prev_size;
    uint64_t flags; /* NON_MAIN_ARENA for arena 2's in-use chunks */
} sh_cursor;

static uint64_t sh_chunk(sh_cursor *c, uint64_t size, int kind)
{
    uint64_t p = c->p;
    uint64_t head = size | (c->prev_free ? 0 : 1);
    if (kind == K_USED)
        head |= c->flags;
    synth_put64(c->s, p + 8, head);
    if (c->prev_free)
        synth_put64(c->s, p, c->prev_size);
    c->prev_free = kind == K_FREE_BINNED;
    c->prev_size = size;
    c->p += size;
    return p;
}

/* Bin i of the arena at a holds the chunks v[0..n) in fd order. */
static void sh_bin(synth_heap *s, uint64_t a, unsigned i, const uint64_t *v, size_t n)
{
    const glayout *L = &s->lay;
    uint64_t off = L->ms_bins + (uint64_t)(i - 1) * 16;
    uint64_t b = a + off - L->mc_fd;
    synth_put64(s, a + off, n ? v[0] : b);
    synth_put64(s, a + off + 8, n ? v[n - 1] : b);
    for (size_t k = 0; k < n; k++) {
        /* cppcheck-suppress objectIndex ; v[k + 1] only when k + 1 < n */
        synth_put64(s, v[k] + L->mc_fd, k + 1 < n ? v[k + 1] : b);
        synth_put64(s, v[k] + L->mc_bk, k ? v[k - 1] : b);
    }
}

static void sh_empty_bins(synth_heap *s, uint64_t a)
{
    for (unsigned i = 1; i < 128; i++)
        sh_bin(s, a, i, NULL, 0);
}

/* Fastbin idx of arena a holds chunks v[0..n), safe-linked. */
static void sh_fastbin(synth_heap *s, uint64_t a, unsigned idx, const uint64_t *v, size_t n)
{
    synth_put64(s, a + s->lay.ms_fastbins + 8 * idx, n ? v[0] : 0);
    for (size_t k = 0; k < n; k++) {
        uint64_t next = k + 1 < n ? v[k + 1] : 0;
        synth_put64(s, v[k] + 16, ((v[k] + 16) >> 12) ^ next);
    }
}

/* tcache bin i of the tcache struct at tc (its user pointer) holds v (chunks). */
static void sh_tcache(synth_heap *s, uint64_t tc, unsigned i, const uint64_t *v, size_t n)
{
    const glayout *L = &s->lay;
    put16(s, tc + L->tc_counts + 2 * i, (uint16_t)n);
    synth_put64(s, tc + L->tc_entries + 8 * i, n ? v[0] + 16 : 0);
    for (size_t k = 0; k < n; k++) {
        uint64_t e = v[k] + 16;
        uint64_t next = k + 1 < n ? v[k + 1] + 16 : 0;
        synth_put64(s, e + L->te_next, (e >> 12) ^ next);
        synth_put64(s, e + L->te_key, SH_TCACHE_KEY);
    }
}

static void sh_arena(synth_heap *s, uint64_t a, uint64_t next, uint64_t top, uint64_t sysmem)
{
    const glayout *L = &s->lay;
    sh_empty_bins(s, a);
    synth_put64(s, a + L->ms_top, top);
    synth_put64(s, a + L->ms_next, next);
    synth_put64(s, a + L->ms_system_mem, sysmem);
    synth_put64(s, a + L->ms_attached_threads, 1);
}

void synth_target(synth_heap *s)
{
    s->mmap_range = (gheap_range){SH_MMAP, SH_MMAP + 0x2000};
    s->target = (gheap_target){.lay = &s->lay,
                               .libc_base = SH_BASE,
                               .tcaches = s->tcaches,
                               .ntcaches = 2,
                               .mmap_ranges = &s->mmap_range,
                               .nmmap_ranges = 1};
}

void synth_build(synth_heap *s)
{
    memset(s->mem, 0, sizeof(s->mem));
    synth_layout(&s->lay);
    const glayout *L = &s->lay;
    uint64_t main_arena = SH_BASE + L_MAIN_ARENA;

    /* mp_ and friends */
    uint64_t mp = SH_BASE + L_MP;
    synth_put64(s, mp + L->mp_hp_pagesize, 4096); /* heap_max = 16 KiB */
    put32(s, mp + L->mp_n_mmaps, 1);
    synth_put64(s, mp + L->mp_mmapped_mem, 0x2000);
    synth_put64(s, mp + L->mp_sbrk_base, SH_MAIN_HEAP);
    synth_put64(s, mp + L->mp_tcache_bins, 64);
    synth_put64(s, mp + L->mp_tcache_count, 7);
    synth_put64(s, SH_BASE + L_TCACHE_KEY, SH_TCACHE_KEY);
    synth_put64(s, SH_BASE + L_GLOBAL_MAX_FAST, 128);
    synth_put64(s, SH_BASE + L_NARENAS, 2);

    /* main sbrk heap */
    sh_cursor c = {.s = s, .p = SH_MAIN_HEAP};
    uint64_t tc_main = sh_chunk(&c, 0x290, K_USED) + 16;
    s->inuse_main = sh_chunk(&c, 0x20, K_USED);
    s->tcache_main = sh_chunk(&c, 0x30, K_USED);
    sh_chunk(&c, 0x40, K_USED);
    s->fast_main = sh_chunk(&c, 0x20, K_USED);
    sh_chunk(&c, 0x20, K_USED);
    uint64_t fast_main2 = sh_chunk(&c, 0x20, K_USED);
    sh_chunk(&c, 0x30, K_USED);
    s->unsorted_main = sh_chunk(&c, 0x100, K_FREE_BINNED);
    sh_chunk(&c, 0x20, K_USED);
    s->small_main = sh_chunk(&c, 0x80, K_FREE_BINNED);
    sh_chunk(&c, 0x20, K_USED);
    s->large_main = sh_chunk(&c, 0x500, K_FREE_BINNED);
    sh_chunk(&c, 0x20, K_USED);
    uint64_t top_main = sh_chunk(&c, SH_MAIN_HEAP + 0x3000 - c.p, K_TOP);
    sh_arena(s, main_arena, SH_ARENA2, top_main, 0x3000);
    uint64_t v[2] = {s->fast_main, fast_main2};
    sh_fastbin(s, main_arena, 0, v, 2);
    sh_bin(s, main_arena, 1, &s->unsorted_main, 1);
    sh_bin(s, main_arena, gheap_bin_index(0x80), &s->small_main, 1);
    sh_bin(s, main_arena, gheap_bin_index(0x500), &s->large_main, 1);
    sh_tcache(s, tc_main, 1, &s->tcache_main, 1);

    /* arena 2: heap_info, malloc_state, then chunks */
    synth_put64(s, SH_HEAP2 + L->hi_ar_ptr, SH_ARENA2);
    synth_put64(s, SH_HEAP2 + L->hi_prev, 0);
    synth_put64(s, SH_HEAP2 + L->hi_size, 0x4000);
    synth_put64(s, SH_HEAP2 + L->hi_mprotect_size, 0x4000);
    sh_cursor d = {.s = s, .p = (SH_ARENA2 + L->ms_size + 15) & ~15ull, .flags = 4};
    uint64_t tc2 = sh_chunk(&d, 0x290, K_USED) + 16;
    sh_chunk(&d, 0x40, K_USED);
    s->tcache_arena2 = sh_chunk(&d, 0x40, K_USED);
    sh_chunk(&d, 0x20, K_USED);
    s->fast_arena2 = sh_chunk(&d, 0x40, K_USED);
    sh_chunk(&d, 0x20, K_USED);
    uint64_t uns2 = sh_chunk(&d, 0x200, K_FREE_BINNED);
    sh_chunk(&d, 0x20, K_USED);
    uint64_t top2 = sh_chunk(&d, SH_HEAP2 + 0x4000 - d.p, K_TOP);
    sh_arena(s, SH_ARENA2, main_arena, top2, 0x4000);
    sh_fastbin(s, SH_ARENA2, 2, &s->fast_arena2, 1);
    sh_bin(s, SH_ARENA2, 1, &uns2, 1);
    sh_tcache(s, tc2, 2, &s->tcache_arena2, 1);

    /* one mmapped chunk */
    synth_put64(s, SH_MMAP + 8, 0x2000 | 2);

    s->tcaches[0] = tc_main;
    s->tcaches[1] = tc2;
    synth_target(s);
}
