/* tests/unit/test_resident.c: the resident pages of this very process: pages
 * written count, pages never touched do not, and a page only read (the shared
 * zero page) does not either, as in smaps' Rss -- through PAGEMAP_SCAN and
 * through the pagemap entries; the sum against smaps_rollup on a stopped
 * child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "resident.h"

static void region_counts(bool allow_scan)
{
    unsigned char *p =
        mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    p[0] = 1;
    p[4096 + 7] = 1;
    p[5 * 4096 + 4095] = 1;
    volatile unsigned char z = p[8 * 4096]; /* read only: the zero page */
    (void)z;
    hs_err err;
    procmaps *m = procmaps_read(0, &err);
    assert_non_null(m);
    resident_set rs;
    assert_int_equal(resident_read(0, m, allow_scan, &rs, &err), 0);
    uint64_t base = (uint64_t)(uintptr_t)p;
    uint64_t want = rs.method == RESIDENT_PRESENT ? 4 * 4096 : 3 * 4096;
    assert_int_equal(resident_bytes(&rs, base, base + 16 * 4096), want);
    assert_int_equal(resident_bytes(&rs, base + 4096 + 100, base + 2 * 4096), 4096 - 100);
    if (allow_scan)
        assert_int_equal(rs.method, RESIDENT_SCAN); /* Linux 6.7 or later here */
    else
        assert_true(rs.method == RESIDENT_PFN || rs.method == RESIDENT_PRESENT);
    resident_free(&rs);
    procmaps_free(m);
    munmap(p, 16 * 4096);
}

static void test_scan(void **state)
{
    (void)state;
    region_counts(true);
}

static void test_entries(void **state)
{
    (void)state;
    region_counts(false);
}

/* The sum equals smaps_rollup's Rss, on a stopped child (this process
 * allocates while it reads, so its own Rss does not hold still). */
static void test_rollup(void **state)
{
    (void)state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        raise(SIGSTOP);
        _exit(0);
    }
    int st;
    assert_int_equal(waitpid(child, &st, WUNTRACED), child);
    assert_true(WIFSTOPPED(st));
    hs_err err;
    procmaps *m = procmaps_read(child, &err);
    assert_non_null(m);
    resident_set rs;
    uint64_t rss;
    assert_int_equal(resident_read(child, m, true, &rs, &err), 0);
    assert_int_equal(resident_rollup(child, &rss, &err), 0);
    assert_int_equal(rs.bytes, rss);
    resident_free(&rs);
    procmaps_free(m);
    kill(child, SIGKILL);
    waitpid(child, &st, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_rollup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
