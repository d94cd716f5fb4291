/* hook/hook_http.c: the /debug/pprof endpoint: one thread, one connection at a
 * time, every wait bounded by a poll timeout, so a bad client costs at most a
 * few seconds of this thread and nothing of the host's. The thread's own
 * allocations are never recorded (hook_thread_mark_own). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "heapsnap.h"
#include "hook_internal.h"
#include "hook_metrics.h"
#include "hook_profile.h"
#include "http_parse.h"

/* A request head must arrive within this time, a response leave within the
 * other; then the connection is closed. */
#define READ_TIMEOUT_MS 5000
#define WRITE_TIMEOUT_MS 10000

static int listen_fd = -1;
static int running; /* a server thread exists in this process */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes all of buf before the deadline; -1 on timeout or a closed peer. */
static int send_all(int fd, const void *buf, size_t len, int64_t deadline)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return -1;
    }
    return 0;
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Internal Server Error";
    }
}

static void respond(int fd, int status, const char *type, const char *extra, const void *body,
                    size_t len, bool head)
{
    char hdr[512];
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "X-Content-Type-Options: nosniff\r\n%sConnection: close\r\n\r\n",
                     status, reason(status), type, len, extra ? extra : "");
    int64_t deadline = now_ms() + WRITE_TIMEOUT_MS;
    if (send_all(fd, hdr, (size_t)n, deadline) == 0 && !head && len)
        send_all(fd, body, len, deadline);
}

static void respond_error(int fd, int status, const char *msg)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "%s\n", msg);
    respond(fd, status, "text/plain; charset=utf-8", status == 405 ? "Allow: GET, HEAD\r\n" : NULL,
            body, (size_t)n, false);
}

/* Waits ms milliseconds for a ?seconds=N profile; false if the client went
 * away meanwhile (nothing to answer then). */
static bool wait_or_hangup(int fd, int64_t ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return true;
        struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
        int r = poll(&pfd, 1, (int)left);
        if (r > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
            return false;
        if (r > 0) {
            /* Pipelined bytes: ignore them (the connection closes after). */
            char junk[256];
            if (recv(fd, junk, sizeof(junk), 0) <= 0)
                return false;
        }
    }
}

static void serve_heap(int fd, const struct hook_http_request *req)
{
    hs_err err;
    struct hook_profile_snap base = {0}, snap = {0};
    /* The counters, when the hook keeps them (glibc underneath, sampling on). */
    const struct hook_counts_table *counts =
        __atomic_load_n(&hook_counting, __ATOMIC_RELAXED) && heapsnap_registry.rate != 0
            ? &hook_counts
            : NULL;
    if (req->seconds > 0) {
        if (hook_profile_snap(&hook_tables, counts, heapsnap_registry.rate, &base, &err) != 0) {
            respond_error(fd, 500, err.msg);
            return;
        }
        if (!wait_or_hangup(fd, (int64_t)req->seconds * 1000)) {
            hook_profile_snap_free(&base);
            return;
        }
    }
    if (hook_profile_snap(&hook_tables, counts, heapsnap_registry.rate, &snap, &err) != 0) {
        hook_profile_snap_free(&base);
        respond_error(fd, 500, err.msg);
        return;
    }
    if (req->debug > 0) {
        char *text = NULL;
        size_t len = 0;
        if (hook_profile_text(&snap, &heapsnap_registry, &text, &len, &err) != 0)
            respond_error(fd, 500, err.msg);
        else
            respond(fd, 200, "text/plain; charset=utf-8", NULL, text, len, req->head);
        free(text);
    } else {
        uint8_t *pb = NULL;
        size_t len = 0;
        bool allocs = req->route == HOOK_HTTP_ROUTE_ALLOCS;
        if (hook_profile_pprof(&snap, req->seconds > 0 ? &base : NULL, heapsnap_registry.rate,
                               allocs, &pb, &len, &err) != 0)
            respond_error(fd, 500, err.msg);
        else
            respond(fd, 200, "application/octet-stream",
                    allocs ? "Content-Disposition: attachment; filename=\"allocs\"\r\n"
                           : "Content-Disposition: attachment; filename=\"heap\"\r\n",
                    pb, len, req->head);
        free(pb);
    }
    hook_profile_snap_free(&snap);
    hook_profile_snap_free(&base);
}

static void serve_metrics(int fd, const struct hook_http_request *req)
{
    char body[8192];
    size_t n = hook_metrics_text(body, sizeof(body));
    if (n == 0)
        respond_error(fd, 500, "the metrics did not fit the page");
    else
        respond(fd, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, body, n, req->head);
}

