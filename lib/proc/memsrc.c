/* lib/proc/memsrc.c: memory sources for the heap walker (see memsrc.h). A remote
 * walk reads millions of 16-byte headers, so the process source never makes one
 * syscall per header: sequential reads go through one reused window, random
 * reads (list pointers) through a small direct-mapped cache of pages, and
 * whole regions can be held as local copies, looked up by address (made by
 * memsrc_copy.c). */
#include "memsrc.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hs_array.h"

#include "memsrc_internal.h"

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

size_t ms_read_src(const memsrc *m, uint64_t addr, void *buf, size_t len, uint64_t *nsys)
{
    if (!m->use_memfd)
        return ms_readv_pid(m->pid, addr, buf, len, nsys);
    size_t done = 0;
    while (done < len) {
        (*nsys)++;
        ssize_t n = pread(m->memfd, (uint8_t *)buf + done, len - done, (off_t)(addr + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

static size_t ms_readv(memsrc *m, uint64_t addr, void *buf, size_t len)
{
    return ms_read_src(m, addr, buf, len, &m->nsys);
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

memsrc *memsrc_open_frozen(pid_t pid, size_t window, hs_err *err)
{
    memsrc *m = memsrc_open_pid(pid, window, err);
    if (m == NULL)
        return NULL;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
    m->memfd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->memfd < 0) {
        hs_err_set(err, "cannot open %s: %s", path, strerror(errno));
        memsrc_close(m);
        return NULL;
    }
    m->use_memfd = 1;
    return m;
}

bool memsrc_frozen(const memsrc *m)
{
    return m->use_memfd != 0;
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

void ms_drop_copies(memsrc *m)
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
    if (m->use_memfd)
        close(m->memfd);
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
int ms_copies_sorted(const memsrc *m)
{
    for (size_t i = 1; i < m->ncopies; i++)
        if (m->copies[i - 1].start + m->copies[i - 1].len > m->copies[i].start)
            return 0;
    return 1;
}

/* How many copies (sorted by start) start at or below addr. */
size_t ms_copies_upto(const memsrc *m, uint64_t addr)
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
    if (m->kind == MS_BUFFER || m->sealed || m->use_memfd || addr + len < addr)
        return 0;
    return !(m->ncopies && ms_copy_find(m, addr, len, &have));
}

/* memsrc_read_gather for a frozen source: /proc/PID/mem takes no vectors,
 * so addresses close together (a scan's, one per page) share one read of the
 * window instead of a read each. */
static size_t ms_gather_memfd(memsrc *m, const uint64_t *addr, size_t n, size_t len, uint8_t *o,
                              unsigned char *ok)
{
    size_t good = 0;
    for (size_t i = 0; i < n; i++) {
        size_t have;
        int windowed = len <= m->win_cap && addr[i] + len >= addr[i] &&
                       !(m->ncopies && ms_copy_find(m, addr[i], len, &have) != NULL);
        if (windowed && !(m->win_len && ms_inside(addr[i], len, m->win_addr, m->win_len))) {
            m->win_addr = addr[i];
            m->win_len = ms_readv(m, addr[i], m->win, m->win_cap);
            m->last_stream = 0;
        }
        if (windowed && m->win_len && ms_inside(addr[i], len, m->win_addr, m->win_len)) {
            memcpy(o + i * len, m->win + (addr[i] - m->win_addr), len);
            ok[i] = 1;
        } else {
            ok[i] = memsrc_read(m, addr[i], len, o + i * len) == 0;
        }
        good += ok[i];
    }
    return good;
}

size_t memsrc_read_gather(memsrc *m, const uint64_t *addr, size_t n, size_t len, void *out,
                          unsigned char *ok)
{
    if (m->use_memfd && !m->sealed)
        return ms_gather_memfd(m, addr, n, len, out, ok);
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
     * further apart than that (big chunks, or a walk that jumps back) fetch
     * one page, not the window. */
    uint64_t gap = m->last_stream == 0     ? 0
                   : addr > m->last_stream ? addr - m->last_stream
                                           : m->last_stream - addr;
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
