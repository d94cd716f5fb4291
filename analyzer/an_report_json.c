/* analyzer/an_report_json.c: --json, one object for programs: snapshots,
 * duration_s and the ranked suspects (rank, function as pprof shows it, its
 * full signature, file, line, stack leaf first, pattern, bytes_per_s,
 * objects_per_s, r2, growth_bytes, hint, and more), plus the counts of
 * functions that do not leak. */
#include <math.h>
#include <stdio.h>

#include "an_holders.h"
#include "an_types.h"
#include "an_report.h"

static void num(an_buf *out, double v)
{
    if (isfinite(v))
        an_buf_printf(out, "%.10g", v);
    else
        an_buf_puts(out, "null");
}

static void str(an_buf *out, const char *s)
{
    an_buf_puts(out, "\"");
    an_buf_json_str(out, s);
    an_buf_puts(out, "\"");
}

static void frame_obj(an_buf *out, const an_series *s, uint32_t fid)
{
    const an_frame *f = an_series_frame(s, fid);
    an_buf_puts(out, "{\"function\": ");
    str(out, an_series_str(s, f->function));
    an_buf_puts(out, ", \"signature\": ");
    str(out, an_series_str(s, f->signature));
    an_buf_puts(out, ", \"module\": ");
    str(out, an_series_str(s, f->module));
    an_buf_puts(out, ", \"file\": ");
    str(out, an_series_str(s, f->file));
    an_buf_printf(out, ", \"line\": %lld}", (long long)f->line);
}

/* [{"function", "growth_bytes", "deviations", "verdict"}, ...] of idx[0..n). */
static void growers(an_buf *out, const an_analysis *a, const size_t *idx, size_t n)
{
    an_buf_puts(out, "[");
    for (size_t j = 0; j < n; j++) {
        const an_verdict *v = &a->verdicts[idx[j]];
        an_buf_puts(out, j ? ", {\"function\": " : "{\"function\": ");
        str(out, v->function);
        an_buf_puts(out, ", \"growth_bytes\": ");
        num(out, v->st.growth_bytes);
        an_buf_puts(out, ", \"deviations\": ");
        num(out, v->st.z);
        an_buf_puts(out, ", \"verdict\": ");
        str(out, an_classify_status_name(v->status));
        an_buf_puts(out, "}");
    }
    an_buf_puts(out, "]");
}

