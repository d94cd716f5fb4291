/* analyzer/an_report_text.c: the default report, written for a person at a
 * terminal: the suspects ranked by growth rate, each with where it allocates,
 * how fast, how steadily, what kind of leak and what to change; then one line
 * per kind of function that does not leak. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "an_debugpkg.h"
#include "an_holders.h"
#include "an_types.h"
#include "an_report.h"

#define MAX_PATH_FRAMES 12

const char *an_report_rate_unit(const an_analysis *a)
{
    return a->in->has_time ? "/s" : "/snapshot";
}

const char *an_report_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void header(an_buf *out, const an_analysis *a)
{
    const an_input *in = a->in;
    char per[64] = "";
    if (in->sampled) {
        char p[32];
        an_buf_fmt_bytes(p, sizeof(p), (double)in->period);
        snprintf(per, sizeof(per), ", sampled every %s", p);
    }
    if (a->two_point)
        an_buf_printf(out, "heapsnap-analyze: two-point diff %s -> %s (%s%s)\n", in->snaps[0].path,
                      in->snaps[1].path, in->sample_type, per);
    else
        an_buf_printf(out, "heapsnap-analyze: %zu snapshots over %.1f %s (%s%s)\n", a->n,
                      a->total.span, in->has_time ? "s" : "steps", in->sample_type, per);
    char b0[32], b1[32], r[32];
    an_buf_fmt_bytes(b0, sizeof(b0), a->total.start_bytes);
    an_buf_fmt_bytes(b1, sizeof(b1), a->total.end_bytes);
    an_buf_fmt_bytes(r, sizeof(r), a->total.bytes_per_s);
    an_buf_printf(out, "total in use: %s -> %s (%s%s%s)\n", b0, b1,
                  a->total.bytes_per_s >= 0 ? "+" : "", r, an_report_rate_unit(a));
    for (int i = 0; i < in->nnotes; i++)
        an_buf_printf(out, "note: %s\n", in->notes[i]);
    if (a->two_point)
        an_buf_puts(out, "note: two profiles give a weaker verdict: growth between two moments "
                         "cannot be told from warm-up, a plateau or noise; take a series of "
                         "snapshots (heapsnap -i 10s -n 30) to confirm a leak\n");
}

static void frame_text(an_buf *out, const an_series *s, uint32_t fid)
{
    const an_frame *f = an_series_frame(s, fid);
    const char *file = an_series_str(s, f->file);
    an_buf_puts(out, an_series_str(s, f->function));
    if (file[0] && f->line > 0)
        an_buf_printf(out, " %s:%lld", an_report_basename(file), (long long)f->line);
    else if (file[0])
        an_buf_printf(out, " %s", an_report_basename(file));
}

/* Whether a frame folds into a "N frames in LABEL" line: the allocator, a
 * library or runtime, or an allocator wrapper. */
static bool foldable(const an_series *s, const an_frame *f)
{
    return f->kind != AN_FRAME_USER || an_series_is_wrapper(s, f->signature);
}

static bool unnamed(const an_series *s, const an_frame *f)
{
    return strstr(an_series_str(s, f->function), "0x") != NULL &&
           an_series_str(s, f->file)[0] == '\0';
}

/* "N frames in LABEL" for stack[from..to): their library ("libstdc++"), two
 * labels joined, or "libraries"; site_raw is the site's raw_pos when the run
 * is below it. */
static void fold_label(an_buf *out, const an_analysis *a, const uint32_t *stack, uint32_t from,
                       uint32_t to, uint32_t site_raw)
{
    const char *l1 = NULL, *l2 = NULL;
    bool more = false;
    for (uint32_t i = from; i < to; i++) {
        const an_frame *f = an_series_frame(a->series, stack[i]);
        /* Below the user's frame, a frame without a symbol is the
         * allocator's own helper (see an_series.c). */
        const char *l = f->kind == AN_FRAME_ALLOCATOR ||
                                an_series_is_wrapper(a->series, f->signature) ||
                                (to <= site_raw && unnamed(a->series, f))
                            ? "the allocator"
                            : an_frames_label(an_series_str(a->series, f->function),
                                              an_series_str(a->series, f->file),
                                              an_series_str(a->series, f->module));
        if (l1 == NULL || strcmp(l, l1) == 0)
            l1 = l;
        else if (l2 == NULL || strcmp(l, l2) == 0)
            l2 = l;
        else
            more = true;
    }
    an_buf_printf(out, "%u frame%s in %s%s%s", to - from, to - from == 1 ? "" : "s",
                  more ? "libraries" : l1, !more && l2 ? " and " : "", !more && l2 ? l2 : "");
}

