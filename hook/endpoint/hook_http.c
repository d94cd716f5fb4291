/* hook/endpoint/hook_http.c: the /debug/pprof endpoint: one thread, one poll loop over
 * the listening socket and up to HTTP_MAX_CONNS connections, each a small
 * state machine (read the request head, wait for a ?seconds=N delta, write the
 * response, linger) with its own deadline, so slow or idle clients cost a slot
 * each and never delay the others; when every slot is taken the oldest
 * connection still sending its request is dropped. The thread's own
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
#define LINGER_MS 1000
/* Connections served at once; a scraper needs one, a browser a few. */
#define HTTP_MAX_CONNS 64

static int listen_fd = -1;
static int running; /* a server thread exists in this process */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* One connection's state. */
enum conn_state { C_FREE, C_READ, C_WAIT, C_WRITE, C_LINGER };

struct conn {
    enum conn_state state;
    int fd;
    int64_t opened;   /* when accepted: the oldest reading one goes first */
    int64_t deadline; /* of the current state */
    char head[HOOK_HTTP_MAX_HEAD];
    size_t len;
    struct hook_http_request req;
    struct hook_profile_snap base; /* C_WAIT: the delta's start */
    char *out;                     /* C_WRITE: the response, head and body */
    size_t outlen, outoff;
};

static int64_t conn_now(void)
{
    return now_ms();
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    hook_profile_snap_free(&c->base);
    free(c->out);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->state = C_FREE;
}

/* Queues the response and moves to C_WRITE (or closes when out of memory). */
static void respond(struct conn *c, int status, const char *type, const char *extra,
                    const void *body, size_t len, bool head)
{
    char hdr[512];
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "X-Content-Type-Options: nosniff\r\n%sConnection: close\r\n\r\n",
                     status, reason(status), type, len, extra ? extra : "");
    size_t blen = head ? 0 : len;
    char *out = malloc((size_t)n + blen + 1);
    if (out == NULL) {
        conn_close(c);
        return;
    }
    memcpy(out, hdr, (size_t)n);
    if (blen)
        memcpy(out + n, body, blen);
    free(c->out);
    c->out = out;
    c->outlen = (size_t)n + blen;
    c->outoff = 0;
    c->state = C_WRITE;
    c->deadline = conn_now() + WRITE_TIMEOUT_MS;
}

static void respond_error(struct conn *c, int status, const char *msg)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "%s\n", msg);
    respond(c, status, "text/plain; charset=utf-8", status == 405 ? "Allow: GET, HEAD\r\n" : NULL,
            body, (size_t)n, false);
}

/* The counters, when the hook keeps them (glibc underneath, sampling on). */
static const struct hook_counts_table *heap_counts(void)
{
    return __atomic_load_n(&hook_counting, __ATOMIC_RELAXED) && heapsnap_registry.rate != 0
               ? &hook_counts
               : NULL;
}

/* The heap or allocs profile, a delta from c->base when it was asked for. */
static void finish_heap(struct conn *c)
{
    hs_err err;
    const struct hook_http_request *req = &c->req;
    struct hook_profile_snap snap = {0};
    if (hook_profile_snap(&hook_tables, heap_counts(), heapsnap_registry.rate, &snap, &err) != 0) {
        respond_error(c, 500, err.msg);
        return;
    }
    if (req->debug > 0) {
        char *text = NULL;
        size_t len = 0;
        if (hook_profile_text(&snap, &heapsnap_registry, &text, &len, &err) != 0)
            respond_error(c, 500, err.msg);
        else
            respond(c, 200, "text/plain; charset=utf-8", NULL, text, len, req->head);
        free(text);
    } else {
        uint8_t *pb = NULL;
        size_t len = 0;
        bool allocs = req->route == HOOK_HTTP_ROUTE_ALLOCS;
        if (hook_profile_pprof(&snap, req->seconds > 0 ? &c->base : NULL, heapsnap_registry.rate,
                               allocs, &pb, &len, &err) != 0)
            respond_error(c, 500, err.msg);
        else
            respond(c, 200, "application/octet-stream",
                    allocs ? "Content-Disposition: attachment; filename=\"allocs\"\r\n"
                           : "Content-Disposition: attachment; filename=\"heap\"\r\n",
                    pb, len, req->head);
        free(pb);
    }
    hook_profile_snap_free(&snap);
}

static void serve_heap(struct conn *c)
{
    if (c->req.seconds <= 0) {
        finish_heap(c);
        return;
    }
    hs_err err;
    if (hook_profile_snap(&hook_tables, heap_counts(), heapsnap_registry.rate, &c->base, &err) !=
        0) {
        respond_error(c, 500, err.msg);
        return;
    }
    c->state = C_WAIT; /* finish_heap when the seconds have passed */
    c->deadline = conn_now() + (int64_t)c->req.seconds * 1000;
}

static void serve_metrics(struct conn *c)
{
    char body[8192];
    size_t n = hook_metrics_text(body, sizeof(body));
    if (n == 0)
        respond_error(c, 500, "the metrics did not fit the page");
    else
        respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, body, n, c->req.head);
}

static void serve_index(struct conn *c)
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
    respond(c, 200, "text/html; charset=utf-8", NULL, body, (size_t)n, c->req.head);
}

/* C_READ, readable or timed out: more of the head, and the request once whole. */
static void conn_read(struct conn *c, bool readable)
{
    if (readable) {
        ssize_t n = recv(c->fd, c->head + c->len, sizeof(c->head) - c->len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (c->len > 0)
                respond_error(c, 400, "incomplete request");
            else
                conn_close(c);
            return;
        }
        c->len += (size_t)n;
        if (hook_http_parse(c->head, c->len, &c->req) <= 0)
            return; /* more to come (a full buffer is an error status) */
    } else {
        respond_error(c, 408, "request not received in time");
        return;
    }
    if (c->req.status != 200)
        respond_error(c, c->req.status, c->req.error);
    else if (c->req.route == HOOK_HTTP_ROUTE_HEAP || c->req.route == HOOK_HTTP_ROUTE_ALLOCS)
        serve_heap(c);
    else if (c->req.route == HOOK_HTTP_ROUTE_METRICS)
        serve_metrics(c);
    else
        serve_index(c);
}

