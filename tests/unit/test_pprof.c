/* tests/unit/test_pprof.c: lib/pprof -- builder dedup, round trip through the
 * encoder and the reader, and every rejection the reader makes, each pinned to
 * its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "pprof.h"

static pprof_builder *small_profile(void)
{
    pprof_builder *b = pprof_builder_new();
    pprof_add_sample_type(b, "inuse_objects", "count");
    pprof_add_sample_type(b, "inuse_space", "bytes");
    pprof_set_period(b, "space", "bytes", 524288);
    pprof_set_time(b, 1700000000123456789LL, 5000000000LL);
    pprof_set_default_sample_type(b, "inuse_space");
    pprof_add_comment(b, "heap in use: %d bytes", 4096);
    pprof_mapping_desc m = {.start = 0x400000,
                            .limit = 0x500000,
                            .file_offset = 0x1000,
                            .filename = "/usr/bin/prog",
                            .build_id = "abcdef",
                            .has_functions = true,
                            .has_filenames = true,
                            .has_line_numbers = true,
                            .has_inline_frames = true};
    uint64_t mid = pprof_add_mapping(b, &m);
    pprof_line_desc leaf[2] = {
        {.function = "inlined_helper", .filename = "prog.c", .start_line = 10, .line = 12},
        {.function = "leaky", .filename = "prog.c", .start_line = 20, .line = 25},
    };
    pprof_line_desc caller = {
        .function = "main", .filename = "prog.c", .start_line = 40, .line = 44};
    uint64_t l1 = pprof_add_location(b, mid, 0x401234, leaf, 2);
    uint64_t l2 = pprof_add_location(b, mid, 0x401400, &caller, 1);
    uint64_t stack[2] = {l1, l2};
    int64_t v[2] = {3, 192};
    pprof_label_desc lab = {.key = "bytes", .num = 64};
    pprof_add_sample(b, stack, 2, v, &lab, 1);
    int64_t v2[2] = {1, 100};
    pprof_add_sample(b, &l2, 1, v2, NULL, 0);
    return b;
}

static pprof_profile *roundtrip(pprof_builder *b, bool gz)
{
    uint8_t *data;
    size_t len;
    hs_err err = {{0}};
    assert_int_equal(pprof_encode(b, gz, &data, &len, &err), 0);
    pprof_profile *p = pprof_parse(data, len, &err);
    free(data);
    if (p == NULL)
        fail_msg("parse failed: %s", err.msg);
    return p;
}

static void test_intern(void **state)
{
    (void)state;
    pprof_builder *b = pprof_builder_new();
    assert_int_equal(pprof_intern(b, ""), 0);
    assert_int_equal(pprof_intern(b, NULL), 0);
    assert_int_equal(pprof_intern(b, "a"), 1);
    assert_int_equal(pprof_intern(b, "b"), 2);
    assert_int_equal(pprof_intern(b, "a"), 1);
    pprof_builder_free(b);
}

static void test_dedup(void **state)
{
    (void)state;
    pprof_builder *b = pprof_builder_new();
    pprof_add_sample_type(b, "inuse_space", "bytes");
    pprof_mapping_desc m = {.start = 1, .limit = 100, .filename = "x"};
    uint64_t m1 = pprof_add_mapping(b, &m);
    uint64_t m2 = pprof_add_mapping(b, &m);
    assert_int_equal(m1, 1);
    assert_int_equal(m2, 1);
    m.start = 2;
    assert_int_equal(pprof_add_mapping(b, &m), 2);
    assert_int_equal(pprof_add_function(b, "f", NULL, "a.c", 3), 1);
    assert_int_equal(pprof_add_function(b, "f", NULL, "a.c", 3), 1);
    assert_int_equal(pprof_add_function(b, "f", NULL, "b.c", 3), 2);
    pprof_line_desc ln = {.function = "f", .filename = "a.c", .start_line = 3, .line = 7};
    assert_int_equal(pprof_add_location(b, 1, 0x10, &ln, 1), 1);
    assert_int_equal(pprof_add_location(b, 1, 0x10, &ln, 1), 1);
    assert_int_equal(pprof_add_location(b, 1, 0x11, &ln, 1), 2);
    /* address-less (pseudo) frames dedup by their lines */
    assert_int_equal(pprof_add_pseudo_location(b, "[unattributed 64-byte chunks]"), 3);
    assert_int_equal(pprof_add_pseudo_location(b, "[unattributed 64-byte chunks]"), 3);
    assert_int_equal(pprof_add_pseudo_location(b, "[unattributed 96-byte chunks]"), 4);

    /* 100k samples over 10 stacks stay compact: 10 locations, 10 functions */
    uint64_t locs[10];
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof(name), "fn%d", i);
        pprof_line_desc l = {.function = name, .line = i};
        locs[i] = pprof_add_location(b, 2, 0x1000 + (uint64_t)i, &l, 1);
    }
    for (int i = 0; i < 100000; i++) {
        uint64_t lid = locs[i % 10];
        pprof_add_sample(b, &lid, 1, &(int64_t){1}, NULL, 0);
    }
    pprof_profile *p = roundtrip(b, true);
    assert_int_equal(p->pb->n_location, 14);
    assert_int_equal(p->pb->n_function, 14);
    assert_int_equal(p->pb->n_mapping, 2);
    assert_int_equal(p->pb->n_sample, 100000);
    pprof_profile_free(p);
    pprof_builder_free(b);
}

