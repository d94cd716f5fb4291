/* tests/unit/test_memsrc.c: the three memory sources: bounds of the buffer
 * source, the process source's window and page cache (syscall counts), the
 * self source turning a bad address into an error, not a fault, and region
 * copies (served without syscalls, limit, seal, unreadable tails, the same
 * result whatever the number of copy threads), and gathered reads (one
 * syscall for many addresses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "memsrc.h"

static void test_buffer_bounds(void **state)
{
    (void)state;
    uint8_t buf[64];
    for (int i = 0; i < 64; i++)
        buf[i] = (uint8_t)i;
    hs_err err;
    memsrc *m = memsrc_open_buffer(0x1000, buf, sizeof(buf), &err);
    uint8_t out[8];
    assert_int_equal(memsrc_read(m, 0x1000 + 56, 8, out), 0);
    assert_int_equal(out[0], 56);
    assert_int_equal(memsrc_read(m, 0x1000 + 57, 8, out), -1);
    assert_int_equal(memsrc_read(m, 0xfff, 8, out), -1);
    assert_int_equal(memsrc_read(m, UINT64_MAX - 3, 8, out), -1);
    size_t avail = 0;
    const uint8_t *p = memsrc_stream(m, 0x1010, 16, &avail);
    assert_non_null(p);
    assert_int_equal(avail, 48);
    assert_int_equal(p[0], 16);
    assert_null(memsrc_stream(m, 0x1038, 16, &avail));
    memsrc_close(m);
}

static void test_pid_window_and_cache(void **state)
{
    (void)state;
    /* 1 MiB of our own memory, read as another process would */
    size_t len = 1u << 20;
    uint8_t *mem =
        mmap(NULL, len + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    munmap(mem + len, 4096); /* an unmapped page right after */
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = i;
        memcpy(mem + i, &v, 8);
    }
    hs_err err;
    memsrc *m = memsrc_open_pid(getpid(), 64 * 1024, &err);
    assert_non_null(m);
    uint64_t base = (uint64_t)(uintptr_t)mem;
    /* streaming 16-byte headers every 64 bytes: one syscall per 64 KiB window */
    for (size_t off = 0; off < len; off += 64) {
        size_t avail;
        const uint8_t *p = memsrc_stream(m, base + off, 16, &avail);
        assert_non_null(p);
        uint64_t v;
        memcpy(&v, p, 8);
        assert_int_equal(v, off);
    }
    assert_int_equal(memsrc_syscalls(m), 16);
    /* the window stops at the end of the mapping */
    size_t avail;
    assert_non_null(memsrc_stream(m, base + len - 32, 16, &avail));
    assert_int_equal(avail, 32);
    assert_null(memsrc_stream(m, base + len - 8, 16, &avail));
    /* random reads go through the page cache: a second read of a page is free */
    memsrc_invalidate(m);
    uint64_t before = memsrc_syscalls(m), v;
    assert_int_equal(memsrc_read_u64(m, base + 4096 * 3 + 8, &v), 0);
    assert_int_equal(v, 4096 * 3 + 8);
    assert_int_equal(memsrc_read_u64(m, base + 4096 * 3 + 800, &v), 0);
    assert_int_equal(v, 4096 * 3 + 800);
    assert_int_equal(memsrc_syscalls(m) - before, 1);
    /* a read across the end of the mapping fails */
    assert_int_equal(memsrc_read(m, base + len - 4, 8, &v), -1);
    memsrc_close(m);
    munmap(mem, len);
}

static void test_self(void **state)
{
    (void)state;
    hs_err err;
    memsrc *m = memsrc_open_self(&err);
    uint64_t x = 0x1122334455667788ull, v = 0;
    assert_int_equal(memsrc_read_u64(m, (uint64_t)(uintptr_t)&x, &v), 0);
    assert_int_equal(v, x);
    assert_int_equal(memsrc_read_u64(m, 8, &v), -1); /* page 0: error, no fault */
    memsrc_close(m);
}

/* 256 KiB + 8 pages of our own memory holding their own offsets, then an
 * unmapped page; read through a process source as another process would. */
#define CP_LEN ((256u + 32u) * 1024u)

