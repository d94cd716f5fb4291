/* tests/unit/test_hgraph.c: lib/graph/hgraph -- edges from aligned words
 * (interior pointers, words outside every node, self pointers), lost chunks
 * direct and indirect (an unreferenced cycle), holders from the dominator
 * tree (a diamond, a chain), weak groups yielding to strong ones, and shared
 * chunks, on hand-built heaps in a buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hgraph.h"

#define BASE 0x100000ull
#define STRIDE 0x100ull
#define NODE_BYTES 64ull /* read; the last 8 (the next header's prev_size) are no target */
#define MAXN 16

static uint64_t mem[MAXN * STRIDE / 8];

static uint64_t node_lo(unsigned i)
{
    return BASE + i * STRIDE;
}

static int read_mem(void *arg, uint64_t lo, uint64_t hi, const uint64_t **words)
{
    (void)arg;
    if (lo < BASE || hi > BASE + sizeof(mem))
        return -1;
    *words = &mem[(lo - BASE) / 8];
    return 0;
}

/* Node `from`'s word k points at byte `at` of node `to`. */
static void point(unsigned from, unsigned k, unsigned to, unsigned at)
{
    mem[(node_lo(from) - BASE) / 8 + k] = node_lo(to) + at;
}

static hgraph *build(unsigned n)
{
    hgraph_node nodes[MAXN];
    for (unsigned i = 0; i < n; i++)
        nodes[i] = (hgraph_node){node_lo(i), node_lo(i) + NODE_BYTES - 8, 8};
    hs_err err = {0};
    hgraph *g = hgraph_build(nodes, n, read_mem, NULL, &err);
    assert_non_null(g);
    return g;
}

static void setup_clear(void)
{
    memset(mem, 0, sizeof(mem));
}

static void test_edges(void **state)
{
    (void)state;
    setup_clear();
    point(0, 0, 1, 0);  /* to the start */
    point(0, 1, 2, 40); /* interior */
    point(0, 2, 2, 8);  /* a second word to the same node */
    point(1, 3, 1, 16); /* itself: no edge */
    mem[(node_lo(1) - BASE) / 8 + 4] = node_lo(3) + NODE_BYTES - 8; /* in the tail: no edge */
    mem[(node_lo(1) - BASE) / 8 + 5] = 42;                          /* not a pointer */
    point(0, 7, 3, 0);                                              /* the tail is read */
    hgraph *g = build(4);
    assert_int_equal(hgraph_nodes(g), 4);
    assert_int_equal(hgraph_edges(g), 3);
    assert_int_equal(hgraph_find(g, node_lo(2) + 55), 2);
    assert_int_equal(hgraph_find(g, node_lo(2) + 56), -1);
    assert_int_equal(hgraph_find(g, node_lo(0) - 1), -1);
    assert_int_equal(hgraph_find(g, node_lo(3)), 3);
    hgraph_free(g);
}

/* Group 0 (a global) -> 0 -> 1 (interior); 2 <-> 3, a cycle nobody points
 * to; 4 alone; 5 -> 6, neither reached. */
static void test_lost(void **state)
{
    (void)state;
    setup_clear();
    point(0, 0, 1, 24);
    point(2, 0, 3, 0);
    point(3, 7, 2, 8);
    point(5, 1, 6, 0);
    hgraph *g = build(7);
    hgraph_root roots[] = {{0, 0}};
    int32_t holder[7];
    bool direct[7];
    hs_err err = {0};
    assert_int_equal(hgraph_holders(g, roots, 1, 1, NULL, holder, direct, NULL, &err), 0);
    int32_t want[7] = {0, 0, HGRAPH_LOST, HGRAPH_LOST, HGRAPH_LOST, HGRAPH_LOST, HGRAPH_LOST};
    bool want_direct[7] = {false, false, false, false, true, true, false};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(holder[i], want[i]);
        assert_int_equal(direct[i], want_direct[i]);
    }
    hgraph_free(g);
}

/* Group 0 -> 0; 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3 (a diamond under 0); group 1
 * -> 4 -> 5 and group 1 -> 5 directly; group 2 and group 3 -> 6 -> 7: 6 and
 * 7 are shared; group 3 -> 8 -> 7 as well. */
