/* hook/endpoint/http_parse.h: the endpoint's input parsers, pure functions over bytes
 * (no I/O, no allocation) so that they can be fuzzed: the HTTP request head
 * and the HEAPSNAP_HTTP listen address. */
#ifndef HOOK_HTTP_PARSE_H
#define HOOK_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Largest request head accepted (request line + headers). */
#define HOOK_HTTP_MAX_HEAD 8192
#define HOOK_HTTP_MAX_TARGET 2048
#define HOOK_HTTP_MAX_HEADERS 100
/* Upper bound on ?seconds=N: the server answers one request at a time. */
#define HOOK_HTTP_MAX_SECONDS 600

enum hook_http_route {
    HOOK_HTTP_ROUTE_NONE,
    HOOK_HTTP_ROUTE_INDEX,   /* /debug/pprof/ */
    HOOK_HTTP_ROUTE_HEAP,    /* /debug/pprof/heap */
    HOOK_HTTP_ROUTE_ALLOCS,  /* /debug/pprof/allocs: the same, alloc_space by default */
    HOOK_HTTP_ROUTE_METRICS, /* /metrics: Prometheus text format */
};

struct hook_http_request {
    int status;        /* 200, or the error status to answer with */
    const char *error; /* static one-sentence reason when status != 200 */
    enum hook_http_route route;
    bool head;   /* HEAD: headers only */
    int debug;   /* ?debug=N (0 = protobuf) */
    int seconds; /* ?seconds=N (0 = absolute profile) */
};

/* Parses the request head in buf[0..len). Returns 0 when more bytes are
 * needed, else the number of bytes of the head (> 0) with *req filled, its
 * status telling whether it is acceptable. A buffer of HOOK_HTTP_MAX_HEAD bytes
 * without a complete head yields status 431. */
size_t hook_http_parse(const char *buf, size_t len, struct hook_http_request *req);

/* Parses "HOST:PORT" ("127.0.0.1:6060", "localhost:6060", "[::1]:6060",
 * ":6060" = loopback) into a socket address. Returns 0, or -1 when malformed.
 * *loopback tells whether the address only accepts local connections. */
int hook_http_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
                         bool *loopback);

#endif
