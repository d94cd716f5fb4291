// tests/progs/symtest_cxx.cc: a C++ method at a known line, so the tests can
// check that mangled names come out demangled (symtest::Widget::grow(int)).
#include "symtest.h"

namespace symtest
{
struct Widget {
    int n;
    void *grow(int k);
};

__attribute__((noinline)) void *Widget::grow(int k) // SYMTEST:grow_decl
{
    void *pc = symtest_pc(); // SYMTEST:grow_call
    n += k;
    symtest_sink += n;
    return pc;
}
} // namespace symtest

extern "C" void *symtest_cxx(int k)
{
    symtest::Widget w{k};
    void *pc = w.grow(k);
    symtest_sink += w.n;
    return pc;
}
