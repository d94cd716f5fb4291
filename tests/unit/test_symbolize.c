/* tests/unit/test_symbolize.c: lib/symbolize on functions at known lines
 * (tests/progs/symtest.c, symtest_cxx.cc, built -g -O2), in this process and
 * in a child, plus libc's malloc, unknown addresses, the pprof locations and
 * the short names pprof shows by default. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "pprof.h"
#include "symbolize.h"
#include "../progs/symtest.h"
#include "symtest_child.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The three known PCs of a process, checked frame by frame. */
static void check_known(sym_ctx *s, uint64_t known, uint64_t inl, uint64_t cxx)
{
    sym_frame f[8];
    size_t n = sym_lookup(s, known, true, f, 8);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].function, "symtest_known");
    assert_string_equal(f[0].system_name, "symtest_known");
    assert_true(f[0].file[0] == '/');
    assert_true(ends_with(f[0].file, "/tests/progs/symtest.c"));
    assert_int_equal(f[0].line, symtest_marker_line("symtest.c", "known_call"));
    assert_int_equal(f[0].start_line, symtest_marker_line("symtest.c", "known_decl"));

    n = sym_lookup(s, inl, true, f, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].function, "symtest_inner");
    assert_true(ends_with(f[0].file, "/tests/progs/symtest.c"));
    assert_int_equal(f[0].line, symtest_marker_line("symtest.c", "inner_call"));
    assert_int_equal(f[0].start_line, symtest_marker_line("symtest.c", "inner_decl"));
    assert_string_equal(f[1].function, "symtest_outer");
    assert_true(ends_with(f[1].file, "/tests/progs/symtest.c"));
    assert_int_equal(f[1].line, symtest_marker_line("symtest.c", "outer_call"));
    assert_int_equal(f[1].start_line, symtest_marker_line("symtest.c", "outer_decl"));

    /* Room for one frame only: the real (outer) function is kept. */
    n = sym_lookup(s, inl, true, f, 1);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].function, "symtest_outer");

    n = sym_lookup(s, cxx, true, f, 8);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].function, "symtest::Widget::grow(int)");
    assert_string_equal(f[0].system_name, "_ZN7symtest6Widget4growEi");
    assert_true(ends_with(f[0].file, "/tests/progs/symtest_cxx.cc"));
    assert_int_equal(f[0].line, symtest_marker_line("symtest_cxx.cc", "grow_call"));
    assert_int_equal(f[0].start_line, symtest_marker_line("symtest_cxx.cc", "grow_decl"));
}

static void test_self(void **state)
{
    (void)state;
    hs_err err;
    sym_ctx *s = sym_open(0, &err);
    assert_non_null(s);
    uint64_t known = (uint64_t)(uintptr_t)symtest_known();
    uint64_t inl = (uint64_t)(uintptr_t)symtest_outer(1);
    uint64_t cxx = (uint64_t)(uintptr_t)symtest_cxx(2);
    check_known(s, known, inl, cxx);
    /* Cached answers are the same answers. */
    check_known(s, known, inl, cxx);
    sym_close(s);
}

static void test_child(void **state)
{
    (void)state;
    symtest_child c;
    bool started = symtest_child_start(&c, NULL);
    assert_true(started);
    hs_err err;
    sym_ctx *s = sym_open(c.pid, &err);
    assert_non_null(s);
    check_known(s, c.known, c.inl, c.cxx);
    sym_close(s);
    symtest_child_stop(&c);
}

static void test_libc_malloc(void **state)
{
    (void)state;
    /* libc's own malloc, not an interposer (a sanitizer's, say). */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(libc);
    void *m = dlsym(libc, "malloc");
    assert_non_null(m);
    hs_err err;
    sym_ctx *s = sym_open(0, &err);
    assert_non_null(s);
    sym_frame f[8];
    size_t n = sym_lookup(s, (uint64_t)(uintptr_t)m, false, f, 8);
    assert_int_equal(n, 1);
    /* malloc and __libc_malloc are one address; the symbol table's plain
     * global name wins. With libc6-dbg, DWARF adds glibc's source file. */
    assert_string_equal(f[0].function, "malloc");
    assert_string_equal(f[0].system_name, "malloc");
    assert_string_equal(f[0].file, "malloc/malloc.c");
    assert_int_equal(f[0].start_line, 3280); /* glibc 2.36: __libc_malloc */
    assert_int_equal(f[0].line, 3288);
    sym_close(s);
    dlclose(libc);
}

