/* lib/heap/gheap_lists.c: the walker's free lists (see gheap_internal.h):
 * fastbins, bins and tcaches read into one array of (chunk address, class),
 * each list bounded and checked, then sorted for the chunk walk's cursor. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gheap_internal.h"
#include "hs_array.h"

int gh_add(gh_ctx *c, uint64_t addr, uint64_t size, gheap_class cls, int arena, unsigned bin)
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

/* ---- reading the lists ---- */

/* One free list as its diagnostics name it: "fastbin 2", "bin 68", "tcache
 * 0x... bin 2"; a tcache's length is bounded by its count, other lists' by
 * what the heap could hold. */
typedef struct gh_list {
    const char *kind; /* "fastbin", "bin" or "tcache" */
    uint64_t tc;      /* the tcache_perthread_struct, for "tcache" */
    uint64_t bin;
    uint64_t max; /* entries it may hold */
    int arena;
} gh_list;

static void gh_list_name(const gh_list *l, char *buf, size_t len)
{
    if (l->tc != 0)
        snprintf(buf, len, "%s 0x%llx bin %llu", l->kind, (unsigned long long)l->tc,
                 (unsigned long long)l->bin);
    else
        snprintf(buf, len, "%s %llu", l->kind, (unsigned long long)l->bin);
}

/* The checks every entry p of list l passes before its header is trusted:
 * the walk has not come round to an entry it passed (br), the list holds no
 * more than l->max entries (n before this one), p is aligned and the hlen
 * header bytes at hdr are readable into h. 0, or -1 after a diagnostic. */
static int gh_list_entry(gh_ctx *c, const gh_list *l, gh_brent *br, uint64_t n, uint64_t p,
                         uint64_t hdr, uint8_t *h, size_t hlen)
{
    char name[64];
    const char *unit = l->tc != 0 ? "entry" : "chunk";
    if (gh_brent_step(br, p)) {
        gh_list_name(l, name, sizeof(name));
        gh_diag(c, l->arena, "%s has a cycle through %s 0x%llx", name, unit, (unsigned long long)p);
        return -1;
    }
    if (n >= l->max) {
        gh_list_name(l, name, sizeof(name));
        if (l->tc != 0)
            gh_diag(c, l->arena, "%s holds more entries than its count %llu (cycle?)", name,
                    (unsigned long long)l->max);
        else
            gh_diag(c, l->arena, "%s is longer than the heap could hold", name);
        return -1;
    }
    if (p & 15) {
        gh_list_name(l, name, sizeof(name));
        gh_diag(c, l->arena, "%s entry 0x%llx is misaligned", name, (unsigned long long)p);
        return -1;
    }
    if (memsrc_read(c->m, hdr, hlen, h)) {
        gh_list_name(l, name, sizeof(name));
        gh_diag(c, l->arena, "%s entry 0x%llx is out of range (unreadable)", name,
                (unsigned long long)p);
        return -1;
    }
    return 0;
}

void gh_read_fastbins(gh_ctx *c, int ai)
{
    gh_arena *a = &c->ar[ai];
    const glayout *L = c->L;
    unsigned nfast = L->ms_nfastbins < 16 ? L->ms_nfastbins : 16;
    for (unsigned i = 0; i < nfast; i++) {
        uint64_t p = ld64(a->state + L->ms_fastbins + 8 * i);
        size_t first = c->ne;
        gh_brent br = {0};
        gh_list list = {.kind = "fastbin", .bin = i, .max = c->list_cap, .arena = ai};
        uint64_t n = 0;
        while (p != 0) {
            uint8_t h[24];
            if (gh_list_entry(c, &list, &br, n, p, p, h, sizeof(h)))
                goto bad;
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

void gh_read_bins(gh_ctx *c, int ai)
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
        gh_list list = {.kind = "bin", .bin = i, .max = c->list_cap, .arena = ai};
        while (p != b) {
            uint8_t h[32];
            if (gh_list_entry(c, &list, &br, n, p, p, h, sizeof(h)))
                goto bad;
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

void gh_read_tcache(gh_ctx *c, uint64_t tc, uint64_t tcache_bins)
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
        gh_list list = {.kind = "tcache", .tc = tc, .bin = i, .max = count, .arena = -1};
        while (e != 0) {
            uint8_t h[32]; /* prev_size, size, next, key */
            if (gh_list_entry(c, &list, &br, n, e, e - GH_HDR, h, sizeof(h)))
                goto bad;
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

void gh_sort_entries(gh_entry *v, size_t n)
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
int gh_entries_sorted(const gh_entry *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (gh_entry_less(&v[i], &v[i - 1]))
            return 0;
    return 1;
}

size_t gh_lower_bound(const gh_ctx *c, uint64_t addr)
{
    return hs_array_lower_bound(c->e, c->ne, sizeof(*c->e), offsetof(gh_entry, addr), addr);
}
