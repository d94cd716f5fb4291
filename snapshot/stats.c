/* snapshot/stats.c: `heapsnap -p PID --stats [--json]`. Reads like the
 * command's steps: stop every thread, wait for a quiet heap, walk, resume,
 * then print the census per arena as a table or as one JSON object whose
 * `total` member carries mallinfo2's field names. */
#include "stats.h"

#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "heap_process.h"
#include "hs_json.h"
#include "ledger.h"
#include "ledger_advice.h"
#include "ptstop.h"
#include "procmaps.h"
#include "quiesce.h"
#include "registry.h"
#include "resident.h"

/* The hook's tables, for the ledger (registry_tables). */
typedef struct stats_hook {
    uint64_t start[REGISTRY_MAX_TABLES], end[REGISTRY_MAX_TABLES];
    size_t n;
} stats_hook;

typedef struct stats_run_result {
    gheap_report rep;
    uint64_t pause_us;
    unsigned retries;
    size_t nthreads;
    /* the RSS ledger: have_ledger, or why not in ledger_err */
    bool have_ledger;
    ledger_result ledger;
    uint64_t rollup_rss; /* smaps_rollup's Rss, read in the same stop */
    resident_method method;
    ladvice advice[LADVICE_NKINDS];
    size_t nadvice;
    char ledger_err[512];
} stats_run_result;

/* Lets the process go (once) and records the pause. */
static void stats_resume(ptstop **stop, stats_run_result *res)
{
    if (*stop == NULL)
        return;
    res->pause_us = ptstop_pause_us(*stop);
    ptstop_detach_all(*stop);
    *stop = NULL;
}

/* What the ledger needs from the stop, before the capture reads anything:
 * the map, the resident pages and smaps_rollup's Rss (read together, so they
 * agree), every thread's stack. A ledger with those labels, or NULL and why
 * in res->ledger_err (the census goes on without it). */
static ledger *stats_ledger_start(pid_t pid, hproc *h, const gheap_thread *threads, size_t n,
                                  const stats_hook *hook, procmaps **maps, resident_set *rs,
                                  stats_run_result *res)
{
    hs_err e = {0};
    *maps = procmaps_read(pid, &e);
    ledger *lg = NULL;
    if (*maps == NULL || resident_read(pid, *maps, true, rs, &e) != 0 ||
        resident_rollup(pid, &res->rollup_rss, &e) != 0 ||
        (lg = ledger_new(*maps, rs, &e)) == NULL) {
        snprintf(res->ledger_err, sizeof(res->ledger_err), "%s", e.msg);
        return NULL;
    }
    res->method = rs->method;
    for (size_t i = 0; i < n; i++) {
        uint64_t lo, hi;
        if (hproc_thread_stack(h, &threads[i], *maps, &lo, &hi) == 0)
            ledger_label(lg, lo, hi, LEDGER_THREAD_STACKS);
    }
    for (size_t i = 0; i < hook->n; i++) /* whole pages: the hook maps each table */
        ledger_label(lg, hook->start[i] & ~(uint64_t)(RESIDENT_PAGE - 1),
                     (hook->end[i] + RESIDENT_PAGE - 1) & ~(uint64_t)(RESIDENT_PAGE - 1),
                     LEDGER_HOOK_TABLES);
    return lg;
}

/* CPUs the process may run on (0: unknown). */
static unsigned stats_ncpus(pid_t pid)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(pid, sizeof(set), &set) != 0)
        return 0;
    return (unsigned)CPU_COUNT(&set);
}

/* After the classification: the ledger's parts and the advice (tarena: the
 * arena of each thread, read in the stop; may be NULL). */
static void stats_ledger_end(pid_t pid, ledger *lg, const uint64_t *tarena, stats_run_result *res)
{
    hs_err e = {0};
    if (ledger_finish(lg, res->rep.narenas, &res->ledger, &e) != 0) {
        snprintf(res->ledger_err, sizeof(res->ledger_err), "%s", e.msg);
        return;
    }
    res->have_ledger = true;
    ladvice_ctx ctx = {.ncpus = stats_ncpus(pid), .nthreads = res->nthreads};
    for (size_t i = 0; i < res->rep.narenas; i++) {
        bool used = false;
        for (size_t k = 0; tarena != NULL && k < res->nthreads && !used; k++)
            used = tarena[k] == res->rep.arenas[i].addr;
        ctx.arenas_used += used;
    }
    res->nadvice = ladvice_compute(&res->ledger, &ctx, res->advice);
}

