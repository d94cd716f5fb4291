/* tests/stress/http_client.c: a deliberately badly behaved HTTP client for the
 * endpoint abuse test (loopback only). Each mode prints one line: the status
 * code the server answered ("closed" when it closed without a status line),
 * so the shell test can assert exact outcomes without curl.
 * Usage: http_client PORT MODE [ARG] [OUTFILE]
 *   get PATH [OUT]   a normal request; prints "STATUS BODYBYTES", body to OUT
 *   bighead BYTES    a request head of BYTES bytes that never ends
 *   garbage BYTES    BYTES random bytes (NULs included), then waits
 *   slow             half a request line, then silence: prints "closed" once
 *                    the server gives up on it
 *   trickle          one byte every 200 ms, forever, until the server closes
 *   many N PATH      N connections at once, each a full request; prints the
 *                    number answered with 200
 *   hold N PATH [OUT] N connections that send half a request and wait, then
 *                    a normal request for PATH while they are held: prints
 *                    "STATUS BODYBYTES" as get does, then "held K": how many
 *                    of the N the server still kept open once it answered */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HC_GUARD_MS 120000 /* a hang guard, not a timing claim */

static int hc_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends what it can; a server that closed early is not an error here. */
static void hc_send(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        len -= (size_t)w;
    }
}

/* Reads the whole response until the server closes (or the guard). Returns
 * the byte count, the response in *out (malloc'd). */
static size_t hc_read_all(int fd, char **out)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        exit(1);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, HC_GUARD_MS) <= 0)
            break;
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL)
                exit(1);
            buf = nb;
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    *out = buf;
    return len;
}

/* "HTTP/1.x NNN" -> NNN, or 0. */
static int hc_status(const char *resp, size_t len)
{
    if (len < 12 || strncmp(resp, "HTTP/1.", 7) != 0)
        return 0;
    return atoi(resp + 9);
}

static void hc_print_status(int st)
{
    if (st == 0)
        printf("closed\n");
    else
        printf("%d\n", st);
}

static int hc_get(int port, const char *path, const char *outfile)
{
    int fd = hc_connect(port);
    if (fd < 0) {
        printf("noconnect\n");
        return 1;
    }
    char req[4096];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    hc_send(fd, req, (size_t)n);
    char *resp;
    size_t len = hc_read_all(fd, &resp);
    close(fd);
    int st = hc_status(resp, len);
    char *body = memmem(resp, len, "\r\n\r\n", 4);
    size_t blen = body ? len - (size_t)(body + 4 - resp) : 0;
    if (outfile != NULL && body != NULL) {
        FILE *f = fopen(outfile, "wb");
        if (f == NULL || fwrite(body + 4, 1, blen, f) != blen || fclose(f) != 0)
            return 1;
    }
    printf("%d %zu\n", st, blen);
    free(resp);
    return 0;
}

static int hc_bighead(int port, size_t bytes)
{
    int fd = hc_connect(port);
    if (fd < 0) {
        printf("noconnect\n");
        return 1;
    }
    static const char start[] = "GET /debug/pprof/heap HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    hc_send(fd, start, sizeof(start) - 1);
    char line[1024];
    memset(line, 'a', sizeof(line));
    memcpy(line, "X-Pad: ", 7); /* NOLINT(bugprone-not-null-terminated-result): sent by length */
    line[sizeof(line) - 2] = '\r';
    line[sizeof(line) - 1] = '\n';
    for (size_t sent = 0; sent < bytes; sent += sizeof(line))
        hc_send(fd, line, sizeof(line));
    char *resp;
    size_t len = hc_read_all(fd, &resp);
    close(fd);
    hc_print_status(hc_status(resp, len));
    free(resp);
    return 0;
}

static int hc_garbage(int port, size_t bytes)
{
    int fd = hc_connect(port);
    if (fd < 0) {
        printf("noconnect\n");
        return 1;
    }
    unsigned s = (unsigned)getpid();
    char *g = malloc(bytes + 1);
    if (g == NULL)
        return 1;
    for (size_t i = 0; i < bytes; i++) {
        s = s * 1103515245u + 12345u;
        g[i] = (char)(s >> 16);
    }
    hc_send(fd, g, bytes);
    free(g);
    char *resp;
    size_t len = hc_read_all(fd, &resp);
    close(fd);
    hc_print_status(hc_status(resp, len));
    free(resp);
    return 0;
}

