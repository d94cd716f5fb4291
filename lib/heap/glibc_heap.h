/* lib/heap/glibc_heap.h: the glibc malloc walker, a pure function over a memory
 * source. Given libc's layout and a few absolute addresses it finds every
 * arena, walks every heap chunk by chunk, classifies each chunk from the free
 * lists (tcache, fastbins, bins, top), finds mmapped chunks in the ranges it is
 * given, and reproduces glibc's mallinfo2(). Every loop is bounded; corruption
 * ends one arena's walk with a diagnostic. */
#ifndef HS_GLIBC_HEAP_H
#define HS_GLIBC_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "glibc_layout.h"
#include "hs_error.h"
#include "memsrc.h"

/* Chunk classes. */
typedef enum gheap_class {
    GHEAP_INUSE = 0,
    GHEAP_TCACHE,
    GHEAP_FASTBIN,
    GHEAP_UNSORTED,
    GHEAP_SMALLBIN,
    GHEAP_LARGEBIN,
    GHEAP_TOP,
    GHEAP_MMAPPED, /* an mmapped chunk: always in use */
    GHEAP_NCLASSES
} gheap_class;

const char *gheap_class_name(gheap_class c); /* "inuse", "tcache", "fastbin", ... */

typedef struct gheap_chunk {
    uint64_t addr; /* chunk header; the user pointer is addr + 16 */
    uint64_t size; /* chunksize (flags stripped) */
    gheap_class cls;
    int arena; /* index into gheap_report.arenas; -1 for mmapped chunks */
} gheap_chunk;

/* Called for every chunk in address order per region; return non-zero to stop. */
typedef int (*gheap_chunk_fn)(const gheap_chunk *c, void *arg);

/* glibc's mallinfo2 fields, computed the way glibc does. */
typedef struct gheap_mallinfo {
    uint64_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
} gheap_mallinfo;

typedef struct gheap_arena_report {
    uint64_t addr; /* malloc_state address in the target */
    bool is_main;
    size_t nheaps; /* sbrk region (main) or heap_info count */
    uint64_t system_mem;
    uint64_t chunks[GHEAP_NCLASSES]; /* count per class (tcache counted in its chunk's arena) */
    uint64_t bytes[GHEAP_NCLASSES];  /* chunk bytes per class */
    uint64_t overhead_bytes;         /* heap_info/malloc_state headers, padding, fenceposts */
    char diag[256];                  /* "" or why this arena's walk ended early */
} gheap_arena_report;

typedef struct gheap_report {
    gheap_mallinfo total; /* reproduces the target's mallinfo2() */
    gheap_arena_report *arenas;
    size_t narenas;
    uint64_t chunks[GHEAP_NCLASSES]; /* over all arenas + mmapped */
    uint64_t bytes[GHEAP_NCLASSES];
    uint64_t inuse_bytes; /* Σ chunk bytes of in-use + mmapped chunks */
    size_t ndiags;        /* diagnostics (corrupt headers...) */
    char **diags;
    char layout_source[256]; /* which layout was used, in words */
} gheap_report;

void gheap_report_free(gheap_report *r);

typedef struct gheap_range {
    uint64_t start, end; /* [start, end) */
} gheap_range;

/* Fills one byte per page of [start, end) (page-aligned): 0 when the page was
 * never touched, so it cannot hold a mmapped chunk's header. 0, or -1 when not
 * known (then every page is read). */
typedef int (*gheap_touched_fn)(void *arg, uint64_t start, uint64_t end, unsigned char *out);

typedef struct gheap_target {
    const glayout *lay;
    uint64_t libc_base; /* added to the layout's libc-relative addresses */
    /* tcache_perthread_struct address of each thread (0: none); duplicates are ignored */
    const uint64_t *tcaches;
    size_t ntcaches;
    /* where mmapped chunks may be: anonymous rw mappings without thread stacks;
     * parts that overlap a non-main heap are skipped. NULL = no mmapped scan. */
    const gheap_range *mmap_ranges;
    size_t nmmap_ranges;
    /* optional: lets the mmapped scan skip untouched pages (NULL = read all) */
    gheap_touched_fn touched;
    void *touched_arg;
    size_t max_diags; /* 0 = 64 */
} gheap_target;

/* The walk in two stages, so that the target is stopped only for the first.
 *
 * gheap_capture_take, while the target is stopped: every read that needs it
 * -- malloc's parameters, the arena ring, each arena's top, every heap copied
 * into m in a few large reads (within m's copy limit, memsrc_set_copy_limit),
 * the mmapped chunks found in t's ranges. t is not used after it returns, but
 * t->lay must outlive the capture. 0 with *out set, or -1 + err when not
 * even the arena list or mp_ can be read.
 *
 * gheap_capture_complete: true when every heap is in m's copies, so the
 * target may run from now on; false when the heaps could not be copied (too
 * big for the limit, or a heap chain that the classification must read live
 * to name its fault): then the target must stay stopped until gheap_classify
 * returns.
 *
 * gheap_classify, once per capture, reads nothing but the capture (and the
 * target only when the capture is not complete): every free list and tcache,
 * every heap chunk by chunk in address order, calling fn (may be NULL) per
 * chunk, then glibc's mallinfo2 totals. Fills rep (free it with
 * gheap_report_free). Problems inside the heap are diagnostics in rep, not
 * errors; -1 + err only when out of memory.
 *
 * gheap_capture_free drops the capture and m's copies. */
typedef struct gheap_capture gheap_capture;
int gheap_capture_take(memsrc *m, const gheap_target *t, gheap_capture **out, hs_err *err);
bool gheap_capture_complete(const gheap_capture *c);
/* True when every read of the capture gives the heap as it was at the stop,
 * however long after: it is complete, or it reads a frozen copy-on-write
 * child of the process (memsrc_frozen) -- which must live while it is read. */
bool gheap_capture_stable(const gheap_capture *c);
int gheap_classify(gheap_capture *c, gheap_chunk_fn fn, void *arg, gheap_report *rep, hs_err *err);
void gheap_capture_free(gheap_capture *c);

/* For the stages after the classification (the heap graph): the memory
 * source whose copies hold the heaps; the ranges malloc owns -- every
 * non-main heap's reservation, every region copied, every mmapped chunk --
 * and the mmapped chunks alone, at most max into out, returning how many
 * there are. */
memsrc *gheap_capture_memsrc(const gheap_capture *c);
/* The threads' tcache_perthread_struct addresses (user pointers of glibc's
 * own chunks), sorted, without duplicates; valid until the capture is freed. */
const uint64_t *gheap_capture_tcaches(const gheap_capture *c, size_t *n);
size_t gheap_capture_owned(const gheap_capture *c, gheap_range *out, size_t max);
size_t gheap_capture_mmapped(const gheap_capture *c, gheap_range *out, size_t max);

/* Capture, classify and free in one call, for a target that stays stopped
 * throughout (or a memory source that is not a process). */
int gheap_walk(memsrc *m, const gheap_target *t, gheap_chunk_fn fn, void *arg, gheap_report *rep,
               hs_err *err);

/* glibc's bin index for a chunk size (smallbin_index / largebin_index_64). */
unsigned gheap_bin_index(uint64_t size);

#endif