static void check_small(const pprof_profile *p)
{
    const pprof_pb_profile *pb = p->pb;
    assert_string_equal(pprof_str(p, 0), "");
    assert_int_equal(pb->n_sample_type, 2);
    assert_string_equal(pprof_str(p, pb->sample_type[1]->type), "inuse_space");
    assert_string_equal(pprof_str(p, pb->sample_type[1]->unit), "bytes");
    assert_string_equal(pprof_str(p, pb->period_type->type), "space");
    assert_int_equal(pb->period, 524288);
    assert_int_equal(pb->time_nanos, 1700000000123456789LL);
    assert_int_equal(pb->duration_nanos, 5000000000LL);
    assert_string_equal(pprof_str(p, pb->default_sample_type), "inuse_space");
    assert_int_equal(pb->n_comment, 1);
    assert_string_equal(pprof_str(p, pb->comment[0]), "heap in use: 4096 bytes");
    assert_int_equal(pb->n_sample, 2);
    const pprof_pb_sample *s = pb->sample[0];
    assert_int_equal(s->n_value, 2);
    assert_int_equal(s->value[0], 3);
    assert_int_equal(s->value[1], 192);
    assert_int_equal(pprof_sample_num_label(p, s, "bytes", -1), 64);
    assert_int_equal(pprof_sample_num_label(p, pb->sample[1], "bytes", -1), -1);
    assert_int_equal(s->n_location_id, 2);
    const pprof_pb_location *l = pprof_location(p, s->location_id[0]);
    assert_non_null(l);
    assert_int_equal(l->address, 0x401234);
    assert_int_equal(l->n_line, 2);
    const pprof_pb_function *f0 = pprof_function(p, l->line[0]->function_id);
    const pprof_pb_function *f1 = pprof_function(p, l->line[1]->function_id);
    assert_string_equal(pprof_str(p, f0->name), "inlined_helper");
    assert_int_equal(l->line[0]->line, 12);
    assert_string_equal(pprof_str(p, f1->name), "leaky");
    assert_string_equal(pprof_str(p, f1->filename), "prog.c");
    assert_int_equal(f1->start_line, 20);
    const pprof_pb_mapping *m = pprof_mapping(p, l->mapping_id);
    assert_non_null(m);
    assert_int_equal(m->memory_start, 0x400000);
    assert_int_equal(m->file_offset, 0x1000);
    assert_string_equal(pprof_str(p, m->filename), "/usr/bin/prog");
    assert_string_equal(pprof_str(p, m->build_id), "abcdef");
    assert_true(m->has_functions && m->has_inline_frames);
    assert_int_equal(pprof_sample_index(p, "inuse_space"), 1);
    assert_int_equal(pprof_sample_index(p, "alloc_space"), -1);
}

static void test_roundtrip_gzip(void **state)
{
    (void)state;
    pprof_builder *b = small_profile();
    pprof_profile *p = roundtrip(b, true);
    check_small(p);
    pprof_profile_free(p);
    pprof_builder_free(b);
}

