/* hook/hook_unseen.c: the unseen blocks (see hook_unseen.h). The early array
 * is written with an atomic index and read under the fork lock; the move into
 * the table holds the lock exclusive, so a free sees a block either in the
 * array or in the table, never in neither. */
#include "hook_unseen.h"

#include "hook_forklock.h"
#include "hook_internal.h"

static uint64_t early[HOOK_UNSEEN_EARLY];
static uint32_t early_next; /* slots [0, early_next) were taken (may exceed the array) */
static int moved;           /* set once the early array is in the table */

/* hook_unseen_record with the fork lock held. */
static void record_locked(uint64_t a)
{
    if (__atomic_load_n(&moved, __ATOMIC_ACQUIRE)) {
        hook_record_unseen(&hook_tables, a);
    } else {
        uint32_t i = __atomic_fetch_add(&early_next, 1, __ATOMIC_RELAXED);
        if (i < HOOK_UNSEEN_EARLY) {
            /* The filter first: once p is returned, its free must look. */
            hook_filter_add(&hook_filter, a);
            __atomic_store_n(&early[i], a, __ATOMIC_RELEASE);
        } else {
            __atomic_fetch_add(&heapsnap_registry.unseen_lost, 1, __ATOMIC_RELAXED);
        }
    }
}

void hook_unseen_record(const void *p)
{
    bool locked = hook_forklock_shared();
    record_locked((uint64_t)(uintptr_t)p);
    hook_forklock_unshare(locked);
}

bool hook_unseen_forget(const void *p, struct heapsnap_live *out, unsigned stripe)
{
    uint64_t a = (uint64_t)(uintptr_t)p;
    if (__atomic_load_n(&moved, __ATOMIC_ACQUIRE))
        return hook_record_free(&hook_tables, a, out, stripe);
    uint32_t n = __atomic_load_n(&early_next, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < n && i < HOOK_UNSEEN_EARLY; i++) {
        uint64_t v = a;
        if (__atomic_load_n(&early[i], __ATOMIC_ACQUIRE) == a &&
            __atomic_compare_exchange_n(&early[i], &v, 0, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            hook_filter_del(&hook_filter, a);
            if (out)
                *out = (struct heapsnap_live){.state = HEAPSNAP_LIVE_UNSEEN, .addr = a};
            return true;
        }
    }
    return false;
}

void hook_unseen_unforget(const struct heapsnap_live *e, unsigned stripe)
{
    if (__atomic_load_n(&moved, __ATOMIC_ACQUIRE))
        hook_unrecord_free(&hook_tables, e, stripe);
    else
        record_locked(e->addr); /* before the table, every entry is unseen */
}

void hook_unseen_start(void)
{
    hook_forklock_exclusive();
    uint32_t n = __atomic_load_n(&early_next, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < n && i < HOOK_UNSEEN_EARLY; i++)
        if (early[i] != 0)
            hook_insert_unseen(&hook_tables, early[i]); /* already in the filter */
    __atomic_store_n(&moved, 1, __ATOMIC_RELEASE);
    hook_forklock_release();
}
