/* hook/hook_internal.h: state shared by the hook's own files (interposed
 * entry points, start-up, HTTP endpoint); never installed. */
#ifndef HOOK_INTERNAL_H
#define HOOK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapsnap_registry.h"
#include "hook_counts.h"
#include "hook_sampler.h"
#include "hook_tables.h"
#include "hook_thread.h"

#define HOOK_EXPORT __attribute__((visibility("default")))

/* glibc's (or the next interposer's) allocator, found with dlsym(RTLD_NEXT). */
struct hook_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
};
extern struct hook_real hook_real;

extern struct hook_tables hook_tables;
/* The free-path filter of hook_tables (hook_filter.h: 2^16 cells, one per
 * 64-byte granule), its summary known at compile time so that an unsampled free
 * loads one word of 8 KiB and nothing else of the hook's state. The cell of
 * NULL (cell 0, granule 0's) is saturated from the start, so that free(NULL) and
 * realloc(NULL, n) take the slow path without a test of their own on the fast
 * one; an address that shares the cell costs a probe of the counts. */
#define HOOK_FILTER_BITS 16
#define HOOK_FILTER_NULL_CELL 0
extern struct hook_filter hook_filter;
extern uint64_t hook_filter_summary[(1u << HOOK_FILTER_BITS) / 64];

/* False when p is certainly neither a sampled or unseen live block nor NULL:
 * the fast paths' test. */
static inline bool hook_maybe_live(const void *p)
{
    return hook_filter_summary_has(hook_filter_summary,
                                   hook_filter_cell((uint64_t)(uintptr_t)p, HOOK_FILTER_BITS));
}
extern struct hook_counts_table hook_counts;
/* Set once the next allocator is known to be glibc's (resolve time). */
extern int hook_glibc_next;
/* Set by the constructor when the size-class counters run: glibc is next and
 * the hook serves /debug/pprof, which has no heap walk to take the totals
 * from. Every call then takes its slow path, where it is counted (the
 * countdown is kept at 0 and the filter's summary full). Otherwise nothing
 * is counted, and the blocks the hook does not count are recorded as unseen
 * (hook_unseen.h). */
extern int hook_counting;
extern uint64_t hook_rate;
extern int hook_ready;   /* set once the tables exist and sampling may start */
extern int hook_started; /* set once the constructor has run: hook_ready is final */
extern struct heapsnap_registry heapsnap_registry;

/* Brackets the hook's own work on an application thread: nothing inside is
 * sampled or counted (each block is recorded as unseen: the countdown is 0
 * inside, so that every allocation takes the slow path), and the thread's
 * countdown is left as it was found. */
static inline int64_t hook_guard_enter(void)
{
    if (hook_thread.guard++ == 0) {
        hook_thread.counts_saved = hook_thread.counts;
        hook_thread.counts = NULL;
    }
    int64_t saved = hook_thread.sampler.countdown;
    hook_thread.sampler.countdown = 0;
    return saved;
}

static inline void hook_guard_exit(int64_t saved)
{
    hook_thread.sampler.countdown = saved;
    if (--hook_thread.guard == 0)
        hook_thread.counts = hook_thread.counts_saved;
}

/* Marks the calling thread as the hook's own for good (the HTTP thread). */
void hook_thread_mark_own(void);

/* Publishes the counters in the registry and arranges for a thread's slot to
 * be given back when it exits (hook_malloc.c; called by the constructor). */
void hook_counts_start(void);
/* Gives back the slots of the threads a fork child does not have. */
void hook_counts_atfork_child(void);

/* HTTP endpoint hooks for start-up and fork (hook_http.c). */
void hook_http_atfork_child(void);
/* Stops serving: the listening socket is shut down, the server thread exits
 * when it next runs (hook_http.c; for heapsnap --detach). */
void hook_http_stop(void);

/* Set when the library was loaded by heapsnap --attach rather than preloaded:
 * the allocator's entries are reached only through rewritten GOT entries
 * (hook_attach.c), and the size-class counters stay off (chunks allocated
 * before the attach are freed through the hook too). */
extern int hook_attach_mode;
extern int heapsnap_attach_state; /* 2 once the constructor finds itself interposing */
/* Starts sampling at rate for heapsnap_attach: maps the tables the first time,
 * empties them on a later attach (hook_init.c). 0, or -1 when the tables
 * could not be mapped. */
int hook_start_attached(uint64_t rate);
/* Finds the next allocator's functions now (hook_malloc.c). */
void hook_resolve_real(void);
/* This library's own entry points, whatever the process's symbol lookup
 * would find (hook_malloc.c). */
extern const struct hook_real hook_self;
void *hook_self_reallocarray(void *p, size_t a, size_t b);

#endif