static void test_unknown(void **state)
{
    (void)state;
    hs_err err;
    sym_ctx *s = sym_open(0, &err);
    assert_non_null(s);
    sym_frame f[4];
    size_t n = sym_lookup(s, 0x10, false, f, 4);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].function, "0x10");
    assert_string_equal(f[0].file, "");
    assert_int_equal(f[0].line, 0);
    assert_int_equal(f[0].start_line, 0);
    sym_close(s);
    /* Anonymous memory mapped after sym_open is unknown too. */
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    s = sym_open(0, &err);
    assert_non_null(s);
    char want[32];
    snprintf(want, sizeof(want), "0x%llx", (unsigned long long)(uintptr_t)p + 16);
    n = sym_lookup(s, (uint64_t)(uintptr_t)p + 16, true, f, 4);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].function, want);
    sym_close(s);
    munmap(p, 4096);
}

static void test_vdso(void **state)
{
    (void)state;
    uint64_t base = getauxval(AT_SYSINFO_EHDR);
    if (base == 0)
        skip();
    hs_err err;
    sym_ctx *s = sym_open(0, &err);
    assert_non_null(s);
    /* The vDSO is only in memory; its symbols are read from a copy. */
    bool found = false;
    for (uint64_t a = base; a < base + 8192 && !found; a += 4) {
        sym_frame f[2];
        size_t n = sym_lookup(s, a, false, f, 2);
        found = strcmp(f[n - 1].function, "__vdso_clock_gettime") == 0;
    }
    assert_true(found);
    sym_close(s);
}

static void test_locations(void **state)
{
    (void)state;
    hs_err err;
    sym_ctx *s = sym_open(0, &err);
    assert_non_null(s);
    pprof_builder *b = pprof_builder_new();
    pprof_add_sample_type(b, "samples", "count");
    uint64_t inl = (uint64_t)(uintptr_t)symtest_outer(3);
    uint64_t l1 = sym_location(s, b, inl, true);
    uint64_t l2 = sym_location(s, b, inl, true);
    uint64_t l3 = sym_location(s, b, 0x10, false);
    assert_int_not_equal(l1, 0);
    assert_int_equal(l1, l2);
    assert_int_not_equal(l3, 0);
    assert_int_not_equal(l3, l1);
    int64_t one = 1;
    uint64_t stack[2] = {l1, l3};
    assert_int_equal(pprof_add_sample(b, stack, 2, &one, NULL, 0), 0);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(pprof_encode(b, false, &buf, &len, &err), 0);
    pprof_profile *p = pprof_parse(buf, len, &err);
    assert_non_null(p);
    const pprof_pb_location *loc = pprof_location(p, l1);
    assert_non_null(loc);
    assert_int_equal(loc->address, inl - 1);
    assert_int_equal(loc->n_line, 2);
    const pprof_pb_function *fn = pprof_function(p, loc->line[0]->function_id);
    assert_string_equal(pprof_str(p, fn->name), "symtest_inner");
    assert_int_equal(loc->line[0]->line, symtest_marker_line("symtest.c", "inner_call"));
    fn = pprof_function(p, loc->line[1]->function_id);
    assert_string_equal(pprof_str(p, fn->name), "symtest_outer");
    assert_int_equal(fn->start_line, symtest_marker_line("symtest.c", "outer_decl"));
    assert_true(ends_with(pprof_str(p, fn->filename), "/tests/progs/symtest.c"));
    const pprof_pb_mapping *m = pprof_mapping(p, loc->mapping_id);
    assert_non_null(m);
    assert_true(ends_with(pprof_str(p, m->filename), "/tests/unit/test_symbolize") ||
                ends_with(pprof_str(p, m->filename), "/tests/unit/.libs/test_symbolize"));
    assert_true(m->has_functions && m->has_filenames && m->has_line_numbers &&
                m->has_inline_frames);
    assert_true(m->memory_start <= inl && inl < m->memory_limit);
    assert_int_equal(strlen(pprof_str(p, m->build_id)), 40);
    const pprof_pb_location *unk = pprof_location(p, l3);
    assert_non_null(unk);
    assert_int_equal(unk->mapping_id, 0);
    assert_int_equal(unk->n_line, 1);
    assert_string_equal(pprof_str(p, pprof_function(p, unk->line[0]->function_id)->name), "0x10");
    pprof_profile_free(p);
    free(buf);
    pprof_builder_free(b);
    sym_close(s);
}

