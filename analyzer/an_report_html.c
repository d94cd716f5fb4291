/* analyzer/an_report_html.c: --html, one self-contained page (inline CSS and
 * SVG, no script, nothing fetched): summary, chart, suspects with their call
 * paths (folded as in the text report; the full signature as the name's
 * tooltip), who holds them (heapsnap's held_by) and hints, and what does not
 * leak. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "an_holders.h"
#include "an_types.h"
#include "an_report.h"

static void text(an_buf *out, const char *s)
{
    an_buf_xml_str(out, s);
}

static void frame_html(an_buf *out, const an_series *s, uint32_t fid)
{
    const an_frame *f = an_series_frame(s, fid);
    const char *file = an_series_str(s, f->file);
    an_buf_puts(out, "<code>");
    text(out, an_series_str(s, f->function));
    an_buf_puts(out, "</code>");
    if (file[0]) {
        an_buf_puts(out, " <span class=\"loc\">");
        text(out, file);
        if (f->line > 0)
            an_buf_printf(out, ":%lld", (long long)f->line);
        an_buf_puts(out, "</span>");
    }
}

/* "held by" with each holder's share, from heapsnap's held_by labels. */
static void holders_row(an_buf *out, const an_analysis *a, const an_verdict *v)
{
    an_holders h;
    an_holders_of(a, v, &h);
    if (h.n == 0)
        return;
    an_buf_puts(out, "<tr><th>held by</th><td>");
    for (size_t k = 0; k < h.n && k < 3; k++) {
        if (k > 0)
            an_buf_puts(out, "; ");
        if (strcmp(h.v[k].holder, "lost") == 0)
            an_buf_puts(out, "lost (no pointer to it remains: a free() is missing)");
        else
            text(out, h.v[k].holder);
        an_buf_printf(out, ", %.0f %%", 100 * h.v[k].share);
    }
    an_buf_puts(out, "</td></tr>\n");
}

/* "holds" with each type's share, from heapsnap's type labels. */
static void types_row(an_buf *out, const an_analysis *a, const an_verdict *v)
{
    an_holders t;
    an_types_of(a, v, &t);
    char phrase[512];
    if (t.n == 0 || an_types_phrase(&t, 3, phrase, sizeof(phrase))[0] == '\0')
        return;
    an_buf_puts(out, "<tr><th>holds</th><td>");
    text(out, phrase);
    an_buf_puts(out, "</td></tr>\n");
}

static void suspect_row(an_buf *out, const an_analysis *a, size_t rank, const an_verdict *v)
{
    const char *ru = an_report_rate_unit(a);
    char rate[32], growth[32];
    an_buf_fmt_bytes(rate, sizeof(rate), v->st.bytes_per_s);
    an_buf_fmt_bytes(growth, sizeof(growth), v->st.growth_bytes);
    an_buf_printf(out, "<div class=\"suspect\"><h3>#%zu <code title=\"", rank);
    text(out, an_series_str(a->series, an_series_group(a->series, v->group)->signature));
    an_buf_puts(out, "\">");
    text(out, v->function);
    an_buf_printf(out, "</code> <span class=\"pattern %s\">%s</span></h3>\n",
                  an_classify_pattern_name(v->pattern), an_classify_pattern_name(v->pattern));
    an_buf_puts(out, "<table class=\"kv\">\n<tr><th>at</th><td>");
    text(out, v->file);
    an_buf_printf(out, ":%lld</td></tr>\n", (long long)v->line);
    if (v->st.span > 0)
        an_buf_printf(out, "<tr><th>rate</th><td>+%s%s, %+.1f objects%s</td></tr>\n", rate, ru,
                      v->st.objects_per_s, ru);
    if (!a->two_point)
        an_buf_printf(out,
                      "<tr><th>steadiness</th><td>R² %.2f, %.0f%% of steps not going "
                      "down</td></tr>\n",
                      v->st.r2, 100 * v->st.monotonic);
    an_buf_printf(out, "<tr><th>growth</th><td>+%s (%.0f%% of the heap at the end)</td></tr>\n",
                  growth, 100 * v->rel_heap);
    an_buf_puts(out, "<tr><th>call path</th><td><ol class=\"path\">");
    if (v->nsites > 0 && an_series_site(a->series, v->sites[0])->nframes > 0) {
        /* As the text report: from the user's frame up, with what it calls
         * on its line and library runs folded. */
        const an_site *site = an_series_site(a->series, v->sites[0]);
        const uint32_t *stack = an_series_stack(a->series, site);
        an_buf_puts(out, "<li>");
        frame_html(out, a->series, stack[site->alloc_pos]);
        an_buf via = {0};
        an_report_via(&via, a, site);
        if (via.len > 0) {
            an_buf_puts(out, " <span class=\"loc\">");
            text(out, via.data);
            an_buf_puts(out, "</span>");
        }
        an_buf_free(&via);
        an_buf_puts(out, "</li>");
        for (uint32_t i = site->alloc_pos + 1; i < site->nframes;) {
            an_buf fold = {0};
            uint32_t j = an_report_fold(&fold, a, site, i);
            an_buf_puts(out, "<li>");
            if (j > i) {
                an_buf_puts(out, "<span class=\"loc\">");
                text(out, fold.data ? fold.data : "");
                an_buf_puts(out, "</span>");
            } else {
                frame_html(out, a->series, stack[i]);
                j = i + 1;
            }
            an_buf_puts(out, "</li>");
            an_buf_free(&fold);
            i = j;
        }
    }
    an_buf_puts(out, "</ol></td></tr>\n");
    holders_row(out, a, v);
    types_row(out, a, v);
    an_buf_puts(out, "<tr><th>hint</th><td class=\"hint\">");
    text(out, v->hint);
    an_buf_puts(out, "</td></tr>\n</table></div>\n");
}

