/* tests/unit/test_ehhdr.c: lib/proc/ehhdr -- .eh_frame_hdr's header as gcc's
 * linker writes it, the other encodings of its two values, and the headers
 * that lead to no table the unwinders can search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ehhdr.h"

/* ld's header: .eh_frame's address pcrel sdata4, the count udata4, the table
 * datarel sdata4 (the bytes of /bin/true's, count changed). */
static void test_ld_header(void **state)
{
    (void)state;
    const uint8_t h[EHHDR_HEAD_MAX] = {1, 0x1b, 0x03, 0x3b, 0x30, 0x01, 0, 0, 5, 0, 0, 0};
    struct ehhdr eh;
    assert_true(ehhdr_parse(h, sizeof(h), &eh));
    assert_int_equal(eh.count, 5);
    assert_int_equal(eh.table_off, 12);
    assert_true(ehhdr_parse(h, 12, &eh)); /* the table may start right after */
    assert_false(ehhdr_parse(h, 11, &eh));
}

static void test_wide_values(void **state)
{
    (void)state;
    /* absptr (8 bytes) address, udata8 count */
    uint8_t h[EHHDR_HEAD_MAX] = {1, 0x00, 0x04, 0x3b};
    h[12] = 0x02;
    h[13] = 0x01;
    struct ehhdr eh;
    assert_true(ehhdr_parse(h, sizeof(h), &eh));
    assert_int_equal(eh.count, 0x102);
    assert_int_equal(eh.table_off, 20);
    /* sdata4 count: negative is no table, positive is read */
    uint8_t s[EHHDR_HEAD_MAX] = {1, 0x1b, 0x0b, 0x3b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    assert_false(ehhdr_parse(s, sizeof(s), &eh));
    s[11] = 0x7f;
    assert_true(ehhdr_parse(s, sizeof(s), &eh));
    assert_int_equal(eh.count, 0x7fffffff);
}

static void test_no_table(void **state)
{
    (void)state;
    const uint8_t good[EHHDR_HEAD_MAX] = {1, 0x1b, 0x03, 0x3b, 0, 0, 0, 0, 5, 0, 0, 0};
    struct ehhdr eh;
    uint8_t h[EHHDR_HEAD_MAX];
    struct {
        int byte;
        uint8_t value;
    } bad[] = {
        {0, 2},    /* version 2 */
        {1, 0xff}, /* .eh_frame's address omitted */
        {1, 0x01}, /* ... or uleb128 */
        {2, 0xff}, /* no count */
        {2, 0x02}, /* a 2-byte count */
        {2, 0x13}, /* a pcrel count */
        {3, 0xff}, /* no table */
        {3, 0x1b}, /* a pcrel table */
        {8, 0},    /* count 0 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memcpy(h, good, sizeof(h));
        h[bad[i].byte] = bad[i].value;
        assert_false(ehhdr_parse(h, sizeof(h), &eh));
    }
    memcpy(h, good, sizeof(h));
    assert_true(ehhdr_parse(h, sizeof(h), &eh));
    assert_false(ehhdr_parse(h, 3, &eh));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ld_header),
        cmocka_unit_test(test_wide_values),
        cmocka_unit_test(test_no_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
