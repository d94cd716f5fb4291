/* lib/heap/glibc_heap.c: the glibc 2.3x malloc walker (see glibc_heap.h and
 * docs/glibc-malloc.md). While the target is stopped, every heap is copied
 * whole into the memory source (when its limit allows) and the mmapped chunks
 * are found; then every free list is read into one array of (chunk address,
 * class), sorted, and each heap is walked header by header while a cursor
 * advances through that array, so classification costs O(chunks + entries
 * log entries), no hash table, and, over the copies, no system call. */
#include "glibc_heap.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_array.h"

#define GH_HDR 16u
#define GH_MINSIZE 32u
#define GH_PREV_INUSE 1u
#define GH_IS_MMAPPED 2u
#define GH_FLAGS 7u
#define GH_PAGE 4096u
#define GH_HEAP_MAX_DEFAULT (64ull << 20) /* 2 * DEFAULT_MMAP_THRESHOLD_MAX */
#define GH_HEAP_MIN 32768u
#define GH_MAX_ARENAS 4096u /* glibc allows 8 per core */
#define GH_MAX_HEAPS (1u << 20)
#define GH_MEMALIGN_SCAN (64u * 1024u)

typedef struct gh_entry {
    uint64_t addr; /* chunk header */
    uint64_t size;
    int32_t arena; /* owning list's arena, -1 for tcache */
    uint8_t cls;
    uint8_t matched;
    uint16_t bin;
} gh_entry;

typedef struct gh_mmchunk {
    uint64_t addr, size; /* the real header (after memalign's move) */
} gh_mmchunk;

typedef struct gh_arena {
    uint64_t addr;
    uint8_t *state;
    uint64_t top, topsize, system_mem;
    /* glibc's int_mallinfo figures, from the lists */
    uint64_t avail, nblocks, nfast, fastavail;
    int walked; /* 1: every region was walked to its end */
} gh_arena;

/* The capture (glibc_heap.h) is the walk's whole state: what the stop read,
 * then what the classification builds from it. */
typedef struct gheap_capture {
    memsrc *m;
    const gheap_target *t; /* during gheap_capture only */
    const glayout *L;
    gheap_report *rep; /* &own */
    gheap_report own;
    gheap_chunk_fn fn;
    void *arg;
    int stopped; /* the callback asked to stop */
    gh_entry *e;
    size_t ne, ecap;
    gh_arena *ar;
    size_t nar, arcap;
    gheap_range *heaps; /* non-main heaps [h, h + heap_max) */
    size_t nheaps, hcap;
    memsrc_range *copy; /* what the walk will stream: [heap, heap + size) */
    size_t ncopy, copycap;
    gh_mmchunk *mm; /* mmapped chunks found while stopped, reported later */
    size_t nmm, mmcap;
    uint64_t mm_count, mm_bytes;
    /* read by the capture for the classification */
    uint64_t sbrk_base, mmapped_mem, tcache_bins;
    uint32_t n_mmaps;
    uint64_t *tcaches; /* sorted, duplicates and zeros removed */
    size_t ntcaches;
    int mm_scanned; /* the target gave ranges for the mmapped scan */
    int complete;   /* every heap is in m's copies: the target may run */
    int classified; /* gheap_classify ran */
    uint64_t heap_max, list_cap, tcache_key;
    int have_tcache_key;
    size_t max_diags, dropped_diags;
    int oom;
} gh_ctx;

const char *gheap_class_name(gheap_class c)
{
    static const char *const names[GHEAP_NCLASSES] = {"inuse",    "tcache",   "fastbin", "unsorted",
                                                      "smallbin", "largebin", "top",     "mmapped"};
    return (unsigned)c < GHEAP_NCLASSES ? names[c] : "?";
}

unsigned gheap_bin_index(uint64_t sz)
{
    if (sz < 1024)
        return (unsigned)(sz >> 4);
    if ((sz >> 6) <= 48)
        return 48 + (unsigned)(sz >> 6);
    if ((sz >> 9) <= 20)
        return 91 + (unsigned)(sz >> 9);
    if ((sz >> 12) <= 10)
        return 110 + (unsigned)(sz >> 12);
    if ((sz >> 15) <= 4)
        return 119 + (unsigned)(sz >> 15);
    if ((sz >> 18) <= 2)
        return 124 + (unsigned)(sz >> 18);
    return 126;
}

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t align16(uint64_t a)
{
    return (a + 15) & ~(uint64_t)15;
}

