/* tests/unit/test_typelabels.c: snapshot/typelabels' join of each chunk's
 * type to its holder: a vtable class wins over a DWARF type, the evidence
 * goes with it ("vtable", "dwarf"), equal (holder, type) pairs share one
 * index, a chunk with neither gets index 0, and the counts are exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "typelabels.h"

static void test_join(void **state)
{
    (void)state;
    const char *held[] = {NULL, "global g_table", "lost"};
    attr_chunk chunks[5] = {
        {0x1000, 48, false, 1, false}, /* Circle by its vtable, held by g_table */
        {0x2000, 80, false, 1, false}, /* struct session by DWARF, held by g_table */
        {0x3000, 80, false, 1, false}, /* the same pair */
        {0x4000, 32, false, 2, false}, /* lost, no type */
        {0x5000, 64, false, 0, false}, /* nothing at all */
    };
    const char *classes[5] = {"Circle", NULL, NULL, NULL, NULL};
    const char *dwarf[5] = {"struct shape", "struct session", "struct session", NULL, NULL};
    hs_err err = {0};
    tlab *l = tlab_assign(chunks, 5, classes, dwarf, held, 3, &err);
    assert_non_null(l);
    assert_int_equal(tlab_count(l), 4); /* 0, Circle, struct session, lost */
    const char *const *t = tlab_types(l), *const *f = tlab_froms(l), *const *h = tlab_held(l);
    assert_null(t[0]);
    assert_null(f[0]);
    assert_null(h[0]);
    assert_string_equal(t[chunks[0].held_by], "Circle");
    assert_string_equal(f[chunks[0].held_by], "vtable");
    assert_string_equal(h[chunks[0].held_by], "global g_table");
    assert_string_equal(t[chunks[1].held_by], "struct session");
    assert_string_equal(f[chunks[1].held_by], "dwarf");
    assert_int_equal(chunks[1].held_by, chunks[2].held_by);
    assert_null(t[chunks[3].held_by]);
    assert_null(f[chunks[3].held_by]);
    assert_string_equal(h[chunks[3].held_by], "lost");
    assert_int_equal(chunks[4].held_by, 0);
    assert_int_equal(tlab_typed_chunks(l), 3);
    assert_int_equal(tlab_typed_bytes(l), 48 + 80 + 80);
    tlab_free(l);
}

static void test_no_types(void **state)
{
    (void)state;
    attr_chunk chunks[2] = {{0x1000, 48, false, 0, false}, {0x2000, 80, false, 0, false}};
    hs_err err = {0};
    tlab *l = tlab_assign(chunks, 2, NULL, NULL, NULL, 0, &err);
    assert_non_null(l);
    assert_int_equal(tlab_count(l), 1);
    assert_int_equal(chunks[0].held_by, 0);
    assert_int_equal(chunks[1].held_by, 0);
    assert_int_equal(tlab_typed_chunks(l), 0);
    tlab_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_no_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