/* The frames below the first one of the user's code, stack[from..to): one,
 * or two of the allocator's, by name (Perl_more_bodies ->
 * Perl_safesysmalloc); library frames and longer runs as "N frames in
 * LABEL". */
static void below_text(an_buf *out, const an_analysis *a, const uint32_t *stack, uint32_t from,
                       uint32_t to)
{
    bool library = true;
    for (uint32_t k = from; k < to && library; k++)
        library = an_series_frame(a->series, stack[k])->kind == AN_FRAME_LIBRARY;
    if (to - from > 2 || (library && to - from == 2)) {
        fold_label(out, a, stack, from, to, to);
        return;
    }
    for (uint32_t k = to; k-- > from;) {
        frame_text(out, a->series, stack[k]);
        if (k > from)
            an_buf_puts(out, " -> ");
    }
}

/* What the site's user frame calls down to the allocator, leaf last:
 * "-> perl+0x111213 -> Perl_safesysmalloc", "-> 6 frames in libstdc++". */
static void via_text(an_buf *out, const an_analysis *a, const an_site *site)
{
    const uint32_t *stack = an_series_stack(a->series, site);
    uint32_t i = site->alloc_pos;
    /* Program frames between the named frame and the first one of the
     * user's code (frames without symbols), one by one or folded. */
    while (i > site->raw_pos + 1) {
        uint32_t j = i - 1;
        while (j > site->raw_pos + 1 &&
               unnamed(a->series, an_series_frame(a->series, stack[j - 1])))
            j--;
        an_buf_puts(out, " -> ");
        if (i - j >= 3)
            an_buf_printf(out, "%u frames without symbols", i - j);
        else
            for (uint32_t k = i; k-- > j;) {
                frame_text(out, a->series, stack[k]);
                if (k > j)
                    an_buf_puts(out, " -> ");
            }
        i = j;
    }
    if (site->raw_pos < site->alloc_pos) {
        an_buf_puts(out, " -> ");
        frame_text(out, a->series, stack[site->raw_pos]);
    }
    if (site->raw_pos > 0) {
        an_buf_puts(out, " -> ");
        below_text(out, a, stack, 0, site->raw_pos);
    }
}

/* The end of the run of frames that folds into one line from stack[i] (a run
 * of two or more library frames, or of three or more frames without
 * symbols), with its text in out; i when frame i stands alone. */
uint32_t an_report_fold(an_buf *out, const an_analysis *a, const an_site *site, uint32_t i)
{
    const uint32_t *stack = an_series_stack(a->series, site);
    const an_frame *f = an_series_frame(a->series, stack[i]);
    uint32_t j = i + 1;
    if (foldable(a->series, f)) {
        while (j < site->nframes && foldable(a->series, an_series_frame(a->series, stack[j])))
            j++;
        if (j - i < 2)
            return i;
        fold_label(out, a, stack, i, j, 0);
        return j;
    }
    if (unnamed(a->series, f)) {
        while (j < site->nframes && unnamed(a->series, an_series_frame(a->series, stack[j])))
            j++;
        if (j - i < 3)
            return i;
        an_buf_printf(out, "%u frames without symbols", j - i);
        return j;
    }
    return i;
}

void an_report_via(an_buf *out, const an_analysis *a, const an_site *site)
{
    via_text(out, a, site);
}

/* The call path from the user's frame up, folded (an_report_fold). */
static void path_text(an_buf *out, const an_analysis *a, const an_site *site)
{
    const uint32_t *stack = an_series_stack(a->series, site);
    an_buf_puts(out, "    call path ");
    frame_text(out, a->series, stack[site->alloc_pos]);
    via_text(out, a, site);
    an_buf_puts(out, "\n");
    int lines = 1;
    for (uint32_t i = site->alloc_pos + 1; i < site->nframes;) {
        if (lines == MAX_PATH_FRAMES) {
            an_buf_printf(out, "              ... %u more frames\n", site->nframes - i);
            return;
        }
        an_buf_puts(out, "              ");
        uint32_t j = an_report_fold(out, a, site, i);
        if (j == i) {
            frame_text(out, a->series, stack[i]);
            j = i + 1;
        }
        an_buf_puts(out, "\n");
        lines++;
        i = j;
    }
}