/* C_WAIT: the client went away (nothing to answer then), sent more bytes
 * (pipelined: dropped, the connection closes after), or the time is up. */
static void conn_wait(struct conn *c, short revents)
{
    if (revents & (POLLRDHUP | POLLHUP | POLLERR)) {
        conn_close(c);
        return;
    }
    if (revents & POLLIN) {
        char junk[256];
        ssize_t n = recv(c->fd, junk, sizeof(junk), 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            conn_close(c);
        return;
    }
    if (conn_now() >= c->deadline)
        finish_heap(c);
}

/* Closing a socket with unread input makes the kernel send a reset, which can
 * destroy the response before the client reads it (an oversized request, say).
 * So once the response is out: end our side, then read and drop what is
 * left, for a bounded time (C_LINGER). */
static void conn_write(struct conn *c, bool writable)
{
    if (!writable) {
        conn_close(c); /* the deadline passed */
        return;
    }
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n > 0) {
            c->outoff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* poll again */
        conn_close(c);
        return;
    }
    free(c->out);
    c->out = NULL;
    shutdown(c->fd, SHUT_WR);
    c->state = C_LINGER;
    c->deadline = conn_now() + LINGER_MS;
}

static void conn_linger(struct conn *c, bool readable)
{
    char junk[4096];
    if (!readable) {
        conn_close(c);
        return;
    }
    ssize_t n = recv(c->fd, junk, sizeof(junk), 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        conn_close(c);
}

/* A free slot for a new connection: a free one, else the oldest one still
 * reading its request (closed), else none. */
static struct conn *conn_slot(struct conn *v)
{
    struct conn *oldest = NULL;
    for (int i = 0; i < HTTP_MAX_CONNS; i++) {
        if (v[i].state == C_FREE)
            return &v[i];
        if (v[i].state == C_READ && (oldest == NULL || v[i].opened < oldest->opened))
            oldest = &v[i];
    }
    if (oldest != NULL)
        conn_close(oldest);
    return oldest;
}

/* Accepts what is pending. 1 when the listening socket was shut down
 * (hook_http_stop). */
static int accept_all(int fd, struct conn *v)
{
    for (;;) {
        int a = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (a < 0) {
            if (errno == EBADF || errno == EINVAL)
                return 1;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                poll(NULL, 0, 100); /* the host is short of something: back off */
            return 0;               /* EAGAIN: all taken; others: try at the next wake */
        }
        struct conn *c = conn_slot(v);
        if (c == NULL) {
            close(a); /* every slot is writing or waiting: turn it away */
            continue;
        }
        c->fd = a;
        c->state = C_READ;
        c->opened = conn_now();
        c->deadline = c->opened + READ_TIMEOUT_MS;
    }
}

/* Shut down (hook_http_stop): free the address for a later start. */
static void *server_end(int fd, struct conn *v)
{
    for (int i = 0; v != NULL && i < HTTP_MAX_CONNS; i++)
        if (v[i].state != C_FREE)
            conn_close(&v[i]);
    free(v);
    pthread_mutex_lock(&start_lock);
    if (listen_fd == fd) {
        close(fd);
        listen_fd = -1;
        running = 0;
    }
    pthread_mutex_unlock(&start_lock);
    return NULL;
}

static void *server_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    hook_thread_mark_own();
    struct conn *v = calloc(HTTP_MAX_CONNS, sizeof(*v));
    if (v == NULL)
        return server_end(fd, v);
    for (int i = 0; i < HTTP_MAX_CONNS; i++)
        v[i].fd = -1;
    struct pollfd pfd[HTTP_MAX_CONNS + 1];
    int who[HTTP_MAX_CONNS + 1];
    for (;;) {
        int64_t now = conn_now(), wake = now + 60000;
        int n = 0;
        pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
        who[n++] = -1;
        for (int i = 0; i < HTTP_MAX_CONNS; i++) {
            static const short ev[] = {[C_READ] = POLLIN,
                                       [C_WAIT] = POLLIN | POLLRDHUP,
                                       [C_WRITE] = POLLOUT,
                                       [C_LINGER] = POLLIN};
            if (v[i].state == C_FREE)
                continue;
            pfd[n] = (struct pollfd){.fd = v[i].fd, .events = ev[v[i].state]};
            who[n++] = i;
            if (v[i].deadline < wake)
                wake = v[i].deadline;
        }
        int r = poll(pfd, (nfds_t)n, wake > now ? (int)(wake - now) : 0);
        if (r < 0 && errno != EINTR)
            poll(NULL, 0, 10);
        now = conn_now();
        for (int k = 1; k < n; k++) {
            struct conn *c = &v[who[k]];
            short re = r > 0 ? pfd[k].revents : 0;
            bool due = now >= c->deadline;
            if (re == 0 && !due)
                continue;
            bool ready = re != 0;
            switch (c->state) {
            case C_READ:
                conn_read(c, ready);
                break;
            case C_WAIT:
                conn_wait(c, re);
                break;
            case C_WRITE:
                conn_write(c, ready);
                break;
            case C_LINGER:
                conn_linger(c, ready);
                break;
            case C_FREE:
                break;
            }
        }
        if (r > 0 && pfd[0].revents != 0 && accept_all(fd, v))
            return server_end(fd, v);
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
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 128) != 0) {
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