static void suspect(an_buf *out, const an_analysis *a, size_t rank, const an_verdict *v)
{
    an_buf_printf(out, "    {\n      \"rank\": %zu,\n      \"function\": ", rank);
    str(out, v->function);
    an_buf_puts(out, ",\n      \"signature\": ");
    str(out, an_series_str(a->series, an_series_group(a->series, v->group)->signature));
    an_buf_puts(out, ",\n      \"file\": ");
    str(out, v->file);
    an_buf_printf(out, ",\n      \"line\": %lld,\n      \"stack\": [", (long long)v->line);
    const an_site *site = v->nsites > 0 ? an_series_site(a->series, v->sites[0]) : NULL;
    const uint32_t *stack = site ? an_series_stack(a->series, site) : NULL;
    for (uint32_t i = 0; site && i < site->nframes; i++) {
        if (i)
            an_buf_puts(out, ", ");
        str(out, an_series_str(a->series, an_series_frame(a->series, stack[i])->function));
    }
    an_buf_puts(out, "],\n      \"frames\": [");
    for (uint32_t i = 0; site && i < site->nframes; i++) {
        if (i)
            an_buf_puts(out, ", ");
        frame_obj(out, a->series, stack[i]);
    }
    /* Where the user's code starts in the stack, and the frame that names
     * the suspect (the same unless that one has no symbol). */
    an_buf_printf(out, "],\n      \"user_frame\": %u,\n      \"named_frame\": %u",
                  site ? site->raw_pos : 0, site ? site->alloc_pos : 0);
    an_buf_puts(out, ",\n      \"pattern\": ");
    str(out, an_classify_pattern_name(v->pattern));
    an_buf_puts(out, ",\n      \"verdict\": ");
    str(out, an_classify_status_name(v->status));
    an_buf_puts(out, ",\n      \"confidence\": ");
    str(out, an_classify_confidence_name(v->confidence));
    an_buf_puts(out, ",\n      \"noise_bytes\": ");
    num(out, v->st.noise_growth);
    an_buf_puts(out, ",\n      \"deviations\": ");
    num(out, v->st.z);
    an_buf_puts(out, ",\n      \"retention\": ");
    num(out, v->retention);
    an_buf_puts(out, ",\n      \"part\": ");
    str(out, v->part == AN_PART_SMALL ? "small" : v->part == AN_PART_LARGE ? "large" : "all");
    an_buf_puts(out, ",\n      \"bytes_per_s\": ");
    num(out, v->st.span > 0 ? v->st.bytes_per_s : NAN);
    an_buf_puts(out, ",\n      \"objects_per_s\": ");
    num(out, v->st.span > 0 ? v->st.objects_per_s : NAN);
    an_buf_puts(out, ",\n      \"r2\": ");
    num(out, a->two_point ? NAN : v->st.r2);
    an_buf_puts(out, ",\n      \"monotonic\": ");
    num(out, a->two_point ? NAN : v->st.monotonic);
    an_buf_puts(out, ",\n      \"growth_bytes\": ");
    num(out, v->st.growth_bytes);
    an_buf_puts(out, ",\n      \"growth_objects\": ");
    num(out, v->st.growth_objects);
    an_buf_puts(out, ",\n      \"start_bytes\": ");
    num(out, v->st.start_bytes);
    an_buf_puts(out, ",\n      \"end_bytes\": ");
    num(out, v->st.end_bytes);
    an_buf_puts(out, ",\n      \"growth_rel_start\": ");
    num(out, v->rel_start >= 0 ? v->rel_start : NAN);
    an_buf_puts(out, ",\n      \"growth_rel_heap\": ");
    num(out, v->rel_heap);
    an_buf_puts(out, ",\n      \"sites\": [");
    for (int k = 0; k < v->nsites; k++) {
        const an_site *o = an_series_site(a->series, v->sites[k]);
        an_buf_puts(out, k ? ", " : "");
        an_buf_puts(out, "{\"frame\": ");
        if (o->nframes > 0)
            frame_obj(out, a->series, an_series_stack(a->series, o)[o->alloc_pos]);
        else
            an_buf_puts(out, "null");
        an_buf_puts(out, ", \"bytes_per_s\": ");
        num(out, v->site_rate[k]);
        an_buf_puts(out, "}");
    }
    an_holders h;
    an_holders_of(a, v, &h);
    an_buf_puts(out, "],\n      \"held_by\": [");
    for (size_t k = 0; k < h.n; k++) {
        an_buf_puts(out, k ? ", {\"holder\": " : "{\"holder\": ");
        str(out, h.v[k].holder);
        an_buf_puts(out, ", \"bytes\": ");
        num(out, h.v[k].bytes);
        an_buf_puts(out, ", \"share\": ");
        num(out, h.v[k].share);
        an_buf_puts(out, "}");
    }
    an_holders t;
    an_types_of(a, v, &t);
    an_buf_puts(out, "],\n      \"types\": [");
    for (size_t k = 0; k < t.n; k++) {
        an_buf_puts(out, k ? ", {\"type\": " : "{\"type\": ");
        str(out, t.v[k].holder);
        an_buf_puts(out, ", \"bytes\": ");
        num(out, t.v[k].bytes);
        an_buf_puts(out, ", \"share\": ");
        num(out, t.v[k].share);
        an_buf_puts(out, "}");
    }
    an_buf_puts(out, "],\n      \"lost_bytes\": ");
    num(out, h.n > 0 ? h.lost_bytes : NAN);
    an_buf_puts(out, ",\n      \"hint\": ");
    str(out, v->hint);
    an_buf_puts(out, "\n    }");
}

