/* analyzer/an_report.h: the renderers of an analysis: text (the default),
 * JSON, and the HTML page with its SVG chart. Each appends to an an_buf; the
 * caller writes the buffer out (atomically for files). */
#ifndef AN_REPORT_H
#define AN_REPORT_H

#include "an_analysis.h"
#include "an_buf.h"

/* How many suspects the chart draws (plus the total). */
#define AN_CHART_SERIES 5

void an_report_text(an_buf *out, const an_analysis *a);
void an_report_json(an_buf *out, const an_analysis *a);
/* A self-contained SVG document (standalone: with the XML declaration). */
void an_report_svg(an_buf *out, const an_analysis *a, bool standalone);
void an_report_html(an_buf *out, const an_analysis *a);

/* Shared by the renderers: "/s" or "/snapshot", and the file name without
 * its directories. */
const char *an_report_rate_unit(const an_analysis *a);
const char *an_report_basename(const char *path);
/* Call paths as the text report folds them: what a site's user frame calls
 * down to the allocator (" -> 6 frames in libstdc++"), and the run of caller
 * frames from stack position i that folds into one line ("3 frames in libc";
 * returns the run's end, or i, writing nothing, when frame i stands alone). */
void an_report_via(an_buf *out, const an_analysis *a, const an_site *site);
uint32_t an_report_fold(an_buf *out, const an_analysis *a, const an_site *site, uint32_t i);

#endif
