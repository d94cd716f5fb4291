/* tests/unit/test_util.c: lib/util's toolbox: growable arrays and sorted
 * search (hs_array), the interning table (hs_intern), JSON escaping
 * (hs_json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hs_array.h"
#include "hs_intern.h"
#include "hs_json.h"

typedef struct item {
    uint32_t tag;
    uint64_t key;
} item;

static void test_array_grow(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    assert_int_equal(hs_array_grow((void **)&v, &cap, 1, sizeof(int), 4), 0);
    assert_int_equal(cap, 4);
    assert_int_equal(hs_array_grow((void **)&v, &cap, 4, sizeof(int), 4), 0);
    assert_int_equal(cap, 4); /* enough already */
    assert_int_equal(hs_array_grow((void **)&v, &cap, 5, sizeof(int), 4), 0);
    assert_int_equal(cap, 8);
    assert_int_equal(hs_array_grow((void **)&v, &cap, 33, sizeof(int), 4), 0);
    assert_int_equal(cap, 64);
    for (int i = 0; i < 64; i++)
        v[i] = i;
    assert_int_equal(v[63], 63);
    /* a size that cannot be allocated leaves the array as it was */
    int *before = v;
    assert_int_equal(hs_array_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof(int), 4), -1);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 64);
    free(v);
    size_t cap2 = 0;
    char *c = NULL;
    assert_int_equal(hs_array_grow((void **)&c, &cap2, 3, 1, 0), 0);
    assert_int_equal(cap2, 16); /* first 0: 16 */
    free(c);
}

static void test_array_bounds(void **state)
{
    (void)state;
    item v[] = {{1, 10}, {2, 20}, {3, 20}, {4, 30}};
    size_t n = 4, st = sizeof(item), off = offsetof(item, key);
    assert_int_equal(hs_array_lower_bound(v, n, st, off, 5), 0);
    assert_int_equal(hs_array_lower_bound(v, n, st, off, 10), 0);
    assert_int_equal(hs_array_lower_bound(v, n, st, off, 20), 1);
    assert_int_equal(hs_array_lower_bound(v, n, st, off, 21), 3);
    assert_int_equal(hs_array_lower_bound(v, n, st, off, 31), 4);
    assert_int_equal(hs_array_upper_bound(v, n, st, off, 5), 0);
    assert_int_equal(hs_array_upper_bound(v, n, st, off, 10), 1);
    assert_int_equal(hs_array_upper_bound(v, n, st, off, 20), 3);
    assert_int_equal(hs_array_upper_bound(v, n, st, off, 30), 4);
    assert_int_equal(hs_array_upper_bound(v, 0, st, off, 30), 0);
    uint64_t keys[] = {5, UINT64_MAX, 0, 7};
    qsort(keys, 4, sizeof(keys[0]), hs_array_cmp_u64);
    assert_int_equal(keys[0], 0);
    assert_int_equal(keys[1], 5);
    assert_int_equal(keys[2], 7);
    assert_true(keys[3] == UINT64_MAX);
}

static void test_intern(void **state)
{
    (void)state;
    hs_intern t = {0};
    int added;
    assert_int_equal(hs_intern_get(&t, "a", 1), 0); /* empty table */
    assert_int_equal(hs_intern_get_or_put(&t, "a", 1, 1, &added), 1);
    assert_int_equal(added, 1);
    assert_int_equal(hs_intern_get_or_put(&t, "a", 1, 2, &added), 1);
    assert_int_equal(added, 0);
    assert_int_equal(hs_intern_get_or_put(&t, "", 0, 2, &added), 2); /* the empty key */
    assert_int_equal(added, 1);
    assert_int_equal(hs_intern_get(&t, "", 0), 2);
    assert_int_equal(hs_intern_get(&t, "ab", 2), 0);
    /* "a\0" differs from "a": keys are bytes, not C strings */
    assert_int_equal(hs_intern_get_or_put(&t, "a\0", 2, 3, &added), 3);
    /* 1000 keys: the table grows past its first 256 slots and keeps them all */
    for (uint32_t i = 0; i < 1000; i++) {
        uint64_t k = (uint64_t)i * 7919;
        assert_int_equal(hs_intern_get_or_put(&t, &k, sizeof(k), 100 + i, &added), 100 + i);
        assert_int_equal(added, 1);
    }
    assert_int_equal(t.n, 1003);
    assert_true(t.cap >= 2 * t.n);
    for (uint32_t i = 0; i < 1000; i++) {
        uint64_t k = (uint64_t)i * 7919;
        assert_int_equal(hs_intern_get(&t, &k, sizeof(k)), 100 + i);
    }
    assert_int_equal(hs_intern_get(&t, "a", 1), 1);
    hs_intern_free(&t);
    assert_int_equal(t.n, 0);
    assert_int_equal(hs_intern_get(&t, "a", 1), 0);
    /* FNV-1a's published value for "a" */
    assert_true(hs_hash_bytes("a", 1, HS_HASH_SEED) == 0xaf63dc4c8601ec8cULL);
    assert_true(hs_hash_bytes("", 0, HS_HASH_SEED) == HS_HASH_SEED);
}

static void test_json(void **state)
{
    (void)state;
    char buf[8];
    assert_null(hs_json_escape('a', buf));
    assert_null(hs_json_escape(0xc3, buf)); /* UTF-8 bytes pass through */
    assert_string_equal(hs_json_escape('"', buf), "\\\"");
    assert_string_equal(hs_json_escape('\\', buf), "\\\\");
    assert_string_equal(hs_json_escape('\n', buf), "\\n");
    assert_string_equal(hs_json_escape('\t', buf), "\\t");
    assert_string_equal(hs_json_escape('\r', buf), "\\r");
    assert_string_equal(hs_json_escape(0x01, buf), "\\u0001");
    assert_string_equal(hs_json_escape(0x1f, buf), "\\u001f");
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    hs_json_fput_str(f, "a\"b\\c\nd\x02/\xc3\xa9");
    fclose(f);
    assert_string_equal(out, "\"a\\\"b\\\\c\\nd\\u0002/\xc3\xa9\"");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_grow),
        cmocka_unit_test(test_array_bounds),
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