/* Each pair: __cxa_demangle's output for a real symbol (g++ 12), and what
 * google/pprof's default demangling (ianlancetaylor/demangle with NoParams
 * and NoTemplateParams) prints for that symbol; tests/integration/name_cxx.sh
 * compares every C++ name of a real profile with pprof's own code. */
static void test_short_names(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"void std::vector<char, std::allocator<char> >::_M_range_insert<char const*>("
         "__gnu_cxx::__normal_iterator<char*, std::vector<char, std::allocator<char> > >, char "
         "const*, char const*, std::forward_iterator_tag)",
         "std::vector::_M_range_insert"},
        {"AuditLog::append(char const*, unsigned long)", "AuditLog::append"},
        {"std::pair<std::__detail::_Node_iterator<int, false, true>, bool> std::_Hashtable<int, "
         "int>::_M_emplace<int>(std::integral_constant<bool, true>, int&&)",
         "std::_Hashtable::_M_emplace"},
        {"operator new(unsigned long)", "operator new"},
        {"operator delete[](void*, unsigned long)", "operator delete[]"},
        {"std::ostream::operator<<(int)", "std::ostream::operator<<"},
        {"bool app::Box<int>::operator< <int>(app::Box<int> const&) const", "app::Box::operator<"},
        {"S::operator()(int)", "S::operator()"},
        {"S::operator long() const", "S::operator long"},
        {"(anonymous namespace)::Hidden::f(int) const", "(anonymous namespace)::Hidden::f"},
        {"outer(int)::{lambda(int)#1}::operator()(int) const [clone .isra.0]",
         "outer(int)::{lambda(int)#1}::operator()"},
        {"long app::Box<int>::conv<long>(long) &&", "app::Box::conv"},
        {"std::__detail::_Hash_node<std::pair<int const, Session>, true>* "
         "std::__detail::_Hashtable_alloc<std::allocator<std::__detail::_Hash_node<std::pair<int "
         "const, Session>, true> > >::_M_allocate_node<char (&) [64], Session>(char (&) [64], "
         "Session&&)",
         "std::__detail::_Hashtable_alloc::_M_allocate_node"},
        {"typeinfo for std::__cxx11::moneypunct<char, false>",
         "typeinfo for std::__cxx11::moneypunct"},
        {"malloc", "malloc"},
        {"runtime.mallocgc", "runtime.mallocgc"},
        {"compress/flate.(*compressor).init", "compress/flate.(*compressor).init"},
        {"net/http.(*conn).serve", "net/http.(*conn).serve"},
        {"perl+0x111213", "perl+0x111213"},
        {"broken<(name", "broken<(name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[512];
        size_t n = sym_short_name(cases[i][0], out, sizeof(out));
        assert_string_equal(out, cases[i][1]);
        assert_int_equal(n, strlen(cases[i][1]));
    }
    char small[8];
    assert_int_equal(sym_short_name("AuditLog::append(int)", small, sizeof(small)), 7);
    assert_string_equal(small, "AuditLo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self),        cmocka_unit_test(test_child),
        cmocka_unit_test(test_libc_malloc), cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_vdso),        cmocka_unit_test(test_locations),
        cmocka_unit_test(test_short_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
