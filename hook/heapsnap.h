/* heapsnap.h: the public interface of libheapsnap.so, for programs that link
 * it (-lheapsnap) rather than preload it. Everything else is configured through
 * the environment (HEAPSNAP_RATE, HEAPSNAP_HTTP...); see libheapsnap(3). */
#ifndef HEAPSNAP_H
#define HEAPSNAP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Starts the /debug/pprof HTTP endpoint on addr ("127.0.0.1:6060"), as
 * HEAPSNAP_HTTP does. 0 on success, -1 with errno set (EADDRINUSE, EACCES for
 * a non-loopback address without HEAPSNAP_HTTP_ALLOW_REMOTE=1, EALREADY...). */
int heapsnap_http_start(const char *addr);

/* The sampling rate in effect (mean bytes between samples; 1 = every
 * allocation; 0 = off). */
uint64_t heapsnap_rate(void);

/* The library version, e.g. "0.1.0". */
const char *heapsnap_version(void);

/* Called by `heapsnap -p PID --attach` inside a process that loaded the
 * library with dlopen: rewrites the GOT entries of every loaded object (and
 * of objects loaded later) for malloc, free, calloc, realloc, reallocarray,
 * memalign, posix_memalign, aligned_alloc, valloc, pvalloc and
 * malloc_usable_size to the library's, and starts sampling at rate bytes
 * (and the endpoint on http unless NULL). Returns the number of entries
 * rewritten, or a negative errno (the endpoint's failure leaves recording on).
 * A preloaded library is recording already: 0, no change. */
int heapsnap_attach(uint64_t rate, const char *http);
/* Called by `heapsnap -p PID --detach`: puts every rewritten entry back and
 * stops the endpoint; the library stays loaded for a later attach. Returns the
 * number of entries put back; -EPERM in a process that preloaded it. */
int heapsnap_detach(void);
/* 0: loaded by --attach, not recording; 1: attached; 2: preloaded or linked. */
extern int heapsnap_attach_state;

#ifdef __cplusplus
}
#endif

#endif
