/* tests/unit/test_symvars.c: lib/sym/symvars on this test's own executable
 * -- a global array, a static one (each address inside them names them),
 * an address past every symbol, and a thread-local variable found at its
 * offset in the executable's TLS block, which lies right below the thread
 * pointer at the block's size rounded up to its alignment (TLS variant II:
 * what lib/graph/roots assumes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "procmaps.h"
#include "symvars.h"

long test_symvars_global[16];
static char test_symvars_static[100];
static __thread long test_symvars_tls[4];

/* Link-time address of a's byte in this executable. */
static uint64_t self_vaddr(const symvars *v, const void *a)
{
    hs_err err = {0};
    procmaps *pm = procmaps_read(0, &err);
    assert_non_null(pm);
    const procmaps_entry *e = procmaps_find(pm, (uint64_t)(uintptr_t)test_symvars_global);
    assert_non_null(e);
    uint64_t base = procmaps_file_base(pm, e);
    procmaps_free(pm);
    return (uint64_t)(uintptr_t)a - base + symvars_load_vaddr(v);
}

static void test_data(void **state)
{
    (void)state;
    hs_err err = {0};
    symvars *v = symvars_open("/proc/self/exe", &err);
    assert_non_null(v);
    test_symvars_static[0] = 1; /* keep it */
    assert_string_equal(symvars_lookup(v, self_vaddr(v, &test_symvars_global[0]), 0),
                        "test_symvars_global");
    assert_string_equal(symvars_lookup(v, self_vaddr(v, &test_symvars_global[15]), 0),
                        "test_symvars_global");
    assert_string_equal(symvars_lookup(v, self_vaddr(v, &test_symvars_static[57]), 0),
                        "test_symvars_static");
    assert_null(symvars_lookup(v, 0, 0));
    symvars_close(v);
}

static void test_tls(void **state)
{
    (void)state;
    hs_err err = {0};
    symvars *v = symvars_open("/proc/self/exe", &err);
    assert_non_null(v);
    uint64_t memsz, align;
    symvars_tls(v, &memsz, &align);
    assert_true(memsz >= sizeof(test_symvars_tls));
    uint64_t off = (memsz + align - 1) / align * align;
    uint64_t tp = (uint64_t)(uintptr_t)__builtin_thread_pointer();
    uint64_t block = tp - off;
    uint64_t at = (uint64_t)(uintptr_t)&test_symvars_tls[2];
    assert_true(at >= block && at < block + memsz);
    assert_string_equal(symvars_lookup(v, at - block, 1), "test_symvars_tls");
    symvars_close(v);
}

static void test_not_elf(void **state)
{
    (void)state;
    hs_err err = {0};
    assert_null(symvars_open("/proc/self/status", &err));
    assert_non_null(strstr(err.msg, "not a readable ELF file"));
    assert_null(symvars_open("/nonexistent/file", &err));
    assert_non_null(strstr(err.msg, "cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_not_elf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
