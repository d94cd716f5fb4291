/* lib/memsrc.c: memory sources for the heap walker (see memsrc.h). A remote
 * walk reads millions of 16-byte headers, so the process source never makes one
 * syscall per header: sequential reads go through one reused window, random
 * reads (list pointers) through a small direct-mapped cache of pages. */
#include "memsrc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MS_PAGE 4096u
#define MS_LINES 64u
#define MS_DEFAULT_WINDOW (256u * 1024u)

enum ms_kind { MS_PID, MS_BUFFER, MS_SELF };

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
};

/* Reads as much as possible of [addr, addr+len): the kernel stops at the first
 * unreadable page. Returns the byte count (0 on any error). */
static size_t ms_readv(memsrc *m, uint64_t addr, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct iovec local = {.iov_base = (uint8_t *)buf + done, .iov_len = len - done};
        struct iovec remote = {.iov_base = (void *)(uintptr_t)(addr + done), .iov_len = len - done};
        m->nsys++;
        ssize_t n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
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

void memsrc_close(memsrc *m)
{
    if (m == NULL)
        return;
    free(m->win);
    free(m->lines);
    free(m);
}

void memsrc_invalidate(memsrc *m)
{
    m->win_len = 0;
    m->last_stream = 0;
    memset(m->valid, 0, sizeof(m->valid));
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

int memsrc_read_u64(memsrc *m, uint64_t addr, uint64_t *v)
{
    return memsrc_read(m, addr, sizeof(*v), v);
}

const uint8_t *memsrc_stream(memsrc *m, uint64_t addr, size_t len, size_t *avail)
{
    if (addr + len < addr)
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
