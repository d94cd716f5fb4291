/* hook/hook_safepoint.h: the safepoint (registry version 3). An allocator
 * call that begins while heapsnap's park request is posted parks the thread
 * until heapsnap withdraws it (hook_safepoint.c). The hook's slow paths also
 * bracket their work with hook_safepoint_enter/exit, which keep the thread's
 * `inside` word, so that heapsnap sees from outside who is inside the hook's
 * own work, and park on their way out; the fast paths keep no word (a tail
 * call into glibc): heapsnap finds those threads by their pc and stack. */
#ifndef HOOK_SAFEPOINT_H
#define HOOK_SAFEPOINT_H

#include <stdint.h>

#include "heapsnap_registry.h"
#include "hook_thread.h"

/* This thread's words are hook_thread.sp (hook_thread.h), read by heapsnap
 * at fs_base + safepoint_tls. */
/* heapsnap_registry under a hidden name: the exit's load of the park word is
 * one instruction, not a GOT load and a load (hook_init.c defines it). */
extern struct heapsnap_registry hook_registry __attribute__((visibility("hidden")));

/* The slow path of hook_safepoint_exit: parks when the outermost call ends
 * and a request for this process is posted. Keeps errno. */
void hook_safepoint_park(void);
/* Publishes where a thread's words lie (before the registry's magic). */
void hook_safepoint_start(struct heapsnap_registry *reg);
/* In a fork child: a request posted for the parent is not for it. */
void hook_safepoint_atfork_child(struct heapsnap_registry *reg);

/* Whether a park request is posted: the fast paths' test, one load. */
static inline int hook_safepoint_posted(void)
{
    return __atomic_load_n(&hook_registry.park, __ATOMIC_RELAXED) != 0;
}

static inline void hook_safepoint_enter(void)
{
    hook_thread.sp.inside++;
}

/* Decrement first: stopped after it, the thread is outside and is not let
 * run; stopped before it, it is let run and sees the request on the load. */
static inline void hook_safepoint_exit(void)
{
    hook_thread.sp.inside--;
    if (__builtin_expect(hook_safepoint_posted(), 0))
        hook_safepoint_park();
}

#endif