static void serve_index(int fd, const struct hook_http_request *req)
{
    size_t nstacks =
        hook_tables.stacks ? hook_tables_read_sites(&hook_tables, NULL, SIZE_MAX, NULL) : 0;
    char body[2048];
    int n = snprintf(
        body, sizeof(body),
        "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n<br>\n"
        "<p>Set debug=1 as a query parameter to export in legacy text format</p>\n<br>\n"
        "Types of profiles available:\n<table>\n<thead><td>Count</td><td>Profile</td></thead>\n"
        "<tr><td>%zu</td><td><a href='allocs?debug=1'>allocs</a></td></tr>\n"
        "<tr><td>%zu</td><td><a href='heap?debug=1'>heap</a></td></tr>\n</table>\n"
        "<br>\n<p>\nProfile Descriptions:\n<ul>\n<li><div class=profile-name>allocs: </div> "
        "The same samples, past allocations (alloc_space) shown by default.</li>\n"
        "<li><div class=profile-name>heap: </div> A "
        "sampling of memory allocations of live objects (libheapsnap %s, one sample every "
        "%llu bytes on average). You can specify the gc GET parameter (accepted, no effect) and "
        "seconds=N for a delta profile.</li>\n</ul>\n</p>\n</body>\n</html>\n",
        nstacks, nstacks, HS_VERSION, (unsigned long long)heapsnap_registry.rate);
    respond(fd, 200, "text/html; charset=utf-8", NULL, body, (size_t)n, req->head);
}

static void serve_conn(int fd)
{
    char buf[HOOK_HTTP_MAX_HEAD];
    size_t len = 0;
    struct hook_http_request req;
    int64_t deadline = now_ms() + READ_TIMEOUT_MS;
    for (;;) {
        if (hook_http_parse(buf, len, &req) > 0)
            break;
        int64_t left = deadline - now_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
            respond_error(fd, 408, "request not received in time");
            return;
        }
        ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            if (len > 0)
                respond_error(fd, 400, "incomplete request");
            return;
        }
        len += (size_t)n;
    }
    if (req.status != 200) {
        respond_error(fd, req.status, req.error);
        return;
    }
    if (req.route == HOOK_HTTP_ROUTE_HEAP || req.route == HOOK_HTTP_ROUTE_ALLOCS)
        serve_heap(fd, &req);
    else if (req.route == HOOK_HTTP_ROUTE_METRICS)
        serve_metrics(fd, &req);
    else
        serve_index(fd, &req);
}

/* Closing a socket with unread input makes the kernel send a reset, which can
 * destroy the response before the client reads it (an oversized request, say).
 * So: end our side, then read and drop what is left, for a bounded time. */
static void linger_close(int fd)
{
    shutdown(fd, SHUT_WR);
    int64_t deadline = now_ms() + 1000;
    char junk[4096];
    for (int64_t left; (left = deadline - now_ms()) > 0;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(fd, junk, sizeof(junk), 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            break;
    }
    close(fd);
}

static void *server_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    hook_thread_mark_own();
    for (;;) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EBADF || errno == EINVAL) {
                /* shut down (hook_http_stop): free the address for a later start */
                pthread_mutex_lock(&start_lock);
                if (listen_fd == fd) {
                    close(fd);
                    listen_fd = -1;
                    running = 0;
                }
                pthread_mutex_unlock(&start_lock);
                return NULL;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                poll(NULL, 0, 100); /* the host is short of something: back off */
            continue;
        }
        serve_conn(c);
        linger_close(c);
    }
}

static int http_start(const char *addr);

/* The thread's creation allocates (stack bookkeeping, TLS): the hook's own. */
HOOK_EXPORT int heapsnap_http_start(const char *addr)
{
    int64_t saved = hook_guard_enter();
    int rc = http_start(addr);
    int e = errno;
    hook_guard_exit(saved);
    errno = e;
    return rc;
}

static int http_start(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    bool loopback;
    if (!addr || hook_http_parse_addr(addr, &ss, &sslen, &loopback) != 0) {
        errno = EINVAL;
        return -1;
    }
    const char *allow = getenv("HEAPSNAP_HTTP_ALLOW_REMOTE");
    if (!loopback && !(allow && strcmp(allow, "1") == 0)) {
        errno = EACCES;
        return -1;
    }
    pthread_mutex_lock(&start_lock);
    if (running) {
        pthread_mutex_unlock(&start_lock);
        errno = EALREADY;
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 16) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        pthread_mutex_unlock(&start_lock);
        errno = e;
        return -1;
    }
    /* The host's signals go to the host's threads, never to ours. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &attr, server_main, (void *)(intptr_t)fd);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        close(fd);
        pthread_mutex_unlock(&start_lock);
        errno = rc;
        return -1;
    }
    pthread_setname_np(th, "heapsnap-http");
    listen_fd = fd;
    running = 1;
    pthread_mutex_unlock(&start_lock);
    return 0;
}

void hook_http_stop(void)
{
    pthread_mutex_lock(&start_lock);
    if (running && listen_fd >= 0)
        shutdown(listen_fd, SHUT_RDWR); /* accept4 fails with EINVAL: the thread ends */
    pthread_mutex_unlock(&start_lock);
}

/* The server thread does not exist in a forked child; the child serves
 * nothing unless it calls heapsnap_http_start itself. */
void hook_http_atfork_child(void)
{
    if (listen_fd >= 0)
        close(listen_fd);
    listen_fd = -1;
    running = 0;
    start_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
}