/* "also" lines: each other growing site by its user frame, what it calls and
 * its caller; sites that read the same are one line with their rates added. */
static void also_text(an_buf *out, const an_analysis *a, const an_verdict *v)
{
    char text[AN_TOP_SITES][1024];
    double rate[AN_TOP_SITES];
    int n = 0;
    for (int k = 0; k < v->nsites; k++) {
        const an_site *o = an_series_site(a->series, v->sites[k]);
        an_buf b = {0};
        if (o->nframes > 0) {
            const uint32_t *st = an_series_stack(a->series, o);
            frame_text(&b, a->series, st[o->alloc_pos]);
            via_text(&b, a, o);
            if (o->nframes > o->alloc_pos + 1) {
                an_buf_puts(&b, " <- ");
                frame_text(&b, a->series, st[o->alloc_pos + 1]);
            }
        }
        snprintf(text[n], sizeof(text[n]), "%s", b.data ? b.data : "");
        an_buf_free(&b);
        int same = -1;
        for (int j = 0; j < n && same < 0; j++)
            if (strcmp(text[j], text[n]) == 0)
                same = j;
        if (same >= 0) {
            rate[same] += v->site_rate[k];
        } else {
            rate[n] = v->site_rate[k];
            n++;
        }
    }
    /* The first one is the call path printed above. */
    for (int k = 1; k < n; k++) {
        char r[32];
        an_buf_fmt_bytes(r, sizeof(r), rate[k]);
        an_buf_printf(out, "    also      %s (+%s%s)\n", text[k], r,
                      a->two_point ? "" : an_report_rate_unit(a));
    }
}

/* How sure the verdict is, and why: the snapshot count and how far the
 * growth stands above its sampling noise (an_classify.h). */
static void confidence_line(an_buf *out, const an_analysis *a, const an_verdict *v)
{
    an_buf_printf(out, "    confidence %s (%zu snapshots, ",
                  an_classify_confidence_name(v->confidence), a->n);
    if (isfinite(v->st.z))
        an_buf_printf(out, "growth %.1f times its noise", v->st.z);
    else
        an_buf_puts(out, "no sampling noise: exact counts");
    if (v->part == AN_PART_SMALL)
        an_buf_puts(out, "; in its objects smaller than the sampling period");
    else if (v->part == AN_PART_LARGE)
        an_buf_puts(out, "; in its buffers of at least the sampling period");
    if (v->retention < AN_RETENTION_MIN)
        an_buf_printf(out, "; keeps %.0f%% of what it allocates: mostly churn", 100 * v->retention);
    an_buf_puts(out, ")\n");
}

/* Whether suspect #rank is the first one named by a frame without a symbol
 * (the debug-symbols sentence is said once). */
static bool first_unnamed(const an_analysis *a, size_t rank)
{
    for (size_t i = 0; i + 1 < rank && i < a->nsuspects; i++) {
        const an_verdict *v = &a->verdicts[a->suspects[i]];
        if (v->nsites > 0 && !an_series_site(a->series, v->sites[0])->named)
            return false;
    }
    return true;
}

/* Who holds it, from heapsnap's held_by labels: the lost part first when
 * it is the largest, as the fix it asks for (a free() on some path) is not
 * the one a holder asks for (evict from the named container). */
static void holders_text(an_buf *out, const an_analysis *a, const an_verdict *v)
{
    an_holders h;
    an_holders_of(a, v, &h);
    for (size_t k = 0; k < h.n && k < 3; k++) {
        if (strcmp(h.v[k].holder, "lost") == 0)
            an_buf_printf(out,
                          "    lost      %.0f %%: no pointer to it remains -- a free() is "
                          "missing on some path of %s\n",
                          100 * h.v[k].share, v->function);
        else if (strcmp(h.v[k].holder, "shared") == 0)
            an_buf_printf(out, "    held by   several roots at once (shared), %.0f %%\n",
                          100 * h.v[k].share);
        else
            an_buf_printf(out, "    held by   %s, %.0f %%\n", h.v[k].holder, 100 * h.v[k].share);
    }
}

/* What it is, from heapsnap's type labels: "holds 64 % struct session, 30 %
 * char[] in session::user". */
static void types_text(an_buf *out, const an_analysis *a, const an_verdict *v)
{
    an_holders t;
    an_types_of(a, v, &t);
    char phrase[512];
    if (t.n > 0 && an_types_phrase(&t, 3, phrase, sizeof(phrase))[0] != '\0')
        an_buf_printf(out, "    holds     %s\n", phrase);
}

