/* tests/unit/test_tvtable.c: lib/types/tvtable over a hand-built image of a
 * loaded object's read-only data: vtables, type_info objects and their names
 * at known addresses, read through a buffer memory source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tvtable.h"

#define BASE 0x10000u
static uint8_t img[0x2000];

static void put64(uint64_t addr, uint64_t v)
{
    memcpy(img + (addr - BASE), &v, 8);
}

static void put_str(uint64_t addr, const char *s)
{
    memcpy(img + (addr - BASE), s, strlen(s) + 1);
}

/* A class's vtable at vt (address point vt + 16) whose type_info at ti names
 * mangled; offset is the offset-to-top word. */
static void put_class(uint64_t vt, int64_t offset, uint64_t ti, uint64_t name, const char *mangled)
{
    put64(vt, (uint64_t)offset);
    put64(vt + 8, ti);
    put64(ti, BASE + 0x1f00 + 16); /* the type_info's own vptr: read-only data too */
    put64(ti + 8, name);
    put_str(name, mangled);
}

typedef struct {
    procmaps *pm;
    memsrc *m;
    tvt *t;
} fx;

static int setup(void **state)
{
    memset(img, 0, sizeof(img));
    put_class(BASE + 0x000, 0, BASE + 0x800, BASE + 0xc00, "6Circle");
    put_class(BASE + 0x040, 0, BASE + 0x820, BASE + 0xc40, "N2ns7SessionE");
    put_class(BASE + 0x080, -16, BASE + 0x840, BASE + 0xc80, "4Both"); /* a secondary vtable */
    put_class(BASE + 0x0c0, 0, BASE + 0x860, BASE + 0xcc0, "*N12_GLOBAL__N_13FooE");
    put_class(BASE + 0x100, 0, BASE + 0x880, BASE + 0xd00, "Circle!"); /* not a type name */
    put_class(BASE + 0x140, 0, BASE + 0x8a0, BASE + 0x1ff8, "");
    static const char unterminated[8] = {'9', 'T', 'o', 'o', 'L', 'o', 'n', 'g'};
    for (size_t i = 0; i < sizeof(unterminated); i++) /* no NUL before the mapping ends */
        img[0x1ff8 + i] = (uint8_t)unterminated[i];
    static const char maps[] = "10000-12000 r--p 00000000 08:01 5 /usr/lib/libfake.so\n"
                               "12000-13000 rw-p 00002000 08:01 5 /usr/lib/libfake.so\n";
    hs_err err = {{0}};
    fx *f = calloc(1, sizeof(*f));
    f->pm = procmaps_parse(maps, strlen(maps), 1, &err);
    f->m = memsrc_open_buffer(BASE, img, sizeof(img), &err);
    f->t = tvt_open(f->m, f->pm, &err);
    assert_non_null(f->t);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tvt_close(f->t);
    memsrc_close(f->m);
    procmaps_free(f->pm);
    free(f);
    return 0;
}

static void test_names(void **state)
{
    fx *f = *state;
    assert_string_equal(tvt_class_of(f->t, BASE + 0x010), "Circle");
    assert_string_equal(tvt_class_of(f->t, BASE + 0x050), "ns::Session");
    assert_string_equal(tvt_class_of(f->t, BASE + 0x0d0), "(anonymous namespace)::Foo");
    /* cached: the same string again */
    const char *a = tvt_class_of(f->t, BASE + 0x010);
    assert_ptr_equal(a, tvt_class_of(f->t, BASE + 0x010));
}

static void test_rejects(void **state)
{
    fx *f = *state;
    assert_null(tvt_class_of(f->t, BASE + 0x090)); /* offset to top -16: not a complete object */
    assert_null(tvt_class_of(f->t, BASE + 0x110)); /* "Circle!" */
    assert_null(tvt_class_of(f->t, BASE + 0x150)); /* name without its NUL in the mapping */
    assert_null(tvt_class_of(f->t, BASE + 0x012)); /* misaligned */
    assert_null(tvt_class_of(f->t, BASE + 0x008)); /* its type_info word is no vtable's */
    assert_null(tvt_class_of(f->t, 0x12010));      /* writable data */
    assert_null(tvt_class_of(f->t, 0x7fff0000));   /* nothing mapped */
    assert_null(tvt_class_of(f->t, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
