/* lib/heap/gheap_chunks.c: the walker's chunk walk (see gheap_internal.h):
 * each heap header by header, every chunk classified from the sorted list
 * entries, corruption ending one arena's walk with a diagnostic. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gheap_internal.h"

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

void gh_add_heap_range(gh_ctx *c, uint64_t h)
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

void gh_walk_main(gh_ctx *c, uint64_t sbrk_base)
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

void gh_walk_nonmain(gh_ctx *c, int ai)
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