static void test_dominators(void **state)
{
    (void)state;
    setup_clear();
    point(0, 0, 1, 0);
    point(0, 1, 2, 0);
    point(1, 0, 3, 0);
    point(2, 0, 3, 48);
    point(4, 0, 5, 0);
    point(6, 0, 7, 0);
    point(8, 0, 7, 0);
    hgraph *g = build(9);
    hgraph_root roots[] = {{0, 0}, {1, 4}, {1, 5}, {2, 6}, {3, 6}, {3, 8}};
    int32_t holder[9];
    bool direct[9];
    uint32_t idom[9];
    hs_err err = {0};
    assert_int_equal(hgraph_holders(g, roots, 6, 4, NULL, holder, direct, idom, &err), 0);
    int32_t want[9] = {0, 0, 0, 0, 1, 1, HGRAPH_SHARED, HGRAPH_SHARED, 3};
    /* 3 under 0 (the diamond's top, not 1 or 2); 5 under its group, not 4 */
    uint32_t want_idom[9] = {HGRAPH_NONE, 0,           0,           0,          HGRAPH_NONE,
                             HGRAPH_NONE, HGRAPH_NONE, HGRAPH_NONE, HGRAPH_NONE};
    for (int i = 0; i < 9; i++) {
        assert_int_equal(holder[i], want[i]);
        assert_int_equal(idom[i], want_idom[i]);
    }
    hgraph_free(g);
}

/* Group 0 is strong, 1 and 2 are weak (stack slots), 3 weaker (a
 * register): 0 -> 0, 1 -> 0 and 1 -> 1; 1 -> 2 and 2 -> 2 (two weak ones
 * share it); 1 -> 3 -> 4 and 0 -> 4: 4 is the strong group's, 3 the weak
 * one's; 3 -> 1 (the stack's) and 3 -> 5 (the register's alone). */
static void test_weak(void **state)
{
    (void)state;
    setup_clear();
    point(3, 0, 4, 0);
    hgraph *g = build(6);
    hgraph_root roots[] = {{0, 0}, {1, 0}, {1, 1}, {1, 2}, {2, 2}, {1, 3}, {0, 4}, {3, 1}, {3, 5}};
    uint8_t tier[4] = {0, 1, 1, 2};
    int32_t holder[6];
    bool direct[6];
    hs_err err = {0};
    assert_int_equal(hgraph_holders(g, roots, 9, 4, tier, holder, direct, NULL, &err), 0);
    int32_t want[6] = {0, 1, HGRAPH_SHARED, 1, 0, 3};
    for (int i = 0; i < 6; i++)
        assert_int_equal(holder[i], want[i]);
    hgraph_free(g);
}

/* A long chain from one root: every node held by it (no recursion in the
 * depth-first search), the last one by way of an interior pointer. */
static uint64_t *chain_mem;
static uint64_t chain_base;

static int read_chain(void *arg, uint64_t lo, uint64_t hi, const uint64_t **words)
{
    (void)arg;
    (void)hi;
    *words = &chain_mem[(lo - chain_base) / 8];
    return 0;
}

static void test_chain(void **state)
{
    (void)state;
    enum { N = 200000 };
    chain_mem = calloc(N, 16);
    assert_non_null(chain_mem);
    hgraph_node *nodes = malloc(N * sizeof(*nodes));
    assert_non_null(nodes);
    chain_base = 0x7f0000000000ull;
    for (size_t i = 0; i < N; i++) {
        nodes[i] = (hgraph_node){chain_base + 16 * i, chain_base + 16 * i + 16, 0};
        if (i + 1 < N)
            chain_mem[2 * i + 1] = chain_base + 16 * (i + 1) + 8;
    }
    hs_err err = {0};
    hgraph *g = hgraph_build(nodes, N, read_chain, NULL, &err);
    assert_non_null(g);
    assert_int_equal(hgraph_edges(g), N - 1);
    int32_t *holder = malloc(N * sizeof(*holder));
    bool *direct = malloc(N * sizeof(*direct));
    hgraph_root root = {0, 0};
    assert_int_equal(hgraph_holders(g, &root, 1, 1, NULL, holder, direct, NULL, &err), 0);
    size_t held = 0;
    for (size_t i = 0; i < N; i++)
        held += holder[i] == 0;
    assert_int_equal(held, N);
    free(holder);
    free(direct);
    hgraph_free(g);
    free(nodes);
    free(chain_mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),      cmocka_unit_test(test_lost),
        cmocka_unit_test(test_dominators), cmocka_unit_test(test_weak),
        cmocka_unit_test(test_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
