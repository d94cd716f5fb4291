/* tests/unit/test_procmaps.c: lib/procmaps on maps text written out by hand
 * (every field of a line, paths with spaces, malformed lines, the binary
 * search at its edges, a file's load base) and on this process's own map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "procmaps.h"

/* A PIE, an anonymous mapping, the heap, libc in four parts with a gap, a
 * deleted file whose name has spaces, and the stack. */
static const char maps_text[] =
    "555555554000-555555556000 r--p 00000000 08:01 131 /usr/bin/prog\n"
    "555555556000-555555558000 r-xp 00002000 08:01 131 /usr/bin/prog\n"
    "555555558000-55555555a000 rw-p 00000000 00:00 0 \n"
    "55555555a000-55555557b000 rw-p 00000000 00:00 0                          [heap]\n"
    "7ffff7d80000-7ffff7da8000 r--p 00000000 08:01 2048 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff7da8000-7ffff7f3d000 r-xp 00028000 08:01 2048 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff7f3d000-7ffff7f95000 r--p 001bd000 08:01 2048 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff7f96000-7ffff7f9a000 rw-p 00215000 08:01 2048 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ffff7fc0000-7ffff7fc1000 rw-s 00000000 00:05 77 /tmp/my file (deleted)\n"
    "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]";

static procmaps *parse_fixture(void)
{
    hs_err err = {{0}};
    procmaps *m = procmaps_parse(maps_text, sizeof(maps_text) - 1, 42, &err);
    assert_non_null(m);
    assert_int_equal(m->n, 10);
    assert_int_equal(m->pid, 42);
    return m;
}

static void test_parse_fields(void **state)
{
    (void)state;
    procmaps *m = parse_fixture();
    const procmaps_entry *e = &m->v[1];
    assert_int_equal(e->start, 0x555555556000ull);
    assert_int_equal(e->end, 0x555555558000ull);
    assert_int_equal(e->offset, 0x2000);
    assert_true(e->r && !e->w && e->x && e->p);
    assert_int_equal(e->inode, 131);
    assert_string_equal(e->path, "/usr/bin/prog");
    assert_string_equal(m->v[2].path, ""); /* anonymous, trailing space */
    assert_string_equal(m->v[3].path, "[heap]");
    assert_true(m->v[3].r && m->v[3].w && !m->v[3].x && m->v[3].p);
    e = &m->v[8];
    assert_string_equal(e->path, "/tmp/my file (deleted)");
    assert_false(e->p); /* shared */
    assert_int_equal(e->inode, 77);
    assert_string_equal(m->v[9].path, "[stack]"); /* last line without newline */
    assert_int_equal(m->v[9].end, 0x7ffffffff000ull);
    procmaps_free(m);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    hs_err err = {{0}};
    static const char bad[] = "1000-2000 r--p 00000000 08:01 1 /a\n"
                              "3000-4000 r--p\n";
    assert_null(procmaps_parse(bad, sizeof(bad) - 1, 7, &err));
    assert_string_equal(err.msg, "malformed line 2 in the memory map of process 7");
    static const char backwards[] = "2000-1000 r--p 00000000 08:01 1 /a\n";
    assert_null(procmaps_parse(backwards, sizeof(backwards) - 1, 7, &err));
    assert_string_equal(err.msg, "malformed line 1 in the memory map of process 7");
    static const char shortperm[] = "1000-2000 r- 00000000 08:01 1 /a\n";
    assert_null(procmaps_parse(shortperm, sizeof(shortperm) - 1, 7, &err));
    /* out of order or overlapping: procmaps_find could not search it */
    static const char unsorted[] = "3000-4000 r--p 00000000 08:01 1 /a\n"
                                   "1000-2000 r--p 00000000 08:01 1 /a\n";
    assert_null(procmaps_parse(unsorted, sizeof(unsorted) - 1, 7, &err));
    assert_string_equal(err.msg, "malformed line 2 in the memory map of process 7");
    static const char overlap[] = "1000-3000 r--p 00000000 08:01 1 /a\n"
                                  "2000-4000 r--p 00000000 08:01 1 /a\n";
    assert_null(procmaps_parse(overlap, sizeof(overlap) - 1, 7, &err));
    assert_string_equal(err.msg, "malformed line 2 in the memory map of process 7");
    /* empty text and blank lines: an empty map, not an error */
    procmaps *m = procmaps_parse("\n\n", 2, 7, &err);
    assert_non_null(m);
    assert_int_equal(m->n, 0);
    assert_null(procmaps_find(m, 0x1000));
    procmaps_free(m);
}

