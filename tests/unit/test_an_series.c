/* tests/unit/test_an_series.c: call-site keys (function+file+line, inlined
 * frames expanded, addresses and mapping ids ignored), the choice of the
 * user's frame (C++ standard library, runtimes, wrappers by behaviour,
 * stripped programs) and the groups it makes, per-snapshot totals, and the
 * input layer's ordering and checks, on profiles built in memory with
 * lib/pprof. */
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
#include "an_report.h"
#include "an_series.h"
#include "an_hint.h"
#include "an_types.h"
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
    an_series_cols cols = {3, 2, 1, 0, 0, false}; /* inuse_space, inuse_objects, alloc_space */
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
 * the allocator's helper, so the user's code starts at the allocator's caller;
 * that one has no symbol either, so the site is named by the first frame above
 * it that has one (sqlite3BtreeInsert). An unsymbolized leaf is the user's
 * code itself, named by its caller. */
static void test_unsymbolized_allocator_helper(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
    an_series *s = an_series_new(f, 1);
    an_series_cols cols = {3, 2, 1, 0, 0, false};
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
    assert_int_equal(s0->raw_pos, 2);
    assert_int_equal(s0->alloc_pos, 3);
    assert_true(s0->named);
    assert_string_equal(an_series_str(s, an_series_group(s, s0->group)->function),
                        "sqlite3BtreeInsert");
    const an_site *s1 = an_series_site(s, 1);
    assert_int_equal(s1->raw_pos, 0);
    assert_int_equal(s1->alloc_pos, 1);
    assert_string_equal(an_series_str(s, an_series_group(s, s1->group)->function), "main");
    pprof_profile_free(p);
    an_series_free(s);
    an_frames_free(f);
}

/* ---- frame choice on stacks given as names ---- */

/* One frame: name as in Function.name, the mangled system_name (NULL = the
 * same), source file and mapping file (NULL = none). */
typedef struct tframe {
    const char *name, *system, *file, *module;
} tframe;

#define TMAX 12

/* A profile with one site per stack (leaf first, ended by a NULL name), each
 * holding bytes[i] bytes in one object. */
static pprof_profile *stacks_profile(const tframe (*stacks)[TMAX], size_t n, const int64_t *bytes)
{
    pprof_builder *b = heapprof_new(1, 1);
    const char *mods[16];
    uint64_t ids[16];
    size_t nmods = 0;
    uint64_t addr = 0x1000;
    for (size_t i = 0; i < n; i++) {
        uint64_t locs[TMAX];
        size_t k = 0;
        for (; k < TMAX && stacks[i][k].name != NULL; k++) {
            const tframe *t = &stacks[i][k];
            uint64_t map = 0;
            if (t->module != NULL) {
                size_t m = 0;
                while (m < nmods && strcmp(mods[m], t->module) != 0)
                    m++;
                if (m == nmods) {
                    assert_true(nmods < 16);
                    pprof_mapping_desc md = {0x100000u * (nmods + 1),
                                             0x100000u * (nmods + 2),
                                             0,
                                             t->module,
                                             NULL,
                                             true,
                                             true,
                                             true,
                                             true};
                    mods[nmods] = t->module;
                    ids[nmods++] = pprof_add_mapping(b, &md);
                }
                map = ids[m];
            }
            pprof_line_desc l = {t->name, t->system, t->file, 1, t->file ? 10 + (int64_t)k : 0};
            locs[k] = pprof_add_location(b, map, addr++, &l, 1);
        }
        heapprof_add_site(b, locs, k, 1, 1, bytes[i], 1, bytes[i]);
    }
    return parse(b);
}