static int hc_slow(int port, int trickle)
{
    int fd = hc_connect(port);
    if (fd < 0) {
        printf("noconnect\n");
        return 1;
    }
    static const char part[] = "GET /debug/pprof/heap HTTP/1.1\r\nHo";
    if (!trickle)
        hc_send(fd, part, sizeof(part) - 1);
    for (int waited = 0; waited < HC_GUARD_MS; waited += 200) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 200) > 0) {
            char buf[4096];
            ssize_t r = recv(fd, buf, sizeof(buf), 0);
            if (r <= 0 || hc_status(buf, (size_t)r) != 0) {
                hc_print_status(r > 0 ? hc_status(buf, (size_t)r) : 0);
                close(fd);
                return 0;
            }
        }
        if (trickle) {
            char c = "GET /debug/pprof/heap HTTP/1.1\r\nX-A: "[waited / 200 % 37];
            hc_send(fd, &c, 1);
        }
    }
    printf("open\n");
    close(fd);
    return 0;
}

static int hc_many(int port, int n, const char *path)
{
    int *fds = calloc((size_t)n, sizeof(int));
    if (fds == NULL)
        return 1;
    char req[4096];
    int rl = snprintf(req, sizeof(req),
                      "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    for (int i = 0; i < n; i++) {
        fds[i] = hc_connect(port);
        if (fds[i] >= 0)
            hc_send(fds[i], req, (size_t)rl);
    }
    int ok = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        char *resp;
        size_t len = hc_read_all(fds[i], &resp);
        if (hc_status(resp, len) == 200)
            ok++;
        free(resp);
        close(fds[i]);
    }
    free(fds);
    printf("%d\n", ok);
    return 0;
}

/* Open (not closed by the server, no answer sent): a poll that returns at
 * once, with nothing to read. */
static bool hc_still_open(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLRDHUP};
    return poll(&pfd, 1, 0) == 0;
}

static int hc_hold(int port, int n, const char *path, const char *outfile)
{
    int *fds = calloc((size_t)n, sizeof(int));
    if (fds == NULL)
        return 1;
    static const char part[] = "GET /debug/pprof/heap HTTP/1.1\r\nHo";
    for (int i = 0; i < n; i++) {
        fds[i] = hc_connect(port);
        if (fds[i] >= 0)
            hc_send(fds[i], part, sizeof(part) - 1);
    }
    int rc = hc_get(port, path, outfile);
    int held = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0 && hc_still_open(fds[i]))
            held++;
        if (fds[i] >= 0)
            close(fds[i]);
    }
    free(fds);
    printf("held %d\n", held);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: http_client PORT MODE [ARG] [OUTFILE]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *mode = argv[2];
    const char *arg = argc > 3 ? argv[3] : NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "get") == 0 && arg != NULL)
        return hc_get(port, arg, argc > 4 ? argv[4] : NULL);
    if (strcmp(mode, "bighead") == 0 && arg != NULL)
        return hc_bighead(port, strtoul(arg, NULL, 10));
    if (strcmp(mode, "garbage") == 0 && arg != NULL)
        return hc_garbage(port, strtoul(arg, NULL, 10));
    if (strcmp(mode, "slow") == 0)
        return hc_slow(port, 0);
    if (strcmp(mode, "trickle") == 0)
        return hc_slow(port, 1);
    if (strcmp(mode, "many") == 0 && arg != NULL && argc > 4)
        return hc_many(port, atoi(arg), argv[4]);
    if (strcmp(mode, "hold") == 0 && arg != NULL && argc > 4)
        return hc_hold(port, atoi(arg), argv[4], argc > 5 ? argv[5] : NULL);
    fprintf(stderr, "http_client: unknown mode %s\n", mode);
    return 2;
}