void an_report_json(an_buf *out, const an_analysis *a)
{
    const an_input *in = a->in;
    an_buf_printf(out, "{\n  \"tool\": \"heapsnap-analyze\",\n  \"version\": \"%s\",\n",
                  HS_VERSION);
    an_buf_printf(out, "  \"mode\": \"%s\",\n", a->two_point ? "two-point" : "series");
    an_buf_printf(out, "  \"snapshots\": %zu,\n  \"duration_s\": ", a->n);
    num(out, in->has_time ? a->total.span : NAN);
    an_buf_printf(out, ",\n  \"ordered_by\": \"%s\",\n",
                  in->has_time && !a->two_point ? "time_nanos" : "input order");
    an_buf_puts(out, "  \"sample_type\": ");
    str(out, in->sample_type);
    an_buf_printf(out, ",\n  \"period\": %lld,\n  \"period_type\": ", (long long)in->period);
    str(out, in->period_type);
    an_buf_printf(out, ",\n  \"exact_size_classes\": %zu", in->nexact);
    an_buf_puts(out, ",\n  \"files\": [");
    for (size_t i = 0; i < a->n; i++) {
        an_buf_puts(out, i ? ", " : "");
        str(out, in->snaps[i].path);
    }
    an_buf_puts(out, "],\n  \"notes\": [");
    for (int i = 0; i < in->nnotes; i++) {
        an_buf_puts(out, i ? ", " : "");
        str(out, in->notes[i]);
    }
    if (a->two_point) {
        an_buf_puts(out, in->nnotes ? ", " : "");
        str(out, "two-point diff: a weaker verdict that cannot tell a leak from warm-up, a "
                 "plateau or noise; take a series of snapshots to confirm");
    }
    an_buf_puts(out, "],\n  \"total\": {\"start_bytes\": ");
    num(out, a->total.start_bytes);
    an_buf_puts(out, ", \"end_bytes\": ");
    num(out, a->total.end_bytes);
    an_buf_puts(out, ", \"bytes_per_s\": ");
    num(out, a->total.span > 0 ? a->total.bytes_per_s : NAN);
    an_buf_printf(out, ", \"grew\": %s, \"unexplained_bytes\": ", a->total_grew ? "true" : "false");
    num(out, a->unexplained_bytes);
    an_buf_puts(out, ", \"unexplained_to\": ");
    growers(out, a, a->growers, a->ngrowers);
    an_buf_puts(out, "},\n  \"rising\": ");
    growers(out, a, a->rising, a->nrising);
    an_buf_puts(out, ",\n  \"no_call_site\": ");
    growers(out, a, a->uncoded, a->nuncoded);
    if (a->has_malloc) {
        an_buf_puts(out, ",\n  \"malloc\": {\"system_start\": ");
        num(out, a->sys_start);
        an_buf_puts(out, ", \"system_end\": ");
        num(out, a->sys_end);
        an_buf_puts(out, ", \"free_start\": ");
        num(out, a->free_start);
        an_buf_puts(out, ", \"free_end\": ");
        num(out, a->free_end);
        an_buf_printf(out, ", \"keeps_free\": %s, \"grew_without_data\": %s",
                      a->malloc_keeps ? "true" : "false", a->malloc_grew ? "true" : "false");
        if (a->has_rss) {
            an_buf_puts(out, ", \"rss_start\": ");
            num(out, a->rss_start);
            an_buf_puts(out, ", \"rss_end\": ");
            num(out, a->rss_end);
            an_buf_printf(out, ", \"rss_grew_as_free_memory\": %s", a->rss_kept ? "true" : "false");
            an_buf_printf(out, ", \"rss_grew_outside_malloc\": %s",
                          a->rss_outside ? "true" : "false");
            if (a->rss_outside) {
                an_buf_puts(out, ", \"rss_outside_bytes\": ");
                num(out, a->rss_outside_bytes);
            }
        }
        an_buf_puts(out, "}");
    }
    an_buf_puts(out, ",\n  \"suspects\": [");
    for (size_t i = 0; i < a->nsuspects; i++) {
        an_buf_puts(out, i ? ",\n" : "\n");
        suspect(out, a, i + 1, &a->verdicts[a->suspects[i]]);
    }
    an_buf_puts(out, a->nsuspects ? "\n  ],\n" : "],\n");
    an_buf_puts(out, "  \"not_leaking\": {");
    const an_status *order = an_not_leaking;
    for (size_t i = 0; i < AN_NOT_LEAKING_N; i++) {
        size_t top[5];
        size_t k = an_analysis_by_status(a, order[i], top, 5);
        an_buf_printf(out, "%s\"%s\": {\"count\": %zu, \"top\": [", i ? ", " : "",
                      an_classify_status_name(order[i]), a->count[order[i]]);
        for (size_t j = 0; j < k; j++) {
            an_buf_puts(out, j ? ", " : "");
            str(out, a->verdicts[top[j]].function);
        }
        an_buf_puts(out, "]}");
    }
    an_buf_puts(out, "}\n}\n");
}
