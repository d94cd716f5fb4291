/* lib/heap/heap_process.h: the glibc heap of a live (stopped) process, as one call.
 * Joins the process map, libc's layout (DWARF or built-in table), the memory
 * source and the walker (lib/heap/glibc_heap.h) for the commands. This is the
 * contract between the walker and the snapshot command: fields may be added,
 * signatures stay. */
#ifndef HS_HEAP_PROCESS_H
#define HS_HEAP_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "hs_error.h"

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

/* A stopped thread as the walker needs it. */
typedef struct gheap_thread {
    pid_t tid;
    uint64_t fs_base;
    const struct user_regs_struct *regs; /* may be NULL: then no PC check */
} gheap_thread;

typedef struct hproc hproc;

/* Before stopping: reads /proc/PID/maps, finds libc (fails with one sentence:
 * not a glibc process), loads the layout from libc's DWARF by build id or the
 * built-in table (fails: install libc6-dbg). */
hproc *hproc_open(pid_t pid, hs_err *err);
/* "DWARF of /usr/lib/debug/.build-id/93/ac...debug" or "built-in table for ...". */
const char *hproc_layout_source(const hproc *h);
/* While stopped: 1 if the heap is busy (an arena/list lock is held, or a thread
 * is inside malloc, with the reason in why), 0 if quiet, -1 + err. */
int hproc_busy(hproc *h, const gheap_thread *threads, size_t n, char *why, size_t whylen,
               hs_err *err);
/* While stopped: hproc_busy that also tells which threads are inside malloc,
 * checking every thread even when a lock is held, the cheap way first: the pc
 * inside malloc.c's text, else no return address into it in the top
 * HPROC_SCAN_BYTES of the stack means outside; only a thread with such a
 * word there (possibly a stale one) is unwound. inside[i] on entry: -1 to
 * check threads[i], 0 or 1 a verdict the caller already has (the thread has
 * not run since); on return 0 or 1 for every thread. *locked: a malloc lock
 * word is held. 1 busy (a lock held or a thread inside malloc, why says
 * which), 0 quiet, -1 + err. */
#define HPROC_SCAN_BYTES 1024
int hproc_busy_threads(hproc *h, const gheap_thread *threads, size_t n, signed char *inside,
                       bool *locked, char *why, size_t whylen, hs_err *err);
/* While stopped: walks every arena and mmapped chunk, calling fn (may be NULL)
 * per chunk, and fills rep. 0, or -1 + err when nothing could be walked.
 * Corruption in one arena ends that arena's walk with a diagnostic (rep->diags)
 * and is not an error. */
int hproc_walk(hproc *h, const gheap_thread *threads, size_t n, gheap_chunk_fn fn, void *arg,
               gheap_report *rep, hs_err *err);
/* Before the walk: leaves [start, end) out of the search for mmapped chunks,
 * memory the caller knows holds none -- libheapsnap's tables: every page of
 * them is touched at HEAPSNAP_RATE=1, and reading a would-be chunk header on
 * each took a third of the stop. At most HPROC_MAX_EXCLUDED ranges; 0, or -1
 * when they are all taken. */
#define HPROC_MAX_EXCLUDED 8
int hproc_exclude(hproc *h, uint64_t start, uint64_t end);
/* hproc_walk that calls release(release_arg) exactly once, as soon as the
 * walk no longer needs the process stopped: right after every heap has been
 * copied into heapsnap (with few large reads; within half of MemAvailable)
 * and the mmapped chunks found, before the CPU-heavy classification and
 * chunk walk; or, when the heaps could not all be copied, before returning.
 * Whatever else must see the process stopped (the hook's tables) belongs in
 * release, before resuming it. */
int hproc_walk_release(hproc *h, const gheap_thread *threads, size_t n, gheap_chunk_fn fn,
                       void *arg, void (*release)(void *), void *release_arg, gheap_report *rep,
                       hs_err *err);
/* While stopped: the address of thread t's `tcache` TLS variable (libc's
 * static TLS block at fs_base - l_tls_offset, plus the variable's offset) and
 * its value (the tcache_perthread_struct, 0 when the thread has none). */
int hproc_thread_tcache(hproc *h, const gheap_thread *t, uint64_t *var, uint64_t *value,
                        hs_err *err);
/* While stopped: the arena thread t allocates from (glibc's thread_arena TLS
 * variable, a malloc_state address), 0 when it has none yet (a thread before
 * its first malloc). 0, or -1 + err. */
int hproc_thread_arena(hproc *h, const gheap_thread *t, uint64_t *arena, hs_err *err);
/* While stopped: the arenas whose mutex word is non-zero (held; glibc's lock
 * records no owner), at most max of them into out. Their number, or -1 + err. */
int hproc_locked_arenas(hproc *h, uint64_t *out, size_t max, hs_err *err);
/* While stopped: 1 if thread t is inside malloc (its pc, or a return address
 * found by unwinding its stack with libunwind-ptrace, lies in malloc.c's
 * text), with the evidence in why; 0 if not. Part of hproc_busy. */
int hproc_thread_in_malloc(hproc *h, const gheap_thread *t, char *why, size_t whylen);
/* While stopped: 0 when the process still runs the program image hproc_open
 * saw, -1 + err when it has called execve since (everything read before the
 * stop -- libc's base, the layout -- no longer applies). */
int hproc_same_image(hproc *h, hs_err *err);
void hproc_close(hproc *h);

#endif
