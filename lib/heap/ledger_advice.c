/* lib/heap/ledger_advice.c: the advice lines (see ledger_advice.h). Each rule
 * reads a few parts of the ledger and states the bytes, the share of RSS and
 * the knob; a rule that does not reach its thresholds prints nothing. */
#include "ledger_advice.h"

#include <stdio.h>

static const char *const la_names[LADVICE_NKINDS] = {"trim", "arena_max", "mmap_threshold",
                                                     "tcache"};

const char *ladvice_kind_name(ladvice_kind k)
{
    return (unsigned)k < LADVICE_NKINDS ? la_names[k] : "?";
}

uint64_t ladvice_arena_free(const ledger_arena *a)
{
    return a->parts[LEDGER_FREE_TCACHE] + a->parts[LEDGER_FREE_FASTBIN] +
           a->parts[LEDGER_FREE_UNSORTED] + a->parts[LEDGER_FREE_SMALLBIN] +
           a->parts[LEDGER_FREE_LARGEBIN] + a->parts[LEDGER_TOP];
}

static double la_mib(uint64_t b)
{
    return (double)b / (1024.0 * 1024.0);
}

static double la_pct(uint64_t b, uint64_t total)
{
    return total ? 100.0 * (double)b / (double)total : 0.0;
}

/* bytes reach the floor and share of the total */
static int la_applies(uint64_t bytes, uint64_t total, double share)
{
    return bytes >= LADVICE_MIN_BYTES && (double)bytes >= share * (double)total;
}

/* The next piece of advice in out: its kind and the bytes it concerns. */
static ladvice *la_add(ladvice *out, size_t *n, ladvice_kind kind, uint64_t bytes)
{
    ladvice *a = &out[(*n)++];
    a->kind = kind;
    a->bytes = bytes;
    return a;
}

size_t ladvice_compute(const ledger_result *r, const ladvice_ctx *ctx, ladvice *out)
{
    size_t n = 0;
    uint64_t rss = r->total;
    /* tcache is left out: malloc_trim does not empty it (its own rule below) */
    uint64_t kept = r->parts[LEDGER_FREE_FASTBIN] + r->parts[LEDGER_FREE_UNSORTED] +
                    r->parts[LEDGER_FREE_SMALLBIN] + r->parts[LEDGER_FREE_LARGEBIN] +
                    r->parts[LEDGER_TOP];
    if (la_applies(kept, rss, LADVICE_FREE_SHARE)) {
        ladvice *a = la_add(out, &n, LADVICE_TRIM, kept);
        /* free() trims a top above the threshold, in every arena; malloc_trim
         * leaves the thread arenas' tops alone (mtrim calls systrim for the
         * main arena only) */
        uint64_t main_top = r->narenas ? r->arenas[0].parts[LEDGER_TOP] : 0;
        uint64_t thread_top = 0;
        for (size_t i = 1; i < r->narenas; i++)
            thread_top += r->arenas[i].parts[LEDGER_TOP];
        uint64_t rest = kept - (r->reclaimable < kept ? r->reclaimable : kept);
        rest -= thread_top < rest ? thread_top : rest;
        char tt[160] = "";
        if (thread_top >= LADVICE_MIN_BYTES)
            snprintf(tt, sizeof(tt),
                     "; %.1f MiB is the top of thread arenas, which malloc_trim leaves as it is",
                     la_mib(thread_top));
        snprintf(a->text, sizeof(a->text),
                 "%.1f MiB (%.0f%% of RSS) is free inside malloc and still resident; "
                 "malloc_trim(0) would give back %.1f MiB of it%s%s%s",
                 la_mib(kept), la_pct(kept, rss), la_mib(r->reclaimable),
                 rest * 2 > kept ? " (the rest is in pieces smaller than a page between chunks "
                                   "in use: fragmentation)"
                                 : "",
                 tt,
                 main_top + thread_top >= LADVICE_MIN_BYTES
                     ? "; a lower MALLOC_TRIM_THRESHOLD_ makes free() return a top by itself"
                     : "");
    }
    uint64_t arena_free = 0;
    for (size_t i = 1; i < r->narenas; i++)
        arena_free += ladvice_arena_free(&r->arenas[i]);
    /* no more threads than CPUs run at once, and no more than there are */
    size_t need = ctx->nthreads;
    if (ctx->ncpus && ctx->ncpus < need)
        need = ctx->ncpus;
    if (need == 0)
        need = 1;
    if (r->narenas > need && la_applies(arena_free, rss, LADVICE_PART_SHARE)) {
        ladvice *a = la_add(out, &n, LADVICE_ARENAS, arena_free);
        size_t idle = r->narenas > ctx->arenas_used ? r->narenas - ctx->arenas_used : 0;
        char idles[64] = "";
        if (idle)
            snprintf(idles, sizeof(idles), ", %zu of them used by no live thread", idle);
        snprintf(a->text, sizeof(a->text),
                 "%zu arenas for %zu thread%s on %u CPU%s%s: the %zu thread arenas keep %.1f MiB "
                 "(%.0f%% of RSS) free and resident; MALLOC_ARENA_MAX=%zu caps them, so threads "
                 "share arenas and their free memory",
                 r->narenas, ctx->nthreads, ctx->nthreads == 1 ? "" : "s", ctx->ncpus,
                 ctx->ncpus == 1 ? "" : "s", idles, r->narenas - 1, la_mib(arena_free),
                 la_pct(arena_free, rss), need);
    }
    /* in use only: a free chunk of that size is as often a run of small
     * blocks freed side by side (the trim rule covers it) */
    uint64_t large = r->large_inuse_bytes;
    if (la_applies(large, rss, LADVICE_PART_SHARE)) {
        ladvice *a = la_add(out, &n, LADVICE_MMAP, large);
        snprintf(a->text, sizeof(a->text),
                 "%llu blocks of 128 KiB or more in use (%.1f MiB resident, %.0f%% of RSS) live "
                 "in the arenas, so freeing them returns nothing: glibc raises its mmap "
                 "threshold up to 32 MiB after such a block is freed; MALLOC_MMAP_THRESHOLD_="
                 "131072 keeps each in a mapping of its own, unmapped by free()",
                 (unsigned long long)r->large_inuse_chunks, la_mib(large), la_pct(large, rss));
    }
    uint64_t tc = r->parts[LEDGER_FREE_TCACHE];
    if (la_applies(tc, rss, LADVICE_PART_SHARE)) {
        ladvice *a = la_add(out, &n, LADVICE_TCACHE, tc);
        snprintf(a->text, sizeof(a->text),
                 "the threads' tcaches hold %.1f MiB (%.0f%% of RSS) of free chunks that no "
                 "trim returns; GLIBC_TUNABLES=glibc.malloc.tcache_count=N with a smaller N "
                 "(7 by default) bounds them",
                 la_mib(tc), la_pct(tc, rss));
    }
    return n;
}
