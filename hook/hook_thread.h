/* hook/hook_thread.h: the hook's per-thread state, one line of initial-exec
 * TLS (reaching it never allocates: a dynamic TLS access may call malloc).
 * All-zero is the valid start state. Only its thread writes it, except the
 * safepoint's words, which heapsnap reads from outside. Every entry point
 * reaches all it needs of it from one thread-pointer offset (one GOT load),
 * and the unsampled path reads and writes nothing else of the hook's but the
 * free filter's summary and the park word. */
#ifndef HOOK_THREAD_H
#define HOOK_THREAD_H

#include "heapsnap_registry.h"
#include "hook_sampler.h"

struct __attribute__((aligned(64))) hook_thread {
    struct hook_sampler sampler;
    /* With the counters, the sampler's countdown while its own is kept at 0
     * (hook_malloc.c's slow_begin). */
    int64_t shadow;
    /* This thread's counter slot; NULL until its first counted allocation,
     * and while the hook itself runs (so that its own blocks are not counted). */
    struct heapsnap_counts *counts;
    struct heapsnap_counts *counts_saved; /* counts while guard > 0 */
    int guard;                            /* > 0 while the hook itself runs: nothing is recorded */
    int stripe;                           /* 1 + its stripe of the fork lock; 0 until first used */
    /* The safepoint's words (hook_safepoint.h), at the fs_base offset the
     * registry publishes. */
    struct heapsnap_safepoint_thread sp;
    uint8_t resolving; /* this thread is inside dlsym during start-up */
    uint8_t forking;   /* this thread holds the fork lock exclusive (hook_forklock.c) */
};
_Static_assert(sizeof(struct hook_thread) == 64, "hook_thread is one cache line");
extern __thread struct hook_thread hook_thread __attribute__((tls_model("initial-exec")));

#endif