/* Runs stacks through a series; returns it (finished). */
static an_series *series_of(an_frames *f, const tframe (*stacks)[TMAX], size_t n)
{
    hs_err err;
    int64_t bytes[32];
    assert_true(n <= 32);
    for (size_t i = 0; i < n; i++)
        bytes[i] = 100 * (int64_t)(i + 1); /* distinct, so no two sites merge */
    an_series *s = an_series_new(f, 1);
    an_series_cols cols = {3, 2, 1, 0, 0, false};
    pprof_profile *p = stacks_profile(stacks, n, bytes);
    assert_int_equal(an_series_add_profile(s, 0, p, &cols, &err), 0);
    assert_int_equal(an_series_finish(s, &err), 0);
    pprof_profile_free(p);
    assert_int_equal(an_series_nsites(s), n);
    return s;
}

static const char *site_function(const an_series *s, size_t i)
{
    return an_series_str(s, an_series_group(s, an_series_site(s, i)->group)->function);
}

static const char *site_signature(const an_series *s, size_t i)
{
    return an_series_str(s, an_series_group(s, an_series_site(s, i)->group)->signature);
}

#define LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30"
#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define HDR "/usr/include/c++/12/bits/"

/* C++: standard-library frames are skipped whatever comes before std:: (a
 * return type), whether they were inlined from a header into the program or
 * run in libstdc++; names are shortened and the full signature kept, from a
 * full name (older profiles) or from the mangled system_name (ours). */
static void test_cxx_frames(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
    static const tframe st[][TMAX] = {
        {{"std::__new_allocator<char>::allocate(unsigned long, void const*)", NULL,
          HDR "new_allocator.h", "/app/audit"},
         {"void std::vector<char, std::allocator<char> >::_M_range_insert<char const*>("
          "__gnu_cxx::__normal_iterator<char*, std::vector<char, std::allocator<char> > >, char "
          "const*, char const*, std::forward_iterator_tag)",
          NULL, HDR "vector.tcc", "/app/audit"},
         {"AuditLog::append(char const*, unsigned long)", NULL, "/src/audit.cc", "/app/audit"},
         {"main", NULL, "/src/main.cc", "/app/audit"},
         {"__libc_start_main", NULL, NULL, LIBC},
         {NULL, NULL, NULL, NULL}},
        {{"std::__cxx11::basic_string::_M_mutate",
          "_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_mutateEmmPKcm", NULL,
          LIBSTDCXX},
         {"SessionCache::remember", "_ZN12SessionCache8rememberEl", "/src/cache.cc", "/app/audit"},
         {"main", NULL, "/src/main.cc", "/app/audit"},
         {NULL, NULL, NULL, NULL}},
        {{"operator new(unsigned long)", NULL, NULL, LIBSTDCXX},
         {"libstdc++.so.6.0.30+0x9a1b2", NULL, NULL, LIBSTDCXX},
         {"(anonymous namespace)::Pool::grow(int)", NULL, "/src/pool.cc", "/app/audit"},
         {NULL, NULL, NULL, NULL}},
    };
    an_series *s = series_of(f, st, 3);
    assert_string_equal(site_function(s, 0), "AuditLog::append");
    assert_string_equal(site_signature(s, 0), "AuditLog::append(char const*, unsigned long)");
    assert_int_equal(an_series_site(s, 0)->alloc_pos, 2);
    const uint32_t *stack = an_series_stack(s, an_series_site(s, 0));
    assert_string_equal(an_series_str(s, an_series_frame(s, stack[1])->function),
                        "std::vector::_M_range_insert");
    assert_int_equal(an_series_frame(s, stack[1])->kind, AN_FRAME_LIBRARY);
    assert_int_equal(an_series_frame(s, stack[4])->kind, AN_FRAME_LIBRARY);
    assert_string_equal(site_function(s, 1), "SessionCache::remember");
    assert_string_equal(site_signature(s, 1), "SessionCache::remember(long)");
    assert_int_equal(an_series_site(s, 1)->alloc_pos, 1);
    assert_string_equal(site_function(s, 2), "(anonymous namespace)::Pool::grow");
    assert_int_equal(an_series_site(s, 2)->alloc_pos, 2);
    an_series_free(s);
    an_frames_free(f);
}