/* Stops the process at a quiet moment, reads its resident pages, captures its
 * heap, resumes it (before the classification when the capture holds the
 * whole heap), classifies, and closes the ledger over the chunks. */
static int stats_collect(pid_t pid, hproc *h, const stats_hook *hook, stats_run_result *res,
                         hs_err *err)
{
    gheap_thread *threads = NULL;
    size_t n = 0;
    ptstop *s = quiesce_stop(pid, h, &threads, &n, &res->retries, err);
    if (s == NULL)
        return -1;
    res->nthreads = n;
    procmaps *maps = NULL;
    resident_set rs = {0};
    ledger *lg = stats_ledger_start(pid, h, threads, n, hook, &maps, &rs, res);
    uint64_t *tarena = calloc(n ? n : 1, sizeof(*tarena)); /* each thread's arena */
    for (size_t i = 0; tarena != NULL && i < n; i++)
        if (hproc_thread_arena(h, &threads[i], &tarena[i], NULL) != 0)
            tarena[i] = 0;
    gheap_capture *cap = NULL;
    int rc = hproc_capture(h, threads, n, &cap, err);
    if (rc == 0 && gheap_capture_complete(cap))
        stats_resume(&s, res);
    if (rc == 0)
        rc = gheap_classify(cap, lg ? ledger_chunk : NULL, lg, &res->rep, err);
    stats_resume(&s, res);
    if (rc == 0 && lg != NULL)
        stats_ledger_end(pid, lg, tarena, res);
    free(tarena);
    ledger_free(lg);
    resident_free(&rs);
    procmaps_free(maps);
    gheap_capture_free(cap);
    free(threads);
    return rc;
}

static uint64_t stats_free_bytes(const uint64_t *bytes)
{
    return bytes[GHEAP_TCACHE] + bytes[GHEAP_FASTBIN] + bytes[GHEAP_UNSORTED] +
           bytes[GHEAP_SMALLBIN] + bytes[GHEAP_LARGEBIN];
}

/* free / (free + in use), where free excludes top (top is not fragmentation). */
static double stats_frag(const uint64_t *bytes)
{
    uint64_t f = stats_free_bytes(bytes), u = bytes[GHEAP_INUSE];
    return f + u ? (double)f / (double)(f + u) : 0.0;
}

static void stats_json_classes(FILE *out, const uint64_t *chunks, const uint64_t *bytes)
{
    for (int k = 0; k < GHEAP_NCLASSES; k++)
        fprintf(out, "%s\"%s\":{\"chunks\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", k ? "," : "",
                gheap_class_name((gheap_class)k), chunks[k], bytes[k]);
}

static void stats_json_parts(FILE *out, const uint64_t *parts, int n)
{
    fputs("\"parts\":{", out);
    for (int k = 0; k < n; k++)
        fprintf(out, "%s\"%s\":%" PRIu64, k ? "," : "", ledger_part_name((ledger_part)k), parts[k]);
    fputc('}', out);
}

/* The "rss" member: null and "rss_error" when there is no ledger. */
static void stats_json_rss(FILE *out, const stats_run_result *r)
{
    if (!r->have_ledger) {
        fputs(",\"rss\":null,\"rss_error\":", out);
        hs_json_fput_str(out, r->ledger_err);
        return;
    }
    const ledger_result *l = &r->ledger;
    fprintf(out,
            ",\"rss\":{\"total_bytes\":%" PRIu64 ",\"smaps_rollup_bytes\":%" PRIu64
            ",\"overlap_bytes\":%" PRIu64 ",\"method\":\"%s\",",
            l->total, r->rollup_rss, l->overlap_bytes, resident_method_name(r->method));
    stats_json_parts(out, l->parts, LEDGER_NPARTS);
    fputs(",\"other_mappings\":{", out);
    for (size_t i = 0; i < l->nother; i++) {
        fputs(i ? "," : "", out);
        hs_json_fput_str(out, l->other[i].name);
        fprintf(out, ":%" PRIu64, l->other[i].bytes);
    }
    fprintf(out,
            "},\"reclaimable_bytes\":%" PRIu64 ",\"large_chunks\":{\"in_use\":%" PRIu64
            ",\"in_use_bytes\":%" PRIu64 ",\"free\":%" PRIu64 ",\"free_bytes\":%" PRIu64
            "},\"advice\":[",
            l->reclaimable, l->large_inuse_chunks, l->large_inuse_bytes, l->large_free_chunks,
            l->large_free_bytes);
    for (size_t i = 0; i < r->nadvice; i++) {
        fprintf(out, "%s{\"kind\":\"%s\",\"bytes\":%" PRIu64 ",\"text\":", i ? "," : "",
                ladvice_kind_name(r->advice[i].kind), r->advice[i].bytes);
        hs_json_fput_str(out, r->advice[i].text);
        fputc('}', out);
    }
    fputs("]}", out);
}

