/* tests/unit/test_pagemap.c: lib/pagemap on this process's own anonymous
 * memory, where the test decides which pages are touched: single pages, a
 * page given back with MADV_DONTNEED, a range longer than one batch of reads,
 * the error for a process that does not exist, and the pages that differ
 * between this process and a fork of it after it wrote some. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pagemap.h"

/* npages of fresh anonymous memory, never touched. MADV_NOHUGEPAGE: one
 * write must fault in one page, not a transparent huge page around it. */
static uint8_t *fresh_pages(size_t npages)
{
    uint8_t *p = mmap(NULL, npages * PAGEMAP_PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    assert_int_equal(madvise(p, npages * PAGEMAP_PAGE, MADV_NOHUGEPAGE), 0);
    return p;
}

static void test_touched_pages(void **state)
{
    (void)state;
    uint8_t *p = fresh_pages(8);
    p[0] = 1;
    p[3 * PAGEMAP_PAGE + 100] = 1;
    p[8 * PAGEMAP_PAGE - 1] = 1;
    hs_err err = {{0}};
    pagemap *pm = pagemap_open(getpid(), &err);
    assert_non_null(pm);
    uint64_t a = (uint64_t)(uintptr_t)p;
    unsigned char out[8];
    memset(out, 7, sizeof(out));
    assert_int_equal(pagemap_touched(pm, a, a + 8 * PAGEMAP_PAGE, out, &err), 0);
    const unsigned char want[8] = {1, 0, 0, 1, 0, 0, 0, 1};
    assert_memory_equal(out, want, 8);
    /* a page given back reads as never touched */
    assert_int_equal(madvise(p + 3 * PAGEMAP_PAGE, PAGEMAP_PAGE, MADV_DONTNEED), 0);
    memset(out, 7, sizeof(out));
    assert_int_equal(pagemap_touched(pm, a + 2 * PAGEMAP_PAGE, a + 5 * PAGEMAP_PAGE, out, &err), 0);
    const unsigned char want2[3] = {0, 0, 0};
    assert_memory_equal(out, want2, 3);
    assert_int_equal(out[3], 7); /* nothing written past the range */
    pagemap_close(pm);
    munmap(p, 8 * PAGEMAP_PAGE);
}

/* 4096 entries are read at a time: pages on both sides of the first batch
 * boundary, and the last page of a range that ends 3 pages into the second. */
static void test_across_batches(void **state)
{
    (void)state;
    size_t n = 4096 + 3;
    uint8_t *p = fresh_pages(n);
    size_t touched[] = {0, 4095, 4096, 4098};
    for (size_t i = 0; i < sizeof(touched) / sizeof(touched[0]); i++)
        p[touched[i] * PAGEMAP_PAGE] = 1;
    hs_err err = {{0}};
    pagemap *pm = pagemap_open(getpid(), &err);
    assert_non_null(pm);
    unsigned char *out = malloc(n);
    assert_non_null(out);
    uint64_t a = (uint64_t)(uintptr_t)p;
    assert_int_equal(pagemap_touched(pm, a, a + n * PAGEMAP_PAGE, out, &err), 0);
    size_t ones = 0;
    for (size_t i = 0; i < n; i++)
        ones += out[i];
    assert_int_equal(ones, 4);
    for (size_t i = 0; i < sizeof(touched) / sizeof(touched[0]); i++)
        assert_int_equal(out[touched[i]], 1);
    free(out);
    pagemap_close(pm);
    munmap(p, n * PAGEMAP_PAGE);
}

static void test_no_process(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    assert_non_null(f);
    int pid_max = 0;
    assert_int_equal(fscanf(f, "%d", &pid_max), 1);
    fclose(f);
    hs_err err = {{0}};
    assert_null(pagemap_open(pid_max + 1, &err));
    char want[160];
    snprintf(want, sizeof(want),
             "cannot open /proc/%d/pagemap: No such file or directory (run as root or with "
             "ptrace access)",
             pid_max + 1);
    assert_string_equal(err.msg, want);
}

/* A fork shares every page until one side writes it: the pages this process
 * writes afterwards, and a page it touches first, are the differing ones. */
static void test_differing_after_fork(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* frame numbers need CAP_SYS_ADMIN */
    uint8_t *p = fresh_pages(8);
    for (int i = 0; i < 7; i++) /* page 7 stays untouched */
        p[i * PAGEMAP_PAGE] = 1;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char c;
        close(fds[1]);
        while (read(fds[0], &c, 1) < 0) {
        }
        _exit(0);
    }
    close(fds[0]);
    hs_err err = {0};
    pagemap *a = pagemap_open(getpid(), &err), *b = pagemap_open(child, &err);
    assert_non_null(a);
    assert_non_null(b);
    uint64_t start = (uint64_t)(uintptr_t)p, end = start + 8 * PAGEMAP_PAGE, n = 99;
    assert_int_equal(pagemap_differing(a, b, start, end, &n, &err), 0);
    assert_int_equal(n, 0);
    p[1 * PAGEMAP_PAGE] = 2;
    p[3 * PAGEMAP_PAGE] = 2;
    p[4 * PAGEMAP_PAGE] = 2;
    p[7 * PAGEMAP_PAGE] = 2;
    assert_int_equal(pagemap_differing(a, b, start, end, &n, &err), 0);
    assert_int_equal(n, 4);
    pagemap_close(a);
    pagemap_close(b);
    close(fds[1]);
    assert_int_equal(waitpid(child, NULL, 0), child);
    munmap(p, 8 * PAGEMAP_PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_touched_pages),
        cmocka_unit_test(test_across_batches),
        cmocka_unit_test(test_no_process),
        cmocka_unit_test(test_differing_after_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
