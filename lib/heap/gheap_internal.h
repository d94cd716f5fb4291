/* lib/heap/gheap_internal.h: the walker's state shared by its files
 * (glibc_heap.c: classification and totals; gheap_capture.c: what the stop
 * reads; gheap_lists.c: the free lists; gheap_chunks.c: the chunk walk).
 * Private to lib/heap/glibc_heap*.c and gheap_*.c. */
#ifndef HS_GHEAP_INTERNAL_H
#define HS_GHEAP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "glibc_heap.h"

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

static inline uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t align16(uint64_t a)
{
    return (a + 15) & ~(uint64_t)15;
}

/* Brent's cycle detection: call per node; returns 1 when node was seen. */
typedef struct gh_brent {
    uint64_t saved, power, lam;
} gh_brent;

/* glibc_heap.c */
__attribute__((format(printf, 3, 4))) void gh_diag(gh_ctx *c, int arena, const char *fmt, ...);
int gh_brent_step(gh_brent *b, uint64_t node);
/* gheap_lists.c */
int gh_add(gh_ctx *c, uint64_t addr, uint64_t size, gheap_class cls, int arena, unsigned bin);
void gh_read_fastbins(gh_ctx *c, int ai);
void gh_read_bins(gh_ctx *c, int ai);
void gh_read_tcache(gh_ctx *c, uint64_t tc, uint64_t tcache_bins);
void gh_sort_entries(gh_entry *v, size_t n);
int gh_entries_sorted(const gh_entry *v, size_t n);
size_t gh_lower_bound(const gh_ctx *c, uint64_t addr);
/* gheap_chunks.c */
void gh_add_heap_range(gh_ctx *c, uint64_t h);
void gh_walk_main(gh_ctx *c, uint64_t sbrk_base);
void gh_walk_nonmain(gh_ctx *c, int ai);
/* gheap_capture.c */
void gh_report_mmapped(gh_ctx *c, uint64_t n_mmaps, uint64_t mmapped_mem);

#endif
