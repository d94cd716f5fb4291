/* snapshot/report.c: what heapsnap prints about a snapshot (see report.h).
 * stderr gets words for people; stdout gets JSON only when asked. */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "hs_json.h"

const char *report_bytes(unsigned long long n, char *buf, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(buf, len, "%llu bytes", n);
        return buf;
    }
    double v = (double)n / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

void report_summary(FILE *f, const char *path, const snap_result *r)
{
    char inuse[32], unattr[32];
    if (r->from_live_table) {
        report_bytes(r->inuse_bytes, inuse, sizeof(inuse));
        fprintf(f,
                "heapsnap: wrote %s: %s in use (estimate from %" PRIu64
                " live samples; the heap is %s's), %zu threads paused %.1f ms\n",
                path, inuse, r->attributed_chunks, r->allocator, r->nthreads,
                (double)r->pause_us / 1000.0);
        return;
    }
    report_bytes(r->inuse_bytes, inuse, sizeof(inuse));
    report_bytes(r->unattributed_bytes, unattr, sizeof(unattr));
    fprintf(f,
            "heapsnap: wrote %s: %s in use in %" PRIu64 " chunks (%s unattributed), %zu "
            "threads paused %.1f ms (%s)\n",
            path, inuse, r->inuse_chunks, unattr, r->nthreads, (double)r->pause_us / 1000.0,
            strcmp(r->mode, "fork") == 0 ? "a copy-on-write fork" : "the heap copied");
    if (r->approximate) {
        char unc[32];
        report_bytes(r->uncertain_bytes, unc, sizeof(unc));
        fprintf(f,
                "heapsnap: approximate: %zu threads were still inside malloc when --max-pause "
                "ran out, so %zu arenas were walked mid-update (in use +- %s); a longer "
                "--max-pause waits for them.\n",
                r->busy_threads, r->approx_narenas, unc);
    }
}

void report_json(FILE *f, unsigned long index, const char *path, const char *threads_path,
                 const snap_result *r)
{
    fprintf(f, "{\"index\":%lu,\"file\":", index);
    hs_json_fput_str(f, path);
    if (threads_path != NULL) {
        fprintf(f, ",\"threads_file\":");
        hs_json_fput_str(f, threads_path);
    }
    fprintf(f,
            ",\"time_nanos\":%" PRId64 ",\"pause_us\":%" PRIu64 ",\"threads\":%zu"
            ",\"busy_retries\":%u,\"hook\":%s,\"rate\":%" PRIu64 ",\"inuse_bytes\":%" PRIu64
            ",\"inuse_chunks\":%" PRIu64 ",\"attributed_bytes\":%" PRIu64
            ",\"attributed_chunks\":%" PRIu64 ",\"unattributed_bytes\":%" PRIu64
            ",\"unattributed_chunks\":%" PRIu64 ",\"stale_entries\":%" PRIu64
            ",\"torn_entries\":%" PRIu64 ",\"samples\":%zu,\"allocator\":",
            r->time_nanos, r->pause_us, r->nthreads, r->busy_retries,
            r->hook_loaded ? "true" : "false", r->rate, r->inuse_bytes, r->inuse_chunks,
            r->attributed_bytes, r->attributed_chunks, r->unattributed_bytes,
            r->unattributed_chunks, r->stale_entries, r->torn_entries, r->nsamples);
    hs_json_fput_str(f, r->allocator);
    fprintf(f, ",\"source\":\"%s\"", r->from_live_table ? "live_table" : "heap_walk");
    /* the pause's parts, and what a budget that ran out left approximate */
    fprintf(f,
            ",\"stop_us\":%" PRIu64 ",\"safepoint_us\":%" PRIu64 ",\"parked_threads\":%zu"
            ",\"wait_us\":%" PRIu64 ",\"copy_us\":%" PRIu64 ",\"realtime\":%s"
            ",\"approximate\":%s,\"busy_threads\":%zu,\"uncertain_bytes\":%" PRIu64
            ",\"approximate_arenas\":[",
            r->stop_us, r->safepoint_us, r->parked_threads, r->wait_us, r->copy_us,
            r->realtime ? "true" : "false", r->approximate ? "true" : "false", r->busy_threads,
            r->uncertain_bytes);
    size_t shown = sizeof(r->approx_arenas) / sizeof(r->approx_arenas[0]);
    for (size_t i = 0; i < r->approx_narenas && i < shown; i++)
        fprintf(f, "%s\"0x%" PRIx64 "\"", i ? "," : "", r->approx_arenas[i]);
    fprintf(f, "],\"approximate_narenas\":%zu", r->approx_narenas);
    /* fork or copy (snapshot/cowmode.h), and why it copied */
    fprintf(f,
            ",\"mode\":\"%s\",\"fork_us\":%" PRIu64 ",\"walk_us\":%" PRIu64 ",\"reap_us\":%" PRIu64
            ",\"dirtied_pages\":%" PRId64 ",\"fork_estimate_us\":%" PRIu64
            ",\"copy_estimate_us\":%" PRIu64 ",\"copy_reason\":",
            r->mode, r->fork_us, r->walk_us, r->reap_us, r->dirtied_pages, r->fork_est_us,
            r->copy_est_us);
    hs_json_fput_str(f, r->copy_reason);
    fprintf(f,
            ",\"typed_chunks\":%" PRIu64 ",\"typed_bytes\":%" PRIu64
            ",\"dwarf_typed_chunks\":%" PRIu64 ",\"dwarf_typed_bytes\":%" PRIu64
            ",\"dwarf_stack_slots\":%" PRIu64 ",\"dwarf_stack_values\":%" PRIu64
            ",\"types_us\":%" PRIu64 "}\n",
            r->typed_chunks, r->typed_bytes, r->dwarf_chunks, r->dwarf_bytes, r->dwarf_stack_slots,
            r->dwarf_stack_values, r->types_us);
}

void report_notices(FILE *f, const snap_result *r)
{
    static bool hook_done, layout_done, alloc_done;
    if (r->notice_alloc[0] != '\0' && !alloc_done) {
        fprintf(f, "heapsnap: %s\n", r->notice_alloc);
        alloc_done = true;
    }
    if (r->notice_layout[0] != '\0' && !layout_done) {
        fprintf(f, "heapsnap: %s\n", r->notice_layout);
        layout_done = true;
    }
    if (r->notice_hook[0] != '\0' && !hook_done) {
        fprintf(f, "heapsnap: %s\n", r->notice_hook);
        hook_done = true;
    }
}
