/* hook/hook_counts.c: per-thread slots of the exact size-class counters (see
 * hook_counts.h). Slots are claimed by CAS on their owner word and given back
 * with a release store, so a thread that takes over a slot sees the previous
 * owner's last counts before it adds its own. */
#include "hook_counts.h"

#include <string.h>

void hook_counts_update_shared(struct heapsnap_counts *c, uint64_t w, uint64_t sign)
{
    uint64_t size = w & ~(uint64_t)7;
    unsigned k = heapsnap_size_class(size, (w & 2) != 0);
    __atomic_fetch_add(&c->count[k], sign, __ATOMIC_RELAXED);
    if (k >= HEAPSNAP_NEXACT)
        __atomic_fetch_add(&c->bytes[k], sign * size, __ATOMIC_RELAXED);
}

void hook_counts_init(struct hook_counts_table *t, struct heapsnap_counts *slots, uint64_t nslots)
{
    t->slots = slots;
    t->nslots = nslots;
    t->used = 0;
}

static bool claim(struct heapsnap_counts *c)
{
    uint64_t expect = HEAPSNAP_COUNTS_FREE;
    return __atomic_compare_exchange_n(&c->owner, &expect, HEAPSNAP_COUNTS_OWNED, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

struct heapsnap_counts *hook_counts_claim(struct hook_counts_table *t)
{
    uint64_t last = t->nslots - 1; /* the shared slot is never owned */
    uint64_t used = __atomic_load_n(&t->used, __ATOMIC_ACQUIRE);
    for (uint64_t i = 0; i < used && i < last; i++)
        if (__atomic_load_n(&t->slots[i].owner, __ATOMIC_RELAXED) == HEAPSNAP_COUNTS_FREE &&
            claim(&t->slots[i]))
            return &t->slots[i];
    for (;;) {
        uint64_t i = __atomic_fetch_add(&t->used, 1, __ATOMIC_ACQ_REL);
        if (i >= last) {
            __atomic_store_n(&t->used, last, __ATOMIC_RELAXED); /* no wrap-around */
            return NULL;
        }
        if (claim(&t->slots[i]))
            return &t->slots[i];
    }
}

void hook_counts_release(struct heapsnap_counts *c)
{
    __atomic_store_n(&c->owner, HEAPSNAP_COUNTS_FREE, __ATOMIC_RELEASE);
}

void hook_counts_fork_child(struct hook_counts_table *t, const struct heapsnap_counts *keep)
{
    uint64_t used = __atomic_load_n(&t->used, __ATOMIC_ACQUIRE);
    for (uint64_t i = 0; i < used && i < t->nslots - 1; i++)
        if (&t->slots[i] != keep)
            hook_counts_release(&t->slots[i]);
}

void hook_counts_sum(const struct hook_counts_table *t, uint64_t count[HEAPSNAP_NCLASSES],
                     uint64_t bytes[HEAPSNAP_NCLASSES])
{
    memset(count, 0, HEAPSNAP_NCLASSES * sizeof(*count));
    memset(bytes, 0, HEAPSNAP_NCLASSES * sizeof(*bytes));
    uint64_t used = __atomic_load_n(&t->used, __ATOMIC_ACQUIRE);
    for (uint64_t s = 0; s < t->nslots; s++) {
        if (s >= used && s != t->nslots - 1)
            continue; /* never taken: all zero, and better left untouched */
        const struct heapsnap_counts *c = &t->slots[s];
        for (unsigned i = 0; i < HEAPSNAP_NCLASSES; i++) {
            count[i] += __atomic_load_n(&c->count[i], __ATOMIC_RELAXED);
            bytes[i] += __atomic_load_n(&c->bytes[i], __ATOMIC_RELAXED);
        }
    }
    for (unsigned i = 0; i < HEAPSNAP_NEXACT; i++)
        bytes[i] = count[i] * 16 * i;
}
