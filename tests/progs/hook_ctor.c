/* tests/progs/hook_ctor.c: allocates before main, from a constructor
 * (ctor_leak: 10 blocks of 7000 bytes kept), and in main (main_leak: 3 blocks
 * of 9000). Writes "ready" to argv[1], then waits to be killed. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void *volatile early[10], *volatile later[3];
static volatile int nlater = 3; /* keeps the loop a loop: one call site */

NOINLINE void ctor_leak(void)
{
    for (int i = 0; i < 10; i++)
        early[i] = malloc(7000);
}

NOINLINE void main_leak(void)
{
    for (int i = 0; i < nlater; i++)
        later[i] = malloc(9000);
}

__attribute__((constructor)) static void before_main(void)
{
    ctor_leak();
}

int main(int argc, char **argv)
{
    main_leak();
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        fprintf(f, "ready\n");
        fclose(f);
    }
    for (;;)
        pause();
}