static void test_roundtrip_raw(void **state)
{
    (void)state;
    pprof_builder *b = small_profile();
    pprof_profile *p = roundtrip(b, false);
    check_small(p);
    pprof_profile_free(p);
    pprof_builder_free(b);
}

static void test_write_file_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_pprof.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/out.pb.gz", dir);
    pprof_builder *b = small_profile();
    hs_err err = {{0}};
    assert_int_equal(pprof_write_file(b, path, &err), 0);
    pprof_profile *p = pprof_read_file(path, &err);
    assert_non_null(p);
    check_small(p);
    pprof_profile_free(p);
    /* a directory as the output path is refused and left alone */
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/d", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(pprof_write_file(b, sub, &err), -1);
    char want[512];
    snprintf(want, sizeof(want), "%s is a directory: give a file name inside it", sub);
    assert_string_equal(err.msg, want);
    /* a symlink is refused; its target is untouched */
    char link[300];
    snprintf(link, sizeof(link), "%s/l", dir);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(pprof_write_file(b, link, &err), -1);
    assert_non_null(strstr(err.msg, "is a symbolic link"));
    /* no temp files are left behind */
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 3", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    pprof_builder_free(b);
}

/* ---- rejections ---- */

static void expect_reject(const uint8_t *data, size_t len, const char *want)
{
    hs_err err = {{0}};
    pprof_profile *p = pprof_parse(data, len, &err);
    assert_null(p);
    assert_string_equal(err.msg, want);
}

/* Encodes a hand-made message (to build profiles the builder would refuse). */
static void expect_reject_pb(pprof_pb_profile *pb, const char *want)
{
    size_t len = perftools__profiles__profile__get_packed_size(pb);
    uint8_t *buf = malloc(len + 1);
    perftools__profiles__profile__pack(pb, buf);
    expect_reject(buf, len, want);
    free(buf);
}

static void test_reject_empty_and_garbage(void **state)
{
    (void)state;
    expect_reject((const uint8_t *)"", 0,
                  "empty input: there is no profile data (was the file written completely?)");
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02};
    expect_reject(garbage, sizeof(garbage),
                  "not a pprof profile: the data is neither gzip-compressed nor a valid "
                  "profile protobuf message");
    const uint8_t text[] = "hello, this is text";
    expect_reject(text, sizeof(text) - 1,
                  "not a pprof profile: the data is neither gzip-compressed nor a valid "
                  "profile protobuf message");
}

static void test_reject_truncated(void **state)
{
    (void)state;
    pprof_builder *b = small_profile();
    uint8_t *data;
    size_t len;
    hs_err err = {{0}};
    assert_int_equal(pprof_encode(b, true, &data, &len, &err), 0);
    expect_reject(data, len / 2,
                  "truncated gzip data: the file ends before the compressed profile does (was "
                  "it cut short while being written or copied?)");
    /* a gzip header followed by garbage */
    uint8_t bad[32] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff};
    hs_err e2 = {{0}};
    assert_null(pprof_parse(bad, sizeof(bad), &e2));
    assert_non_null(strstr(e2.msg, "corrupt gzip data ("));
    free(data);
    /* truncated raw protobuf */
    assert_int_equal(pprof_encode(b, false, &data, &len, &err), 0);
    expect_reject(data, len - 3,
                  "not a pprof profile: the data is neither gzip-compressed nor a valid "
                  "profile protobuf message");
    free(data);
    pprof_builder_free(b);
}

/* Deflates len bytes of in with flush; appends the output to out (cap bytes). */
static size_t deflate_into(z_stream *z, const uint8_t *in, size_t len, int flush, uint8_t *out,
                           size_t cap)
{
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)len;
    z->next_out = out;
    z->avail_out = (uInt)cap;
    assert_int_not_equal(deflate(z, flush), Z_STREAM_ERROR);
    assert_int_equal(z->avail_in, 0);
    assert_true(z->avail_out > 0);
    return cap - z->avail_out;
}