static void stats_print_json(FILE *out, pid_t pid, const char *allocator, const stats_run_result *r)
{
    const gheap_report *rep = &r->rep;
    const gheap_mallinfo *mi = &rep->total;
    fprintf(out, "{\"pid\":%d,\"pause_us\":%" PRIu64 ",\"busy_retries\":%u,\"threads\":%zu,",
            (int)pid, r->pause_us, r->retries, r->nthreads);
    fputs("\"allocator\":", out);
    hs_json_fput_str(out, allocator);
    fputc(',', out);
    fputs("\"layout_source\":", out);
    hs_json_fput_str(out, rep->layout_source);
    fprintf(out,
            ",\"total\":{\"arena\":%" PRIu64 ",\"ordblks\":%" PRIu64 ",\"smblks\":%" PRIu64
            ",\"hblks\":%" PRIu64 ",\"hblkhd\":%" PRIu64 ",\"usmblks\":%" PRIu64
            ",\"fsmblks\":%" PRIu64 ",\"uordblks\":%" PRIu64 ",\"fordblks\":%" PRIu64
            ",\"keepcost\":%" PRIu64 "}",
            mi->arena, mi->ordblks, mi->smblks, mi->hblks, mi->hblkhd, mi->usmblks, mi->fsmblks,
            mi->uordblks, mi->fordblks, mi->keepcost);
    fputs(",\"classes\":{", out);
    stats_json_classes(out, rep->chunks, rep->bytes);
    fprintf(out, "},\"fragmentation\":%.6f", stats_frag(rep->bytes));
    stats_json_rss(out, r);
    fputs(",\"arenas\":[", out);
    for (size_t i = 0; i < rep->narenas; i++) {
        const gheap_arena_report *a = &rep->arenas[i];
        fprintf(out,
                "%s{\"index\":%zu,\"address\":\"0x%" PRIx64 "\",\"main\":%s,\"heaps\":%zu,"
                "\"system_mem\":%" PRIu64 ",\"overhead_bytes\":%" PRIu64 ",\"fragmentation\":%.6f,",
                i ? "," : "", i, a->addr, a->is_main ? "true" : "false", a->nheaps, a->system_mem,
                a->overhead_bytes, stats_frag(a->bytes));
        fputs("\"classes\":{", out);
        stats_json_classes(out, a->chunks, a->bytes);
        fputc('}', out);
        if (r->have_ledger && i < r->ledger.narenas) {
            const ledger_arena *la = &r->ledger.arenas[i];
            fprintf(out, ",\"rss\":{\"total_bytes\":%" PRIu64 ",", la->total);
            stats_json_parts(out, la->parts, LEDGER_NARENA_PARTS);
            fprintf(out, ",\"reclaimable_bytes\":%" PRIu64 "}", la->reclaimable);
        }
        fputs(",\"diag\":", out);
        hs_json_fput_str(out, a->diag);
        fputc('}', out);
    }
    fputs("],\"diagnostics\":[", out);
    for (size_t i = 0; i < rep->ndiags; i++) {
        fputs(i ? "," : "", out);
        hs_json_fput_str(out, rep->diags[i]);
    }
    fputs("]}\n", out);
}

static double stats_pct(uint64_t part, uint64_t total)
{
    return total ? 100.0 * (double)part / (double)total : 0.0;
}

/* The ledger as text: every part with its share, the mappings behind
 * other_mappings, the arenas, what malloc_trim would return, the advice. */
