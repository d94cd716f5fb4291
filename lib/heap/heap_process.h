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

#include "glibc_heap.h"
#include "hs_error.h"

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
/* While stopped: the first stage of hproc_walk (glibc_heap.h's capture):
 * every read that needs the process stopped, with every heap copied into
 * heapsnap when that fits (few large reads, within half of MemAvailable).
 * When gheap_capture_complete(*out), the process may be resumed before
 * gheap_classify; otherwise only after it. 0 with *out set (free it with
 * gheap_capture_free before hproc_close), or -1 + err. */
int hproc_capture(hproc *h, const gheap_thread *threads, size_t n, gheap_capture **out,
                  hs_err *err);
/* hproc_capture, read from frozen instead: a copy of the process made at
 * the stop (lib/proc/cowfork.h's child, stopped; threads are the process's,
 * taken at the fork). The process itself may run. Nothing is copied into
 * heapsnap, so the capture is never complete: gheap_classify reads the
 * child, which must live until then. 0, or -1 + err. */
int hproc_capture_frozen(hproc *h, pid_t frozen, const gheap_thread *threads, size_t n,
                         gheap_capture **out, hs_err *err);
/* Gives back the memory hproc_open reserved for copying the heaps (a
 * snapshot that forked instead); a later hproc_capture still copies, taking
 * its page faults in the stop. */
void hproc_release_copy(hproc *h);
/* The bytes mapped for the heaps when hproc_open looked ([heap] and the
 * non-main arenas' heaps): what a copy would read. */
uint64_t hproc_heap_bytes(const hproc *h);
/* An object's static TLS block: at fs_base - offset in every thread (TLS
 * variant II), for the object loaded at bias l_addr. */
typedef struct hproc_tls {
    uint64_t l_addr, offset;
} hproc_tls;
#define HPROC_MAX_TLS 256
/* The static TLS blocks of the objects on ld.so's list (_r_debug's
 * link_maps, l_tls_offset found as for libc's) as hproc_open read them, at
 * most max into out; their number, 0 when the list could not be read.
 * Objects whose TLS is allocated on first use (dlopen'd past the static
 * surplus) have none. */
size_t hproc_static_tls(hproc *h, hproc_tls *out, size_t max);
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
/* While thread tid runs (a safepoint let it): 1 when it is asleep in a
 * system call that glibc's malloc never waits in -- anything but the memory
 * calls malloc makes (mmap, munmap, mprotect, brk, mremap, madvise,
 * getrandom) and a futex wait on one of malloc's lock words -- returning to a
 * pc outside malloc.c's text, with no return address into it in the top
 * HPROC_SCAN_BYTES of its stack: it left malloc and waits for something else
 * (a read, a condition variable, a sleep). 0 when it runs, or may be inside
 * (the stop after it decides: this only ends a wait early). */
int hproc_asleep_outside(hproc *h, pid_t tid);
/* While stopped: 0 when the process still runs the program image hproc_open
 * saw, -1 + err when it has called execve since (everything read before the
 * stop -- libc's base, the layout -- no longer applies). */
int hproc_same_image(hproc *h, hs_err *err);
/* While stopped: thread t's stack block (struct pthread's stackblock: guard,
 * stack, static TLS and the struct itself), or, for the main thread or an
 * unknown layout, the mapping of pm that holds its stack pointer. 0, or -1
 * when neither is known. */
struct procmaps;
int hproc_thread_stack(hproc *h, const gheap_thread *t, const struct procmaps *pm, uint64_t *start,
                       uint64_t *end);
void hproc_close(hproc *h);

#endif