/* Records one diagnostic; the first one of an arena also becomes its diag. */
__attribute__((format(printf, 3, 4))) static void gh_diag(gh_ctx *c, int arena, const char *fmt,
                                                          ...)
{
    gheap_report *r = c->rep;
    bool arena_first = arena >= 0 && (size_t)arena < r->narenas && r->arenas[arena].diag[0] == '\0';
    if (r->ndiags >= c->max_diags) {
        c->dropped_diags++;
        if (!arena_first) /* nowhere to keep it: a corrupt heap can give thousands */
            return;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (arena_first)
        snprintf(r->arenas[arena].diag, sizeof(r->arenas[arena].diag), "%s", msg);
    if (r->ndiags >= c->max_diags)
        return;
    char **v = realloc(r->diags, (r->ndiags + 1) * sizeof(*v));
    if (v == NULL) {
        c->oom = 1;
        return;
    }
    r->diags = v;
    char full[320];
    if (arena >= 0)
        snprintf(full, sizeof(full), "arena %d (0x%llx): %s", arena,
                 (unsigned long long)c->ar[arena].addr, msg);
    else
        snprintf(full, sizeof(full), "%s", msg);
    r->diags[r->ndiags] = strdup(full);
    if (r->diags[r->ndiags] == NULL) {
        c->oom = 1;
        return;
    }
    r->ndiags++;
}

static int gh_add(gh_ctx *c, uint64_t addr, uint64_t size, gheap_class cls, int arena, unsigned bin)
{
    if (c->ne == c->ecap) {
        size_t ncap = c->ecap ? c->ecap * 2 : 1024;
        gh_entry *v = realloc(c->e, ncap * sizeof(*v));
        if (v == NULL) {
            c->oom = 1;
            return -1;
        }
        c->e = v;
        c->ecap = ncap;
    }
    c->e[c->ne++] = (gh_entry){
        .addr = addr, .size = size, .arena = arena, .cls = (uint8_t)cls, .bin = (uint16_t)bin};
    return 0;
}

/* Brent's cycle detection: call per node; returns 1 when node was seen. */
typedef struct gh_brent {
    uint64_t saved, power, lam;
} gh_brent;

static int gh_brent_step(gh_brent *b, uint64_t node)
{
    if (b->power == 0) {
        b->power = 1;
        b->saved = node;
        return 0;
    }
    if (node == b->saved)
        return 1;
    if (++b->lam == b->power) {
        b->saved = node;
        b->power <<= 1;
        b->lam = 0;
    }
    return 0;
}

/* ---- reading the lists ---- */

static void gh_read_fastbins(gh_ctx *c, int ai)
{
    gh_arena *a = &c->ar[ai];
    const glayout *L = c->L;
    unsigned nfast = L->ms_nfastbins < 16 ? L->ms_nfastbins : 16;
    for (unsigned i = 0; i < nfast; i++) {
        uint64_t p = ld64(a->state + L->ms_fastbins + 8 * i);
        size_t first = c->ne;
        gh_brent br = {0};
        uint64_t n = 0;
        while (p != 0) {
            uint8_t h[24];
            if (n >= c->list_cap) {
                gh_diag(c, ai, "fastbin %u is longer than the heap could hold", i);
                goto bad;
            }
            if (gh_brent_step(&br, p)) {
                gh_diag(c, ai, "fastbin %u has a cycle through chunk 0x%llx", i,
                        (unsigned long long)p);
                goto bad;
            }
            if (p & 15) {
                gh_diag(c, ai, "fastbin %u entry 0x%llx is misaligned", i, (unsigned long long)p);
                goto bad;
            }
            if (memsrc_read(c->m, p, sizeof(h), h)) {
                gh_diag(c, ai, "fastbin %u entry 0x%llx is out of range (unreadable)", i,
                        (unsigned long long)p);
                goto bad;
            }
            uint64_t sz = ld64(h + 8) & ~(uint64_t)GH_FLAGS;
            if (sz < GH_MINSIZE || (sz >> 4) - 2 != i) {
                gh_diag(c, ai, "fastbin %u entry 0x%llx has size 0x%llx, which belongs elsewhere",
                        i, (unsigned long long)p, (unsigned long long)sz);
                goto bad;
            }
            if (gh_add(c, p, sz, GHEAP_FASTBIN, ai, i))
                return;
            a->nfast++;
            a->fastavail += sz;
            p = ((p + GH_HDR) >> 12) ^ ld64(h + 16); /* safe-linking */
            n++;
        }
        continue;
    bad:
        /* Keep no half of a broken list: its chunks count as in use. */
        for (size_t k = first; k < c->ne; k++) {
            a->nfast--;
            a->fastavail -= c->e[k].size;
        }
        c->ne = first;
    }
}

static void gh_read_bins(gh_ctx *c, int ai)
{
    gh_arena *a = &c->ar[ai];
    const glayout *L = c->L;
    unsigned nbins = L->ms_nbins_words / 2 + 1; /* bins 1 .. NBINS-1 */
    for (unsigned i = 1; i < nbins; i++) {
        uint64_t off = L->ms_bins + (uint64_t)(i - 1) * 16;
        uint64_t b = a->addr + off - L->mc_fd; /* the bin's fake chunk */
        uint64_t prev = b;
        uint64_t p = ld64(a->state + off + 8); /* bk */
        size_t first = c->ne;
        uint64_t bytes = 0, n = 0;
        gh_brent br = {0};
        gheap_class cls = i == 1 ? GHEAP_UNSORTED : i < 64 ? GHEAP_SMALLBIN : GHEAP_LARGEBIN;
        while (p != b) {
            uint8_t h[32];
            if (n >= c->list_cap) {
                gh_diag(c, ai, "bin %u is longer than the heap could hold", i);
                goto bad;
            }
            if (gh_brent_step(&br, p)) {
                gh_diag(c, ai, "bin %u has a cycle through chunk 0x%llx", i, (unsigned long long)p);
                goto bad;
            }
            if (p & 15) {
                gh_diag(c, ai, "bin %u entry 0x%llx is misaligned", i, (unsigned long long)p);
                goto bad;
            }
            if (memsrc_read(c->m, p, sizeof(h), h)) {
                gh_diag(c, ai, "bin %u entry 0x%llx is out of range (unreadable)", i,
                        (unsigned long long)p);
                goto bad;
            }
            uint64_t sz = ld64(h + 8) & ~(uint64_t)GH_FLAGS;
            if (sz < GH_MINSIZE || (i > 1 && gheap_bin_index(sz) != i)) {
                gh_diag(c, ai, "bin %u entry 0x%llx has size 0x%llx, which belongs elsewhere", i,
                        (unsigned long long)p, (unsigned long long)sz);
                goto bad;
            }
            if (ld64(h + L->mc_fd) != prev) {
                gh_diag(c, ai, "bin %u entry 0x%llx: fd 0x%llx does not point back to 0x%llx", i,
                        (unsigned long long)p, (unsigned long long)ld64(h + L->mc_fd),
                        (unsigned long long)prev);
                goto bad;
            }
            if (gh_add(c, p, sz, cls, ai, i))
                return;
            bytes += sz;
            n++;
            prev = p;
            p = ld64(h + L->mc_bk);
        }
        a->nblocks += n;
        a->avail += bytes;
        continue;
    bad:
        c->ne = first;
    }
}

static void gh_read_tcache(gh_ctx *c, uint64_t tc, uint64_t tcache_bins)
{
    const glayout *L = c->L;
    uint8_t buf[4096];
    if (L->tc_size_of > sizeof(buf) || L->tc_count_size > 8)
        return;
    if (memsrc_read(c->m, tc, L->tc_size_of, buf)) {
        gh_diag(c, -1, "tcache 0x%llx is out of range (unreadable)", (unsigned long long)tc);
        return;
    }
    uint64_t nb = L->tc_nbins < tcache_bins ? L->tc_nbins : tcache_bins;
    for (uint64_t i = 0; i < nb; i++) {
        uint64_t count = 0;
        memcpy(&count, buf + L->tc_counts + i * L->tc_count_size, L->tc_count_size);
        uint64_t e = ld64(buf + L->tc_entries + 8 * i); /* a user pointer */
        size_t first = c->ne;
        uint64_t n = 0;
        gh_brent br = {0};
        while (e != 0) {
            uint8_t h[32]; /* prev_size, size, next, key */
            if (gh_brent_step(&br, e)) {
                gh_diag(c, -1, "tcache 0x%llx bin %llu has a cycle through entry 0x%llx",
                        (unsigned long long)tc, (unsigned long long)i, (unsigned long long)e);
                goto bad;
            }
            if (n >= count) {
                gh_diag(c, -1,
                        "tcache 0x%llx bin %llu holds more entries than its count %llu "
                        "(cycle?)",
                        (unsigned long long)tc, (unsigned long long)i, (unsigned long long)count);
                goto bad;
            }
            if (e & 15) {
                gh_diag(c, -1, "tcache 0x%llx bin %llu entry 0x%llx is misaligned",
                        (unsigned long long)tc, (unsigned long long)i, (unsigned long long)e);
                goto bad;
            }
            if (memsrc_read(c->m, e - GH_HDR, sizeof(h), h)) {
                gh_diag(c, -1, "tcache 0x%llx bin %llu entry 0x%llx is out of range (unreadable)",
                        (unsigned long long)tc, (unsigned long long)i, (unsigned long long)e);
                goto bad;
            }
            uint64_t sz = ld64(h + 8) & ~(uint64_t)GH_FLAGS;
            if (sz < GH_MINSIZE || (sz - 17) / 16 != i) {
                gh_diag(c, -1, "tcache 0x%llx bin %llu entry 0x%llx has size 0x%llx",
                        (unsigned long long)tc, (unsigned long long)i, (unsigned long long)e,
                        (unsigned long long)sz);
                goto bad;
            }
            if (c->have_tcache_key && ld64(h + GH_HDR + L->te_key) != c->tcache_key) {
                gh_diag(c, -1, "tcache 0x%llx bin %llu entry 0x%llx lacks the tcache key",
                        (unsigned long long)tc, (unsigned long long)i, (unsigned long long)e);
                goto bad;
            }
            if (gh_add(c, e - GH_HDR, sz, GHEAP_TCACHE, -1, (unsigned)i))
                return;
            n++;
            e = (e >> 12) ^ ld64(h + GH_HDR + L->te_next); /* safe-linking */
        }
        if (n != count) {
            gh_diag(c, -1, "tcache 0x%llx bin %llu lists %llu entries but counts %llu",
                    (unsigned long long)tc, (unsigned long long)i, (unsigned long long)n,
                    (unsigned long long)count);
        }
        continue;
    bad:
        c->ne = first;
    }
}

/* Entries in (address, class) order, sorted in place: qsort would allocate a
 * buffer as large as the array, and every fresh page costs a fault (on a
 * virtual machine, tens of microseconds each) while the target may still be
 * stopped. Introsort: quicksort on the median of three, insertion sort for
 * short runs, heapsort when the partitions degrade. */
static int gh_entry_less(const gh_entry *x, const gh_entry *y)
{
    return x->addr != y->addr ? x->addr < y->addr : x->cls < y->cls;
}

static void gh_entry_swap(gh_entry *x, gh_entry *y)
{
    gh_entry t = *x;
    *x = *y;
    *y = t;
}

static void gh_heap_sift(gh_entry *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && gh_entry_less(&v[child], &v[child + 1]))
            child++;
        if (!gh_entry_less(&v[root], &v[child]))
            return;
        gh_entry_swap(&v[root], &v[child]);
        root = child;
    }
}