void an_report_html(an_buf *out, const an_analysis *a)
{
    const an_input *in = a->in;
    an_buf_puts(out,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<title>heapsnap-analyze report</title>\n<style>\n"
                "body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}\n"
                "h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:16px}\n"
                "code{font-family:monospace}.loc{color:#666}\n"
                ".suspect{border:1px solid #ddd;border-radius:6px;padding:4px 14px;margin:12px 0}\n"
                ".kv th{text-align:left;vertical-align:top;padding-right:14px;color:#555}\n"
                ".pattern{font-size:13px;padding:2px 8px;border-radius:10px;color:#fff}\n"
                ".growing-buffer{background:#d62728}.accumulating-entries{background:#1f77b4}\n"
                ".path{margin:0;padding-left:20px}.hint{background:#fff8e0}\n"
                ".note{color:#8a6d3b}.ok{color:#2ca02c;font-weight:bold}\n"
                "table.others td{padding:2px 10px}\n"
                "</style>\n</head>\n<body>\n<h1>heapsnap-analyze report</h1>\n<p>");
    if (a->two_point) {
        an_buf_puts(out, "Two-point diff: <code>");
        text(out, in->snaps[0].path);
        an_buf_puts(out, "</code> &rarr; <code>");
        text(out, in->snaps[1].path);
        an_buf_puts(out, "</code>.");
    } else {
        an_buf_printf(out, "%zu snapshots over %.1f %s.", a->n, a->total.span,
                      in->has_time ? "seconds" : "steps");
    }
    char b0[32], b1[32];
    an_buf_fmt_bytes(b0, sizeof(b0), a->total.start_bytes);
    an_buf_fmt_bytes(b1, sizeof(b1), a->total.end_bytes);
    an_buf_printf(out, " Sample type <code>%s</code>; total in use %s &rarr; %s.</p>\n",
                  in->sample_type, b0, b1);
    for (int i = 0; i < in->nnotes; i++) {
        an_buf_puts(out, "<p class=\"note\">Note: ");
        text(out, in->notes[i]);
        an_buf_puts(out, "</p>\n");
    }
    if (a->two_point)
        an_buf_puts(out, "<p class=\"note\">Two profiles give a weaker verdict: growth between "
                         "two moments cannot be told from warm-up, a plateau or noise. Take a "
                         "series of snapshots to confirm.</p>\n");
    an_report_svg(out, a, false);
    if (a->nsuspects == 0)
        an_buf_puts(out, "<h2>Suspects</h2>\n<p class=\"ok\">No suspects: nothing grows "
                         "steadily.</p>\n");
    else
        an_buf_printf(out, "<h2>%zu %s</h2>\n", a->nsuspects,
                      a->two_point ? "functions grew (candidates)" : "leak suspects");
    for (size_t i = 0; i < a->nsuspects; i++)
        suspect_row(out, a, i + 1, &a->verdicts[a->suspects[i]]);

    an_buf_puts(out, "<h2>Not leaking</h2>\n<table class=\"others\">\n");
    const an_status *order = an_not_leaking;
    for (size_t i = 0; i < AN_NOT_LEAKING_N; i++) {
        size_t top[3];
        size_t k = an_analysis_by_status(a, order[i], top, 3);
        an_buf_printf(out, "<tr><td>%s</td><td>%zu</td><td>", an_classify_status_name(order[i]),
                      a->count[order[i]]);
        for (size_t j = 0; j < k; j++) {
            an_buf_puts(out, j ? ", <code>" : "<code>");
            text(out, a->verdicts[top[j]].function);
            an_buf_puts(out, "</code>");
        }
        an_buf_puts(out, "</td></tr>\n");
    }
    an_buf_puts(out, "</table>\n<p class=\"loc\">Generated by heapsnap-analyze " HS_VERSION
                     ".</p>\n</body>\n</html>\n");
}
