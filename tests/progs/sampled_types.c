/* tests/progs/sampled_types.c: records that only their allocating line
 * types. 100000 struct sample_rec (128 bytes each, no pointers) are kept in
 * an array behind a void * global, so no typed pointer reaches them: under
 * the hook at its default rate, the sampled ones get their type from
 * `struct sample_rec *r = malloc(sizeof(*r))` and the rest are counted by
 * size (heapsnap --histo's row of their size names the sampled ones' type).
 * Writes "ready N" to the status file and sleeps until killed.
 * Usage: sampled_types STATUSFILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status_line.h"

#define SAMPLE_RECS 100000

struct sample_rec {
    long id;
    double score[7];
    char label[64];
};

void *g_opaque; /* the records, untyped */

static __attribute__((noinline)) struct sample_rec *sample_new(long id)
{
    struct sample_rec *r = malloc(sizeof(*r));
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof(*r));
    r->id = id;
    snprintf(r->label, sizeof(r->label), "record %ld", id);
    return r;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sampled_types STATUSFILE\n");
        return 2;
    }
    void **slots = calloc(SAMPLE_RECS, sizeof(*slots));
    if (slots == NULL)
        return 1;
    for (long i = 0; i < SAMPLE_RECS; i++)
        if ((slots[i] = sample_new(i)) == NULL)
            return 1;
    g_opaque = slots;
    char line[64];
    int len = snprintf(line, sizeof(line), "ready %d\n", SAMPLE_RECS);
    if (status_line_write(argv[1], line, len) != 0)
        return 1;
    for (;;)
        pause();
}
