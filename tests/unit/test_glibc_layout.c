/* tests/unit/test_glibc_layout.c: the layout read from libc6-dbg's DWARF equals
 * the built-in table for the verified build; HEAPSNAP_DEBUG_DIR selects the
 * debug root; with neither source, the error says to install libc6-dbg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "glibc_layout.h"

#define DEBUG_FILE "/usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a558528a40.debug"

static void test_dwarf_equals_builtin(void **state)
{
    (void)state;
    if (access(DEBUG_FILE, R_OK) != 0)
        skip(); /* libc6-dbg not installed */
    glayout d, b;
    hs_err err;
    assert_int_equal(glayout_from_dwarf(DEBUG_FILE, &d, &err), 0);
    assert_int_equal(glayout_builtin(GLAYOUT_DEBIAN12_BUILDID, &b, &err), 0);
    assert_string_equal(d.source, "DWARF of " DEBUG_FILE);
    memset(d.source, 0, sizeof(d.source));
    memset(b.source, 0, sizeof(b.source));
    assert_memory_equal(&d, &b, sizeof(d));
    assert_int_equal(d.ms_size, 2200);
    assert_int_equal(d.tc_count_size, 2);
    assert_int_equal(d.tls_tcache, 0x48);
}

static void test_load_prefers_dwarf_then_builtin(void **state)
{
    (void)state;
    glayout l;
    hs_err err;
    char dir[] = "/tmp/hs-layout-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(glayout_load(GLAYOUT_DEBIAN12_BUILDID, dir, &l, &err), 0);
    assert_non_null(strstr(l.source, "built-in table for Debian 12 glibc 2.36"));
    assert_non_null(strstr(l.source, "no usable debug file"));
    setenv("HEAPSNAP_DEBUG_DIR", dir, 1);
    assert_int_equal(glayout_load(GLAYOUT_DEBIAN12_BUILDID, NULL, &l, &err), 0);
    assert_non_null(strstr(l.source, "built-in table"));
    unsetenv("HEAPSNAP_DEBUG_DIR");
    if (access(DEBUG_FILE, R_OK) == 0) {
        assert_int_equal(glayout_load(GLAYOUT_DEBIAN12_BUILDID, NULL, &l, &err), 0);
        assert_string_equal(l.source, "DWARF of " DEBUG_FILE);
    }
    rmdir(dir);
}

static void test_unknown_build_says_install(void **state)
{
    (void)state;
    glayout l;
    hs_err err;
    assert_int_equal(
        glayout_load("00112233445566778899aabbccddeeff00112233", "/nonexistent", &l, &err), -1);
    assert_non_null(strstr(err.msg, "install the debug symbols with `apt-get install libc6-dbg`"));
    assert_non_null(strstr(err.msg, "00112233445566778899aabbccddeeff00112233"));
    assert_int_equal(glayout_builtin("abcd", &l, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dwarf_equals_builtin),
        cmocka_unit_test(test_load_prefers_dwarf_then_builtin),
        cmocka_unit_test(test_unknown_build_says_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
