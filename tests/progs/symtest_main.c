/* tests/progs/symtest_main.c: the symbolizer tests' child process. Prints PCs
 * of known lines (see symtest.c), then blocks in symtest_block() reading
 * stdin until it is closed, so a test can symbolize or unwind it. */
#include <stdio.h>

#include "symtest.h"

int main(void)
{
    printf("known %p\n", symtest_known());
    printf("inline %p\n", symtest_outer(1));
    printf("cxx %p\n", symtest_cxx(2));
    fflush(stdout);
    symtest_block(0);
    return 0;
}
