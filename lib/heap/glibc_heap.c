/* lib/heap/glibc_heap.c: the glibc 2.3x malloc walker (see glibc_heap.h and
 * docs/glibc-malloc.md). While the target is stopped, every heap is copied
 * whole into the memory source (when its limit allows) and the mmapped chunks
 * are found (gheap_capture.c); then every free list is read into one array of
 * (chunk address, class), sorted (gheap_lists.c), and each heap is walked
 * header by header while a cursor advances through that array
 * (gheap_chunks.c), so classification costs O(chunks + entries log entries),
 * no hash table, and, over the copies, no system call. This file: class
 * names, diagnostics, the classification's steps and glibc's totals. */
#include "glibc_heap.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gheap_internal.h"

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

/* Records one diagnostic; the first one of an arena also becomes its diag. */
void gh_diag(gh_ctx *c, int arena, const char *fmt, ...)
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

int gh_brent_step(gh_brent *b, uint64_t node)
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
