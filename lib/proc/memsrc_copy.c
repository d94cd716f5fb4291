/* lib/proc/memsrc_copy.c: region copies of a memory source (see memsrc.h):
 * a reserve faulted in before the stop, ranges copied with few
 * process_vm_readv calls, split over threads for big heaps, kept sorted and
 * looked up by address by memsrc.c. */
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
#include "memsrc_internal.h"

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

void memsrc_release(memsrc *m)
{
    ms_drop_copies(m); /* copies may live in the reserve */
    if (m->rmap)
        munmap(m->rmap, m->rmaplen);
    m->rmap = NULL;
    m->reserve = NULL;
    m->rmaplen = m->rlen = 0;
}

int memsrc_reserve(memsrc *m, size_t bytes, hs_err *err)
{
    if (bytes > m->limit)
        bytes = m->limit;
    if (bytes == 0 || bytes <= m->rlen)
        return 0;
    memsrc_release(m);
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
    if (m->use_memfd) { /* one read per piece: /proc/PID/mem takes no vectors */
        for (size_t k = 0; k < n; k++)
            s[k].got = ms_read_src(m, s[k].addr, s[k].dst, s[k].len, nsys);
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
            v[k].got =
                done + ms_read_src(m, v[k].addr + done, v[k].dst + done, v[k].len - done, nsys);
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