static void suspect(an_buf *out, const an_analysis *a, size_t rank, const an_verdict *v)
{
    const char *ru = an_report_rate_unit(a);
    char rate[32], growth[32], start[32];
    an_buf_fmt_bytes(rate, sizeof(rate), v->st.bytes_per_s);
    an_buf_fmt_bytes(growth, sizeof(growth), v->st.growth_bytes);
    an_buf_fmt_bytes(start, sizeof(start), v->st.start_bytes);
    an_buf_printf(out, "\n#%zu  %s  %s\n", rank, v->function, an_classify_pattern_name(v->pattern));
    if (v->file[0])
        an_buf_printf(out, "    at        %s:%lld\n", v->file, (long long)v->line);
    confidence_line(out, a, v);
    if (a->two_point) {
        an_buf_printf(out, "    growth    +%s, %+.0f objects (%s -> ", growth, v->st.growth_objects,
                      start);
        char end[32];
        an_buf_fmt_bytes(end, sizeof(end), v->st.end_bytes);
        an_buf_printf(out, "%s)", end);
        if (v->st.span > 0)
            an_buf_printf(out, ", +%s%s", rate, ru);
        an_buf_puts(out, "\n");
    } else {
        an_buf_printf(out, "    rate      +%s%s, %+.1f objects%s   R² %.2f   steady steps %.0f%%\n",
                      rate, ru, v->st.objects_per_s, ru, v->st.r2, 100 * v->st.monotonic);
        an_buf_printf(out, "    growth    +%s over %.1f %s", growth, v->st.span,
                      a->in->has_time ? "s" : "steps");
        if (v->rel_start >= 0)
            an_buf_printf(out, " (from %s: %+.0f%%", start, 100 * v->rel_start);
        else
            an_buf_puts(out, " (from nothing");
        an_buf_printf(out, "; %.0f%% of the heap at the end)\n", 100 * v->rel_heap);
    }
    if (v->nsites > 0) {
        const an_site *site = an_series_site(a->series, v->sites[0]);
        if (site->nframes > 0)
            path_text(out, a, site);
        if (site->nframes > 0 && !site->named && first_unnamed(a, rank)) {
            const an_frame *f =
                an_series_frame(a->series, an_series_stack(a->series, site)[site->raw_pos]);
            const char *file = an_series_str(a->series, f->module);
            char pkg[256];
            if (file[0] == '\0')
                an_buf_puts(out, "    symbols   no frame of the program has a name: install its "
                                 "debug symbols and take the snapshots again\n");
            else if (an_debug_package(file, pkg, sizeof(pkg)))
                an_buf_printf(out,
                              "    symbols   no frame of %s has a name: install its debug "
                              "symbols (%s, from Debian's debian-debug archive) and take the "
                              "snapshots again\n",
                              file, pkg);
            else
                an_buf_printf(out,
                              "    symbols   no frame of %s has a name: install its debug "
                              "symbols (on Debian the -dbgsym package, from the debian-debug "
                              "archive, of the package that `dpkg -S %s` names) and take the "
                              "snapshots again\n",
                              file, file);
        }
        also_text(out, a, v);
    }
    holders_text(out, a, v);
    types_text(out, a, v);
    an_buf_printf(out, "    hint      %s\n", v->hint);
}

/* One "name (+growth, verdict)" per verdict in idx[0..n). */
static void name_growth(an_buf *out, const an_analysis *a, const size_t *idx, size_t n,
                        bool deviations)
{
    for (size_t j = 0; j < n; j++) {
        const an_verdict *v = &a->verdicts[idx[j]];
        char g[32];
        an_buf_fmt_bytes(g, sizeof(g), v->st.growth_bytes);
        an_buf_printf(out, "%s%s (+%s, ", j ? ", " : "", v->function, g);
        if (deviations && isfinite(v->st.z))
            an_buf_printf(out, "%.1f times its noise)", v->st.z);
        else
            an_buf_printf(out, "%s)", an_classify_status_name(v->status));
    }
}

/* Where the heap's growth went when the suspects do not hold it, and what
 * rose without being significant yet. */