static void test_find_edges(void **state)
{
    (void)state;
    procmaps *m = parse_fixture();
    assert_ptr_equal(procmaps_find(m, 0x555555554000ull), &m->v[0]); /* start is inside */
    assert_ptr_equal(procmaps_find(m, 0x555555555fffull), &m->v[0]);
    assert_ptr_equal(procmaps_find(m, 0x555555556000ull), &m->v[1]); /* end is outside */
    assert_ptr_equal(procmaps_find(m, 0x55555555a123ull), &m->v[3]);
    assert_null(procmaps_find(m, 0x555555553fffull)); /* before the first */
    assert_null(procmaps_find(m, 0x7ffff7f95000ull)); /* the gap in libc */
    assert_ptr_equal(procmaps_find(m, 0x7ffff7f96000ull), &m->v[7]);
    assert_ptr_equal(procmaps_find(m, 0x7fffffffeff8ull), &m->v[9]);
    assert_null(procmaps_find(m, 0x7ffffffff000ull)); /* after the last */
    assert_null(procmaps_find(m, 0));
    assert_null(procmaps_find(m, UINT64_MAX));
    procmaps_free(m);
}

static void test_find_file_and_base(void **state)
{
    (void)state;
    procmaps *m = parse_fixture();
    const procmaps_entry *libc = procmaps_find_file(m, "libc.so.");
    assert_ptr_equal(libc, &m->v[4]);
    assert_ptr_equal(procmaps_find_file(m, "prog"), &m->v[0]);
    assert_null(procmaps_find_file(m, "heap")); /* "[heap]" is no file */
    assert_null(procmaps_find_file(m, "ld-linux"));
    /* every part of a file gives the same base: start - offset, lowest */
    assert_int_equal(procmaps_file_base(m, &m->v[6]), 0x7ffff7d80000ull);
    assert_int_equal(procmaps_file_base(m, &m->v[7]), 0x7ffff7d80000ull);
    assert_int_equal(procmaps_file_base(m, &m->v[1]), 0x555555554000ull);
    /* the anonymous mapping after the PIE is not part of it */
    assert_int_equal(procmaps_file_base(m, &m->v[2]), 0x555555558000ull);
    procmaps_free(m);
}

static void test_open_path(void **state)
{
    (void)state;
    char buf[256];
    procmaps *m = parse_fixture();
    m->pid = 0; /* the calling process: the path as it is */
    assert_string_equal(procmaps_open_path(m, &m->v[4], buf, sizeof(buf)),
                        "/usr/lib/x86_64-linux-gnu/libc.so.6");
    /* our own pid: through /proc/PID/root, which exists and resolves */
    m->pid = getpid();
    char want[256];
    snprintf(want, sizeof(want), "/proc/%d/root/usr/lib/x86_64-linux-gnu/libc.so.6", (int)getpid());
    assert_string_equal(procmaps_open_path(m, &m->v[4], buf, sizeof(buf)), want);
    /* a file that is not there (deleted): the path as printed */
    assert_string_equal(procmaps_open_path(m, &m->v[8], buf, sizeof(buf)),
                        "/tmp/my file (deleted)");
    procmaps_free(m);
}

static void marker_function(void)
{
}

static void test_read_self(void **state)
{
    (void)state;
    hs_err err = {{0}};
    procmaps *m = procmaps_read(0, &err);
    assert_non_null(m);
    assert_true(m->n > 5);
    for (size_t i = 1; i < m->n; i++) /* what procmaps_find relies on */
        assert_true(m->v[i - 1].end <= m->v[i].start);
    const procmaps_entry *e = procmaps_find(m, (uint64_t)(uintptr_t)&marker_function);
    assert_non_null(e);
    assert_true(e->r && e->x);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_string_equal(e->path, exe);
    int local = 0;
    e = procmaps_find(m, (uint64_t)(uintptr_t)&local);
    assert_non_null(e);
    assert_string_equal(e->path, "[stack]");
    procmaps_free(m);
}

static void test_read_no_process(void **state)
{
    (void)state;
    hs_err err = {{0}};
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    assert_non_null(f);
    int pid_max = 0;
    assert_int_equal(fscanf(f, "%d", &pid_max), 1);
    fclose(f);
    int nopid = pid_max + 1; /* above pid_max: cannot exist */
    assert_null(procmaps_read(nopid, &err));
    char want[128];
    snprintf(want, sizeof(want), "no such process %d: check the PID (ps -p %d)", nopid, nopid);
    assert_string_equal(err.msg, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),    cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_find_edges),      cmocka_unit_test(test_find_file_and_base),
        cmocka_unit_test(test_open_path),       cmocka_unit_test(test_read_self),
        cmocka_unit_test(test_read_no_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
