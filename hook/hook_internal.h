/* hook/hook_internal.h: state shared by the hook's own files (interposed
 * entry points, start-up, HTTP endpoint); never installed. */
#ifndef HOOK_INTERNAL_H
#define HOOK_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "heapsnap_registry.h"
#include "hook_sampler.h"
#include "hook_tables.h"

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

/* Per-thread state; initial-exec TLS so that reaching it never allocates
 * (a dynamic TLS access may call malloc). All-zero is the valid start state. */
struct hook_thread {
    struct hook_sampler sampler;
    int guard;     /* > 0 while the hook itself runs: nothing is recorded */
    int resolving; /* this thread is inside dlsym during start-up */
    int forking;   /* this thread holds the fork lock exclusive (hook_forklock.c) */
    int stripe;    /* 1 + its stripe of the fork lock; 0 until first used */
};
extern __thread struct hook_thread hook_thread __attribute__((tls_model("initial-exec")));

extern struct hook_tables hook_tables;
extern uint64_t hook_rate;
extern int hook_ready; /* set once the tables exist and sampling may start */
extern struct heapsnap_registry heapsnap_registry;

/* Brackets the hook's own work on an application thread: nothing inside is
 * recorded, and the thread's countdown is left as it was found. */
static inline int64_t hook_guard_enter(void)
{
    hook_thread.guard++;
    return hook_thread.sampler.countdown;
}

static inline void hook_guard_exit(int64_t saved)
{
    hook_thread.sampler.countdown = saved;
    hook_thread.guard--;
}

/* Marks the calling thread as the hook's own for good (the HTTP thread). */
void hook_thread_mark_own(void);

/* HTTP endpoint hooks for start-up and fork (hook_http.c). */
void hook_http_atfork_child(void);

#endif