static void growth_lines(an_buf *out, const an_analysis *a)
{
    if (a->unexplained_bytes > 0) {
        char u[32], t[32];
        an_buf_fmt_bytes(u, sizeof(u), a->unexplained_bytes);
        an_buf_fmt_bytes(t, sizeof(t), a->total.growth_bytes);
        an_buf_printf(out, "\nunexplained growth: +%s of the heap's +%s is in no suspect", u, t);
        if (a->ngrowers > 0) {
            an_buf_puts(out, "; it went to ");
            name_growth(out, a, a->growers, a->ngrowers, false);
        }
        an_buf_puts(out, "\n");
    }
    if (a->nuncoded > 0) {
        an_buf_puts(out, "\ngrew with no call site (chunks the hook counted without a sample, or "
                         "never saw): ");
        name_growth(out, a, a->uncoded, a->nuncoded, false);
        an_buf_puts(out, "\n");
    }
    if (a->nrising > 0) {
        an_buf_puts(out, "\nrising, not yet significant (take more snapshots to tell a leak from "
                         "noise): ");
        name_growth(out, a, a->rising, a->nrising, true);
        an_buf_puts(out, "\n");
    }
}

/* What malloc keeps: free memory that makes RSS high, or grew with it, while
 * the program's data did not. */
static void malloc_lines(an_buf *out, const an_analysis *a)
{
    if (!a->malloc_keeps && !a->malloc_grew)
        return;
    if (a->rss_kept && a->nsuspects == 0)
        return; /* said instead of "no suspects" (rss_line) */
    char s0[32], s1[32], f1[32], u1[32];
    an_buf_fmt_bytes(s0, sizeof(s0), a->sys_start);
    an_buf_fmt_bytes(s1, sizeof(s1), a->sys_end);
    an_buf_fmt_bytes(f1, sizeof(f1), a->free_end);
    an_buf_fmt_bytes(u1, sizeof(u1), a->total.end_bytes);
    if (a->malloc_grew)
        an_buf_printf(out,
                      "\nnot a leak in the program's data: malloc's memory grew from %s to %s "
                      "while the heap in use ended at %s; %s of it is free memory malloc keeps\n",
                      s0, s1, u1, f1);
    else
        an_buf_printf(out,
                      "\nmalloc keeps %s free of the %s it took from the system (%.0f%%): a high "
                      "RSS here is free memory, not the program's data\n",
                      f1, s1, 100 * a->free_end / a->sys_end);
    an_buf_puts(out, "    advice    heapsnap -p PID --stats shows where it is (per arena, by bin); "
                     "malloc_trim(0) or a lower MALLOC_TRIM_THRESHOLD_ returns free pages, "
                     "MALLOC_ARENA_MAX bounds the arenas of many threads\n");
}

/* RSS grew, the heap in use did not, and malloc's free memory accounts for
 * the growth: said instead of "no suspects". */
static void rss_line(an_buf *out, const an_analysis *a)
{
    char r0[32], r1[32], u0[32], u1[32], f1[32];
    an_buf_fmt_bytes(r0, sizeof(r0), a->rss_start);
    an_buf_fmt_bytes(r1, sizeof(r1), a->rss_end);
    an_buf_fmt_bytes(u0, sizeof(u0), a->total.start_bytes);
    an_buf_fmt_bytes(u1, sizeof(u1), a->total.end_bytes);
    an_buf_fmt_bytes(f1, sizeof(f1), a->free_end);
    an_buf_printf(out,
                  "\nnot a leak in the program's data: free memory kept by malloc. RSS grew from "
                  "%s to %s while the heap in use went from %s to %s; malloc keeps %s free\n",
                  r0, r1, u0, u1, f1);
    an_buf_puts(out, "    advice    heapsnap -p PID --stats prints the RSS ledger (where each "
                     "resident byte is, what malloc_trim(0) would give back, which knob fits); "
                     "malloc_trim(0) or a lower MALLOC_TRIM_THRESHOLD_ returns free pages, "
                     "MALLOC_ARENA_MAX bounds the arenas of many threads, MALLOC_MMAP_THRESHOLD_ "
                     "keeps large blocks out of the arenas\n");
}

/* RSS grew where no heap profile looks: said beside the suspects, which
 * account only for malloc's heap. */
