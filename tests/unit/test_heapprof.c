/* tests/unit/test_heapprof.c: lib/heapprof -- Go's heap-profile conventions and
 * Go's scaling of sampled counts, with values computed by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "heapprof.h"

static void test_scale(void **state)
{
    (void)state;
    int64_t c, b;
    /* avg 512 at rate 512: scale = 1/(1-e^-1) = 1.58198 */
    heapprof_scale(2, 1024, 512, &c, &b);
    assert_int_equal(c, 3);
    assert_int_equal(b, 1619);
    /* small objects at the default rate stand for many allocations */
    heapprof_scale(10, 640, 524288, &c, &b);
    assert_int_equal(c, 81925);
    assert_int_equal(b, 5243200);
    /* an object twice the rate is almost always sampled */
    heapprof_scale(1, 1048576, 524288, &c, &b);
    assert_int_equal(c, 1);
    assert_int_equal(b, 1212696);
    /* rate 1: every allocation recorded, no scaling */
    heapprof_scale(7, 700, 1, &c, &b);
    assert_int_equal(c, 7);
    assert_int_equal(b, 700);
    heapprof_scale(0, 700, 512, &c, &b);
    assert_int_equal(c, 0);
    assert_int_equal(b, 0);
}

static void test_conventions(void **state)
{
    (void)state;
    pprof_builder *b = heapprof_new(524288, 42);
    uint64_t loc = pprof_add_pseudo_location(b, "leak");
    assert_int_equal(heapprof_add_site(b, &loc, 1, 1, 4, 256, 3, 192), 0);
    /* nothing allocated and nothing live: skipped */
    assert_int_equal(heapprof_add_site(b, &loc, 1, 1, 0, 0, 0, 0), 0);
    uint8_t *data;
    size_t len;
    hs_err err = {{0}};
    assert_int_equal(pprof_encode(b, true, &data, &len, &err), 0);
    pprof_profile *p = pprof_parse(data, len, &err);
    assert_non_null(p);
    const pprof_pb_profile *pb = p->pb;
    const char *want[4][2] = {{"alloc_objects", "count"},
                              {"alloc_space", "bytes"},
                              {"inuse_objects", "count"},
                              {"inuse_space", "bytes"}};
    assert_int_equal(pb->n_sample_type, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(pprof_str(p, pb->sample_type[i]->type), want[i][0]);
        assert_string_equal(pprof_str(p, pb->sample_type[i]->unit), want[i][1]);
    }
    assert_string_equal(pprof_str(p, pb->period_type->type), "space");
    assert_string_equal(pprof_str(p, pb->period_type->unit), "bytes");
    assert_int_equal(pb->period, 524288);
    assert_int_equal(pb->time_nanos, 42);
    assert_string_equal(pprof_str(p, pb->default_sample_type), "inuse_space");
    assert_int_equal(pb->n_sample, 1);
    assert_int_equal(pb->sample[0]->value[0], 4);
    assert_int_equal(pb->sample[0]->value[1], 256);
    assert_int_equal(pb->sample[0]->value[2], 3);
    assert_int_equal(pb->sample[0]->value[3], 192);
    assert_int_equal(pprof_sample_num_label(p, pb->sample[0], "bytes", 0), 64);
    pprof_profile_free(p);
    free(data);
    pprof_builder_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_conventions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