static uint8_t *cp_mem(void)
{
    uint8_t *mem =
        mmap(NULL, CP_LEN + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    munmap(mem + CP_LEN, 4096);
    for (size_t i = 0; i < CP_LEN; i += 8) {
        uint64_t v = i;
        memcpy(mem + i, &v, 8);
    }
    return mem;
}

static void test_copy_serves_reads(void **state)
{
    (void)state;
    uint8_t *mem = cp_mem();
    uint64_t base = (uint64_t)(uintptr_t)mem;
    hs_err err;
    memsrc *m = memsrc_open_pid(getpid(), 0, &err);
    assert_non_null(m);
    memsrc_set_copy_limit(m, 1u << 20);
    assert_int_equal(memsrc_copy_limit(m), 1u << 20);
    /* two ranges, unsorted, one process_vm_readv for both */
    memsrc_range r[2] = {{base + 0x20000, base + 0x30000}, {base + 0x1000, base + 0x9000}};
    uint64_t bytes = 0;
    assert_int_equal(memsrc_copy(m, r, 2, &bytes), 2);
    assert_int_equal(bytes, 0x18000);
    assert_int_equal(memsrc_syscalls(m), 1);
    /* reads inside either copy: exact bytes, no syscall, in any order */
    uint64_t v;
    const uint64_t inside[] = {0x1000, 0x8ff8, 0x2f000, 0x20000, 0x4008, 0x2fff8};
    for (size_t i = 0; i < sizeof(inside) / sizeof(*inside); i++) {
        assert_int_equal(memsrc_read_u64(m, base + inside[i], &v), 0);
        assert_int_equal(v, inside[i]);
    }
    size_t avail = 0;
    const uint8_t *p = memsrc_stream(m, base + 0x8000, 16, &avail);
    assert_non_null(p);
    assert_int_equal(avail, 0x1000); /* up to the copy's end */
    memcpy(&v, p + 8, 8);
    assert_int_equal(v, 0x8008);
    assert_int_equal(memsrc_syscalls(m), 1);
    /* a read straddling a copy's edge, and one outside, take the ordinary path */
    assert_int_equal(memsrc_read_u64(m, base + 0x8ffc, &v), 0);
    assert_int_equal(v, (uint64_t)0x9000 << 32); /* the high half of 0x8ff8 is 0 */
    assert_int_equal(memsrc_syscalls(m), 3);     /* one per page through the page cache */
    assert_int_equal(memsrc_read_u64(m, base + 0x40000, &v), 0);
    assert_int_equal(v, 0x40000);
    assert_int_equal(memsrc_syscalls(m), 4);
    /* invalidate drops the copies and the seal: reads go to the process again */
    memsrc_seal(m);
    memsrc_invalidate(m);
    assert_int_equal(memsrc_read_u64(m, base + 0x20008, &v), 0);
    assert_int_equal(v, 0x20008);
    assert_int_equal(memsrc_syscalls(m), 5);
    /* sealed: an outside read fails, inside reads still work */
    assert_int_equal(memsrc_copy(m, r, 2, NULL), 2);
    memsrc_seal(m);
    assert_int_equal(memsrc_read_u64(m, base + 0x40000, &v), -1);
    assert_null(memsrc_stream(m, base + 0x40000, 16, &avail));
    assert_int_equal(memsrc_read_u64(m, base + 0x28008, &v), 0);
    assert_int_equal(v, 0x28008);
    assert_int_equal(memsrc_syscalls(m), 6); /* 5 + the renewed copy, nothing else */
    memsrc_close(m);
    munmap(mem, CP_LEN);
}

static void test_copy_list_chase_costs_no_syscall(void **state)
{
    (void)state;
    /* a free list that jumps across 288 KiB: each node points 68 KiB on */
    uint8_t *mem = cp_mem();
    uint64_t base = (uint64_t)(uintptr_t)mem;
    const size_t nodes = 64;
    for (size_t i = 0; i < nodes; i++) {
        uint64_t at = (i * 0x11000) % (CP_LEN - 64) & ~(uint64_t)15;
        uint64_t next = i + 1 < nodes ? base + ((i + 1) * 0x11000) % (CP_LEN - 64) : 0;
        next &= ~(uint64_t)15;
        memcpy(mem + at, &next, 8);
    }
    hs_err err;
    for (int copy = 0; copy < 2; copy++) {
        memsrc *m = memsrc_open_pid(getpid(), 0, &err);
        assert_non_null(m);
        if (copy) {
            memsrc_set_copy_limit(m, CP_LEN);
            memsrc_range r = {base, base + CP_LEN};
            assert_int_equal(memsrc_copy(m, &r, 1, NULL), 1);
        }
        uint64_t before = memsrc_syscalls(m), p = base, n = 0;
        while (p != 0 && n < 1000) {
            assert_int_equal(memsrc_read_u64(m, p, &p), 0);
            n++;
        }
        assert_int_equal(n, nodes);
        /* without the copy the page cache misses on every node */
        assert_int_equal(memsrc_syscalls(m) - before, copy ? 0 : 64);
        memsrc_close(m);
    }
    munmap(mem, CP_LEN);
}

static void test_copy_limit_and_tail(void **state)
{
    (void)state;
    uint8_t *mem = cp_mem();
    uint64_t base = (uint64_t)(uintptr_t)mem;
    hs_err err;
    memsrc *m = memsrc_open_pid(getpid(), 0, &err);
    assert_non_null(m);
    /* no limit: nothing is copied */
    memsrc_range r[3] = {
        {base, base + 0x10000}, {base + 0x10000, base + 0x30000}, {base + 0x40000, base + 0x41000}};
    uint64_t bytes = 7;
    assert_int_equal(memsrc_copy(m, r, 3, &bytes), 0);
    assert_int_equal(bytes, 0);
    /* the second range passes the limit: it and the third stay uncopied */
    memsrc_set_copy_limit(m, 0x20000);
    assert_int_equal(memsrc_reserve(m, 0x20000, &err), 0);
    assert_int_equal(memsrc_copy(m, r, 3, &bytes), 1);
    assert_int_equal(bytes, 0x10000);
    memsrc_seal(m);
    uint64_t v;
    assert_int_equal(memsrc_read_u64(m, base + 0xfff8, &v), 0);
    assert_int_equal(v, 0xfff8);
    assert_int_equal(memsrc_read_u64(m, base + 0x10000, &v), -1);
    assert_int_equal(memsrc_read_u64(m, base + 0x40000, &v), -1);
    /* overlapping a copy: skipped; an unreadable tail: the readable head kept */
    memsrc_invalidate(m);
    memsrc_set_copy_limit(m, 1u << 20);
    memsrc_range t[3] = {{base + CP_LEN - 0x2000, base + CP_LEN + 0x1000},
                         {base + CP_LEN - 0x1000, base + CP_LEN},
                         {base, base + 0x1000}};
    assert_int_equal(memsrc_copy(m, t, 3, &bytes), 1);
    assert_int_equal(bytes, 0x3000);
    memsrc_seal(m);
    assert_int_equal(memsrc_read_u64(m, base + CP_LEN - 8, &v), 0);
    assert_int_equal(v, CP_LEN - 8);
    assert_int_equal(memsrc_read_u64(m, base + CP_LEN, &v), -1);
    assert_int_equal(memsrc_read_u64(m, base + 0xff8, &v), 0);
    assert_int_equal(v, 0xff8);
    memsrc_close(m);
    munmap(mem, CP_LEN);
}

static void test_copy_buffer_source(void **state)
{
    (void)state;
    uint8_t buf[256];
    for (int i = 0; i < 256; i++)
        buf[i] = (uint8_t)i;
    hs_err err;
    memsrc *m = memsrc_open_buffer(0x1000, buf, sizeof(buf), &err);
    memsrc_set_copy_limit(m, 4096);
    /* the second range runs past the buffer: its readable head is copied */
    memsrc_range r[2] = {{0x1000, 0x1040}, {0x10c0, 0x1200}};
    uint64_t bytes;
    assert_int_equal(memsrc_copy(m, r, 2, &bytes), 1);
    assert_int_equal(bytes, 0x40 + 0x40);
    buf[0x10] = 0xee; /* the copy keeps the bytes of its moment */
    buf[0xd0] = 0xdd;
    uint8_t out[4];
    assert_int_equal(memsrc_read(m, 0x1010, 1, out), 0);
    assert_int_equal(out[0], 0x10);
    size_t avail;
    const uint8_t *p = memsrc_stream(m, 0x10d0, 16, &avail);
    assert_non_null(p);
    assert_int_equal(p[0], 0xd0);
    assert_int_equal(avail, 0x30);
    /* straddling the first copy's end: the buffer itself */
    assert_int_equal(memsrc_read(m, 0x103e, 4, out), 0);
    assert_int_equal(out[0], 0x3e);
    assert_int_equal(out[2], 0x40);
    assert_int_equal(memsrc_syscalls(m), 0);
    memsrc_close(m);
}

/* One 16-byte header per page of cp_mem's 72, then an unmapped address,
 * then one more inside: one syscall for the 72 pages, one for the unmapped
 * address (it fails), one for the last; inside a copy, none; sealed, the
 * rest fail. */
static void test_read_gather(void **state)
{
    (void)state;
    uint8_t *mem = cp_mem();
    uint64_t base = (uint64_t)(uintptr_t)mem;
    enum { PAGES = CP_LEN / 4096, N = PAGES + 2 };
    uint64_t addr[N], out[N][2];
    unsigned char ok[N];
    for (size_t p = 0; p < PAGES; p++)
        addr[p] = base + p * 4096 + 8;
    addr[PAGES] = base + CP_LEN + 8;
    addr[PAGES + 1] = base + 5 * 4096 + 16;
    hs_err err;
    memsrc *m = memsrc_open_pid(getpid(), 0, &err);
    assert_non_null(m);
    memset(ok, 7, sizeof(ok));
    assert_int_equal(memsrc_read_gather(m, addr, N, 16, out, ok), N - 1);
    assert_int_equal(memsrc_syscalls(m), 3);
    for (size_t p = 0; p < PAGES; p++) {
        assert_int_equal(ok[p], 1);
        assert_int_equal(out[p][0], p * 4096 + 8);
        assert_int_equal(out[p][1], p * 4096 + 16);
    }
    assert_int_equal(ok[PAGES], 0);
    assert_int_equal(ok[PAGES + 1], 1);
    assert_int_equal(out[PAGES + 1][0], 5 * 4096 + 16);
    /* Pages 0-3 copied, then sealed: those cost nothing, the rest fail. */
    memsrc_set_copy_limit(m, 4 * 4096);
    memsrc_range r = {base, base + 4 * 4096};
    assert_int_equal(memsrc_copy(m, &r, 1, NULL), 1);
    memsrc_seal(m);
    uint64_t before = memsrc_syscalls(m);
    assert_int_equal(memsrc_read_gather(m, addr, 6, 16, out, ok), 4);
    assert_int_equal(memsrc_syscalls(m), before);
    assert_int_equal(out[3][0], 3 * 4096 + 8);
    assert_int_equal(ok[3], 1);
    assert_int_equal(ok[4], 0);
    assert_int_equal(ok[5], 0);
    memsrc_close(m);
    /* A buffer source reads the same way. */
    m = memsrc_open_buffer(base, mem, 8192, &err);
    assert_int_equal(memsrc_read_gather(m, addr, 3, 16, out, ok), 2);
    assert_int_equal(out[1][1], 4096 + 16);
    assert_int_equal(ok[2], 0);
    memsrc_close(m);
    munmap(mem, CP_LEN);
}

/* ---- copies split over threads: same result whatever the thread count ---- */

#define TH_LEN (12u << 20)             /* big enough for the automatic split */
#define TH_GUARD ((5u << 20) + 0x3000) /* offset of a PROT_NONE page */

/* TH_LEN bytes holding their own offsets, with the guard page. */
static uint8_t *th_mem(void)
{
    uint8_t *mem = mmap(NULL, TH_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    for (size_t i = 0; i < TH_LEN; i += 8) {
        uint64_t v = i;
        memcpy(mem + i, &v, 8);
    }
    assert_int_equal(mprotect(mem + TH_GUARD, 4096, PROT_NONE), 0);
    return mem;
}

/* The buffer source ends at the guard page (memcpy would fault on it). */
enum th_source { TH_PID, TH_SELF, TH_BUFFER };

/* A source with room for copies up to limit, made with nt threads (0: automatic). */
static memsrc *th_open(enum th_source src, const uint8_t *mem, size_t limit, unsigned nt)
{
    hs_err err;
    memsrc *m = src == TH_PID ? memsrc_open_pid(getpid(), 0, &err)
                : src == TH_SELF
                    ? memsrc_open_self(&err)
                    : memsrc_open_buffer((uint64_t)(uintptr_t)mem, mem, TH_GUARD, &err);
    assert_non_null(m);
    memsrc_set_copy_limit(m, limit);
    memsrc_set_copy_threads(m, nt);
    return m;
}

/* How many bytes from addr the copies hold (0: none). */
static size_t th_held(memsrc *m, uint64_t addr)
{
    size_t avail = 0;
    return memsrc_stream(m, addr, 1, &avail) ? avail : 0;
}

/* Every byte the copy holds from each range's start is the source's byte. */
static void th_check_bytes(memsrc *m, const uint8_t *mem, const memsrc_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t held = th_held(m, r[i].start), avail = 0;
        if (held == 0)
            continue;
        const uint8_t *p = memsrc_stream(m, r[i].start, held, &avail);
        assert_non_null(p);
        assert_int_equal(memcmp(p, mem + (r[i].start - (uint64_t)(uintptr_t)mem), held), 0);
    }
}

/* Ranges in a mixed order: a 4 MiB one, a small one inside it (skipped), an
 * empty one, one past the guard page (7 MiB - 16 KiB), one whose tail hits
 * the guard (its head of 972 KiB kept), small ones, the last two
 * overlapping each other. */
static size_t th_ranges(uint64_t base, memsrc_range *r)
{
    memsrc_range v[] = {
        {base + 0x1000, base + 0x401000},           /* 4 MiB: whole */
        {base + 0x2000, base + 0x3000},             /* inside the first: skipped */
        {base + 0x500000, base + 0x500000},         /* empty: counts as whole */
        {base + TH_GUARD + 0x1000, base + TH_LEN},  /* after the guard: whole */
        {base + 0x410000, base + TH_GUARD + 0x800}, /* tail unreadable: head kept */
        {base + 0x401000, base + 0x401010},         /* 16 bytes: whole */
        {base, base + 0x1000},                      /* the first page: whole */
        {base + 0x402000, base + 0x403000},         /* whole */
        {base + 0x402800, base + 0x404000},         /* overlaps the previous: skipped */
    };
    memcpy(r, v, sizeof(v));
    return sizeof(v) / sizeof(v[0]);
}

/* One copy of th_ranges with nt threads (0: automatic); checks its exact result. */
static void th_copy_once(enum th_source src, const uint8_t *mem, unsigned nt)
{
    uint64_t base = (uint64_t)(uintptr_t)mem;
    memsrc_range r[16];
    size_t n = th_ranges(base, r);
    memsrc *m = th_open(src, mem, TH_LEN, nt);
    hs_err err;
    if (src == TH_PID) /* the other sources copy into their own mappings */
        assert_int_equal(memsrc_reserve(m, TH_LEN, &err), 0);
    uint64_t bytes = 0;
    /* the buffer ends at the guard: nothing after it */
    const uint64_t after = src == TH_BUFFER ? 0 : TH_LEN - TH_GUARD - 0x1000;
    const uint64_t head = TH_GUARD - 0x410000;
    assert_int_equal(memsrc_copy(m, r, n, &bytes), src == TH_BUFFER ? 5 : 6);
    assert_int_equal(bytes, 0x400000 + after + head + 16 + 0x1000 + 0x1000);
    memsrc_seal(m);
    assert_int_equal(th_held(m, r[0].start), 0x400000);
    assert_int_equal(th_held(m, r[3].start), after);
    assert_int_equal(th_held(m, r[4].start), head);
    assert_int_equal(th_held(m, r[5].start), 16);
    assert_int_equal(th_held(m, base), 0x1000);
    assert_int_equal(th_held(m, r[7].start), 0x1000);
    assert_int_equal(th_held(m, base + 0x403000), 0); /* the overlapping one is not copied */
    uint64_t v;
    assert_int_equal(memsrc_read_u64(m, base + TH_GUARD - 8, &v), 0);
    assert_int_equal(v, TH_GUARD - 8);
    assert_int_equal(memsrc_read_u64(m, base + TH_GUARD, &v), -1);
    th_check_bytes(m, mem, r, n);
    memsrc_close(m);
}

static void test_copy_threads_same_result(void **state)
{
    (void)state;
    uint8_t *mem = th_mem();
    for (enum th_source src = TH_PID; src <= TH_BUFFER; src++)
        for (unsigned nt = 0; nt <= 4; nt++)
            th_copy_once(src, mem, nt);
    munmap(mem, TH_LEN);
}

/* A range cut into pieces, the guard page in an early piece: the pieces after
 * it are read but not kept, the head is, for every source and thread count. */
static void test_copy_threads_unreadable_middle(void **state)
{
    (void)state;
    uint8_t *mem = th_mem();
    uint64_t base = (uint64_t)(uintptr_t)mem;
    const uint64_t head = TH_GUARD - 0x480000;
    for (enum th_source src = TH_PID; src <= TH_BUFFER; src++)
        for (unsigned nt = 0; nt <= 4; nt++) {
            memsrc *m = th_open(src, mem, TH_LEN, nt);
            memsrc_range r[2] = {{base + 0x480000, base + 0x900000}, {base, base + 0x100000}};
            uint64_t bytes = 0;
            assert_int_equal(memsrc_copy(m, r, 2, &bytes), 1);
            assert_int_equal(bytes, head + 0x100000);
            memsrc_seal(m);
            assert_int_equal(th_held(m, r[0].start), head);
            assert_int_equal(th_held(m, base + (7u << 20)), 0);
            assert_int_equal(th_held(m, base), 0x100000);
            th_check_bytes(m, mem, r, 2);
            memsrc_close(m);
        }
    munmap(mem, TH_LEN);
}

/* One range of 1 MiB, cut into one piece per thread: one process_vm_readv
 * each, counted in the source's total. */
static void test_copy_threads_syscalls(void **state)
{
    (void)state;
    uint8_t *mem = th_mem();
    uint64_t base = (uint64_t)(uintptr_t)mem;
    for (unsigned nt = 1; nt <= 4; nt++) {
        memsrc *m = th_open(TH_PID, mem, TH_LEN, nt);
        memsrc_range r = {base + 0x800, base + 0x100800}; /* cuts fall on page boundaries */
        uint64_t bytes = 0;
        assert_int_equal(memsrc_copy(m, &r, 1, &bytes), 1);
        assert_int_equal(bytes, 0x100000);
        assert_int_equal(memsrc_syscalls(m), nt);
        memsrc_seal(m);
        th_check_bytes(m, mem, &r, 1);
        memsrc_close(m);
    }
    /* Automatic: one thread per 2 MiB, up to the CPUs and 4; 1 MiB stays in one. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const memsrc_range sizes[] = {{base, base + (1u << 20)},
                                  {base, base + (4u << 20)},
                                  {base, base + (5u << 20)},
                                  {base + (6u << 20), base + TH_LEN}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memsrc *m = th_open(TH_PID, mem, TH_LEN, 0);
        memsrc_range r = sizes[i];
        assert_int_equal(memsrc_copy(m, &r, 1, NULL), 1);
        uint64_t want = (r.end - r.start) / (2u << 20);
        if (want > (uint64_t)cpus)
            want = (uint64_t)cpus;
        if (want > 4)
            want = 4;
        assert_int_equal(memsrc_syscalls(m), want ? want : 1);
        memsrc_close(m);
    }
    munmap(mem, TH_LEN);
}

/* The limit stops the copy at the same range whatever the thread count, with
 * and without a reserve; the copied ranges are whole and exact. */
static void test_copy_threads_limit(void **state)
{
    (void)state;
    uint8_t *mem = th_mem();
    uint64_t base = (uint64_t)(uintptr_t)mem;
    for (int reserve = 0; reserve < 2; reserve++)
        for (unsigned nt = 1; nt <= 4; nt++) {
            memsrc *m = th_open(TH_PID, mem, 0x300000, nt);
            hs_err err;
            if (reserve)
                assert_int_equal(memsrc_reserve(m, 0x300000, &err), 0);
            memsrc_range r[3] = {{base + 0x100000, base + 0x300000},
                                 {base, base + 0x100001}, /* one byte past the limit */
                                 {base + 0x400000, base + 0x401000}};
            uint64_t bytes = 0;
            assert_int_equal(memsrc_copy(m, r, 3, &bytes), 1);
            assert_int_equal(bytes, 0x200000);
            memsrc_seal(m);
            assert_int_equal(th_held(m, r[0].start), 0x200000);
            assert_int_equal(th_held(m, base), 0);
            assert_int_equal(th_held(m, r[2].start), 0);
            th_check_bytes(m, mem, r, 1);
            /* exactly at the limit: fits */
            memsrc_invalidate(m);
            r[1].end = base + 0x100000;
            assert_int_equal(memsrc_copy(m, r, 3, &bytes), 2);
            assert_int_equal(bytes, 0x300000);
            memsrc_seal(m);
            th_check_bytes(m, mem, r, 2);
            memsrc_close(m);
        }
    munmap(mem, TH_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer_bounds),
        cmocka_unit_test(test_pid_window_and_cache),
        cmocka_unit_test(test_self),
        cmocka_unit_test(test_copy_serves_reads),
        cmocka_unit_test(test_copy_list_chase_costs_no_syscall),
        cmocka_unit_test(test_copy_limit_and_tail),
        cmocka_unit_test(test_copy_buffer_source),
        cmocka_unit_test(test_read_gather),
        cmocka_unit_test(test_copy_threads_same_result),
        cmocka_unit_test(test_copy_threads_unreadable_middle),
        cmocka_unit_test(test_copy_threads_syscalls),
        cmocka_unit_test(test_copy_threads_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
