/* lib/heap/glibc_heap.h: the glibc malloc walker, a pure function over a memory
 * source. Given libc's layout and a few absolute addresses it finds every
 * arena, walks every heap chunk by chunk, classifies each chunk from the free
 * lists (tcache, fastbins, bins, top), finds mmapped chunks in the ranges it is
 * given, and reproduces glibc's mallinfo2(). Every loop is bounded; corruption
 * ends one arena's walk with a diagnostic. */
#ifndef HS_GLIBC_HEAP_H
#define HS_GLIBC_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "glibc_layout.h"
#include "heap_process.h"
#include "memsrc.h"

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
    /* optional: called once per walk, as soon as the walk no longer reads the
     * target (every heap copied into the memory source, the mmapped chunks
     * found), so the caller can let it run during the CPU-heavy rest; at the
     * end of the walk when the heaps could not all be copied (see
     * memsrc_set_copy_limit: 0 copies nothing). */
    void (*release)(void *arg);
    void *release_arg;
} gheap_target;

/* Walks the heap in m, copying the heaps into m first when its copy limit
 * allows (the copies are dropped when the walk returns). Fills rep (free it with
 * gheap_report_free); calls fn per chunk when non-NULL. 0, or -1 + err when not even the arena list
 * or mp_ can be read. Problems inside the heap are diagnostics in rep, not errors. */
int gheap_walk(memsrc *m, const gheap_target *t, gheap_chunk_fn fn, void *arg, gheap_report *rep,
               hs_err *err);

/* glibc's bin index for a chunk size (smallbin_index / largebin_index_64). */
unsigned gheap_bin_index(uint64_t size);

#endif
