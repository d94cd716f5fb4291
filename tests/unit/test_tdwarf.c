/* tests/unit/test_tdwarf.c: lib/types/tdwarf on this test's own DWARF (it
 * is built with -g -O0): the types of its globals, their members with
 * offsets, pointers, arrays, and typedefs and const seen through. */
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdwarf.h"

struct tsession {
    int id;
    char *user;
    struct tsession *next;
    double score;
};

struct ttable {
    struct tsession **buckets;
    unsigned long nbuckets;
};

typedef struct ttable ttable_t;
typedef const char *tname_t;

union tvalue {
    long l;
    double d;
};

ttable_t g_ttable;
struct tsession *g_tslots[4];
tname_t g_tname;
union tvalue g_tvalue;
static struct tsession g_tone = {1, NULL, NULL, 0.5};

typedef struct fx {
    sym_ctx *sym;
    tdw *t;
} fx;

static int exe_bias(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uint64_t *)arg = info->dlpi_addr; /* the first object is the executable */
    return 1;
}

static int setup(void **state)
{
    static fx f;
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    assert_true(n > 0);
    path[n] = '\0';
    hs_err err = {0};
    f.sym = sym_open(0, &err);
    assert_non_null(f.sym);
    f.t = tdw_new(&err);
    assert_non_null(f.t);
    uint64_t bias = 0;
    dl_iterate_phdr(exe_bias, &bias);
    assert_true(tdw_add_object(f.t, f.sym, path, bias, &err) >= 5);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tdw_free(f->t);
    sym_close(f->sym);
    return 0;
}

static const tdw_global *global(fx *f, const void *addr, const char *name)
{
    const tdw_global *g = tdw_global_at(f->t, (uint64_t)(uintptr_t)addr);
    assert_non_null(g);
    assert_string_equal(g->name, name);
    return g;
}

static void member(fx *f, const tdw_type *s, uint32_t k, const char *name, uint64_t off,
                   const char *type)
{
    assert_true(k < s->nmembers);
    const tdw_member *m = tdw_member_at(f->t, s->first + k);
    assert_string_equal(m->name, name);
    assert_int_equal(m->offset, off);
    assert_string_equal(tdw_type_at(f->t, m->type)->name, type);
}

static void test_struct_through_typedef(void **state)
{
    fx *f = *state;
    const tdw_type *tab = tdw_type_at(f->t, global(f, &g_ttable, "g_ttable")->type);
    assert_int_equal(tab->kind, TDW_STRUCT);
    assert_string_equal(tab->name, "struct ttable");
    assert_string_equal(tab->tag, "ttable");
    assert_int_equal(tab->size, 16);
    assert_int_equal(tab->nmembers, 2);
    member(f, tab, 0, "buckets", 0, "struct tsession **");
    member(f, tab, 1, "nbuckets", 8, "long unsigned int");
    /* struct tsession ** -> struct tsession * -> struct tsession */
    const tdw_type *pp = tdw_type_at(f->t, tdw_member_at(f->t, tab->first)->type);
    assert_int_equal(pp->kind, TDW_POINTER);
    assert_int_equal(pp->size, 8);
    const tdw_type *p = tdw_type_at(f->t, pp->target);
    assert_string_equal(p->name, "struct tsession *");
    const tdw_type *s = tdw_type_at(f->t, p->target);
    assert_string_equal(s->name, "struct tsession");
    assert_int_equal(s->size, 32);
    assert_int_equal(s->nmembers, 4);
    member(f, s, 0, "id", 0, "int");
    member(f, s, 1, "user", 8, "char *");
    member(f, s, 2, "next", 16, "struct tsession *");
    member(f, s, 3, "score", 24, "double");
    /* the list's next is the same type: resolved once */
    assert_int_equal(tdw_member_at(f->t, s->first + 2)->type, pp->target);
}

static void test_array_const_union(void **state)
{
    fx *f = *state;
    const tdw_type *a = tdw_type_at(f->t, global(f, g_tslots, "g_tslots")->type);
    assert_int_equal(a->kind, TDW_ARRAY);
    assert_string_equal(a->name, "struct tsession *[4]");
    assert_int_equal(a->count, 4);
    assert_int_equal(a->size, 32);
    assert_string_equal(tdw_type_at(f->t, a->target)->name, "struct tsession *");
    /* typedef of a pointer to const char: both seen through */
    const tdw_type *n = tdw_type_at(f->t, global(f, &g_tname, "g_tname")->type);
    assert_int_equal(n->kind, TDW_POINTER);
    assert_string_equal(n->name, "char *");
    assert_int_equal(tdw_type_at(f->t, n->target)->kind, TDW_SCALAR);
    assert_int_equal(tdw_type_at(f->t, n->target)->size, 1);
    const tdw_type *u = tdw_type_at(f->t, global(f, &g_tvalue, "g_tvalue")->type);
    assert_int_equal(u->kind, TDW_UNION);
    assert_string_equal(u->name, "union tvalue");
    assert_int_equal(u->nmembers, 2);
    member(f, u, 0, "l", 0, "long int");
    member(f, u, 1, "d", 0, "double");
    /* a static is a global too */
    assert_string_equal(tdw_type_at(f->t, global(f, &g_tone, "g_tone")->type)->name,
                        "struct tsession");
}

static void test_not_globals(void **state)
{
    fx *f = *state;
    assert_null(tdw_global_at(f->t, (uint64_t)(uintptr_t)&g_ttable + 8)); /* inside, not at */
    assert_string_equal(tdw_type_at(f->t, 0)->name, "void");
    assert_int_equal(tdw_type_at(f->t, UINT32_MAX)->kind, TDW_VOID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_struct_through_typedef),
        cmocka_unit_test(test_array_const_union),
        cmocka_unit_test(test_not_globals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