static void test_reject_too_large(void **state)
{
    (void)state;
    /* A gzip stream of 1 GiB + 1 zero bytes (about 1 MiB), built without
     * compressing 1 GiB: after Z_FULL_FLUSH the compressor starts from an empty
     * dictionary, so every further MiB of zeros compresses to the same bytes. */
    static uint8_t zeros[1 << 20];
    const size_t mib = sizeof(zeros), blocks = 1024;
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = 8 << 20;
    uint8_t *out = malloc(cap), *again = malloc(mib);
    assert_non_null(out);
    assert_non_null(again);
    size_t n = deflate_into(&z, zeros, mib, Z_FULL_FLUSH, out, cap); /* header + 1st MiB */
    size_t blen = deflate_into(&z, zeros, mib, Z_FULL_FLUSH, out + n, cap - n);
    const uint8_t *block = out + n;
    n += blen;
    assert_int_equal(deflate_into(&z, zeros, mib, Z_FULL_FLUSH, again, mib), blen);
    assert_memory_equal(again, block, blen); /* the repeat really is the same bytes */
    for (size_t i = 2; i < blocks; i++) {
        assert_true(n + blen < cap);
        memcpy(out + n, block, blen);
        n += blen;
    }
    n += deflate_into(&z, zeros, 1, Z_FINISH, out + n, cap - n);
    deflateEnd(&z);
    /* The trailer zlib wrote counts the 3 MiB + 1 it saw: write the real one. */
    uLong crc = crc32(0, zeros, (uInt)mib), crc_mib = crc;
    for (size_t i = 1; i < blocks; i++)
        crc = crc32_combine(crc, crc_mib, (z_off_t)mib);
    crc = crc32_combine(crc, crc32(0, zeros, 1), 1);
    uint32_t isize = (uint32_t)(blocks * mib + 1);
    for (int i = 0; i < 4; i++) {
        out[n - 8 + i] = (uint8_t)(crc >> (8 * i));
        out[n - 4 + i] = (uint8_t)(isize >> (8 * i));
    }
    expect_reject(out, n,
                  "the profile decompresses to more than 1024 MiB: refusing to read it (is it "
                  "really a profile?)");
    free(again);
    free(out);
}

static char *strs[] = {"", "inuse_space", "bytes", "f"};

static void test_reject_bad_string_table(void **state)
{
    (void)state;
    pprof_pb_profile pb;
    perftools__profiles__profile__init(&pb);
    char *bad[] = {"x"};
    pb.n_string_table = 1;
    pb.string_table = bad;
    expect_reject_pb(&pb, "invalid profile: the string table must start with the empty string "
                          "(is this a pprof profile?)");
    pb.n_string_table = 0;
    pb.period = 100; /* something to encode */
    expect_reject_pb(&pb, "invalid profile: the string table must start with the empty string "
                          "(is this a pprof profile?)");
}

