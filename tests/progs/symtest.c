/* tests/progs/symtest.c: C functions at known lines for the symbolizer tests.
 * Built with -g -O2; a line marked SYMTEST:name is found by the tests by its
 * marker, so editing this file never silently breaks their expectations. */
#include "symtest.h"

#include <errno.h>
#include <unistd.h>

volatile int symtest_sink;

__attribute__((noinline)) void *symtest_pc(void)
{
    return __builtin_return_address(0);
}

__attribute__((noinline)) void *symtest_known(void) /* SYMTEST:known_decl */
{
    void *pc = symtest_pc(); /* SYMTEST:known_call */
    symtest_sink++;          /* after the call, so it is not a tail call */
    return pc;
}

static inline __attribute__((always_inline)) void *symtest_inner(int x) /* SYMTEST:inner_decl */
{
    void *pc = symtest_pc(); /* SYMTEST:inner_call */
    symtest_sink += x;
    return pc;
}

__attribute__((noinline)) void *symtest_outer(int x) /* SYMTEST:outer_decl */
{
    void *pc = symtest_inner(x + 1); /* SYMTEST:outer_call */
    symtest_sink += 2;
    return pc;
}

__attribute__((noinline)) void symtest_block(int fd) /* SYMTEST:block_decl */
{
    char c;
    while (read(fd, &c, 1) != 0) { /* SYMTEST:block_call */
        if (errno != EINTR && errno != 0)
            break;
        errno = 0;
    }
    symtest_sink++;
}