static void gh_sort_entries(gh_entry *v, size_t n)
{
    unsigned depth = 0;
    for (size_t k = n; k > 1; k >>= 1)
        depth += 2;
    while (n > 16) {
        if (depth-- == 0) { /* heapsort what is left */
            for (size_t i = n / 2; i-- > 0;)
                gh_heap_sift(v, i, n);
            for (size_t end = n - 1; end > 0; end--) {
                gh_entry_swap(&v[0], &v[end]);
                gh_heap_sift(v, 0, end);
            }
            return;
        }
        size_t mid = n / 2;
        if (gh_entry_less(&v[mid], &v[0]))
            gh_entry_swap(&v[mid], &v[0]);
        if (gh_entry_less(&v[n - 1], &v[0]))
            gh_entry_swap(&v[n - 1], &v[0]);
        if (gh_entry_less(&v[n - 1], &v[mid]))
            gh_entry_swap(&v[n - 1], &v[mid]);
        gh_entry pivot = v[mid];
        size_t i = 0, j = n - 1;
        for (;;) { /* Hoare: v[0..j] <= pivot <= v[j+1..] */
            while (gh_entry_less(&v[i], &pivot))
                i++;
            while (gh_entry_less(&pivot, &v[j]))
                j--;
            if (i >= j)
                break;
            gh_entry_swap(&v[i], &v[j]);
            i++;
            j--;
        }
        /* recurse into the smaller side, loop on the larger */
        size_t left = j + 1;
        if (left < n - left) {
            gh_sort_entries(v, left);
            v += left;
            n -= left;
        } else {
            gh_sort_entries(v + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        gh_entry x = v[i];
        size_t k = i;
        for (; k > 0 && gh_entry_less(&x, &v[k - 1]); k--)
            v[k] = v[k - 1];
        v[k] = x;
    }
}

/* What gh_lower_bound and the walk's cursor rely on; asserted after the sort. */
static inline int gh_entries_sorted(const gh_entry *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (gh_entry_less(&v[i], &v[i - 1]))
            return 0;
    return 1;
}

static size_t gh_lower_bound(const gh_ctx *c, uint64_t addr)
{
    return hs_array_lower_bound(c->e, c->ne, sizeof(*c->e), offsetof(gh_entry, addr), addr);
}

/* ---- walking ---- */

static int gh_binned(int cls)
{
    return cls == GHEAP_UNSORTED || cls == GHEAP_SMALLBIN || cls == GHEAP_LARGEBIN;
}

static int gh_emit(gh_ctx *c, int ai, uint64_t p, uint64_t sz, gheap_class cls)
{
    gheap_arena_report *ar = &c->rep->arenas[ai];
    ar->chunks[cls]++;
    ar->bytes[cls] += sz;
    if (c->fn && !c->stopped) {
        gheap_chunk ch = {.addr = p, .size = sz, .cls = cls, .arena = ai};
        if (c->fn(&ch, c->arg))
            c->stopped = 1;
    }
    return 0;
}

/* After a foreign sbrk the main heap goes on somewhere past a hole: find the
 * first address from q whose chunk chain lands exactly on top (or on the next
 * pair of fenceposts). 0 when there is none. */
static uint64_t gh_find_chain(gh_ctx *c, uint64_t q, uint64_t end, uint64_t top)
{
    unsigned tries = 0;
    for (uint64_t s = q; s < top && tries < 256; s += 16) {
        uint64_t size;
        if (memsrc_read_u64(c->m, s + 8, &size))
            continue;
        uint64_t sz = size & ~(uint64_t)GH_FLAGS;
        if (sz < GH_MINSIZE || (sz & 15) || sz > end - s || !(size & GH_PREV_INUSE))
            continue;
        tries++;
        uint64_t p = s;
        unsigned fence = 0;
        for (uint64_t guard = 0; p < top && guard < (end - s) / 16; guard++) {
            if (memsrc_read_u64(c->m, p + 8, &size))
                break;
            sz = size & ~(uint64_t)GH_FLAGS;
            if (sz < 16 || (sz & 15) || sz > end - p)
                break;
            fence = sz == 16 ? fence + 1 : 0;
            p += sz;
            if (fence == 2)
                return s;
        }
        if (p == top)
            return s;
    }
    return 0;
}

/* Walks [start, end) of arena ai, adding chunk bytes and overhead. The region
 * holding top must end with it. 0, or -1 after a diagnostic. */
static int gh_walk_region(gh_ctx *c, int ai, uint64_t start, uint64_t end, int is_main_sbrk,
                          int has_top, uint64_t *chunk_bytes, uint64_t *overhead)
{
    gh_arena *a = &c->ar[ai];
    size_t cur = gh_lower_bound(c, start);
    uint64_t p = start;
    int prev_cls = -1; /* class of the previous chunk; -1 none or a fencepost */
    uint64_t prev = 0;
    unsigned fences = 0;
    int top_seen = 0;
    while (p < end) {
        size_t avail;
        const uint8_t *h = memsrc_stream(c->m, p, GH_HDR, &avail);
        if (h == NULL) {
            gh_diag(c, ai, "cannot read the chunk header at 0x%llx (truncated heap)",
                    (unsigned long long)p);
            return -1;
        }
        uint64_t raw = ld64(h + c->L->mc_size);
        uint64_t sz = raw & ~(uint64_t)GH_FLAGS;
        if (prev_cls >= 0) {
            int pin = (raw & GH_PREV_INUSE) != 0;
            if (gh_binned(prev_cls) && pin)
                gh_diag(c, ai, "free chunk 0x%llx (%s) is followed by PREV_INUSE set at 0x%llx",
                        (unsigned long long)prev, gheap_class_name(prev_cls),
                        (unsigned long long)p);
            else if (!gh_binned(prev_cls) && !pin)
                gh_diag(c, ai, "chunk 0x%llx is free (PREV_INUSE clear at 0x%llx) but on no list",
                        (unsigned long long)prev, (unsigned long long)p);
        }
        if (sz == 16) { /* fencepost: MINSIZE is 32, so never a real chunk */
            *overhead += 16;
            p += 16;
            prev_cls = -1;
            if (++fences >= 2 && is_main_sbrk) {
                uint64_t s = gh_find_chain(c, p, end, a->top);
                if (s == 0) {
                    gh_diag(c, ai, "after the fenceposts at 0x%llx no chunk chain reaches top",
                            (unsigned long long)(p - 32));
                    return -1;
                }
                *overhead += s - p;
                p = s;
                fences = 0;
            }
            continue;
        }
        fences = 0;
        if (sz == 0 && !is_main_sbrk && !has_top && p == end - 16) {
            *overhead += 16; /* the size-0 header that ends an older heap */
            break;
        }
        if (sz < GH_MINSIZE || (sz & 15)) {
            gh_diag(c, ai, "chunk at 0x%llx has a bad size 0x%llx", (unsigned long long)p,
                    (unsigned long long)raw);
            return -1;
        }
        if (sz > end - p) {
            gh_diag(c, ai, "chunk at 0x%llx of size 0x%llx runs past the heap end 0x%llx",
                    (unsigned long long)p, (unsigned long long)sz, (unsigned long long)end);
            return -1;
        }
        if (raw & GH_IS_MMAPPED) {
            gh_diag(c, ai, "chunk at 0x%llx inside a heap has IS_MMAPPED set",
                    (unsigned long long)p);
            return -1;
        }
        while (cur < c->ne && c->e[cur].addr < p)
            cur++;
        gheap_class cls = GHEAP_INUSE;
        if (cur < c->ne && c->e[cur].addr == p) {
            gh_entry *e = &c->e[cur];
            cls = (gheap_class)e->cls;
            e->matched = 1;
            if (e->arena >= 0 && e->arena != ai)
                gh_diag(c, ai, "chunk 0x%llx is on a free list of arena %d", (unsigned long long)p,
                        (int)e->arena);
            for (cur++; cur < c->ne && c->e[cur].addr == p; cur++) {
                c->e[cur].matched = 1;
                gh_diag(c, ai, "chunk 0x%llx is on two free lists (%s and %s)",
                        (unsigned long long)p, gheap_class_name(cls),
                        gheap_class_name((gheap_class)c->e[cur].cls));
            }
        }
        if (cls == GHEAP_TOP) {
            if (!has_top || p + sz != end) {
                gh_diag(c, ai, "top chunk 0x%llx does not end its heap (0x%llx)",
                        (unsigned long long)p, (unsigned long long)end);
                return -1;
            }
            top_seen = 1;
        }
        gh_emit(c, ai, p, sz, cls);
        *chunk_bytes += sz;
        prev_cls = (int)cls;
        prev = p;
        p += sz;
    }
    if (has_top && !top_seen) {
        gh_diag(c, ai, "the walk did not reach top 0x%llx", (unsigned long long)a->top);
        return -1;
    }
    return 0;
}

static void gh_add_heap_range(gh_ctx *c, uint64_t h)
{
    if (c->nheaps == c->hcap) {
        size_t ncap = c->hcap ? c->hcap * 2 : 16;
        gheap_range *v = realloc(c->heaps, ncap * sizeof(*v));
        if (v == NULL) {
            c->oom = 1;
            return;
        }
        c->heaps = v;
        c->hcap = ncap;
    }
    c->heaps[c->nheaps++] = (gheap_range){h, h + c->heap_max};
}

static void gh_walk_main(gh_ctx *c, uint64_t sbrk_base)
{
    gh_arena *a = &c->ar[0];
    gheap_arena_report *ar = &c->rep->arenas[0];
    if (sbrk_base == 0) { /* malloc was never called */
        a->walked = 1;
        return;
    }
    uint64_t start = align16(sbrk_base);
    uint64_t end = sbrk_base + a->system_mem; /* contiguous: top ends it */
    if (a->top < start || a->top >= end || end < start) {
        gh_diag(c, 0,
                "top 0x%llx lies outside the sbrk heap from 0x%llx of 0x%llx bytes "
                "(non-contiguous main arena?)",
                (unsigned long long)a->top, (unsigned long long)sbrk_base,
                (unsigned long long)a->system_mem);
        return;
    }
    uint64_t bytes = 0, overhead = start - sbrk_base;
    ar->nheaps = 1;
    if (gh_walk_region(c, 0, start, end, 1, 1, &bytes, &overhead) == 0)
        a->walked = 1;
    ar->overhead_bytes = overhead;
}

static void gh_walk_nonmain(gh_ctx *c, int ai)
{
    gh_arena *a = &c->ar[ai];
    gheap_arena_report *ar = &c->rep->arenas[ai];
    const glayout *L = c->L;
    uint64_t h = a->top & ~(c->heap_max - 1);
    uint64_t sum = 0, overhead = 0, bytes = 0;
    uint64_t max_heaps = a->system_mem / GH_HEAP_MIN + 1;
    if (max_heaps > GH_MAX_HEAPS)
        max_heaps = GH_MAX_HEAPS;
    int ok = 1;
    gh_brent br = {0};
    for (uint64_t n = 0; h != 0; n++) {
        uint8_t hi[256];
        if (n >= max_heaps || L->hi_size_of > sizeof(hi) || gh_brent_step(&br, h)) {
            gh_diag(c, ai, "more heaps than system_mem 0x%llx allows (cycle in heap_info.prev?)",
                    (unsigned long long)a->system_mem);
            ok = 0;
            break;
        }
        if (memsrc_read(c->m, h, L->hi_size_of, hi)) {
            gh_diag(c, ai, "heap_info at 0x%llx is out of range (unreadable)",
                    (unsigned long long)h);
            ok = 0;
            break;
        }
        uint64_t owner = ld64(hi + L->hi_ar_ptr), size = ld64(hi + L->hi_size);
        if (owner != a->addr) {
            gh_diag(c, ai, "heap 0x%llx belongs to arena 0x%llx", (unsigned long long)h,
                    (unsigned long long)owner);
            ok = 0;
            break;
        }
        if (size > c->heap_max || size < L->hi_size_of + (uint64_t)L->ms_size + 64) {
            gh_diag(c, ai, "heap 0x%llx has a bad size 0x%llx", (unsigned long long)h,
                    (unsigned long long)size);
            ok = 0;
            break;
        }
        uint64_t first =
            owner == h + L->hi_size_of ? align16(owner + L->ms_size) : align16(h + L->hi_size_of);
        overhead += first - h;
        sum += size;
        ar->nheaps++;
        if (n == 0 && (a->top < first || a->top >= h + size)) {
            gh_diag(c, ai, "top 0x%llx lies outside its heap 0x%llx", (unsigned long long)a->top,
                    (unsigned long long)h);
            ok = 0;
            break;
        }
        if (gh_walk_region(c, ai, first, h + size, 0, n == 0, &bytes, &overhead)) {
            ok = 0;
            break;
        }
        h = ld64(hi + L->hi_prev);
    }
    ar->overhead_bytes = overhead;
    if (ok && sum != a->system_mem)
        gh_diag(c, ai, "heap sizes add up to 0x%llx, system_mem is 0x%llx", (unsigned long long)sum,
                (unsigned long long)a->system_mem);
    a->walked = ok;
}

/* ---- the copy ---- */

static void gh_add_copy(gh_ctx *c, uint64_t start, uint64_t end)
{
    if (c->ncopy == c->copycap) {
        size_t ncap = c->copycap ? c->copycap * 2 : 16;
        memsrc_range *v = realloc(c->copy, ncap * sizeof(*v));
        if (v == NULL) {
            c->oom = 1;
            return;
        }
        c->copy = v;
        c->copycap = ncap;
    }
    c->copy[c->ncopy++] = (memsrc_range){start, end};
}

/* The regions the walk will stream (the main sbrk heap, every non-main heap
 * up to its size), found from the live target the way gh_walk_main and
 * gh_walk_nonmain find them, stopping where that walk would stop. Records
 * the non-main heaps for the mmapped scan too. 1 when every heap chain ended
 * normally; 0 when one ended at a bad heap_info, which the walk will read
 * live to name the fault, so the target must stay stopped. */
static int gh_collect_heaps(gh_ctx *c, uint64_t sbrk_base)
{
    int complete = 1;
    const glayout *L = c->L;
    uint64_t main_mem = c->ar[0].system_mem;
    if (sbrk_base && main_mem && sbrk_base + main_mem > sbrk_base)
        gh_add_copy(c, sbrk_base, sbrk_base + main_mem);
    for (size_t i = 1; i < c->nar; i++) {
        gh_arena *a = &c->ar[i];
        if (a->system_mem == 0)
            continue;
        uint64_t h = a->top & ~(c->heap_max - 1);
        uint64_t max_heaps = a->system_mem / GH_HEAP_MIN + 1;
        if (max_heaps > GH_MAX_HEAPS)
            max_heaps = GH_MAX_HEAPS;
        gh_brent br = {0};
        for (uint64_t n = 0; h != 0; n++) {
            uint8_t hi[256];
            if (n >= max_heaps || gh_brent_step(&br, h) || L->hi_size_of > sizeof(hi) ||
                memsrc_read(c->m, h, L->hi_size_of, hi)) {
                complete = 0;
                break;
            }
            uint64_t owner = ld64(hi + L->hi_ar_ptr), size = ld64(hi + L->hi_size);
            if (owner != a->addr || size > c->heap_max ||
                size < L->hi_size_of + (uint64_t)L->ms_size + 64) {
                complete = 0;
                break;
            }
            gh_add_heap_range(c, h);
            gh_add_copy(c, h, h + size);
            h = ld64(hi + L->hi_prev);
        }
    }
    return complete;
}

/* ---- mmapped chunks ---- */

static void gh_mmapped_one(gh_ctx *c, uint64_t p, uint64_t cs, uint64_t *count, uint64_t *bytes)
{
    /* memalign moves the real header to p + L with prev_size L. */
    uint64_t real = p, realsz = cs;
    size_t avail;
    uint64_t want = cs < GH_MEMALIGN_SCAN ? cs : GH_MEMALIGN_SCAN;
    const uint8_t *b = memsrc_stream(c->m, p, (size_t)want, &avail);
    for (uint64_t off = 16; b && off + 16 <= want; off += 16) {
        if (ld64(b + off) == off && ld64(b + off + 8) == ((cs - off) | GH_IS_MMAPPED)) {
            real = p + off;
            realsz = cs - off;
            break;
        }
    }
    (*count)++;
    *bytes += cs;
    if (c->nmm == c->mmcap) {
        size_t ncap = c->mmcap ? c->mmcap * 2 : 64;
        gh_mmchunk *v = realloc(c->mm, ncap * sizeof(*v));
        if (v == NULL) {
            c->oom = 1;
            return;
        }
        c->mm = v;
        c->mmcap = ncap;
    }
    c->mm[c->nmm++] = (gh_mmchunk){real, realsz};
}

#define GH_GATHER 1024 /* pages per batch of the mmapped-chunk scan */

static void gh_scan_span(gh_ctx *c, uint64_t s, uint64_t e, uint64_t *count, uint64_t *bytes)
{
    uint64_t p = (s + GH_PAGE - 1) & ~(uint64_t)(GH_PAGE - 1);
    /* A mmapped chunk's header was written, so its page is present or swapped;
     * skipping untouched pages spares the target a page fault for each. */
    unsigned char *touched = NULL;
    uint64_t tbase = p, tend = e & ~(uint64_t)(GH_PAGE - 1);
    if (c->t->touched && tend > tbase) {
        touched = malloc((size_t)((tend - tbase) / GH_PAGE));
        if (touched && c->t->touched(c->t->touched_arg, tbase, tend, touched) != 0) {
            free(touched);
            touched = NULL;
        }
    }
    /* Candidate pages are read GH_GATHER at a time (one system call for a
     * whole batch); a chunk found on one page skips the candidates it covers. */
    uint64_t cand[GH_GATHER], hdr[GH_GATHER][2];
    unsigned char ok[GH_GATHER];
    while (p < e && e - p >= GH_PAGE) {
        size_t n = 0;
        uint64_t q = p;
        for (; n < GH_GATHER && q < e && e - q >= GH_PAGE; q += GH_PAGE)
            if (!touched || touched[(q - tbase) / GH_PAGE])
                cand[n++] = q;
        if (n == 0) {
            p = q;
            continue;
        }
        memsrc_read_gather(c->m, cand, n, sizeof(hdr[0]), hdr, ok);
        uint64_t next = p;
        for (size_t i = 0; i < n; i++) {
            if (cand[i] < next)
                continue; /* inside a chunk found on an earlier page */
            next = cand[i] + GH_PAGE;
            if (ok[i] && hdr[i][0] == 0 && (hdr[i][1] & GH_FLAGS) == GH_IS_MMAPPED) {
                uint64_t cs = hdr[i][1] & ~(uint64_t)GH_FLAGS;
                if (cs != 0 && cs % GH_PAGE == 0 && cs <= e - cand[i]) {
                    gh_mmapped_one(c, cand[i], cs, count, bytes);
                    next = cand[i] + cs;
                }
            }
        }
        p = next > q ? next : q;
    }
    free(touched);
}

/* Finds the mmapped chunks (reading the live mappings, so while stopped);
 * gh_report_mmapped hands them out after the heap walk. */
static void gh_scan_mmapped(gh_ctx *c)
{
    uint64_t count = 0, bytes = 0;
    for (size_t i = 0; i < c->t->nmmap_ranges; i++) {
        uint64_t s = c->t->mmap_ranges[i].start, e = c->t->mmap_ranges[i].end;
        /* cut out the non-main heaps (sorted by start) */
        for (size_t k = 0; k < c->nheaps && s < e; k++) {
            gheap_range hr = c->heaps[k];
            assert(k == 0 || c->heaps[k - 1].start <= hr.start);
            if (hr.end <= s || hr.start >= e)
                continue;
            if (hr.start > s)
                gh_scan_span(c, s, hr.start, &count, &bytes);
            s = hr.end;
        }
        if (s < e)
            gh_scan_span(c, s, e, &count, &bytes);
    }
    c->mm_count = count;
    c->mm_bytes = bytes;
}

static void gh_report_mmapped(gh_ctx *c, uint64_t n_mmaps, uint64_t mmapped_mem)
{
    for (size_t i = 0; i < c->nmm && c->fn && !c->stopped; i++) {
        gheap_chunk ch = {
            .addr = c->mm[i].addr, .size = c->mm[i].size, .cls = GHEAP_MMAPPED, .arena = -1};
        if (c->fn(&ch, c->arg))
            c->stopped = 1;
    }
    uint64_t count = c->mm_count, bytes = c->mm_bytes;
    c->rep->chunks[GHEAP_MMAPPED] = count;
    c->rep->bytes[GHEAP_MMAPPED] = bytes;
    if (count != n_mmaps || bytes != mmapped_mem)
        gh_diag(c, -1,
                "found %llu mmapped chunks of 0x%llx bytes, but mp_ counts %llu of 0x%llx bytes",
                (unsigned long long)count, (unsigned long long)bytes, (unsigned long long)n_mmaps,
                (unsigned long long)mmapped_mem);
}

/* ---- the whole walk ---- */

static int gh_read_arenas(gh_ctx *c, hs_err *err)
{
    const glayout *L = c->L;
    uint64_t main_arena = c->t->libc_base + L->main_arena;
    uint64_t addr = main_arena;
    gh_brent br = {0};
    for (;;) {
        if (c->nar >= GH_MAX_ARENAS) {
            gh_diag(c, -1, "the arena ring does not return to main_arena after %u arenas",
                    GH_MAX_ARENAS);
            break;
        }
        if (gh_brent_step(&br, addr)) {
            gh_diag(c, -1, "the arena ring loops back to 0x%llx without main_arena",
                    (unsigned long long)addr);
            return 0;
        }
        if (c->nar == c->arcap) {
            size_t ncap = c->arcap ? c->arcap * 2 : 16;
            gh_arena *v = realloc(c->ar, ncap * sizeof(*v));
            if (v == NULL)
                return hs_err_set(err, "out of memory reading arenas");
            c->ar = v;
            c->arcap = ncap;
        }
        uint8_t *st = malloc(L->ms_size);
        if (st == NULL)
            return hs_err_set(err, "out of memory reading arenas");
        if (memsrc_read(c->m, addr, L->ms_size, st)) {
            free(st);
            if (c->nar == 0)
                return hs_err_set(err,
                                  "cannot read main_arena at 0x%llx: wrong libc layout or "
                                  "not the process's libc",
                                  (unsigned long long)addr);
            gh_diag(c, -1, "arena 0x%llx (next of arena %zu) is out of range (unreadable)",
                    (unsigned long long)addr, c->nar - 1);
            break;
        }
        c->ar[c->nar++] = (gh_arena){.addr = addr, .state = st};
        addr = ld64(st + L->ms_next);
        if (addr == main_arena)
            break;
    }
    return 0;
}

void gheap_capture_free(gheap_capture *c)
{
    if (c == NULL)
        return;
    memsrc_invalidate(c->m); /* the next reads must see the target as it is then */
    for (size_t i = 0; i < c->nar; i++)
        free(c->ar[i].state);
    free(c->ar);
    free(c->e);
    free(c->heaps);
    free(c->copy);
    free(c->mm);
    free(c->tcaches);
    gheap_report_free(&c->own);
    free(c);
}

/* The threads' tcache addresses, sorted, without zeros and duplicates. */
static int gh_keep_tcaches(gh_ctx *c, const uint64_t *tcaches, size_t n)
{
    if (n == 0)
        return 0;
    c->tcaches = malloc(n * sizeof(*c->tcaches));
    if (c->tcaches == NULL)
        return -1;
    memcpy(c->tcaches, tcaches, n * sizeof(*c->tcaches));
    qsort(c->tcaches, n, sizeof(*c->tcaches), hs_array_cmp_u64);
    for (size_t i = 0; i < n; i++)
        if (c->tcaches[i] && (c->ntcaches == 0 || c->tcaches[i] != c->tcaches[c->ntcaches - 1]))
            c->tcaches[c->ntcaches++] = c->tcaches[i];
    return 0;
}

int gheap_capture_take(memsrc *m, const gheap_target *t, gheap_capture **out, hs_err *err)
{
    *out = NULL;
    const glayout *L = t->lay;
    gh_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        hs_err_set(err, "out of memory while capturing the heap");
        return -1;
    }
    c->m = m;
    c->t = t;
    c->L = L;
    c->rep = &c->own;
    gheap_report *rep = c->rep;
    snprintf(rep->layout_source, sizeof(rep->layout_source), "%s", L->source);
    c->max_diags = t->max_diags ? t->max_diags : 64;
    c->mm_scanned = t->mmap_ranges != NULL;
    memsrc_invalidate(m);
    if (gh_keep_tcaches(c, t->tcaches, t->ntcaches) != 0) {
        hs_err_set(err, "out of memory while capturing the heap");
        goto fail;
    }

    uint8_t mp[512];
    if (L->mp_size_of > sizeof(mp) || memsrc_read(m, t->libc_base + L->mp_, L->mp_size_of, mp)) {
        hs_err_set(err, "cannot read malloc's parameters (mp_) at 0x%llx",
                   (unsigned long long)(t->libc_base + L->mp_));
        goto fail;
    }
    c->sbrk_base = ld64(mp + L->mp_sbrk_base);
    uint64_t hp = ld64(mp + L->mp_hp_pagesize);
    memcpy(&c->n_mmaps, mp + L->mp_n_mmaps, sizeof(c->n_mmaps));
    c->mmapped_mem = ld64(mp + L->mp_mmapped_mem);
    c->tcache_bins = ld64(mp + L->mp_tcache_bins);
    /* glibc.malloc.hugetlb: heap_max_size() is 4 huge pages */
    c->heap_max = hp && (hp & (hp - 1)) == 0 && hp <= (1ull << 30) ? hp * 4 : GH_HEAP_MAX_DEFAULT;
    c->have_tcache_key =
        memsrc_read_u64(m, t->libc_base + L->tcache_key, &c->tcache_key) == 0 && c->tcache_key;

    if (gh_read_arenas(c, err))
        goto fail;
    rep->arenas = calloc(c->nar, sizeof(*rep->arenas));
    if (rep->arenas == NULL) {
        hs_err_set(err, "out of memory for %zu arenas", c->nar);
        goto fail;
    }
    rep->narenas = c->nar;
    uint64_t total_mem = 0;
    for (size_t i = 0; i < c->nar; i++) {
        gh_arena *a = &c->ar[i];
        a->top = ld64(a->state + L->ms_top);
        a->system_mem = ld64(a->state + L->ms_system_mem);
        total_mem += a->system_mem;
        rep->arenas[i].addr = a->addr;
        rep->arenas[i].is_main = i == 0;
        rep->arenas[i].system_mem = a->system_mem;
    }
    c->list_cap = total_mem / GH_MINSIZE + 1;

    /* The reads that need the stopped target: copy every heap into m (a few
     * large reads instead of one small read per list node), find the mmapped
     * chunks. With everything copied, the target may run during the
     * classification, and a read outside the copies fails instead of seeing
     * it move. */
    for (size_t i = 0; i < c->nar; i++) {
        /* read live: the top of an arena that never allocated lies in its
         * malloc_state, outside every heap */
        gh_arena *a = &c->ar[i];
        if (memsrc_read_u64(m, a->top + L->mc_size, &a->topsize)) {
            gh_diag(c, (int)i, "top 0x%llx is out of range (unreadable)",
                    (unsigned long long)a->top);
            a->topsize = 0;
        }
        a->topsize &= ~(uint64_t)GH_FLAGS;
    }
    int chains_ok = gh_collect_heaps(c, c->sbrk_base);
    if (c->nheaps)
        qsort(c->heaps, c->nheaps, sizeof(*c->heaps), hs_array_cmp_u64); /* by start */
    if (memsrc_copy_limit(m) && chains_ok && c->ncopy && !c->oom)
        c->complete = memsrc_copy(m, c->copy, c->ncopy, NULL) == c->ncopy;
    if (c->mm_scanned)
        gh_scan_mmapped(c);
    if (c->complete)
        memsrc_seal(m);
    c->t = NULL; /* the classification needs nothing more of the target's description */
    *out = c;
    return 0;
fail:
    c->t = NULL;
    gheap_capture_free(c);
    return -1;
}

bool gheap_capture_complete(const gheap_capture *c)
{
    return c->complete != 0;
}

int gheap_classify(gheap_capture *c, gheap_chunk_fn fn, void *arg, gheap_report *out, hs_err *err)
{
    memset(out, 0, sizeof(*out));
    assert(c != NULL && !c->classified); /* the lists' entries are consumed by one walk */
    if (c->classified)
        return hs_err_set(err, "internal error: a heap capture was classified twice");
    c->classified = 1;
    c->fn = fn;
    c->arg = arg;
    gheap_report *rep = c->rep;

    /* 1. every list */
    for (size_t i = 0; i < c->nar; i++) {
        gh_arena *a = &c->ar[i];
        a->avail = a->topsize;
        a->nblocks = 1;
        gh_read_fastbins(c, (int)i);
        gh_read_bins(c, (int)i);
        if (a->system_mem)
            gh_add(c, a->top, a->topsize, GHEAP_TOP, (int)i, 0);
    }
    for (size_t i = 0; i < c->ntcaches; i++)
        gh_read_tcache(c, c->tcaches[i], c->tcache_bins);
    if (c->ne)
        gh_sort_entries(c->e, c->ne);
    assert(gh_entries_sorted(c->e, c->ne));

    /* 2. every heap, chunk by chunk */
    for (size_t i = 0; i < c->nar; i++) {
        if (c->ar[i].system_mem == 0 && i > 0) {
            gh_diag(c, (int)i, "arena has no memory (system_mem 0)");
            continue;
        }
        if (i == 0)
            gh_walk_main(c, c->sbrk_base);
        else
            gh_walk_nonmain(c, (int)i);
    }
    int all_walked = 1;
    for (size_t i = 0; i < c->nar; i++)
        all_walked &= c->ar[i].walked;
    size_t unmatched = 0;
    for (size_t k = 0; k < c->ne; k++) {
        if (c->e[k].matched)
            continue;
        unmatched++;
        if (all_walked)
            gh_diag(c, c->e[k].arena, "free-list entry 0x%llx (%s) is not a chunk of any heap",
                    (unsigned long long)c->e[k].addr, gheap_class_name((gheap_class)c->e[k].cls));
    }
    if (!all_walked && unmatched)
        gh_diag(c, -1, "%zu free-list entries lie in heaps whose walk ended early", unmatched);

    /* 3. mmapped chunks */
    if (c->mm_scanned)
        gh_report_mmapped(c, c->n_mmaps, c->mmapped_mem);

    /* 4. totals: glibc's int_mallinfo over the lists, checked against the walk */
    gheap_mallinfo *mi = &rep->total;
    for (size_t i = 0; i < c->nar; i++) {
        gh_arena *a = &c->ar[i];
        gheap_arena_report *ar = &rep->arenas[i];
        mi->arena += a->system_mem;
        mi->ordblks += a->nblocks;
        mi->smblks += a->nfast;
        mi->fsmblks += a->fastavail;
        mi->fordblks += a->avail + a->fastavail;
        mi->uordblks += a->system_mem - (a->avail + a->fastavail);
        for (int k = 0; k < GHEAP_NCLASSES; k++) {
            rep->chunks[k] += ar->chunks[k];
            rep->bytes[k] += ar->bytes[k];
        }
        if (a->walked) {
            uint64_t free_walk = ar->bytes[GHEAP_FASTBIN] + ar->bytes[GHEAP_UNSORTED] +
                                 ar->bytes[GHEAP_SMALLBIN] + ar->bytes[GHEAP_LARGEBIN] +
                                 ar->bytes[GHEAP_TOP];
            uint64_t sum = ar->overhead_bytes;
            for (int k = 0; k < GHEAP_NCLASSES; k++)
                sum += ar->bytes[k];
            if (free_walk != a->avail + a->fastavail)
                gh_diag(c, (int)i, "walked free bytes 0x%llx differ from the lists' 0x%llx",
                        (unsigned long long)free_walk,
                        (unsigned long long)(a->avail + a->fastavail));
            if (a->system_mem && sum != a->system_mem)
                gh_diag(c, (int)i, "chunks and overhead add up to 0x%llx, system_mem is 0x%llx",
                        (unsigned long long)sum, (unsigned long long)a->system_mem);
        }
    }
    mi->hblks = c->n_mmaps;
    mi->hblkhd = c->mmapped_mem;
    mi->usmblks = 0;
    mi->keepcost = c->ar[0].topsize;
    if (!c->mm_scanned) {
        rep->chunks[GHEAP_MMAPPED] = 0;
        rep->bytes[GHEAP_MMAPPED] = 0;
    }
    rep->inuse_bytes = rep->bytes[GHEAP_INUSE] + rep->bytes[GHEAP_MMAPPED];
    if (c->dropped_diags) {
        c->max_diags++;
        gh_diag(c, -1, "%zu more diagnostics were left out", c->dropped_diags);
    }
    if (c->oom)
        return hs_err_set(err, "out of memory while walking the heap");
    *out = c->own; /* the report moves to the caller */
    memset(&c->own, 0, sizeof(c->own));
    return 0;
}

int gheap_walk(memsrc *m, const gheap_target *t, gheap_chunk_fn fn, void *arg, gheap_report *rep,
               hs_err *err)
{
    memset(rep, 0, sizeof(*rep));
    gheap_capture *c;
    if (gheap_capture_take(m, t, &c, err) != 0)
        return -1;
    int rc = gheap_classify(c, fn, arg, rep, err);
    gheap_capture_free(c);
    return rc;
}

void gheap_report_free(gheap_report *r)
{
    if (r == NULL)
        return;
    free(r->arenas);
    for (size_t i = 0; i < r->ndiags; i++)
        free(r->diags[i]);
    free(r->diags);
    r->arenas = NULL;
    r->narenas = 0;
    r->diags = NULL;
    r->ndiags = 0;
}
