/* lib/proc/memsrc.c: memory sources for the heap walker (see memsrc.h). A remote
 * walk reads millions of 16-byte headers, so the process source never makes one
 * syscall per header: sequential reads go through one reused window, random
 * reads (list pointers) through a small direct-mapped cache of pages, and
 * whole regions can be held as local copies, looked up by address. */
#include "memsrc.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hs_array.h"

#define MS_PAGE 4096u
#define MS_LINES 64u
#define MS_DEFAULT_WINDOW (256u * 1024u)
#define MS_HUGE (2u << 20)
#define MS_COPY_ALIGN 64u
#define MS_BATCH 64u               /* ranges per process_vm_readv call when copying */
#define MS_GATHER 1024u            /* IOV_MAX: addresses per process_vm_readv when gathering */
#define MS_ROUND 4096u             /* ranges planned, then filled, at a time when copying */
#define MS_THREADS_MAX 16u         /* threads a copy may use when a test sets the count */
#define MS_THREADS_AUTO 4u         /* threads a copy uses at most by itself */
#define MS_THREAD_BYTES (2u << 20) /* bytes a copy thread must have to pay for its start */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

enum ms_kind { MS_PID, MS_BUFFER, MS_SELF };

/* One copied region; data lies in the reserve or in its own mapping. */
typedef struct ms_copy {
    uint64_t start;
    size_t len;
    uint8_t *data;
    void *map; /* its own mapping (NULL: inside the reserve) */
    size_t maplen;
} ms_copy;

struct memsrc {
    enum ms_kind kind;
    pid_t pid;
    /* MS_BUFFER */
    const uint8_t *buf;
    uint64_t base;
    size_t len;
    /* MS_PID / MS_SELF: the streaming window */
    uint8_t *win;
    size_t win_cap;
    uint64_t win_addr;
    size_t win_len;
    uint64_t last_stream; /* address of the previous stream request */
    /* MS_PID: page cache, direct-mapped by page number */
    uint8_t *lines;
    uint64_t tag[MS_LINES];
    uint8_t valid[MS_LINES];
    uint64_t nsys;
    /* region copies, sorted by start, disjoint */
    ms_copy *copies;
    size_t ncopies, copycap, last_copy;
    size_t limit, copied;  /* bytes allowed, bytes held */
    unsigned copy_threads; /* 0: by size and CPUs */
    unsigned ncpu;         /* online CPUs, counted before the stop */
    void *rmap;            /* the reserve's mapping */
    size_t rmaplen;
    uint8_t *reserve; /* huge-page aligned start inside rmap */
    size_t rlen, rused;
    int sealed;
};

/* Reads as much as possible of [addr, addr+len): the kernel stops at the first
 * unreadable page. Returns the byte count (0 on any error). */
