/* tests/unit/test_tspread.c: lib/types/tspread over real malloc'd chunks of
 * this process, typed from its own DWARF (built with -g -O0): a hash table
 * of structs behind a global (bucket array and chains), a list with a
 * double array in each node, an array of structs, strings, a void pointer,
 * a struct with a flexible array member and a chunk typed beforehand; then
 * local variables' roots (a stack slot, a register) in their round. */
#include <link.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tspread.h"

struct sp_session {
    int id;
    char *user;
    struct sp_session *next;
};

struct sp_table {
    struct sp_session **buckets;
    unsigned long nbuckets;
};

struct sp_node {
    struct sp_node *next;
    double *xs;
};

struct sp_point {
    long x, y;
};

struct sp_name { /* one object with its tail, however long the name */
    struct sp_name *next;
    char name[];
};

struct sp_table g_sp_table;
struct sp_name *g_sp_names;
struct sp_node *g_sp_list;
struct sp_point *g_sp_points;
void *g_sp_opaque;
char *g_sp_shared;          /* also some sessions' user: two owners */
struct sp_session *g_sp_vt; /* its chunk is typed beforehand */

#define MAXC 64
static void *chunks_p[MAXC];
static size_t nchunks;

static void *track(void *p)
{
    assert_non_null(p);
    assert_true(nchunks < MAXC);
    chunks_p[nchunks++] = p;
    return p;
}

static int read_self(void *arg, uint64_t lo, uint64_t hi, const uint64_t **words)
{
    (void)arg;
    (void)hi;
    *words = (const uint64_t *)(uintptr_t)lo;
    return 0;
}

static int exe_bias(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uint64_t *)arg = info->dlpi_addr;
    return 1;
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

static void build_heap(void)
{
    g_sp_shared = track(strdup("shared-user"));
    g_sp_table.nbuckets = 8;
    g_sp_table.buckets = track(calloc(8, sizeof(struct sp_session *)));
    for (int i = 0; i < 6; i++) {
        struct sp_session *s = track(calloc(1, sizeof(*s)));
        s->id = i;
        s->user = i == 5 ? g_sp_shared : track(strdup("user-name-long-enough"));
        s->next = g_sp_table.buckets[i % 3];
        g_sp_table.buckets[i % 3] = s;
    }
    for (int i = 0; i < 3; i++) {
        struct sp_node *n = track(calloc(1, sizeof(*n)));
        n->xs = track(calloc(10, sizeof(double)));
        n->next = g_sp_list;
        g_sp_list = n;
    }
    for (int i = 0; i < 2; i++) {
        struct sp_name *nm = track(calloc(1, sizeof(*nm) + 100));
        snprintf(nm->name, 100, "a name longer than the struct itself");
        nm->next = g_sp_names;
        g_sp_names = nm;
    }
    g_sp_points = track(calloc(5, sizeof(struct sp_point)));
    g_sp_opaque = track(malloc(100));
    g_sp_vt = track(calloc(1, sizeof(struct sp_session)));
    g_sp_vt->user = track(strdup("behind a typed-beforehand chunk"));
}

/* The types of this executable's globals, through a symbolizer of this
 * process (*sym, for the caller to close). */
static tdw *own_types(sym_ctx **sym)
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    assert_true(n > 0);
    path[n] = '\0';
    hs_err err = {0};
    *sym = sym_open(0, &err);
    assert_non_null(*sym);
    tdw *t = tdw_new(&err);
    assert_non_null(t);
    uint64_t bias = 0;
    dl_iterate_phdr(exe_bias, &bias);
    assert_true(tdw_add_object(t, *sym, path, bias, &err) >= 6);
    return t;
}

static const char *label_of(const tdw *t, const tspread_type *out, const void *p, char *buf)
{
    for (size_t i = 0; i < nchunks; i++)
        if (chunks_p[i] == p)
            return out[i].type == 0 ? "-" : tspread_label(t, &out[i], buf, 256);
    fail();
    return NULL;
}

