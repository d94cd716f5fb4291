/* tests/unit/test_an_series.c: call-site keys (function+file+line, inlined
 * frames expanded, addresses and mapping ids ignored), allocating-function
 * groups, per-snapshot totals, and the input layer's ordering and checks, on
 * profiles built in memory with lib/pprof. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "an_analysis.h"
#include "an_frames.h"
#include "an_input.h"
#include "an_series.h"
#include "heapprof.h"
#include "pprof.h"

/* A profile whose code is mapped at base (with `pad` unrelated mappings first,
 * so its mapping id differs too): malloc <- add_entry:17 <- main:25, plus one
 * location with two lines (helper inlined into caller) and one without symbols. */
static pprof_builder *build(uint64_t base, int pad, int64_t time_nanos, int64_t entries)
{
    pprof_builder *b = heapprof_new(1, time_nanos);
    for (int i = 0; i < pad; i++) {
        pprof_mapping_desc m = {0x1000u * (uint64_t)(i + 1),
                                0x1000u * (uint64_t)(i + 1) + 0x800,
                                0,
                                "/lib/other.so",
                                NULL,
                                true,
                                true,
                                true,
                                false};
        pprof_add_mapping(b, &m);
    }
    pprof_mapping_desc m = {base, base + 0x10000, 0,   "/usr/bin/demo", "abcd", true,
                            true, true,           true};
    uint64_t map = pprof_add_mapping(b, &m);
    pprof_line_desc lm = {"malloc", NULL, NULL, 0, 0};
    pprof_line_desc la = {"add_entry", NULL, "src/cache.c", 15, 17};
    pprof_line_desc lmain = {"main", NULL, "src/main.c", 20, 25};
    pprof_line_desc inl[2] = {{"helper", NULL, "src/h.c", 1, 3}, {"caller", NULL, "src/c.c", 5, 9}};
    uint64_t locs[3] = {pprof_add_location(b, map, base + 0x10, &lm, 1),
                        pprof_add_location(b, map, base + 0x20, &la, 1),
                        pprof_add_location(b, map, base + 0x30, &lmain, 1)};
    heapprof_add_site(b, locs, 3, 1, entries, entries * 64, entries, entries * 64);
    uint64_t l2[2] = {pprof_add_location(b, map, base + 0x40, inl, 2),
                      pprof_add_location(b, map, base + 0x50, NULL, 0)};
    heapprof_add_site(b, l2, 2, 1, 1, 4096, 1, 4096);
    return b;
}

static pprof_profile *parse(pprof_builder *b)
{
    uint8_t *data;
    size_t len;
    hs_err err;
    assert_int_equal(pprof_encode(b, false, &data, &len, &err), 0);
    pprof_profile *p = pprof_parse(data, len, &err);
    assert_non_null(p);
    free(data);
    pprof_builder_free(b);
    return p;
}

static void test_sites_match_across_addresses(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
    an_series *s = an_series_new(f, 2);
    an_series_cols cols = {3, 2, 1}; /* inuse_space, inuse_objects, alloc_space */
    pprof_profile *p0 = parse(build(0x400000, 0, 1, 10));
    pprof_profile *p1 = parse(build(0x7f0000000000, 3, 2, 30));
    assert_int_equal(an_series_add_profile(s, 0, p0, &cols, &err), 0);
    assert_int_equal(an_series_add_profile(s, 1, p1, &cols, &err), 0);
    assert_int_equal(an_series_finish(s, &err), 0);
    /* two stacks, the same in both profiles */
    assert_int_equal(an_series_nsites(s), 2);
    const an_site *site = an_series_site(s, 0);
    assert_int_equal(site->nframes, 3);
    assert_int_equal(site->alloc_pos, 1); /* malloc skipped */
    assert_int_equal(site->npts, 2);
    assert_int_equal(site->pts[0].bytes, 640);
    assert_int_equal(site->pts[1].bytes, 1920);
    assert_int_equal(site->pts[1].objects, 30);
    const an_group *g = an_series_group(s, site->group);
    assert_string_equal(an_series_str(s, g->function), "add_entry");
    assert_string_equal(an_series_str(s, g->file), "src/cache.c");
    /* the inlined location expands to two frames, the unsymbolized one is
     * named by its mapping and offset (not its address) */
    const an_site *s2 = an_series_site(s, 1);
    assert_int_equal(s2->nframes, 3);
    const uint32_t *st = an_series_stack(s, s2);
    assert_string_equal(an_series_str(s, an_series_frame(s, st[0])->function), "helper");
    assert_string_equal(an_series_str(s, an_series_frame(s, st[1])->function), "caller");
    assert_int_equal(an_series_frame(s, st[1])->line, 9);
    assert_string_equal(an_series_str(s, an_series_frame(s, st[2])->function), "demo+0x50");
    assert_int_equal(s2->npts, 2);
    /* totals per snapshot */
    assert_float_equal(an_series_total_bytes(s)[0], 640 + 4096, 0);
    assert_float_equal(an_series_total_bytes(s)[1], 1920 + 4096, 0);
    assert_float_equal(an_series_total_objects(s)[1], 31, 0);
    pprof_profile_free(p0);
    pprof_profile_free(p1);
    an_series_free(s);
    an_frames_free(f);
}

