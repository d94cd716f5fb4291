/* lib/heap/ledger.h: where a process's resident memory goes. Splits the bytes
 * of every resident page (lib/proc/resident.h) among the parts that cover
 * them -- chunks by class, malloc's headers, thread stacks, the hook's tables,
 * files' code and data, other mappings by name -- so that the parts add up to
 * the resident bytes exactly, and predicts what malloc_trim(0) would give
 * back. A pure computation over what the stop read and the walk produced. */
#ifndef HS_HEAP_LEDGER_H
#define HS_HEAP_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "glibc_heap.h"
#include "hs_error.h"
#include "procmaps.h"
#include "resident.h"

typedef enum ledger_part {
    LEDGER_IN_USE = 0,  /* in-use chunks of the arenas (tcache's own struct too) */
    LEDGER_FREE_TCACHE, /* free chunks by where malloc keeps them */
    LEDGER_FREE_FASTBIN,
    LEDGER_FREE_UNSORTED,
    LEDGER_FREE_SMALLBIN,
    LEDGER_FREE_LARGEBIN,
    LEDGER_TOP,           /* the arenas' top chunks */
    LEDGER_ARENA_HEADERS, /* heap bytes in no chunk: malloc_state, heap_info, fenceposts */
    LEDGER_MMAPPED,       /* mmapped chunks (in use) */
    LEDGER_HOOK_TABLES,   /* libheapsnap's own tables */
    LEDGER_THREAD_STACKS, /* every thread's stack block, and [stack] */
    LEDGER_FILE_CODE,     /* executable mappings of files */
    LEDGER_FILE_DATA,     /* other mappings of files, and their .bss */
    LEDGER_OTHER,         /* other mappings, named in ledger_result.other */
    LEDGER_NPARTS
} ledger_part;

/* The arena parts are LEDGER_IN_USE .. LEDGER_ARENA_HEADERS. */
#define LEDGER_NARENA_PARTS (LEDGER_ARENA_HEADERS + 1)

const char *ledger_part_name(ledger_part p); /* "in_use", "free_tcache", ... */

/* Chunks of at least this size kept in an arena count as large: glibc's
 * default mmap threshold (DEFAULT_MMAP_THRESHOLD_MIN, 128 KiB). */
#define LEDGER_LARGE_CHUNK (128u * 1024u)

typedef struct ledger_arena {
    uint64_t total; /* resident bytes of its heaps: the sum of parts */
    uint64_t parts[LEDGER_NARENA_PARTS];
    uint64_t reclaimable; /* what malloc_trim(0) would give back from it */
} ledger_arena;

typedef struct ledger_named {
    char name[96]; /* the mapping's name in maps, or "anonymous" */
    uint64_t bytes;
} ledger_named;

#define LEDGER_MAX_NAMED 32

typedef struct ledger_result {
    uint64_t total; /* resident bytes: the sum of parts */
    uint64_t parts[LEDGER_NPARTS];
    uint64_t reclaimable;
    ledger_arena *arenas; /* indexed as gheap_report.arenas */
    size_t narenas;
    ledger_named other[LEDGER_MAX_NAMED]; /* LEDGER_OTHER by name, largest first */
    size_t nother;
    /* Resident bytes of arena chunks (top excluded) of LEDGER_LARGE_CHUNK or
     * more, in use and free, and how many. */
    uint64_t large_inuse_bytes, large_free_bytes;
    uint64_t large_inuse_chunks, large_free_chunks;
    /* Bytes a part counted that another already had (overlapping inputs):
     * 0 on a sound walk; when not, total still equals the resident set. */
    uint64_t overlap_bytes;
} ledger_result;

typedef struct ledger ledger;

/* A ledger over the mappings and resident pages read in one stop (both are
 * borrowed until ledger_free). NULL + err when out of memory. */
ledger *ledger_new(const procmaps *maps, const resident_set *res, hs_err *err);
/* Before the chunks: [start, end) belongs to part (LEDGER_THREAD_STACKS or
 * LEDGER_HOOK_TABLES); ranges must not overlap chunks or each other. */
void ledger_label(ledger *l, uint64_t start, uint64_t end, ledger_part part);
/* A gheap_chunk_fn (arg: the ledger): one chunk of the walk, in the walk's
 * order (address order within each heap). Always returns 0. */
int ledger_chunk(const gheap_chunk *c, void *arg);
/* After the walk: the parts, per arena too (narenas from the walk's report).
 * 0, or -1 + err when out of memory. Free out with ledger_result_free. */
int ledger_finish(ledger *l, size_t narenas, ledger_result *out, hs_err *err);
void ledger_free(ledger *l);
void ledger_result_free(ledger_result *r);

/* What malloc_trim(0) releases from a run of free chunks that
 * malloc_consolidate would merge into one, [start, end): the whole pages from
 * the first page boundary at least 48 bytes (a malloc_chunk) after start to
 * the last boundary before end, when the chunk is larger than a page plus 48
 * bytes (mtrim). For a run that ends with the main arena's top, the pages
 * that sbrk gives back: ALIGN_DOWN(size - MINSIZE - 1, page) bytes at the end
 * (systrim with pad 0); a non-main arena's top gives nothing (mtrim calls
 * systrim for the main arena only). The range into *lo, *hi (empty: lo == hi). */
void ledger_trim_range(uint64_t start, uint64_t end, int is_top, int is_main, uint64_t *lo,
                       uint64_t *hi);

#endif