/* Go's runtime, Rust's alloc and core crates, GLib in its library, libc's
 * helpers (strdup, getline) are skipped; the C runtime's entry points never
 * name a site while a program frame exists. */
static void test_runtime_frames(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
    static const tframe st[][TMAX] = {
        {{"runtime.mallocgc", NULL, "malloc.go", NULL},
         {"runtime.growslice", NULL, "slice.go", NULL},
         {"main.growBuffer", NULL, "main.go", NULL},
         {"runtime.main", NULL, "proc.go", NULL},
         {NULL, NULL, NULL, NULL}},
        {{"alloc::raw_vec::finish_grow", NULL, "raw_vec.rs", NULL},
         {"alloc::raw_vec::RawVec<T,A>::reserve_for_push", NULL, "raw_vec.rs", NULL},
         {"server::Registry::add", NULL, "registry.rs", NULL},
         {NULL, NULL, NULL, NULL}},
        {{"g_hash_table_insert", NULL, NULL, "/usr/lib/x86_64-linux-gnu/libglib-2.0.so.0.7400.6"},
         {"index_file", NULL, "index.c", "/usr/bin/indexer"},
         {NULL, NULL, NULL, NULL}},
        {{"getline", NULL, NULL, LIBC},
         {"read_config", NULL, "config.c", "/usr/bin/indexer"},
         {"main", NULL, "main.c", "/usr/bin/indexer"},
         {"__libc_start_main", NULL, NULL, LIBC},
         {"_start", NULL, NULL, "/usr/bin/indexer"},
         {NULL, NULL, NULL, NULL}},
    };
    an_series *s = series_of(f, st, 4);
    assert_string_equal(site_function(s, 0), "main.growBuffer");
    assert_string_equal(site_function(s, 1), "server::Registry::add");
    assert_string_equal(site_function(s, 2), "index_file");
    assert_string_equal(site_function(s, 3), "read_config");
    an_series_free(s);
    an_frames_free(f);
}

/* Allocator wrappers by what they do: mem_get only calls the allocator (it is
 * the leaf) and three functions call it, so each caller names its own site;
 * get_buf is also a leaf but has two callers, so it stays; cache_put has
 * three callers but in one stack calls other code of the program (a hash
 * function), so it is not a wrapper either. */
static void test_wrapper_by_behaviour(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
#define P "/usr/bin/prog"
    static const tframe st[][TMAX] = {
        {{"mem_get", NULL, "mem.c", P},
         {"load_users", NULL, "users.c", P},
         {"main", NULL, "m.c", P},
         {NULL, NULL, NULL, NULL}},
        {{"mem_get", NULL, "mem.c", P},
         {"load_groups", NULL, "groups.c", P},
         {"main", NULL, "m.c", P},
         {NULL, NULL, NULL, NULL}},
        {{"mem_get", NULL, "mem.c", P},
         {"on_request", NULL, "server.c", P},
         {"serve", NULL, "server.c", P},
         {NULL, NULL, NULL, NULL}},
        {{"get_buf", NULL, "buf.c", P}, {"read_body", NULL, "http.c", P}, {NULL, NULL, NULL, NULL}},
        {{"get_buf", NULL, "buf.c", P},
         {"write_body", NULL, "http.c", P},
         {NULL, NULL, NULL, NULL}},
        {{"cache_put", NULL, "cache.c", P}, {"a", NULL, "x.c", P}, {NULL, NULL, NULL, NULL}},
        {{"cache_put", NULL, "cache.c", P}, {"b", NULL, "x.c", P}, {NULL, NULL, NULL, NULL}},
        {{"cache_put", NULL, "cache.c", P}, {"c", NULL, "x.c", P}, {NULL, NULL, NULL, NULL}},
        {{"hash_key", NULL, "cache.c", P},
         {"cache_put", NULL, "cache.c", P},
         {"d", NULL, "x.c", P},
         {NULL, NULL, NULL, NULL}},
    };
#undef P
    an_series *s = series_of(f, st, 9);
    assert_string_equal(site_function(s, 0), "load_users");
    assert_string_equal(site_function(s, 1), "load_groups");
    assert_string_equal(site_function(s, 2), "on_request");
    assert_string_equal(site_function(s, 3), "get_buf");
    assert_string_equal(site_function(s, 4), "get_buf");
    assert_string_equal(site_function(s, 5), "cache_put");
    assert_string_equal(site_function(s, 8), "hash_key");
    const an_frame *fr = an_series_frame(s, an_series_stack(s, an_series_site(s, 0))[0]);
    assert_true(an_series_is_wrapper(s, fr->signature));
    an_series_free(s);
    an_frames_free(f);
}

