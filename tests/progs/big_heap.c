/* tests/progs/big_heap.c: a large main-arena heap for the walker benchmark:
 * MiB mebibytes of 64-byte chunks (malloc(48)), optionally every FREE_EVERY-th
 * one freed, then its mallinfo2 as one JSON line; waits until killed.
 * Usage: big_heap MIB [FREE_EVERY] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: big_heap MIB [FREE_EVERY]\n");
        return 2;
    }
    size_t mib = strtoul(argv[1], NULL, 10);
    size_t every = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    size_t n = mib * 1024 * 1024 / 64;
    void **v = calloc(n, sizeof(*v)); /* mmapped: stays out of the arena */
    if (v == NULL)
        return 1;
    for (size_t i = 0; i < n; i++) {
        v[i] = malloc(48);
        if (v[i] == NULL)
            return 1;
        memset(v[i], 0x5a, 48);
    }
    for (size_t i = 0; every && i < n; i += every) {
        free(v[i]);
        v[i] = NULL;
    }
    struct mallinfo2 mi = mallinfo2();
    char line[512];
    int len = snprintf(line, sizeof(line),
                       "{\"arena\":%zu,\"ordblks\":%zu,\"smblks\":%zu,\"hblks\":%zu,"
                       "\"hblkhd\":%zu,\"usmblks\":%zu,\"fsmblks\":%zu,\"uordblks\":%zu,"
                       "\"fordblks\":%zu,\"keepcost\":%zu}\n",
                       mi.arena, mi.ordblks, mi.smblks, mi.hblks, mi.hblkhd, mi.usmblks, mi.fsmblks,
                       mi.uordblks, mi.fordblks, mi.keepcost);
    if (write(1, line, (size_t)len) != len)
        return 1;
    for (;;)
        pause();
}