static size_t ms_readv_pid(pid_t pid, uint64_t addr, void *buf, size_t len, uint64_t *nsys)
{
    size_t done = 0;
    while (done < len) {
        struct iovec local = {.iov_base = (uint8_t *)buf + done, .iov_len = len - done};
        struct iovec remote = {.iov_base = (void *)(uintptr_t)(addr + done), .iov_len = len - done};
        (*nsys)++;
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

static size_t ms_readv(memsrc *m, uint64_t addr, void *buf, size_t len)
{
    return ms_readv_pid(m->pid, addr, buf, len, &m->nsys);
}

static memsrc *ms_new(enum ms_kind kind, hs_err *err)
{
    memsrc *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        hs_err_set(err, "out of memory for a memory source");
        return NULL;
    }
    m->kind = kind;
    return m;
}

memsrc *memsrc_open_pid(pid_t pid, size_t window, hs_err *err)
{
    memsrc *m = ms_new(MS_PID, err);
    if (m == NULL)
        return NULL;
    m->pid = pid;
    m->win_cap = window ? window : MS_DEFAULT_WINDOW;
    if (m->win_cap < MS_PAGE)
        m->win_cap = MS_PAGE;
    m->win = malloc(m->win_cap);
    m->lines = malloc((size_t)MS_LINES * MS_PAGE);
    if (m->win == NULL || m->lines == NULL) {
        memsrc_close(m);
        hs_err_set(err, "out of memory for a %zu-byte read window", window);
        return NULL;
    }
    return m;
}

memsrc *memsrc_open_buffer(uint64_t base, const void *buf, size_t len, hs_err *err)
{
    memsrc *m = ms_new(MS_BUFFER, err);
    if (m == NULL)
        return NULL;
    m->buf = buf;
    m->base = base;
    m->len = len;
    return m;
}

memsrc *memsrc_open_self(hs_err *err)
{
    memsrc *m = ms_new(MS_SELF, err);
    if (m == NULL)
        return NULL;
    m->pid = getpid();
    m->win_cap = MS_DEFAULT_WINDOW;
    m->win = malloc(m->win_cap);
    if (m->win == NULL) {
        memsrc_close(m);
        hs_err_set(err, "out of memory for a read window");
        return NULL;
    }
    return m;
}

static void ms_drop_copies(memsrc *m)
{
    for (size_t i = 0; i < m->ncopies; i++)
        if (m->copies[i].map)
            munmap(m->copies[i].map, m->copies[i].maplen);
    m->ncopies = 0;
    m->last_copy = 0;
    m->copied = 0;
    m->rused = 0;
    m->sealed = 0;
}

void memsrc_close(memsrc *m)
{
    if (m == NULL)
        return;
    ms_drop_copies(m);
    free(m->copies);
    if (m->rmap)
        munmap(m->rmap, m->rmaplen);
    free(m->win);
    free(m->lines);
    free(m);
}

void memsrc_invalidate(memsrc *m)
{
    m->win_len = 0;
    m->last_stream = 0;
    memset(m->valid, 0, sizeof(m->valid));
    ms_drop_copies(m);
}

uint64_t memsrc_syscalls(const memsrc *m)
{
    return m->nsys;
}

/* True when [addr, addr+len) lies inside [base, base+have). */
static int ms_inside(uint64_t addr, size_t len, uint64_t base, size_t have)
{
    if (addr < base)
        return 0;
    uint64_t off = addr - base;
    return off <= have && len <= have - off;
}

/* The copy holding all of [addr, addr+len), and through *avail how many
 * bytes from addr it holds; NULL when no single copy does. Walks and list
 * reads mostly stay in one copy, so the previous hit is tried first. */
/* The copies' order, which ms_copies_upto's binary search needs: sorted by
 * start and disjoint. Asserted wherever the list changes. */
static inline int ms_copies_sorted(const memsrc *m)
{
    for (size_t i = 1; i < m->ncopies; i++)
        if (m->copies[i - 1].start + m->copies[i - 1].len > m->copies[i].start)
            return 0;
    return 1;
}

/* How many copies (sorted by start) start at or below addr. */
static size_t ms_copies_upto(const memsrc *m, uint64_t addr)
{
    return hs_array_upper_bound(m->copies, m->ncopies, sizeof(*m->copies), offsetof(ms_copy, start),
                                addr);
}

static const uint8_t *ms_copy_find(memsrc *m, uint64_t addr, size_t len, size_t *avail)
{
    size_t i = m->last_copy;
    if (i >= m->ncopies || !ms_inside(addr, len, m->copies[i].start, m->copies[i].len)) {
        size_t lo = ms_copies_upto(m, addr); /* the last copy starting at or below addr */
        if (lo == 0)
            return NULL;
        i = lo - 1;
        if (!ms_inside(addr, len, m->copies[i].start, m->copies[i].len))
            return NULL;
        m->last_copy = i;
    }
    const ms_copy *c = &m->copies[i];
    assert(addr >= c->start && addr - c->start <= c->len && len <= c->len - (addr - c->start));
    *avail = c->len - (size_t)(addr - c->start);
    return c->data + (addr - c->start);
}

static int ms_read_pages(memsrc *m, uint64_t addr, size_t len, uint8_t *out)
{
    while (len > 0) {
        uint64_t page = addr & ~(uint64_t)(MS_PAGE - 1);
        unsigned slot = (unsigned)((page / MS_PAGE) % MS_LINES);
        uint8_t *line = m->lines + (size_t)slot * MS_PAGE;
        if (!m->valid[slot] || m->tag[slot] != page) {
            m->valid[slot] = 0;
            if (ms_readv(m, page, line, MS_PAGE) != MS_PAGE)
                return -1;
            m->tag[slot] = page;
            m->valid[slot] = 1;
        }
        size_t off = (size_t)(addr - page);
        size_t n = MS_PAGE - off < len ? MS_PAGE - off : len;
        memcpy(out, line + off, n);
        out += n;
        addr += n;
        len -= n;
    }
    return 0;
}

int memsrc_read(memsrc *m, uint64_t addr, size_t len, void *buf)
{
    if (len == 0)
        return 0;
    if (addr + len < addr)
        return -1;
    if (m->ncopies) {
        size_t have;
        const uint8_t *p = ms_copy_find(m, addr, len, &have);
        if (p) {
            memcpy(buf, p, len);
            return 0;
        }
    }
    if (m->sealed)
        return -1;
    switch (m->kind) {
    case MS_BUFFER:
        if (!ms_inside(addr, len, m->base, m->len))
            return -1;
        memcpy(buf, m->buf + (addr - m->base), len);
        return 0;
    case MS_SELF:
        return ms_readv(m, addr, buf, len) == len ? 0 : -1;
    case MS_PID:
        if (m->win_len && ms_inside(addr, len, m->win_addr, m->win_len)) {
            memcpy(buf, m->win + (addr - m->win_addr), len);
            return 0;
        }
        if (len > 4 * MS_PAGE)
            return ms_readv(m, addr, buf, len) == len ? 0 : -1;
        return ms_read_pages(m, addr, len, buf);
    }
    return -1;
}

/* True when a gathered read of addr goes into the batch (not a copy, the
 * buffer or a sealed source's refusal). */
static int ms_gather_batched(memsrc *m, uint64_t addr, size_t len)
{
    size_t have;
    if (m->kind == MS_BUFFER || m->sealed || addr + len < addr)
        return 0;
    return !(m->ncopies && ms_copy_find(m, addr, len, &have));
}

size_t memsrc_read_gather(memsrc *m, const uint64_t *addr, size_t n, size_t len, void *out,
                          unsigned char *ok)
{
    uint8_t *o = out;
    size_t good = 0, i = 0;
    while (i < n) {
        struct iovec local[MS_GATHER], remote[MS_GATHER];
        size_t nb = 0;
        while (i + nb < n && nb < MS_GATHER && len > 0 && ms_gather_batched(m, addr[i + nb], len)) {
            local[nb] = (struct iovec){.iov_base = o + (i + nb) * len, .iov_len = len};
            remote[nb] =
                (struct iovec){.iov_base = (void *)(uintptr_t)addr[i + nb], .iov_len = len};
            nb++;
        }
        size_t whole = 0;
        if (nb > 0) {
            m->nsys++;
            ssize_t got = process_vm_readv(m->pid, local, nb, remote, nb, 0);
            whole = got > 0 ? (size_t)got / len : 0; /* the kernel stops at the first fault */
            for (size_t k = 0; k < whole; k++)
                ok[i + k] = 1;
            good += whole;
            i += whole;
            if (whole == nb)
                continue;
        }
        /* The one the batch stopped at, or one the batch does not take. */
        ok[i] = memsrc_read(m, addr[i], len, o + i * len) == 0;
        good += ok[i];
        i++;
    }
    return good;
}

int memsrc_read_u64(memsrc *m, uint64_t addr, uint64_t *v)
{
    return memsrc_read(m, addr, sizeof(*v), v);
}

const uint8_t *memsrc_stream(memsrc *m, uint64_t addr, size_t len, size_t *avail)
{
    if (addr + len < addr)
        return NULL;
    if (m->ncopies) {
        const uint8_t *p = ms_copy_find(m, addr, len, avail);
        if (p)
            return p;
    }
    if (m->sealed)
        return NULL;
    if (m->kind == MS_BUFFER) {
        if (!ms_inside(addr, len, m->base, m->len))
            return NULL;
        *avail = m->len - (size_t)(addr - m->base);
        return m->buf + (addr - m->base);
    }
    if (len > m->win_cap)
        return NULL;
    if (m->kind == MS_PID && m->win_len && ms_inside(addr, len, m->win_addr, m->win_len)) {
        m->last_stream = addr;
        *avail = m->win_len - (size_t)(addr - m->win_addr);
        return m->win + (addr - m->win_addr);
    }
    /* Refill anchored at addr; the read stops early at the end of a mapping.
     * A syscall costs about as much as copying 16 KiB, so when requests are
     * further apart than that (big chunks) fetch one page, not the window. */
    uint64_t gap = m->last_stream && addr > m->last_stream ? addr - m->last_stream : 0;
    m->last_stream = addr;
    size_t want = gap > 4 * MS_PAGE ? MS_PAGE : m->win_cap;
    if (want < len)
        want = len;
    m->win_len = 0;
    size_t got = ms_readv(m, addr, m->win, want);
    if (got < len)
        return NULL;
    m->win_addr = addr;
    m->win_len = got;
    *avail = got;
    return m->win;
}

/* ---- region copies ---- */

void memsrc_set_copy_limit(memsrc *m, size_t bytes)
{
    m->limit = bytes;
    if (m->ncpu == 0) { /* sysconf reads /sys: not while the process is stopped */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        m->ncpu = n > 0 ? (unsigned)n : 1;
    }
}

size_t memsrc_copy_limit(const memsrc *m)
{
    return m->limit;
}

/* len bytes of fresh memory, huge-page aligned when large: a stop that copies
 * a gigabyte into 4 KiB pages takes a page fault per page, which on a
 * virtual machine costs more than the copy itself. */
static uint8_t *ms_map(size_t len, void **map, size_t *maplen)
{
    size_t want = len >= MS_HUGE ? len + MS_HUGE : len;
    void *p = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *map = p;
    *maplen = want;
    if (len < MS_HUGE)
        return p;
    uint8_t *a = (uint8_t *)(((uintptr_t)p + MS_HUGE - 1) & ~(uintptr_t)(MS_HUGE - 1));
    madvise(a, len, MADV_HUGEPAGE); /* advice only: 4 KiB pages still work */
    return a;
}

int memsrc_reserve(memsrc *m, size_t bytes, hs_err *err)
{
    if (bytes > m->limit)
        bytes = m->limit;
    if (bytes == 0 || bytes <= m->rlen)
        return 0;
    ms_drop_copies(m); /* copies may live in the old reserve */
    if (m->rmap)
        munmap(m->rmap, m->rmaplen);
    m->rmap = NULL;
    m->rmaplen = m->rlen = 0;
    size_t len = (bytes + MS_HUGE - 1) & ~(size_t)(MS_HUGE - 1);
    void *map;
    size_t maplen;
    uint8_t *a = ms_map(len, &map, &maplen);
    if (a == NULL)
        return hs_err_set(err, "cannot map %zu bytes for the heap copy (%s)", len, strerror(errno));
    /* Fault it in now, while the process still runs. */
    if (madvise(a, len, MADV_POPULATE_WRITE) != 0) {
        if (errno != EINVAL) {
            munmap(map, maplen);
            return hs_err_set(err, "cannot fault in %zu bytes for the heap copy (%s)", len,
                              strerror(errno));
        }
        for (size_t off = 0; off < len; off += MS_PAGE) /* before Linux 5.14 */
            a[off] = 0;
    }
    m->rmap = map;
    m->rmaplen = maplen;
    m->reserve = a;
    m->rlen = len;
    m->rused = 0;
    return 0;
}

/* 1 when [s, e) overlaps a copy. */
static int ms_copy_overlaps(const memsrc *m, uint64_t s, uint64_t e)
{
    if (e == 0)
        return 0;
    size_t lo = ms_copies_upto(m, e - 1); /* the copies starting below e */
    return lo > 0 && m->copies[lo - 1].start + m->copies[lo - 1].len > s;
}

static int ms_copy_insert(memsrc *m, const ms_copy *c)
{
    if (m->ncopies == m->copycap) {
        size_t ncap = m->copycap ? m->copycap * 2 : 16;
        ms_copy *v = realloc(m->copies, ncap * sizeof(*v));
        if (v == NULL)
            return -1;
        m->copies = v;
        m->copycap = ncap;
    }
    size_t at = m->ncopies;
    while (at > 0 && m->copies[at - 1].start > c->start)
        at--;
    memmove(m->copies + at + 1, m->copies + at, (m->ncopies - at) * sizeof(*c));
    m->copies[at] = *c;
    m->ncopies++;
    assert(ms_copies_sorted(m));
    return 0;
}

/* A piece of a pending copy that one thread reads: len bytes at addr into dst.
 * got = how many bytes from addr on were readable (<= len). */
typedef struct ms_seg {
    uint64_t addr;
    uint8_t *dst;
    size_t len, got;
    size_t k; /* the pending copy it belongs to */
} ms_seg;

/* Fills the n pieces from the source, one process_vm_readv per MS_BATCH of
 * them. Touches nothing in m but *nsys, so threads may fill disjoint pieces of
 * one source at once. */
static void ms_fill_pieces(const memsrc *m, ms_seg *s, size_t n, uint64_t *nsys)
{
    if (m->kind == MS_BUFFER) {
        for (size_t k = 0; k < n; k++) {
            size_t have = 0;
            if (s[k].addr >= m->base && s[k].addr - m->base < m->len)
                have = m->len - (size_t)(s[k].addr - m->base);
            s[k].got = s[k].len < have ? s[k].len : have;
            if (s[k].got)
                memcpy(s[k].dst, m->buf + (s[k].addr - m->base), s[k].got);
        }
        return;
    }
    for (size_t i = 0; i < n; i += MS_BATCH) {
        size_t nb = n - i < MS_BATCH ? n - i : MS_BATCH;
        ms_seg *v = s + i;
        /* One call for the whole batch; the kernel stops at the first
         * unreadable byte (or after about 2 GiB), so the rest is read piece
         * by piece. */
        struct iovec local[MS_BATCH], remote[MS_BATCH];
        for (size_t k = 0; k < nb; k++) {
            local[k] = (struct iovec){.iov_base = v[k].dst, .iov_len = v[k].len};
            remote[k] =
                (struct iovec){.iov_base = (void *)(uintptr_t)v[k].addr, .iov_len = v[k].len};
        }
        (*nsys)++;
        ssize_t got = process_vm_readv(m->pid, local, nb, remote, nb, 0);
        size_t done = got > 0 ? (size_t)got : 0;
        for (size_t k = 0; k < nb; k++) {
            if (done >= v[k].len) {
                v[k].got = v[k].len;
                done -= v[k].len;
                continue;
            }
            v[k].got = done + ms_readv_pid(m->pid, v[k].addr + done, v[k].dst + done,
                                           v[k].len - done, nsys);
            done = 0;
        }
    }
}

/* How many threads copy total bytes: the count set for tests, else one per
 * MS_THREAD_BYTES up to the online CPUs and MS_THREADS_AUTO. */
static unsigned ms_copy_nthreads(const memsrc *m, uint64_t total)
{
    if (m->copy_threads)
        return m->copy_threads;
    uint64_t n = m->ncpu < MS_THREADS_AUTO ? m->ncpu : MS_THREADS_AUTO;
    if (n > total / MS_THREAD_BYTES)
        n = total / MS_THREAD_BYTES;
    return n > 1 ? (unsigned)n : 1;
}

/* Cuts the np pending copies' total bytes into nt slices of about equal
 * size, each cut on a page boundary of the target (two threads never read
 * one page), and lists the pieces in seg (at most np + nt - 1): slice t is
 * seg[first[t]] .. seg[first[t + 1] - 1]. One huge copy is the common case,
 * so a copy may be cut, several times. */
static size_t ms_split(const ms_copy *v, size_t np, uint64_t total, unsigned nt, ms_seg *seg,
                       size_t *first)
{
    uint64_t cut[MS_THREADS_MAX + 1]; /* slice t is [cut[t], cut[t + 1]) of the bytes */
    cut[0] = 0;
    cut[nt] = total;
    uint64_t cum = 0; /* bytes of the copies before v[k] */
    size_t k = 0;
    for (unsigned t = 1; t < nt; t++) {
        uint64_t want = total / nt * t;
        while (cum + v[k].len <= want) /* want < total, so some copy holds it */
            cum += v[k++].len;
        uint64_t a = v[k].start + (want - cum);
        a = (a + MS_PAGE - 1) & ~(uint64_t)(MS_PAGE - 1);
        uint64_t off = a - v[k].start < v[k].len ? a - v[k].start : v[k].len;
        cut[t] = cum + off > cut[t - 1] ? cum + off : cut[t - 1];
    }
    size_t ns = 0;
    unsigned t = 0;
    first[0] = 0;
    cum = 0;
    for (k = 0; k < np; k++) {
        uint64_t s = cum, e = cum + v[k].len;
        while (s < e) {
            while (cut[t + 1] <= s)
                first[++t] = ns;
            uint64_t pe = cut[t + 1] < e ? cut[t + 1] : e;
            seg[ns++] = (ms_seg){.addr = v[k].start + (s - cum),
                                 .dst = v[k].data + (s - cum),
                                 .len = (size_t)(pe - s),
                                 .k = k};
            s = pe;
        }
        cum = e;
    }
    while (t < nt)
        first[++t] = ns;
    return ns;
}

typedef struct ms_worker {
    const memsrc *m;
    ms_seg *seg;
    size_t n;
    uint64_t nsys;
    pthread_t tid;
    int started;
} ms_worker;

static void *ms_worker_run(void *arg)
{
    ms_worker *w = arg;
    ms_fill_pieces(w->m, w->seg, w->n, &w->nsys);
    return NULL;
}

/* Fills the np pending copies (total bytes) from the source, split over
 * threads when it is big; each v[k].len becomes the bytes readable from its
 * start. seg has room for np + MS_THREADS_MAX pieces. */
static void ms_copy_fill(memsrc *m, ms_copy *v, size_t np, uint64_t total, ms_seg *seg)
{
    unsigned nt = ms_copy_nthreads(m, total);
    size_t first[MS_THREADS_MAX + 1];
    size_t ns = ms_split(v, np, total, nt, seg, first);
    ms_worker w[MS_THREADS_MAX]; /* the first nt are used */
    for (unsigned t = 0; t < nt; t++)
        w[t] = (ms_worker){.m = m, .seg = seg + first[t], .n = first[t + 1] - first[t]};
    if (nt > 1) {
        /* The workers take no signals: SIGINT must reach the thread that
         * traces the target, whose handler detaches it. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        for (unsigned t = 1; t < nt; t++)
            if (w[t].n)
                w[t].started = pthread_create(&w[t].tid, NULL, ms_worker_run, &w[t]) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    /* Slice 0 here, and any slice whose thread did not start. */
    for (unsigned t = 0; t < nt; t++)
        if (!w[t].started)
            ms_worker_run(&w[t]);
    for (unsigned t = 0; t < nt; t++) {
        if (w[t].started)
            pthread_join(w[t].tid, NULL);
        m->nsys += w[t].nsys;
    }
    /* A copy keeps its pieces up to the first short one. */
    size_t i = 0;
    for (size_t k = 0; k < np; k++) {
        size_t got = 0;
        int stopped = 0;
        for (; i < ns && seg[i].k == k; i++) {
            if (!stopped)
                got += seg[i].got;
            stopped |= seg[i].got < seg[i].len;
        }
        v[k].len = got;
    }
}

/* Drops the copies that came out empty. */
static void ms_copy_compact(memsrc *m)
{
    size_t keep = 0;
    for (size_t i = 0; i < m->ncopies; i++) {
        if (m->copies[i].len == 0) {
            if (m->copies[i].map)
                munmap(m->copies[i].map, m->copies[i].maplen);
            continue;
        }
        m->copies[keep++] = m->copies[i];
    }
    m->ncopies = keep;
    assert(ms_copies_sorted(m));
}

size_t memsrc_copy(memsrc *m, const memsrc_range *r, size_t n, uint64_t *bytes)
{
    /* Planned a round at a time: every range's place (reserve or own
     * mapping) and its entry among the copies, then one fill for the round. */
    ms_copy vbuf[MS_BATCH];
    ms_seg sbuf[MS_BATCH + MS_THREADS_MAX];
    size_t cap = n < MS_ROUND ? n : MS_ROUND;
    ms_copy *v = vbuf;
    ms_seg *seg = sbuf;
    if (cap > MS_BATCH) {
        v = malloc(cap * sizeof(*v));
        seg = malloc((cap + MS_THREADS_MAX) * sizeof(*seg));
        if (v == NULL || seg == NULL) {
            free(v);
            free(seg);
            v = vbuf;
            seg = sbuf;
            cap = MS_BATCH;
        }
    }
    size_t whole = 0, i = 0;
    uint64_t total = 0;
    int full = 0;
    while (i < n && !full) {
        size_t np = 0;
        uint64_t pending = 0;
        for (; i < n && np < cap; i++) {
            uint64_t s = r[i].start, e = r[i].end;
            if (e <= s) {
                whole++; /* nothing to copy */
                continue;
            }
            size_t room = m->limit > m->copied ? m->limit - m->copied : 0;
            if (e - s > room) {
                full = 1;
                break;
            }
            size_t len = (size_t)(e - s);
            /* the planned copies are among m->copies already */
            if (ms_copy_overlaps(m, s, e))
                continue;
            ms_copy c = {.start = s, .len = len};
            size_t at = (m->rused + MS_COPY_ALIGN - 1) & ~(size_t)(MS_COPY_ALIGN - 1);
            if (m->reserve && at <= m->rlen && len <= m->rlen - at) {
                c.data = m->reserve + at;
                m->rused = at + len;
            } else if ((c.data = ms_map(len, &c.map, &c.maplen)) == NULL) {
                full = 1;
                break;
            }
            if (ms_copy_insert(m, &c) != 0) {
                if (c.map)
                    munmap(c.map, c.maplen);
                continue;
            }
            m->copied += len;
            pending += len;
            v[np++] = c;
        }
        if (np == 0)
            continue;
        ms_copy_fill(m, v, np, pending, seg);
        int empty = 0;
        for (size_t k = 0; k < np; k++) {
            ms_copy *c = &m->copies[ms_copies_upto(m, v[k].start) - 1];
            whole += v[k].len == c->len;
            m->copied -= c->len - v[k].len;
            total += v[k].len;
            c->len = v[k].len;
            empty |= c->len == 0;
        }
        if (empty)
            ms_copy_compact(m);
    }
    if (v != vbuf) {
        free(v);
        free(seg);
    }
    if (bytes)
        *bytes = total;
    return whole;
}

void memsrc_set_copy_threads(memsrc *m, unsigned n)
{
    m->copy_threads = n < MS_THREADS_MAX ? n : MS_THREADS_MAX;
}

void memsrc_seal(memsrc *m)
{
    m->sealed = 1;
}