static void stats_print_ledger(FILE *out, const stats_run_result *r)
{
    if (!r->have_ledger) {
        fprintf(out, "\nno RSS ledger: %s\n", r->ledger_err);
        return;
    }
    const ledger_result *l = &r->ledger;
    fprintf(out,
            "\nRSS at the stop: %" PRIu64 " bytes (smaps_rollup in the same stop: %" PRIu64
            "; pages from %s)\n",
            l->total, r->rollup_rss, resident_method_name(r->method));
    uint64_t sum = 0;
    for (int k = 0; k < LEDGER_NPARTS; k++) {
        sum += l->parts[k];
        fprintf(out, "  %-15s %14" PRIu64 " %6.1f%%", ledger_part_name((ledger_part)k), l->parts[k],
                stats_pct(l->parts[k], l->total));
        if (k == LEDGER_OTHER)
            for (size_t i = 0; i < l->nother && i < 6; i++)
                fprintf(out, "%s%s %" PRIu64, i ? ", " : "  (", l->other[i].name,
                        l->other[i].bytes);
        if (k == LEDGER_OTHER && l->nother)
            fputs(l->nother > 6 ? ", ...)" : ")", out);
        fputc('\n', out);
    }
    if (sum != l->total)
        fprintf(out,
                "  the parts add up to %" PRIu64 ": %" PRIu64
                " bytes were counted twice (overlapping chunks: see the problems below)\n",
                sum, l->overlap_bytes);
    if (l->total != r->rollup_rss)
        fprintf(out, "  smaps_rollup differs by %" PRId64 " bytes%s\n",
                (int64_t)(r->rollup_rss - l->total),
                r->method == RESIDENT_PRESENT ? " (this kernel hides the zero page from heapsnap: "
                                                "run as root or on Linux 6.7 or later)"
                                              : "");
    fprintf(out, "reclaimable by malloc_trim(0): %" PRIu64 " bytes (%.1f%% of RSS)\n",
            l->reclaimable, stats_pct(l->reclaimable, l->total));
    fprintf(out, "%-5s %12s %12s %12s %12s %12s %12s\n", "arena", "rss", "in use", "free", "top",
            "headers", "reclaimable");
    for (size_t i = 0; i < l->narenas; i++) {
        const ledger_arena *a = &l->arenas[i];
        fprintf(out,
                "%-5zu %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
                " %12" PRIu64 "\n",
                i, a->total, a->parts[LEDGER_IN_USE], ladvice_arena_free(a) - a->parts[LEDGER_TOP],
                a->parts[LEDGER_TOP], a->parts[LEDGER_ARENA_HEADERS], a->reclaimable);
    }
    for (size_t i = 0; i < r->nadvice; i++)
        fprintf(out, "%s  %s\n", i ? "" : "advice:\n", r->advice[i].text);
}

static void stats_print_table(FILE *out, pid_t pid, const stats_run_result *r)
{
    const gheap_report *rep = &r->rep;
    const gheap_mallinfo *mi = &rep->total;
    fprintf(out, "process %d: %zu threads, %zu arenas, stopped for %" PRIu64 " us", (int)pid,
            r->nthreads, rep->narenas, r->pause_us);
    if (r->retries)
        fprintf(out, " (%u busy retries)", r->retries);
    fprintf(out, "\nlayout: %s\n\n", rep->layout_source);
    fprintf(out, "%-5s %-14s %5s %12s %12s %10s %12s %12s %12s %12s %12s %12s %6s\n", "arena",
            "address", "heaps", "system_mem", "in use", "chunks", "tcache", "fastbin", "unsorted",
            "smallbin", "largebin", "top", "frag");
    for (size_t i = 0; i < rep->narenas; i++) {
        const gheap_arena_report *a = &rep->arenas[i];
        char name[24];
        snprintf(name, sizeof(name), "%zu%s", i, a->is_main ? "*" : "");
        fprintf(out,
                "%-5s 0x%-12" PRIx64 " %5zu %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %12" PRIu64
                " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %5.1f%%\n",
                name, a->addr, a->nheaps, a->system_mem, a->bytes[GHEAP_INUSE],
                a->chunks[GHEAP_INUSE], a->bytes[GHEAP_TCACHE], a->bytes[GHEAP_FASTBIN],
                a->bytes[GHEAP_UNSORTED], a->bytes[GHEAP_SMALLBIN], a->bytes[GHEAP_LARGEBIN],
                a->bytes[GHEAP_TOP], 100.0 * stats_frag(a->bytes));
    }
    fprintf(out,
            "%-5s %-14s %5s %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64
            " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %5.1f%%\n",
            "all", "", "", mi->arena, rep->bytes[GHEAP_INUSE], rep->chunks[GHEAP_INUSE],
            rep->bytes[GHEAP_TCACHE], rep->bytes[GHEAP_FASTBIN], rep->bytes[GHEAP_UNSORTED],
            rep->bytes[GHEAP_SMALLBIN], rep->bytes[GHEAP_LARGEBIN], rep->bytes[GHEAP_TOP],
            100.0 * stats_frag(rep->bytes));
    fprintf(out, "(* main arena; bytes per class; frag = free / (free + in use), free = tcache + "
                 "bins, top excluded)\n");
    fprintf(out, "mmapped: %" PRIu64 " chunks, %" PRIu64 " bytes\n\n", rep->chunks[GHEAP_MMAPPED],
            rep->bytes[GHEAP_MMAPPED]);
    fprintf(out,
            "mallinfo2: arena=%" PRIu64 " ordblks=%" PRIu64 " smblks=%" PRIu64 " hblks=%" PRIu64
            " hblkhd=%" PRIu64 " usmblks=%" PRIu64 " fsmblks=%" PRIu64 " uordblks=%" PRIu64
            " fordblks=%" PRIu64 " keepcost=%" PRIu64 "\n",
            mi->arena, mi->ordblks, mi->smblks, mi->hblks, mi->hblkhd, mi->usmblks, mi->fsmblks,
            mi->uordblks, mi->fordblks, mi->keepcost);
    stats_print_ledger(out, r);
    if (rep->ndiags) {
        fprintf(out, "\n%zu problems found while walking:\n", rep->ndiags);
        for (size_t i = 0; i < rep->ndiags; i++)
            fprintf(out, "  %s\n", rep->diags[i]);
    }
}