static void test_reject_bad_index(void **state)
{
    (void)state;
    pprof_pb_profile pb;
    perftools__profiles__profile__init(&pb);
    pb.n_string_table = 4;
    pb.string_table = strs;
    Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
    vt.type = 1;
    vt.unit = 9;
    Perftools__Profiles__ValueType *vts[] = {&vt};
    pb.n_sample_type = 1;
    pb.sample_type = vts;
    expect_reject_pb(&pb, "invalid profile: sample type 0's unit refers to string 9, but the "
                          "string table has 4 entries");
    vt.unit = 2;

    Perftools__Profiles__Function fn = PERFTOOLS__PROFILES__FUNCTION__INIT;
    fn.id = 1;
    fn.name = -2;
    Perftools__Profiles__Function *fns[] = {&fn};
    pb.n_function = 1;
    pb.function = fns;
    expect_reject_pb(&pb, "invalid profile: function 0's name refers to string -2, but the "
                          "string table has 4 entries");
    fn.name = 3;

    Perftools__Profiles__Line line = PERFTOOLS__PROFILES__LINE__INIT;
    line.function_id = 7;
    Perftools__Profiles__Line *lines[] = {&line};
    Perftools__Profiles__Location loc = PERFTOOLS__PROFILES__LOCATION__INIT;
    loc.id = 5;
    loc.n_line = 1;
    loc.line = lines;
    Perftools__Profiles__Location *locs[] = {&loc};
    pb.n_location = 1;
    pb.location = locs;
    expect_reject_pb(&pb, "invalid profile: location id 5 refers to function id 7, which does "
                          "not exist");
    line.function_id = 1;
    loc.mapping_id = 3;
    expect_reject_pb(&pb, "invalid profile: location id 5 refers to mapping id 3, which does not "
                          "exist");
    loc.mapping_id = 0;
    loc.id = 0;
    expect_reject_pb(&pb, "invalid profile: location 0 has id 0, but ids must be non-zero");
    loc.id = 5;

    uint64_t sloc[] = {6};
    int64_t vals[] = {10};
    Perftools__Profiles__Sample s = PERFTOOLS__PROFILES__SAMPLE__INIT;
    s.n_location_id = 1;
    s.location_id = sloc;
    s.n_value = 1;
    s.value = vals;
    Perftools__Profiles__Sample *ss[] = {&s};
    pb.n_sample = 1;
    pb.sample = ss;
    expect_reject_pb(&pb, "invalid profile: sample 0 refers to location id 6, which does not "
                          "exist");
    sloc[0] = 5;
    Perftools__Profiles__Label lab = PERFTOOLS__PROFILES__LABEL__INIT;
    lab.key = 44;
    Perftools__Profiles__Label *labs[] = {&lab};
    s.n_label = 1;
    s.label = labs;
    expect_reject_pb(&pb, "invalid profile: sample 0's label 0 key refers to string 44, but the "
                          "string table has 4 entries");
    lab.key = 2;

    /* duplicate ids */
    Perftools__Profiles__Location loc2 = loc;
    Perftools__Profiles__Location *locs2[] = {&loc, &loc2};
    pb.n_location = 2;
    pb.location = locs2;
    expect_reject_pb(&pb, "invalid profile: location id 5 appears more than once");
    pb.n_location = 1;
    pb.location = locs;

    /* now it is valid, with sparse ids */
    size_t len = perftools__profiles__profile__get_packed_size(&pb);
    uint8_t *buf = malloc(len);
    perftools__profiles__profile__pack(&pb, buf);
    hs_err err = {{0}};
    pprof_profile *p = pprof_parse(buf, len, &err);
    assert_non_null(p);
    assert_int_equal(pprof_location(p, 5)->id, 5);
    assert_null(pprof_location(p, 4));
    assert_null(pprof_location(p, 0));
    pprof_profile_free(p);
    free(buf);
}

static void test_reject_bad_value_count(void **state)
{
    (void)state;
    pprof_pb_profile pb;
    perftools__profiles__profile__init(&pb);
    pb.n_string_table = 4;
    pb.string_table = strs;
    Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
    vt.type = 1;
    vt.unit = 2;
    Perftools__Profiles__ValueType *vts[] = {&vt, &vt};
    pb.n_sample_type = 2;
    pb.sample_type = vts;
    int64_t vals[] = {1, 2, 3};
    Perftools__Profiles__Sample s = PERFTOOLS__PROFILES__SAMPLE__INIT;
    s.n_value = 3;
    s.value = vals;
    Perftools__Profiles__Sample *ss[] = {&s};
    pb.n_sample = 1;
    pb.sample = ss;
    expect_reject_pb(&pb, "invalid profile: sample 0 has 3 values, but the profile declares 2 "
                          "sample types");
}

static void test_read_missing_file(void **state)
{
    (void)state;
    hs_err err = {{0}};
    assert_null(pprof_read_file("/nonexistent/x.pb.gz", &err));
    assert_string_equal(err.msg, "cannot open /nonexistent/x.pb.gz: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_dedup),
        cmocka_unit_test(test_roundtrip_gzip),
        cmocka_unit_test(test_roundtrip_raw),
        cmocka_unit_test(test_write_file_atomic),
        cmocka_unit_test(test_reject_empty_and_garbage),
        cmocka_unit_test(test_reject_truncated),
        cmocka_unit_test(test_reject_too_large),
        cmocka_unit_test(test_reject_bad_string_table),
        cmocka_unit_test(test_reject_bad_index),
        cmocka_unit_test(test_reject_bad_value_count),
        cmocka_unit_test(test_read_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
