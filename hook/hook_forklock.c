/* hook/hook_forklock.c: a striped reader-writer lock for fork (see
 * hook_forklock.h). A reader increments its thread's stripe, then checks for
 * a writer; the writer raises its flag, then waits for every stripe to drain.
 * Both orders are sequentially consistent, so one of the two always sees the
 * other (Dekker). Writers are rare (one per fork) and readers back off while
 * one waits, so a fork cannot starve. */
#include "hook_forklock.h"

#include <sched.h>

#include "hook_internal.h"

#define FORKLOCK_STRIPES 32

static struct {
    int n __attribute__((aligned(64)));
} forklock_stripe[FORKLOCK_STRIPES];
static int forklock_writer;
static unsigned forklock_next_stripe;

static int *forklock_mine(void)
{
    struct hook_thread *t = &hook_thread;
    if (t->stripe == 0)
        t->stripe =
            1 + __atomic_fetch_add(&forklock_next_stripe, 1, __ATOMIC_RELAXED) % FORKLOCK_STRIPES;
    return &forklock_stripe[t->stripe - 1].n;
}

bool hook_forklock_shared(void)
{
    if (hook_thread.forking)
        return false;
    int *n = forklock_mine();
    for (;;) {
        __atomic_fetch_add(n, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&forklock_writer, __ATOMIC_SEQ_CST))
            return true;
        __atomic_fetch_sub(n, 1, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(&forklock_writer, __ATOMIC_ACQUIRE))
            sched_yield();
    }
}

void hook_forklock_unshare(bool taken)
{
    if (taken)
        __atomic_fetch_sub(forklock_mine(), 1, __ATOMIC_RELEASE);
}

void hook_forklock_exclusive(void)
{
    int expect = 0;
    while (!__atomic_compare_exchange_n(&forklock_writer, &expect, 1, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
        expect = 0; /* another thread forks: one at a time */
        sched_yield();
    }
    hook_thread.forking = 1;
    for (int i = 0; i < FORKLOCK_STRIPES; i++)
        while (__atomic_load_n(&forklock_stripe[i].n, __ATOMIC_SEQ_CST) != 0)
            sched_yield();
}

void hook_forklock_release(void)
{
    hook_thread.forking = 0;
    __atomic_store_n(&forklock_writer, 0, __ATOMIC_RELEASE);
}

void hook_forklock_reset_child(void)
{
    /* Only this thread lives on; every stripe drained before the fork. */
    for (int i = 0; i < FORKLOCK_STRIPES; i++)
        forklock_stripe[i].n = 0;
    hook_forklock_release();
}
