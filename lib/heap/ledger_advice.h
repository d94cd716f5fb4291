/* lib/heap/ledger_advice.h: advice computed from an RSS ledger, one line per
 * finding that applies, each with the bytes it concerns. The thresholds are
 * fixed here and argued in heapsnap(1). */
#ifndef HS_HEAP_LEDGER_ADVICE_H
#define HS_HEAP_LEDGER_ADVICE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

/* No advice about less than this: below it, what any change gives back is
 * smaller than one default thread stack's reserve (8 MiB) halved, and the
 * analyzer uses the same floor. */
#define LADVICE_MIN_BYTES (4ull << 20)
/* Free and resident memory is advice-worthy from a quarter of RSS on ... */
#define LADVICE_FREE_SHARE 0.25
/* ... each narrower finding (arenas, large chunks, tcache) from a tenth. */
#define LADVICE_PART_SHARE 0.10

typedef enum ladvice_kind {
    LADVICE_TRIM = 0, /* free but resident: malloc_trim, MALLOC_TRIM_THRESHOLD_ */
    LADVICE_ARENAS,   /* more arenas than threads or CPUs, with free memory: MALLOC_ARENA_MAX */
    LADVICE_MMAP,     /* large blocks kept in arenas: MALLOC_MMAP_THRESHOLD_ */
    LADVICE_TCACHE,   /* tcache hoarding: glibc.malloc.tcache_count */
    LADVICE_NKINDS
} ladvice_kind;

const char *ladvice_kind_name(ladvice_kind k); /* "trim", "arena_max", ... */

typedef struct ladvice {
    ladvice_kind kind;
    uint64_t bytes; /* the resident bytes the finding is about */
    char text[512]; /* one line, no newline */
} ladvice;

typedef struct ladvice_ctx {
    unsigned ncpus;     /* CPUs the process may run on (0: unknown) */
    size_t nthreads;    /* its threads at the stop */
    size_t arenas_used; /* arenas that some live thread allocates from */
} ladvice_ctx;

/* The findings that apply to r, in ladvice_kind order, into out (room for
 * LADVICE_NKINDS). Returns how many. */
size_t ladvice_compute(const ledger_result *r, const ladvice_ctx *ctx, ladvice *out);

/* Free and resident bytes of an arena ledger: its free chunks (tcache too)
 * and top. */
uint64_t ladvice_arena_free(const ledger_arena *a);

#endif