/* Stripped libraries: an unsymbolized frame under an allocator-named one is
 * the allocator's helper, so the site is named after the allocator's caller;
 * an unsymbolized leaf with no allocator frame after it is the site itself. */
static void test_unsymbolized_allocator_helper(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
    an_series *s = an_series_new(f, 1);
    an_series_cols cols = {3, 2, 1};
    pprof_builder *b = heapprof_new(1, 1);
    pprof_line_desc helper = {"libsqlite3.so.0+0xa7504", NULL, NULL, 0, 0};
    pprof_line_desc wrap = {"sqlite3Malloc", NULL, NULL, 0, 0};
    pprof_line_desc caller = {"libsqlite3.so.0+0xb786c", NULL, NULL, 0, 0};
    pprof_line_desc insert = {"sqlite3BtreeInsert", NULL, NULL, 0, 0};
    pprof_line_desc app = {"0x401234", NULL, NULL, 0, 0};
    pprof_line_desc mainl = {"main", NULL, "m.c", 1, 2};
    uint64_t a[4] = {
        pprof_add_location(b, 0, 0x10, &helper, 1), pprof_add_location(b, 0, 0x20, &wrap, 1),
        pprof_add_location(b, 0, 0x30, &caller, 1), pprof_add_location(b, 0, 0x40, &insert, 1)};
    heapprof_add_site(b, a, 4, 1, 1, 100, 1, 100);
    uint64_t c[2] = {pprof_add_location(b, 0, 0x50, &app, 1),
                     pprof_add_location(b, 0, 0x60, &mainl, 1)};
    heapprof_add_site(b, c, 2, 1, 1, 200, 1, 200);
    pprof_profile *p = parse(b);
    assert_int_equal(an_series_add_profile(s, 0, p, &cols, &err), 0);
    assert_int_equal(an_series_finish(s, &err), 0);
    assert_int_equal(an_series_nsites(s), 2);
    const an_site *s0 = an_series_site(s, 0);
    assert_int_equal(s0->alloc_pos, 2);
    assert_string_equal(an_series_str(s, an_series_group(s, s0->group)->function),
                        "libsqlite3.so.0+0xb786c");
    const an_site *s1 = an_series_site(s, 1);
    assert_int_equal(s1->alloc_pos, 0);
    assert_string_equal(an_series_str(s, an_series_group(s, s1->group)->function), "0x401234");
    pprof_profile_free(p);
    an_series_free(s);
    an_frames_free(f);
}

static char dir[] = "/tmp/test_an_series.XXXXXX";

static void write_at(const char *name, pprof_builder *b)
{
    char path[256];
    hs_err err;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(pprof_write_file(b, path, &err), 0);
    pprof_builder_free(b);
}

static void test_input_orders_by_time(void **state)
{
    (void)state;
    /* file order c, a, b; time order a (t=1 s), b (2 s), c (3 s) */
    write_at("a.pb.gz", build(0x400000, 0, 1000000000, 10));
    write_at("b.pb.gz", build(0x500000, 1, 2000000000, 20));
    write_at("c.pb.gz", build(0x600000, 2, 3000000000, 30));
    char pa[256], pb[256], pc[256];
    snprintf(pa, sizeof(pa), "%s/a.pb.gz", dir);
    snprintf(pb, sizeof(pb), "%s/b.pb.gz", dir);
    snprintf(pc, sizeof(pc), "%s/c.pb.gz", dir);
    char *paths[] = {pc, pa, pb};
    hs_err err;
    an_frames *f = an_frames_new(&err);
    an_input in;
    an_series *s;
    assert_int_equal(an_input_load(&in, paths, 3, NULL, false, f, &s, &err), 0);
    assert_true(in.has_time);
    assert_string_equal(in.snaps[0].path, pa);
    assert_string_equal(in.snaps[2].path, pc);
    assert_float_equal(in.snaps[2].t, 2.0, 0);
    assert_string_equal(in.sample_type, "inuse_space");
    assert_int_equal(in.cols.bytes, 3);
    assert_int_equal(in.cols.objects, 2);
    assert_int_equal(in.cols.alloc_bytes, 1);
    assert_false(in.sampled);

    an_analysis a;
    assert_int_equal(an_analyze(&a, &in, s, &err), 0);
    assert_int_equal(a.nsuspects, 0); /* 640 B/s for 2 s: +1280 B, below 4 KiB */
    assert_float_equal(a.total_bytes[0], 640 + 4096, 0);
    assert_float_equal(a.total_bytes[2], 1920 + 4096, 0);
    an_analysis_free(&a);
    an_series_free(s);
    an_input_free(&in);
    /* --base keeps the order given */
    assert_int_equal(an_input_load(&in, paths, 2, NULL, true, f, &s, &err), 0);
    assert_string_equal(in.snaps[0].path, pc);
    assert_int_equal(in.nnotes, 1);
    assert_non_null(strstr(in.notes[0], "is older than the base"));
    an_series_free(s);
    an_input_free(&in);
    an_frames_free(f);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.pb.gz", "b.pb.gz", "c.pb.gz"};
    char path[256];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sites_match_across_addresses),
        cmocka_unit_test(test_unsymbolized_allocator_helper),
        cmocka_unit_test(test_input_orders_by_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
