/* tests/unit/test_tsite.c: lib/types/tsite on this test's own code and
 * DWARF (built with -g, at -O0 and at -O2): each allocation below records
 * its stack as the hook does (return addresses, frames[0] in the code that
 * called the allocator) and tsite names the type the allocating line
 * declares -- directly, through a void * wrapper, for an array of pointers
 * -- and nothing where the code does not say: a void or char pointer,
 * a function that returns a typed pointer (its callers' variables are not
 * what it allocated), two types on one line, an incomplete struct. */
#include <execinfo.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdwarf.h"
#include "tsite.h"

struct tsrec {
    long id;
    struct tsrec *next;
    char name[40];
};

struct tsconn {
    int fd;
    char *buf;
};

struct tsother {
    double x, y;
};

struct tsopaque;

#define NOINLINE __attribute__((noinline, noclone))

/* The stack of the last allocation, as the hook records it. */
static uint64_t ts_frames[16];
static size_t ts_nframes;

/* The allocator: records its caller's stack, leaf first. */
NOINLINE static void *ts_alloc(size_t n)
{
    void *pcs[18];
    int got = backtrace(pcs, 18);
    ts_nframes = 0;
    for (int i = 1; i < got && ts_nframes < 16; i++) /* pcs[0] is ts_alloc */
        ts_frames[ts_nframes++] = (uint64_t)(uintptr_t)pcs[i];
    void *p = calloc(1, n);
    __asm__ volatile("" : : "r"(p) : "memory"); /* no tail call: ts_alloc stays a frame */
    return p;
}

/* An xmalloc-style wrapper: returns void *, so its caller's line decides. */
NOINLINE static void *ts_xmalloc(size_t n)
{
    void *p = ts_alloc(n);
    if (p == NULL)
        abort();
    return p;
}

/* A constructor: what it allocates is its own business. */
NOINLINE static struct tsconn *ts_conn_new(int fd)
{
    struct tsconn *c = ts_alloc(sizeof(*c));
    c->fd = fd;
    c->buf = ts_alloc(256);
    return c;
}

static void *g_keep[16];
static size_t g_nkeep;

static void keep(void *p)
{
    g_keep[g_nkeep++ % 16] = p;
}

typedef struct fx {
    sym_ctx *sym;
    tdw *t;
    tsite *ts;
} fx;

static int setup(void **state)
{
    static fx f;
    hs_err err;
    f.sym = sym_open(0, &err);
    assert_non_null(f.sym);
    f.t = tdw_new(&err);
    assert_non_null(f.t);
    f.ts = tsite_new(f.t, f.sym, &err);
    assert_non_null(f.ts);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tsite_free(f->ts);
    tdw_free(f->t);
    sym_close(f->sym);
    return 0;
}

/* The name of the type tsite gives the last allocation, "" for none. */
static const char *last_type(fx *f)
{
    uint32_t id = tsite_type(f->ts, ts_frames, ts_nframes);
    assert_int_not_equal(id, UINT32_MAX);
    return id == 0 ? "" : tdw_type_at(f->t, id)->name;
}

NOINLINE static void test_declared_on_the_line(void **state)
{
    fx *f = *state;
    struct tsrec *r = ts_alloc(sizeof(*r));
    keep(r);
    assert_string_equal(last_type(f), "struct tsrec");
}

NOINLINE static void test_array_of_pointers(void **state)
{
    fx *f = *state;
    struct tsrec **v = ts_alloc(8 * sizeof(*v));
    keep(v);
    assert_string_equal(last_type(f), "struct tsrec *");
}

NOINLINE static void test_through_a_void_wrapper(void **state)
{
    fx *f = *state;
    struct tsother *o = ts_xmalloc(sizeof(*o));
    keep(o);
    assert_string_equal(last_type(f), "struct tsother");
}

/* A char pointer is raw bytes as often as a string: no type. */
NOINLINE static void test_bytes(void **state)
{
    fx *f = *state;
    char *s = ts_alloc(32);
    keep(s);
    assert_string_equal(last_type(f), "");
    unsigned char *u = ts_alloc(32);
    keep(u);
    assert_string_equal(last_type(f), "");
}

NOINLINE static void test_code_that_does_not_say(void **state)
{
    fx *f = *state;
    void *p = ts_alloc(48);
    keep(p);
    assert_string_equal(last_type(f), "");
    /* the constructor's second allocation is c->buf: no declaration on its
     * line, and the constructor returns a struct tsconn *, so the caller's
     * `c` does not name it */
    struct tsconn *c = ts_conn_new(3);
    keep(c);
    assert_string_equal(last_type(f), "");
    /* two types declared on the allocating line */
    // clang-format off
    struct tsrec *a = ts_alloc(sizeof(*a)); struct tsother *b = NULL;
    // clang-format on
    keep(a);
    keep(b);
    assert_string_equal(last_type(f), "");
    struct tsopaque *q = ts_alloc(16);
    keep(q);
    assert_string_equal(last_type(f), "");
}

NOINLINE static void test_stops_at_no_frames(void **state)
{
    fx *f = *state;
    assert_int_equal(tsite_type(f->ts, NULL, 0), 0);
    uint64_t zero = 0;
    assert_int_equal(tsite_type(f->ts, &zero, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_declared_on_the_line),   cmocka_unit_test(test_array_of_pointers),
        cmocka_unit_test(test_through_a_void_wrapper), cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_code_that_does_not_say), cmocka_unit_test(test_stops_at_no_frames),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