static void test_spread(void **state)
{
    (void)state;
    build_heap();
    qsort(chunks_p, nchunks, sizeof(void *), ptr_cmp);
    tspread_chunk ch[MAXC];
    bool skip[MAXC] = {false};
    for (size_t i = 0; i < nchunks; i++) {
        ch[i].lo = (uint64_t)(uintptr_t)chunks_p[i];
        ch[i].hi = ch[i].lo + malloc_usable_size(chunks_p[i]);
        skip[i] = chunks_p[i] == g_sp_vt;
    }
    hs_err err = {0};
    sym_ctx *sym = NULL;
    tdw *t = own_types(&sym);
    tspread_type out[MAXC];
    assert_int_equal(tspread_run(t, ch, nchunks, skip, NULL, 0, NULL, read_self, NULL, out, &err),
                     0);
    char buf[256];
    assert_string_equal(label_of(t, out, g_sp_table.buckets, buf),
                        "struct sp_session *[] in sp_table::buckets");
    size_t sessions = 0;
    for (int b = 0; b < 3; b++)
        for (struct sp_session *s = g_sp_table.buckets[b]; s != NULL; s = s->next, sessions++) {
            assert_string_equal(label_of(t, out, s, buf), "struct sp_session");
            if (s->user != g_sp_shared)
                assert_string_equal(label_of(t, out, s->user, buf), "char[] in sp_session::user");
        }
    assert_int_equal(sessions, 6);
    /* reached from g_sp_shared and from a session's user: no owner named */
    assert_string_equal(label_of(t, out, g_sp_shared, buf), "char[]");
    for (struct sp_node *p = g_sp_list; p != NULL; p = p->next) {
        assert_string_equal(label_of(t, out, p, buf), "struct sp_node");
        assert_string_equal(label_of(t, out, p->xs, buf), "double[] in sp_node::xs");
    }
    assert_string_equal(label_of(t, out, g_sp_points, buf), "struct sp_point[] in g_sp_points");
    assert_string_equal(label_of(t, out, g_sp_names, buf), "struct sp_name");
    assert_string_equal(label_of(t, out, g_sp_names->next, buf), "struct sp_name");
    assert_string_equal(label_of(t, out, g_sp_opaque, buf), "-");
    /* typed beforehand: neither typed nor followed */
    assert_string_equal(label_of(t, out, g_sp_vt, buf), "-");
    assert_string_equal(label_of(t, out, g_sp_vt->user, buf), "-");
    tdw_free(t);
    sym_close(sym);
}

/* The threads' local variables: a stack slot (a tdw stack global) and a
 * pointer in a register (a tspread_value) type what only they reach, after
 * the globals (a global's type wins over a slot's) and before the seeds (a
 * value's type wins over a seed's). */
static void test_local_roots(void **state)
{
    (void)state;
    hs_err err = {0};
    sym_ctx *sym = NULL;
    tdw *t = own_types(&sym);
    uint32_t node_ptr = tdw_global_at(t, (uint64_t)(uintptr_t)&g_sp_list)->type;
    uint32_t session_ptr = tdw_global_at(t, (uint64_t)(uintptr_t)&g_sp_vt)->type;
    uint32_t node = tdw_type_at(t, node_ptr)->target;
    /* a list only a slot holds; a session only a register holds, which a
     * seed would call a node; points a global and a slot both reach */
    void *c[5];
    struct sp_node *slot = c[0] = calloc(1, sizeof(struct sp_node));
    slot->next = c[1] = calloc(1, sizeof(struct sp_node));
    struct sp_session *reg = c[2] = calloc(1, sizeof(struct sp_session));
    reg->user = c[3] = strdup("held in a register");
    struct sp_point *saved = g_sp_points;
    g_sp_points = c[4] = calloc(3, sizeof(struct sp_point));
    struct sp_session *other = c[4];
    qsort(c, 5, sizeof(void *), ptr_cmp);
    tspread_chunk ch[5];
    tspread_type seed[5] = {{0}};
    for (size_t i = 0; i < 5; i++) {
        /* the room asked for: malloc may hand a single node a larger chunk */
        uint64_t asked = c[i] == g_sp_points ? 3 * sizeof(struct sp_point)
                         : c[i] == reg       ? sizeof(struct sp_session)
                         : c[i] == reg->user ? 19
                                             : sizeof(struct sp_node);
        ch[i].lo = (uint64_t)(uintptr_t)c[i];
        ch[i].hi = ch[i].lo + asked;
        if (c[i] == reg)
            seed[i].type = node;
    }
    assert_int_equal(tdw_add_local(t, (uint64_t)(uintptr_t)&slot, "fn::slot", node_ptr, &err), 0);
    assert_int_equal(tdw_add_local(t, (uint64_t)(uintptr_t)&other, "fn::other", session_ptr, &err),
                     0);
    assert_true(tdw_global_at(t, (uint64_t)(uintptr_t)&slot)->stack);
    assert_false(tdw_global_at(t, (uint64_t)(uintptr_t)&g_sp_points)->stack);
    tspread_value v = {(uint64_t)(uintptr_t)reg, session_ptr, "fn::reg"};
    tspread_type out[5];
    assert_int_equal(tspread_run(t, ch, 5, NULL, &v, 1, seed, read_self, NULL, out, &err), 0);
    char buf[256];
    for (size_t i = 0; i < 5; i++) {
        const char *want = c[i] == slot || c[i] == slot->next ? "struct sp_node"
                           : c[i] == reg                      ? "struct sp_session"
                           : c[i] == reg->user                ? "char[] in sp_session::user"
                                                              : "struct sp_point[] in g_sp_points";
        assert_string_equal(tspread_label(t, &out[i], buf, sizeof(buf)), want);
    }
    g_sp_points = saved;
    for (size_t i = 0; i < 5; i++)
        free(c[i]);
    tdw_free(t);
    sym_close(sym);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_local_roots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
