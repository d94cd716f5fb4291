/* lib/heap/gheap_capture.c: the walker's first stage (see glibc_heap.h):
 * what needs the stopped target -- the arena ring, the heaps copied in a few
 * large reads, the mmapped chunks found -- and the capture's life. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gheap_internal.h"
#include "hs_array.h"

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

void gh_report_mmapped(gh_ctx *c, uint64_t n_mmaps, uint64_t mmapped_mem)
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

bool gheap_capture_stable(const gheap_capture *c)
{
    return c->complete != 0 || memsrc_frozen(c->m);
}

memsrc *gheap_capture_memsrc(const gheap_capture *c)
{
    return c->m;
}

const uint64_t *gheap_capture_tcaches(const gheap_capture *c, size_t *n)
{
    *n = c->ntcaches;
    return c->tcaches;
}

size_t gheap_capture_owned(const gheap_capture *c, gheap_range *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nheaps; i++, n++)
        if (n < max)
            out[n] = c->heaps[i];
    for (size_t i = 0; i < c->ncopy; i++, n++)
        if (n < max)
            out[n] = (gheap_range){c->copy[i].start, c->copy[i].end};
    for (size_t i = 0; i < c->nmm; i++, n++)
        if (n < max)
            out[n] = (gheap_range){c->mm[i].addr, c->mm[i].addr + c->mm[i].size};
    return n;
}

size_t gheap_capture_mmapped(const gheap_capture *c, gheap_range *out, size_t max)
{
    for (size_t i = 0; i < c->nmm && i < max; i++)
        out[i] = (gheap_range){c->mm[i].addr, c->mm[i].addr + c->mm[i].size};
    return c->nmm;
}