/* Stripped perl: a leak reached through a static helper without a symbol
 * (perl+0x111213) and through perl's arena refills is one group under
 * Perl_hv_common, the first named frame; a program with no named frame at all
 * keeps its raw frame and says it has none. */
static void test_stripped_program(void **state)
{
    (void)state;
    hs_err err;
    an_frames *f = an_frames_new(&err);
#define PERL "/usr/bin/perl"
    static const tframe st[][TMAX] = {
        {{"Perl_safesysmalloc", NULL, NULL, PERL},
         {"perl+0x111213", NULL, NULL, PERL},
         {"Perl_hv_common", NULL, NULL, PERL},
         {"Perl_pp_helem", NULL, NULL, PERL},
         {NULL, NULL, NULL, NULL}},
        {{"Perl_safesysrealloc", NULL, NULL, PERL},
         {"perl+0x110fc2", NULL, NULL, PERL},
         {"perl+0x1112c6", NULL, NULL, PERL},
         {"Perl_hv_common", NULL, NULL, PERL},
         {"Perl_pp_helem", NULL, NULL, PERL},
         {NULL, NULL, NULL, NULL}},
        {{"Perl_safesysmalloc", NULL, NULL, PERL},
         {"Perl_more_bodies", NULL, NULL, PERL},
         {"Perl_hv_common", NULL, NULL, PERL},
         {"Perl_pp_helem", NULL, NULL, PERL},
         {NULL, NULL, NULL, NULL}},
        {{"gawk+0x46596d", NULL, NULL, "/usr/bin/gawk"},
         {"gawk+0x4011a0", NULL, NULL, "/usr/bin/gawk"},
         {"__libc_start_main", NULL, NULL, LIBC},
         {NULL, NULL, NULL, NULL}},
    };
#undef PERL
    an_series *s = series_of(f, st, 4);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(site_function(s, i), "Perl_hv_common");
    assert_int_equal(an_series_site(s, 0)->group, an_series_site(s, 2)->group);
    assert_int_equal(an_series_group(s, an_series_site(s, 0)->group)->nsites, 3);
    assert_int_equal(an_series_site(s, 0)->raw_pos, 1);
    assert_int_equal(an_series_site(s, 0)->alloc_pos, 2);
    assert_int_equal(an_series_site(s, 1)->raw_pos, 1);
    assert_int_equal(an_series_site(s, 1)->alloc_pos, 3);
    assert_true(an_series_site(s, 1)->named);
    assert_string_equal(site_function(s, 3), "gawk+0x46596d");
    assert_false(an_series_site(s, 3)->named);
    assert_int_equal(an_series_site(s, 3)->alloc_pos, 0);
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

/* The text report's call path on a C++ leak: five profiles, one second
 * apart, of three sites under AuditLog::append growing by 3, 2 and 1 MiB a
 * second (every allocation recorded). The path starts at the method with its
 * two libstdc++ frames folded; the second and third sites differ only above
 * their caller, so they read the same and make one "also" line with their
 * rates added. */
static void test_text_call_path(void **state)
{
    (void)state;
    static const char *const roots[3][3] = {{"main", "main.cc", "__libc_start_main"},
                                            {"run", "loop.cc", "root_one"},
                                            {"run", "loop.cc", "root_two"}};
    static const int64_t mib_per_s[3] = {3, 2, 1};
    char paths[5][256];
    char *argv[5];
    for (int k = 0; k < 5; k++) {
        pprof_builder *b = heapprof_new(1, (int64_t)(k + 1) * 1000000000);
        pprof_mapping_desc m = {0x400000, 0x500000, 0,   "/usr/bin/audit", NULL, true,
                                true,     true,     true};
        uint64_t map = pprof_add_mapping(b, &m);
        for (int i = 0; i < 3; i++) {
            pprof_line_desc l[5] = {
                {"std::__new_allocator::allocate", "_ZNSt15__new_allocatorIcE8allocateEmPKv",
                 "/usr/include/c++/12/bits/new_allocator.h", 100, 112},
                {"std::vector::_M_range_insert",
                 "_ZNSt6vectorIcSaIcEE15_M_range_insertIPKcEEvN9__gnu_cxx17__normal_"
                 "iteratorIPcS1_EET_S9_St20forward_iterator_tag",
                 "/usr/include/c++/12/bits/vector.tcc", 700, 787},
                {"AuditLog::append", "_ZN8AuditLog6appendEPKcm", "/src/audit.cc", 26, 28},
                {roots[i][0], NULL, roots[i][1], 10, 12 + 28 * (i > 0)},
                {roots[i][2], NULL, NULL, 0, 0},
            };
            uint64_t locs[5];
            for (int j = 0; j < 5; j++)
                locs[j] =
                    pprof_add_location(b, map, 0x400000 + 0x100 * (uint64_t)(5 * i + j), &l[j], 1);
            int64_t bytes = mib_per_s[i] * (k + 1) << 20;
            heapprof_add_site(b, locs, 5, 1, 1, bytes, 1, bytes);
        }
        snprintf(paths[k], sizeof(paths[k]), "%s/p%d.pb.gz", dir, k);
        char name[16];
        snprintf(name, sizeof(name), "p%d.pb.gz", k);
        write_at(name, b);
        argv[k] = paths[k];
    }
    hs_err err;
    an_frames *f = an_frames_new(&err);
    an_input in;
    an_series *s;
    assert_int_equal(an_input_load(&in, argv, 5, NULL, false, f, &s, &err), 0);
    an_analysis a;
    assert_int_equal(an_analyze(&a, &in, s, &err), 0);
    assert_int_equal(a.nsuspects, 1);
    an_buf out = {0};
    an_report_text(&out, &a);
    assert_non_null(out.data);
    assert_non_null(strstr(out.data, "\n#1  AuditLog::append  growing-buffer\n"));
    assert_non_null(strstr(out.data, "\n    call path AuditLog::append audit.cc:28 -> 2 frames in "
                                     "libstdc++\n"
                                     "              main main.cc:12\n"
                                     "              __libc_start_main\n"));
    const char *also = "\n    also      AuditLog::append audit.cc:28 -> 2 frames in libstdc++ <- "
                       "run loop.cc:40 (+3.0 MiB/s)\n";
    const char *at = strstr(out.data, also);
    assert_non_null(at);
    assert_null(strstr(at + strlen(also), "    also"));
    assert_null(strstr(out.data, "std::vector<"));
    an_buf_free(&out);
    an_buf json = {0};
    an_report_json(&json, &a);
    assert_non_null(strstr(json.data, "\"signature\": \"AuditLog::append(char const*, unsigned "
                                      "long)\""));
    an_buf_free(&json);
    an_analysis_free(&a);
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
    const char *names[] = {"a.pb.gz",  "b.pb.gz",  "c.pb.gz",  "p0.pb.gz",
                           "p1.pb.gz", "p2.pb.gz", "p3.pb.gz", "p4.pb.gz"};
    char path[256];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

/* The types settle what the counts could not tell: a growth whose object
 * count stayed within its noise, in objects that did not grow larger, is
 * more entries when nearly all of it is one fixed-size type -- not when it
 * is an array, a type holding less than 90 %, objects that doubled in size
 * (a struct with a flexible array member, reallocated), or a few large
 * objects at the end. */
static void test_types_settle_pattern(void **state)
{
    (void)state;
    an_stats st = {0};
    st.growth_bytes = 1 << 20;
    st.start_bytes = 1 << 20;
    st.start_objects = 8192; /* 128-byte objects */
    st.end_bytes = 2 << 20;
    st.end_objects = 8192 + 3000; /* a count within its noise, as the counts judged it */
    assert_int_equal(an_types_pattern(AN_PATTERN_BUFFER, &st, "struct map_session", 1.0),
                     AN_PATTERN_ENTRIES);
    assert_int_equal(an_types_pattern(AN_PATTERN_BUFFER, &st, "std::pair<int const, S> node", 0.95),
                     AN_PATTERN_ENTRIES);
    assert_int_equal(an_types_pattern(AN_PATTERN_BUFFER, &st, "struct map_session", 0.89),
                     AN_PATTERN_BUFFER);
    assert_int_equal(an_types_pattern(AN_PATTERN_BUFFER, &st, "struct request[]", 1.0),
                     AN_PATTERN_BUFFER);
    assert_int_equal(an_types_pattern(AN_PATTERN_BUFFER, &st, "char[] in session::user", 1.0),
                     AN_PATTERN_BUFFER);
    assert_int_equal(an_types_pattern(AN_PATTERN_ENTRIES, &st, "struct request[]", 1.0),
                     AN_PATTERN_ENTRIES);
    st.end_objects = 4096; /* half as many, four times the size: reallocated larger */
    assert_int_equal(an_types_pattern(AN_PATTERN_BUFFER, &st, "struct sbuf", 1.0),
                     AN_PATTERN_BUFFER);
    st.end_objects = 8192 + 3000;
    st.few_at_end = true;
    assert_int_equal(an_types_pattern(AN_PATTERN_BUFFER, &st, "struct map_session", 1.0),
                     AN_PATTERN_BUFFER);
}

/* The hint names the type when it is known. */
static void test_hint_names_the_type(void **state)
{
    (void)state;
    char h[768];
    an_hint_write(h, sizeof(h), AN_PATTERN_ENTRIES, "add_entry", "src/cache.c", 17,
                  "struct session");
    assert_non_null(strstr(h, "entries (struct session) allocated in add_entry (src/cache.c:17) "));
    an_hint_write(h, sizeof(h), AN_PATTERN_BUFFER, "grow", "b.c", 4, "struct request[]");
    assert_non_null(strstr(h, "the buffer (struct request[]) that grow (b.c:4) reallocates "));
    an_hint_write_held(h, sizeof(h), AN_PATTERN_ENTRIES, "add_entry", "src/cache.c", 17,
                       "struct session", "global g_table (cache.c:3)", 1.0);
    assert_non_null(strstr(h, "entries (struct session) allocated in add_entry (src/cache.c:17) "
                              "stay reachable from global g_table (cache.c:3) (100 %)"));
    an_hint_write(h, sizeof(h), AN_PATTERN_ENTRIES, "add_entry", "src/cache.c", 17, NULL);
    assert_non_null(strstr(h, "entries allocated in add_entry"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_settle_pattern),
        cmocka_unit_test(test_hint_names_the_type),
        cmocka_unit_test(test_sites_match_across_addresses),
        cmocka_unit_test(test_unsymbolized_allocator_helper),
        cmocka_unit_test(test_cxx_frames),
        cmocka_unit_test(test_runtime_frames),
        cmocka_unit_test(test_wrapper_by_behaviour),
        cmocka_unit_test(test_stripped_program),
        cmocka_unit_test(test_text_call_path),
        cmocka_unit_test(test_input_orders_by_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
