/* snapshot/stats.c: `heapsnap -p PID --stats [--json]`. Reads like the
 * command's steps: stop every thread, wait for a quiet heap, walk, resume,
 * then print the census per arena as a table or as one JSON object whose
 * `total` member carries mallinfo2's field names. */
#include "stats.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "heap_process.h"
#include "hs_json.h"
#include "ptrace.h"
#include "procmaps.h"
#include "quiesce.h"
#include "registry.h"

typedef struct stats_run_result {
    gheap_report rep;
    uint64_t pause_us;
    unsigned retries;
    size_t nthreads;
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

/* Stops the process at a quiet moment, captures its heap, resumes it (before
 * the classification when the capture holds the whole heap) and classifies. */
static int stats_collect(pid_t pid, hproc *h, stats_run_result *res, hs_err *err)
{
    gheap_thread *threads = NULL;
    size_t n = 0;
    ptstop *s = quiesce_stop(pid, h, &threads, &n, &res->retries, err);
    if (s == NULL)
        return -1;
    res->nthreads = n;
    gheap_capture *cap = NULL;
    int rc = hproc_capture(h, threads, n, &cap, err);
    if (rc == 0 && gheap_capture_complete(cap))
        stats_resume(&s, res);
    if (rc == 0)
        rc = gheap_classify(cap, NULL, NULL, &res->rep, err);
    stats_resume(&s, res);
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
    fprintf(out, "},\"fragmentation\":%.6f,\"arenas\":[", stats_frag(rep->bytes));
    for (size_t i = 0; i < rep->narenas; i++) {
        const gheap_arena_report *a = &rep->arenas[i];
        fprintf(out,
                "%s{\"index\":%zu,\"address\":\"0x%" PRIx64 "\",\"main\":%s,\"heaps\":%zu,"
                "\"system_mem\":%" PRIu64 ",\"overhead_bytes\":%" PRIu64 ",\"fragmentation\":%.6f,",
                i ? "," : "", i, a->addr, a->is_main ? "true" : "false", a->nheaps, a->system_mem,
                a->overhead_bytes, stats_frag(a->bytes));
        fputs("\"classes\":{", out);
        stats_json_classes(out, a->chunks, a->bytes);
        fputs("},\"diag\":", out);
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
    if (rep->ndiags) {
        fprintf(out, "\n%zu problems found while walking:\n", rep->ndiags);
        for (size_t i = 0; i < rep->ndiags; i++)
            fprintf(out, "  %s\n", rep->diags[i]);
    }
}

/* The hook's tables, when it is loaded, hold no mmapped chunk: the walk need
 * not look there (at HEAPSNAP_RATE=1 every page of them is touched). */
static void stats_exclude_hook(pid_t pid, hproc *h)
{
    hs_err ignored = {0};
    procmaps *maps = procmaps_read(pid, &ignored);
    if (maps == NULL)
        return;
    registry reg;
    memset(&reg, 0, sizeof(reg));
    if (registry_locate(pid, maps, &reg, &ignored) == 1) {
        uint64_t ts[REGISTRY_MAX_TABLES], te[REGISTRY_MAX_TABLES];
        for (size_t k = 0, n = registry_tables(&reg, ts, te); k < n; k++)
            hproc_exclude(h, ts[k], te[k]);
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
    stats_exclude_hook(pid, h);
    char allocator[128];
    stats_allocator(pid, allocator, sizeof(allocator));
    stats_run_result r;
    memset(&r, 0, sizeof(r));
    int rc = stats_collect(pid, h, &r, err);
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
    hproc_close(h);
    return rc;
}
