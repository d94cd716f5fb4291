/* analyzer/an_report_svg.c: the chart: in-use bytes over time for the total
 * heap and each top suspect, as plain SVG (axes with 1-2-5 ticks, one polyline
 * per series, a legend), with nothing to fetch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "an_report.h"

#define W 960.0
#define H 440.0
#define ML 90.0
#define MR 260.0
#define MT 44.0
#define MB 56.0

static const char *const COLORS[AN_CHART_SERIES] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd",
                                                    "#ff7f0e"};

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about `want` ticks. */
static double nice_step(double range, int want)
{
    if (range <= 0)
        return 1;
    double raw = range / want;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    double s = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
    return s * p;
}

/* Byte tick step: powers of two of KiB/MiB/GiB times 1, 2 or 5. */
static double byte_step(double range, int want)
{
    double unit = 1;
    while (unit * 1024 <= range / want && unit < 1099511627776.0)
        unit *= 1024;
    return nice_step(range / unit, want) * unit;
}

static void polyline(an_buf *out, const an_analysis *a, const double *y, double xmax, double ymax,
                     const char *color, double width, const char *dash, bool dots)
{
    double pw = W - ML - MR, ph = H - MT - MB;
    an_buf_printf(out,
                  "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s points=\"",
                  color, width, dash[0] ? " stroke-dasharray=\"" : "", dash, dash[0] ? "\"" : "");
    for (size_t i = 0; i < a->n; i++) {
        double x = ML + (xmax > 0 ? a->t[i] / xmax : 0) * pw;
        double yy = MT + ph - (ymax > 0 ? y[i] / ymax : 0) * ph;
        an_buf_printf(out, "%s%.1f,%.1f", i ? " " : "", x, yy);
    }
    an_buf_puts(out, "\"/>\n");
    if (!dots || a->n > 60)
        return;
    for (size_t i = 0; i < a->n; i++) {
        double x = ML + (xmax > 0 ? a->t[i] / xmax : 0) * pw;
        double yy = MT + ph - (ymax > 0 ? y[i] / ymax : 0) * ph;
        an_buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, yy, color);
    }
}

void an_report_svg(an_buf *out, const an_analysis *a, bool standalone)
{
    size_t ns = a->nsuspects < AN_CHART_SERIES ? a->nsuspects : AN_CHART_SERIES;
    double *ys = calloc((ns ? ns : 1) * (a->n ? a->n : 1), sizeof(double));
    if (ys == NULL) {
        out->oom = true;
        return;
    }
    double ymax = 0;
    for (size_t i = 0; i < a->n; i++)
        ymax = fmax(ymax, a->total_bytes[i]);
    for (size_t k = 0; k < ns; k++) {
        an_analysis_group_bytes(a, &a->verdicts[a->suspects[k]], ys + k * a->n);
        for (size_t i = 0; i < a->n; i++)
            ymax = fmax(ymax, ys[k * a->n + i]);
    }
    double ystep = byte_step(ymax > 0 ? ymax : 1024, 5);
    double ytop = ceil((ymax > 0 ? ymax : 1024) / ystep) * ystep;
    double xmax = a->n ? a->t[a->n - 1] : 0;
    double xstep = nice_step(xmax > 0 ? xmax : 1, 8);
    double xtop = xmax > 0 ? xmax : 1;
    double pw = W - ML - MR, ph = H - MT - MB;

    if (standalone)
        an_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    an_buf_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                  "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\" "
                  "role=\"img\">\n",
                  W, H, W, H);
    an_buf_puts(out, "<title>In-use bytes over time: total heap and top leak suspects</title>\n");
    an_buf_printf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
    an_buf_printf(out,
                  "<text x=\"%.0f\" y=\"24\" font-size=\"15\" font-weight=\"bold\">In-use bytes "
                  "(%s) over time</text>\n",
                  ML, a->in->sample_type);

    /* Grid and axes. */
    for (int k = 0; k * ystep <= ytop + ystep / 2; k++) {
        double v = k * ystep;
        double y = MT + ph - v / ytop * ph;
        char lab[32];
        an_buf_fmt_bytes(lab, sizeof(lab), v);
        an_buf_printf(out,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%s</text>\n",
                      ML, y, ML + pw, y, ML - 6, y + 4, lab);
    }
    for (int k = 0; k * xstep <= xtop + xstep / 1000; k++) {
        double v = k * xstep;
        double x = ML + v / xtop * pw;
        an_buf_printf(
            out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">%g</text>\n",
            x, MT + ph, x, MT + ph + 5, x, MT + ph + 19, v);
    }
    an_buf_printf(out,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n"
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                  ML, MT, ML, MT + ph, ML, MT + ph, ML + pw, MT + ph);
    an_buf_printf(out,
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#222\">%s since the "
                  "first snapshot</text>\n",
                  ML + pw / 2, H - 12, a->in->has_time ? "seconds" : "snapshots");

    ytop = ytop > 0 ? ytop : 1;
    polyline(out, a, a->total_bytes, xtop, ytop, "#555555", 2.5, "6 4", false);
    for (size_t k = ns; k-- > 0;)
        polyline(out, a, ys + k * a->n, xtop, ytop, COLORS[k], 2.5, "", true);

    /* Legend. */
    double lx = ML + pw + 20, ly = MT + 8;
    an_buf_printf(out,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" "
                  "stroke-width=\"2.5\" stroke-dasharray=\"6 4\"/>\n"
                  "<text x=\"%.1f\" y=\"%.1f\">total heap</text>\n",
                  lx, ly, lx + 24, ly, lx + 30, ly + 4);
    for (size_t k = 0; k < ns; k++) {
        const an_verdict *v = &a->verdicts[a->suspects[k]];
        double y = ly + 22 * (double)(k + 1);
        an_buf_printf(out,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                      "stroke-width=\"2.5\"/>\n<text x=\"%.1f\" y=\"%.1f\">#%zu ",
                      lx, y, lx + 24, y, COLORS[k], lx + 30, y + 4, k + 1);
        char name[40];
        snprintf(name, sizeof(name), "%s", v->function);
        an_buf_xml_str(out, name);
        /* The short name as pprof shows it; the full signature on hover. */
        an_buf_puts(out, "<title>");
        an_buf_xml_str(out,
                       an_series_str(a->series, an_series_group(a->series, v->group)->signature));
        an_buf_puts(out, "</title></text>\n");
    }
    if (ns == 0)
        an_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#2ca02c\">no leak suspects</text>\n",
                      lx, ly + 26);
    an_buf_puts(out, "</svg>\n");
    free(ys);
}
