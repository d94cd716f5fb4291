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

#ifdef __cplusplus
}
#endif

#endif
