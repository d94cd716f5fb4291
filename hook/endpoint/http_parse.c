/* hook/endpoint/http_parse.c: a strict, bounded parser for the few requests the
 * /debug/pprof endpoint understands. Anything it does not understand gets a
 * definite status (400, 404, 405, 414, 431, 505) rather than a guess. */
#include "http_parse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static size_t fail(struct hook_http_request *req, size_t used, int status, const char *why)
{
    req->status = status;
    req->error = why;
    return used;
}

/* End of the head (index just past the blank line), or 0 if not complete. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out (cap bytes, NUL-terminated). -1 when
 * malformed or too long. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = 0;
    return 0;
}

/* A decimal integer in [0, max]; -1 otherwise. */
static long parse_uint(const char *s, long max)
{
    long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > max)
            return -1;
    }
    return v;
}

/* Go's handlers read debug and seconds; gc is accepted and has nothing to do
 * here; anything else is ignored, as Go does. The first occurrence wins. */
static int parse_query(const char *q, size_t n, struct hook_http_request *req)
{
    bool seen_debug = false, seen_seconds = false;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && q[j] != '&')
            j++;
        size_t eq = i;
        while (eq < j && q[eq] != '=')
            eq++;
        char key[32], val[32];
        if (decode(q + i, eq - i, key, sizeof(key)) == 0) {
            const char *v = eq < j ? q + eq + 1 : q + j;
            size_t vn = eq < j ? j - eq - 1 : 0;
            bool is_debug = strcmp(key, "debug") == 0, is_seconds = strcmp(key, "seconds") == 0;
            if ((is_debug && !seen_debug) || (is_seconds && !seen_seconds) ||
                strcmp(key, "gc") == 0) {
                long x = decode(v, vn, val, sizeof(val)) == 0 ? parse_uint(val, 1000000) : -1;
                if (x < 0)
                    return -1;
                if (is_debug) {
                    req->debug = (int)x;
                    seen_debug = true;
                } else if (is_seconds) {
                    req->seconds = (int)x;
                    seen_seconds = true;
                }
            }
        }
        i = j + 1;
    }
    return 0;
}

size_t hook_http_parse(const char *buf, size_t len, struct hook_http_request *req)
{
    memset(req, 0, sizeof(*req));
    req->status = 200;
    size_t end = head_end(buf, len < HOOK_HTTP_MAX_HEAD ? len : HOOK_HTTP_MAX_HEAD);
    if (end == 0) {
        if (len >= HOOK_HTTP_MAX_HEAD)
            return fail(req, len, 431, "request head too large");
        return 0;
    }

    /* Request line: METHOD SP TARGET SP HTTP/1.x */
    size_t p = 0, m = 0;
    while (p < end && is_tchar((unsigned char)buf[p]))
        p++;
    m = p;
    if (m == 0 || m > 16 || buf[p] != ' ')
        return fail(req, end, 400, "malformed request line");
    size_t t0 = ++p;
    while (p < end && buf[p] != ' ' && buf[p] != '\r' && buf[p] != '\n') {
        unsigned char c = (unsigned char)buf[p];
        if (c < 0x21 || c > 0x7e)
            return fail(req, end, 400, "malformed request target");
        p++;
    }
    size_t t1 = p;
    if (t1 - t0 > HOOK_HTTP_MAX_TARGET)
        return fail(req, end, 414, "request target too long");
    if (t1 == t0 || buf[t0] != '/' || buf[p] != ' ')
        return fail(req, end, 400, "malformed request line");
    size_t v0 = ++p;
    while (p < end && buf[p] != '\r' && buf[p] != '\n')
        p++;
    size_t vn = p - v0;
    if (vn < 5 || memcmp(buf + v0, "HTTP/", 5) != 0)
        return fail(req, end, 400, "malformed request line");
    if (vn != 8 || (memcmp(buf + v0, "HTTP/1.1", 8) != 0 && memcmp(buf + v0, "HTTP/1.0", 8) != 0))
        return fail(req, end, 505, "HTTP version not supported");
    if (buf[p] == '\r' && (p + 1 >= end || buf[p + 1] != '\n'))
        return fail(req, end, 400, "malformed request line");
    p += buf[p] == '\r' ? 2 : 1;

    /* Header fields: NAME ":" VALUE, no control characters, bounded count. */
    int nheaders = 0;
    while (p < end) {
        size_t l0 = p;
        while (p < end && buf[p] != '\n')
            p++;
        size_t l1 = p > l0 && buf[p - 1] == '\r' ? p - 1 : p;
        p++;
        if (l1 == l0)
            break; /* the blank line */
        if (++nheaders > HOOK_HTTP_MAX_HEADERS)
            return fail(req, end, 431, "too many header fields");
        size_t c = l0;
        while (c < l1 && is_tchar((unsigned char)buf[c]))
            c++;
        if (c == l0 || c >= l1 || buf[c] != ':')
            return fail(req, end, 400, "malformed header field");
        for (size_t k = c + 1; k < l1; k++) {
            unsigned char ch = (unsigned char)buf[k];
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return fail(req, end, 400, "malformed header field");
        }
    }

    /* Route, then method, then query. */
    size_t path_end = t0;
    while (path_end < t1 && buf[path_end] != '?')
        path_end++;
    const char *path = buf + t0;
    size_t pn = path_end - t0;
    if (pn == 17 && memcmp(path, "/debug/pprof/heap", 17) == 0)
        req->route = HOOK_HTTP_ROUTE_HEAP;
    else if (pn == 19 && memcmp(path, "/debug/pprof/allocs", 19) == 0)
        req->route = HOOK_HTTP_ROUTE_ALLOCS;
    else if (pn == 8 && memcmp(path, "/metrics", 8) == 0)
        req->route = HOOK_HTTP_ROUTE_METRICS;
    else if ((pn == 13 && memcmp(path, "/debug/pprof/", 13) == 0) ||
             (pn == 12 && memcmp(path, "/debug/pprof", 12) == 0))
        req->route = HOOK_HTTP_ROUTE_INDEX;
    else
        return fail(req, end, 404, "no such page; try /debug/pprof/");

    if (m == 4 && memcmp(buf, "HEAD", 4) == 0)
        req->head = true;
    else if (!(m == 3 && memcmp(buf, "GET", 3) == 0))
        return fail(req, end, 405, "method not allowed; use GET");

    if (path_end < t1 && parse_query(buf + path_end + 1, t1 - path_end - 1, req) != 0)
        return fail(req, end, 400, "debug, seconds and gc take a non-negative integer");
    if (req->seconds > HOOK_HTTP_MAX_SECONDS)
        return fail(req, end, 400, "seconds must be at most 600");
    if (req->seconds > 0 && req->debug != 0)
        return fail(req, end, 400, "seconds and debug params are incompatible");
    return end;
}

int hook_http_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
                         bool *loopback)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return -1;
    long port = parse_uint(colon + 1, 65535);
    if (port <= 0)
        return -1;
    size_t hn = (size_t)(colon - s);
    char host[64];
    if (hn >= sizeof(host))
        return -1;
    memcpy(host, s, hn);
    host[hn] = 0;
    memset(ss, 0, sizeof(*ss));

    if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        host[hn - 1] = 0;
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return -1;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *sslen = sizeof(*a6);
        *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (hn == 0 || strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return -1;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *sslen = sizeof(*a4);
    *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    return 0;
}