/* The hook's tables, when it is loaded, hold no mmapped chunk: the walk need
 * not look there (at HEAPSNAP_RATE=1 every page of them is touched). */
static void stats_exclude_hook(pid_t pid, hproc *h, stats_hook *hook)
{
    hs_err ignored = {0};
    procmaps *maps = procmaps_read(pid, &ignored);
    if (maps == NULL)
        return;
    registry reg;
    memset(&reg, 0, sizeof(reg));
    if (registry_locate(pid, maps, &reg, &ignored) == 1) {
        uint64_t ts[REGISTRY_MAX_TABLES], te[REGISTRY_MAX_TABLES];
        hook->n = registry_tables(&reg, ts, te);
        for (size_t k = 0; k < hook->n; k++) {
            hproc_exclude(h, ts[k], te[k]);
            hook->start[k] = ts[k];
            hook->end[k] = te[k];
        }
    }
    registry_free(&reg);
    procmaps_free(maps);
}

/* The object whose malloc replaces glibc's (allocator.h), or "" when none. */
static void stats_allocator(pid_t pid, char *name, size_t len)
{
    hs_err ignored = {0};
    name[0] = '\0';
    procmaps *maps = procmaps_read(pid, &ignored);
    if (maps != NULL && !alloc_find_foreign(maps, name, len))
        name[0] = '\0';
    procmaps_free(maps);
}

/* Instead of a census of nothing: glibc's arenas of a process that
 * allocates elsewhere hold nothing. */
static void stats_print_foreign(FILE *out, pid_t pid, const char *allocator)
{
    fprintf(out,
            "process %d allocates with %s, not glibc's malloc: glibc's arenas hold no chunk, "
            "so there is no census of its heap here; use %s's own statistics, or preload "
            "libheapsnap.so and take a profile with heapsnap -p %d.\n",
            (int)pid, allocator, allocator, (int)pid);
}

int stats_run(pid_t pid, bool json, FILE *out, hs_err *err)
{
    hproc *h = hproc_open(pid, err);
    if (h == NULL)
        return -1;
    stats_hook hook = {0};
    stats_exclude_hook(pid, h, &hook);
    char allocator[128];
    stats_allocator(pid, allocator, sizeof(allocator));
    stats_run_result r;
    memset(&r, 0, sizeof(r));
    int rc = stats_collect(pid, h, &hook, &r, err);
    /* A loaded object that defines malloc is glibc's replacement only if
     * glibc's arenas are unused: one loaded with dlopen(RTLD_LOCAL) is not. */
    if (rc == 0 && r.rep.chunks[GHEAP_INUSE] + r.rep.chunks[GHEAP_MMAPPED] > 0)
        allocator[0] = '\0';
    if (rc == 0) {
        if (json)
            stats_print_json(out, pid, allocator[0] ? allocator : "glibc", &r);
        else if (allocator[0] != '\0')
            stats_print_foreign(out, pid, allocator);
        else
            stats_print_table(out, pid, &r);
        if (fflush(out) != 0)
            rc = hs_err_set(err, "cannot write the census to the output");
    }
    gheap_report_free(&r.rep);
    ledger_result_free(&r.ledger);
    hproc_close(h);
    return rc;
}