static void outside_line(an_buf *out, const an_analysis *a)
{
    if (!a->rss_outside)
        return;
    char r0[32], r1[32], o[32], m[32];
    an_buf_fmt_bytes(r0, sizeof(r0), a->rss_start);
    an_buf_fmt_bytes(r1, sizeof(r1), a->rss_end);
    an_buf_fmt_bytes(o, sizeof(o), a->rss_outside_bytes);
    an_buf_fmt_bytes(m, sizeof(m), a->total.end_bytes);
    an_buf_printf(out,
                  "\nRSS grew outside malloc: from %s to %s, at least %s of it in memory the "
                  "program maps itself, which no heap profile sees (malloc's heap in use ends "
                  "at %s)\n",
                  r0, r1, o, m);
    an_buf_puts(out, "    advice    heapsnap -p PID --stats prints the RSS ledger (thread stacks, "
                     "other mappings); the usual cause is an allocator of the program's own on "
                     "mmap: an interpreter's pools (Python's pymalloc: run it with "
                     "PYTHONMALLOC=malloc and the snapshots name the code), a pool or cache, "
                     "or threads that are never joined\n");
}

static void others(an_buf *out, const an_analysis *a)
{
    const an_status *order = an_not_leaking;
    size_t total = 0;
    for (size_t i = 0; i < AN_NOT_LEAKING_N; i++)
        total += a->count[order[i]];
    an_buf_printf(out, "\nnot leaking: %zu function%s\n", total, total == 1 ? "" : "s");
    for (size_t i = 0; i < AN_NOT_LEAKING_N; i++) {
        an_status s = order[i];
        if (a->count[s] == 0)
            continue;
        size_t top[3];
        size_t k = an_analysis_by_status(a, s, top, 3);
        an_buf_printf(out, "  %-10s %5zu  ", an_classify_status_name(s), a->count[s]);
        for (size_t j = 0; j < k; j++) {
            const an_verdict *v = &a->verdicts[top[j]];
            char x[32], y[32];
            if (j)
                an_buf_puts(out, ", ");
            an_buf_puts(out, v->function);
            switch (s) {
            case AN_STATUS_PLATEAU:
                an_buf_fmt_bytes(x, sizeof(x), v->st.peak_bytes);
                an_buf_printf(out, " (grew to %s, then stopped)", x);
                break;
            case AN_STATUS_CHURN:
                an_buf_fmt_bytes(x, sizeof(x), v->st.alloc_per_s);
                an_buf_fmt_bytes(y, sizeof(y), v->st.end_bytes);
                an_buf_printf(out, " (allocates %s%s, holds %s)", x, an_report_rate_unit(a), y);
                break;
            case AN_STATUS_UNSTEADY:
                an_buf_fmt_bytes(x, sizeof(x), v->st.growth_bytes);
                an_buf_printf(out, " (+%s, R² %.2f)", x, v->st.r2);
                break;
            default:
                an_buf_fmt_bytes(x, sizeof(x), v->st.end_bytes);
                an_buf_printf(out, " (%s)", x);
            }
        }
        if (a->count[s] > k)
            an_buf_puts(out, ", ...");
        an_buf_puts(out, "\n");
    }
}

void an_report_text(an_buf *out, const an_analysis *a)
{
    header(out, a);
    if (a->nsuspects == 0 && a->nuncoded > 0) {
        an_buf_puts(out, "\nno suspect with a call site: the heap grew in chunks that no sample "
                         "names (below); with the hook preloaded (LD_PRELOAD=libheapsnap.so), or "
                         "a lower HEAPSNAP_RATE, the snapshots name the code\n");
    } else if (a->nsuspects == 0 && a->rss_kept) {
        rss_line(out, a);
    } else if (a->nsuspects == 0 && a->total_grew) {
        an_buf_puts(out, "\nno suspects: the heap grew, but no function grew steadily above its "
                         "sampling noise\n");
    } else if (a->nsuspects == 0) {
        an_buf_puts(out, a->two_point ? "\nno suspects: nothing grew significantly between the "
                                        "two profiles\n"
                         : a->rss_outside
                             ? "\nno suspects in malloc's heap: nothing in it grows steadily\n"
                             : "\nno suspects: nothing grows steadily\n");
    } else if (a->two_point) {
        an_buf_printf(out,
                      "\n%zu function%s grew between the two profiles (candidates, not "
                      "confirmed leaks), largest rate first:\n",
                      a->nsuspects, a->nsuspects == 1 ? "" : "s");
    } else {
        an_buf_printf(out, "\n%zu leak suspect%s, fastest first:\n", a->nsuspects,
                      a->nsuspects == 1 ? "" : "s");
    }
    for (size_t i = 0; i < a->nsuspects; i++)
        suspect(out, a, i + 1, &a->verdicts[a->suspects[i]]);
    growth_lines(out, a);
    malloc_lines(out, a);
    outside_line(out, a);
    others(out, a);
}
