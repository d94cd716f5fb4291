/* tests/unit/test_memsrc.c: the three memory sources: bounds of the buffer
 * source, the process source's window and page cache (syscall counts), and
 * the self source turning a bad address into an error, not a fault. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buffer_bounds),
        cmocka_unit_test(test_pid_window_and_cache),
        cmocka_unit_test(test_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
