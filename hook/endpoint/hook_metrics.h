/* hook/endpoint/hook_metrics.h: the endpoint's /metrics page, in the Prometheus text
 * exposition format: glibc's heap by class (mallinfo2), the hook's exact live
 * totals and sampling counters, and the process's resident memory -- computed
 * in the process, without stopping it. */
#ifndef HOOK_METRICS_H
#define HOOK_METRICS_H

#include <stddef.h>

/* Writes the page into buf (cap bytes, NUL-terminated); returns its length,
 * or 0 when it does not fit. */
size_t hook_metrics_text(char *buf, size_t cap);

#endif
