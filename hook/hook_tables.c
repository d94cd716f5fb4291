/* hook/hook_tables.c: lock-free writers and readers of the registry tables.
 * Invariants: stack entries are insert-only (an id is forever); live slots
 * never return to EMPTY (removal leaves a DELETED tombstone), so a lookup may
 * stop at the first EMPTY slot, and at live_reach slots from home, which no
 * insert went beyond; every entry is BUSY while its fields change. */
#include "hook_tables.h"

#include <string.h>

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define SUB(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_RELAXED)

static bool cas32(uint32_t *p, uint32_t expect, uint32_t want)
{
    return __atomic_compare_exchange_n(p, &expect, want, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static uint64_t pow2_at_least(uint64_t n)
{
    uint64_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static size_t stacks_bytes(uint64_t nstacks)
{
    return pow2_at_least(nstacks) * sizeof(struct heapsnap_stack_entry);
}

size_t hook_tables_live_offset(uint64_t nstacks)
{
    return stacks_bytes(nstacks);
}

size_t hook_tables_bytes(uint64_t nstacks, uint64_t nlive)
{
    return stacks_bytes(nstacks) + pow2_at_least(nlive) * sizeof(struct heapsnap_live);
}

void hook_tables_init(struct hook_tables *t, struct heapsnap_registry *reg, void *mem,
                      uint64_t nstacks, uint64_t nlive, struct hook_filter *filter, uint64_t rate)
{
    uint64_t scap = pow2_at_least(nstacks), lcap = pow2_at_least(nlive);
    t->reg = reg;
    t->stacks = mem;
    t->stack_mask = scap - 1;
    t->live = (struct heapsnap_live *)((char *)mem + stacks_bytes(nstacks));
    t->live_mask = lcap - 1;
    t->live_reach = 0;
    t->filter = filter;

    reg->version = HEAPSNAP_REGISTRY_VERSION;
    reg->header_size = sizeof(*reg);
    reg->rate = rate;
    reg->stacks_addr = (uint64_t)(uintptr_t)t->stacks;
    reg->stacks_capacity = scap;
    reg->stack_entry_size = sizeof(struct heapsnap_stack_entry);
    reg->live_addr = (uint64_t)(uintptr_t)t->live;
    reg->live_capacity = lcap;
    reg->live_entry_size = sizeof(struct heapsnap_live);
    /* The magic last: a reader that sees it sees a complete header. */
    STORE(&reg->magic, HEAPSNAP_REGISTRY_MAGIC);
}

/* Two instructions a frame (a sample's stack is hashed on every sampled
 * allocation); the final mix brings the high bits down to the low ones that
 * pick the slot. */
uint64_t hook_frames_hash(const uint64_t *frames, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ frames[i]) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 32);
}

static bool stack_equal(const struct heapsnap_stack *s, uint64_t hash, const uint64_t *frames,
                        uint32_t n)
{
    return s->hash == hash && s->nframes == n && memcmp(s->frames, frames, n * 8) == 0;
}

int64_t hook_stack_intern(struct hook_tables *t, const uint64_t *frames, uint32_t n)
{
    if (n > HEAPSNAP_MAX_FRAMES)
        n = HEAPSNAP_MAX_FRAMES;
    uint64_t hash = hook_frames_hash(frames, n);
    for (uint64_t i = 0; i < HOOK_STACK_PROBES && i <= t->stack_mask; i++) {
        uint64_t slot = (hash + i) & t->stack_mask;
        struct heapsnap_stack *s = &t->stacks[slot].stack;
        uint32_t st = LOAD(&s->state);
        if (st == HEAPSNAP_STACK_EMPTY && cas32(&s->state, st, HEAPSNAP_STACK_BUSY)) {
            s->hash = hash;
            s->nframes = n;
            memcpy(s->frames, frames, n * 8);
            STORE(&s->state, HEAPSNAP_STACK_READY);
            return (int64_t)slot;
        }
        /* Another thread may be writing this very stack: wait a little. A
         * writer that never finishes (preempted for long) only costs a
         * duplicate entry further on, never a wrong one. */
        for (int spin = 0; spin < 1000 && (st = LOAD(&s->state)) == HEAPSNAP_STACK_BUSY; spin++)
            __builtin_ia32_pause();
        if (st == HEAPSNAP_STACK_READY && stack_equal(s, hash, frames, n))
            return (int64_t)slot;
    }
    ADD(&t->reg->dropped_stacks, 1);
    return -1;
}

static void filter_add(struct hook_tables *t, uint64_t addr)
{
    hook_filter_add(t->filter, addr);
}

static void filter_del(struct hook_tables *t, uint64_t addr)
{
    hook_filter_del(t->filter, addr);
}

/* The first slot to probe for addr. Neighbouring blocks get neighbouring
 * slots, so the table is touched with the heap's own locality (few cache
 * misses and page faults even when every allocation is sampled); each 64 MiB
 * region is shifted by a hash of its number so that glibc's 64 MiB-aligned
 * thread heaps do not pile up on the same slots. */
static uint64_t live_home(uint64_t addr)
{
    return (addr >> 5) + (addr >> 26) * 0x9E3779B97F4A7C15ULL;
}

/* Takes slot e (EMPTY or DELETED) for an insert. At the home slot the first
 * access is a CAS expecting EMPTY, a write: a page of the table that nothing
 * has touched yet is then faulted in once, writable, instead of being mapped
 * to the shared zero page by a read and copied at the write that follows, a
 * copy that interrupts every other CPU running the process to flush its TLB
 * (perf: 4 % of a HEAPSNAP_RATE=1 run of bench/allocbench went to those). */
static bool live_claim(struct heapsnap_live *e, bool home)
{
    uint32_t st = HEAPSNAP_LIVE_EMPTY;
    if (home && __atomic_compare_exchange_n(&e->state, &st, HEAPSNAP_LIVE_BUSY, false,
                                            __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
        return true;
    if (!home)
        st = LOAD(&e->state);
    return (st == HEAPSNAP_LIVE_EMPTY || st == HEAPSNAP_LIVE_DELETED) &&
           cas32(&e->state, st, HEAPSNAP_LIVE_BUSY);
}

/* Raises t->live_reach to at least reach, before the slot is published. */
static void live_reach_at_least(struct hook_tables *t, uint64_t reach)
{
    uint64_t r = __atomic_load_n(&t->live_reach, __ATOMIC_ACQUIRE);
    while (r < reach && !__atomic_compare_exchange_n(&t->live_reach, &r, reach, true,
                                                     __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
        ;
}

/* Inserts addr in state (USED, or UNSEEN with no stack). */
static bool live_insert(struct hook_tables *t, uint64_t addr, uint64_t size, uint32_t stack_id,
                        uint32_t state)
{
    uint64_t h = live_home(addr);
    for (uint64_t i = 0; i < HOOK_LIVE_PROBES && i <= t->live_mask; i++) {
        struct heapsnap_live *e = &t->live[(h + i) & t->live_mask];
        if (live_claim(e, i == 0)) {
            live_reach_at_least(t, i + 1);
            e->stack_id = stack_id;
            e->addr = addr;
            e->size = size;
            STORE(&e->state, state);
            return true;
        }
    }
    return false;
}

static struct heapsnap_stack_stripe *stripe_of(struct hook_tables *t, uint64_t id, unsigned stripe)
{
    return &t->stacks[id & t->stack_mask].stripes[stripe % HEAPSNAP_STACK_STRIPES];
}

bool hook_record_alloc(struct hook_tables *t, uint64_t addr, uint64_t size, const uint64_t *frames,
                       uint32_t nframes, unsigned stripe)
{
    int64_t id = hook_stack_intern(t, frames, nframes);
    if (id < 0)
        return false;
    /* The filter first: once addr is in the table, a free must find it. */
    filter_add(t, addr);
    if (!live_insert(t, addr, size, (uint32_t)id, HEAPSNAP_LIVE_USED)) {
        filter_del(t, addr);
        ADD(&t->reg->dropped_live, 1);
        return false;
    }
    struct heapsnap_stack_stripe *s = stripe_of(t, (uint64_t)id, stripe);
    ADD(&s->alloc_objects, 1);
    ADD(&s->alloc_bytes, size);
    ADD(&t->reg->sampled_allocs, 1);
    return true;
}

bool hook_insert_unseen(struct hook_tables *t, uint64_t addr)
{
    if (!live_insert(t, addr, 0, 0, HEAPSNAP_LIVE_UNSEEN)) {
        filter_del(t, addr);
        ADD(&t->reg->unseen_lost, 1);
        return false;
    }
    return true;
}

bool hook_record_unseen(struct hook_tables *t, uint64_t addr)
{
    filter_add(t, addr);
    return hook_insert_unseen(t, addr);
}

bool hook_record_free(struct hook_tables *t, uint64_t addr, struct heapsnap_live *out,
                      unsigned stripe)
{
    uint64_t h = live_home(addr);
    uint64_t reach = __atomic_load_n(&t->live_reach, __ATOMIC_ACQUIRE);
    for (uint64_t i = 0; i < reach && i <= t->live_mask; i++) {
        struct heapsnap_live *e = &t->live[(h + i) & t->live_mask];
        uint32_t st = LOAD(&e->state);
        if (st == HEAPSNAP_LIVE_EMPTY)
            return false;
        if ((st != HEAPSNAP_LIVE_USED && st != HEAPSNAP_LIVE_UNSEEN) || e->addr != addr)
            continue;
        /* Only the thread freeing addr removes it, but the slot may have been
         * recycled between our reads: own it, then check again. */
        if (!cas32(&e->state, st, HEAPSNAP_LIVE_BUSY))
            continue;
        if (e->addr != addr) {
            STORE(&e->state, st);
            continue;
        }
        struct heapsnap_live copy = *e;
        copy.state = st;
        STORE(&e->state, HEAPSNAP_LIVE_DELETED);
        filter_del(t, addr);
        if (st == HEAPSNAP_LIVE_USED) {
            struct heapsnap_stack_stripe *s = stripe_of(t, copy.stack_id, stripe);
            ADD(&s->free_objects, 1);
            ADD(&s->free_bytes, copy.size);
        }
        if (out)
            *out = copy;
        return true;
    }
    return false;
}

void hook_unrecord_free(struct hook_tables *t, const struct heapsnap_live *e, unsigned stripe)
{
    if (e->state == HEAPSNAP_LIVE_UNSEEN) {
        hook_record_unseen(t, e->addr);
        return;
    }
    struct heapsnap_stack_stripe *s = stripe_of(t, e->stack_id, stripe);
    SUB(&s->free_objects, 1);
    SUB(&s->free_bytes, e->size);
    filter_add(t, e->addr);
    if (!live_insert(t, e->addr, e->size, e->stack_id, HEAPSNAP_LIVE_USED)) {
        /* No room to keep tracking it: account it as freed after all, which
         * keeps in-use totals honest about what we can still see. */
        filter_del(t, e->addr);
        ADD(&s->free_objects, 1);
        ADD(&s->free_bytes, e->size);
        ADD(&t->reg->dropped_live, 1);
    }
}

size_t hook_tables_read_sites(const struct hook_tables *t, struct hook_site *out, size_t max,
                              size_t *torn)
{
    size_t n = 0, busy = 0;
    for (uint64_t i = 0; i <= t->stack_mask && n < max; i++) {
        const struct heapsnap_stack *s = &t->stacks[i].stack;
        uint32_t st = LOAD(&s->state);
        if (st == HEAPSNAP_STACK_EMPTY)
            continue;
        if (st != HEAPSNAP_STACK_READY || s->nframes > HEAPSNAP_MAX_FRAMES) {
            busy++;
            continue;
        }
        if (!out) {
            n++; /* counting only */
            continue;
        }
        struct hook_site *o = &out[n++];
        o->id = (uint32_t)i;
        o->nframes = s->nframes;
        memcpy(o->frames, s->frames, s->nframes * 8);
        /* Frees before allocations, every stripe's: a free is counted after its
         * allocation, so this order never sees more freed than allocated. */
        const struct heapsnap_stack_stripe *c = t->stacks[i].stripes;
        o->free_objects = o->free_bytes = o->alloc_objects = o->alloc_bytes = 0;
        for (unsigned k = 0; k < HEAPSNAP_STACK_STRIPES; k++) {
            o->free_objects += __atomic_load_n(&c[k].free_objects, __ATOMIC_ACQUIRE);
            o->free_bytes += __atomic_load_n(&c[k].free_bytes, __ATOMIC_ACQUIRE);
        }
        for (unsigned k = 0; k < HEAPSNAP_STACK_STRIPES; k++) {
            o->alloc_objects += __atomic_load_n(&c[k].alloc_objects, __ATOMIC_ACQUIRE);
            o->alloc_bytes += __atomic_load_n(&c[k].alloc_bytes, __ATOMIC_ACQUIRE);
        }
    }
    if (torn)
        *torn = busy;
    return n;
}

/* A consistent copy of live entry e: 1 when it is in use (copied to *copy),
 * 0 when empty, -1 when a thread is changing it (torn). */
static int live_copy(const struct hook_tables *t, const struct heapsnap_live *e,
                     struct heapsnap_live *copy)
{
    uint32_t st = LOAD(&e->state);
    if (st == HEAPSNAP_LIVE_BUSY)
        return -1;
    if (st != HEAPSNAP_LIVE_USED)
        return 0;
    *copy = *e;
    if (LOAD(&e->state) != HEAPSNAP_LIVE_USED || copy->stack_id > t->stack_mask)
        return -1;
    copy->state = HEAPSNAP_LIVE_USED;
    return 1;
}

void hook_tables_each_live(const struct hook_tables *t,
                           void (*fn)(void *arg, const struct heapsnap_live *e), void *arg)
{
    struct heapsnap_live copy;
    for (uint64_t i = 0; i <= t->live_mask; i++)
        if (live_copy(t, &t->live[i], &copy) == 1)
            fn(arg, &copy);
}

size_t hook_tables_read_live(const struct hook_tables *t, struct heapsnap_live *out, size_t max,
                             size_t *torn)
{
    size_t n = 0, busy = 0;
    for (uint64_t i = 0; i <= t->live_mask && n < max; i++) {
        int r = live_copy(t, &t->live[i], &out[n]);
        if (r < 0)
            busy++;
        else if (r > 0)
            n++;
    }
    if (torn)
        *torn = busy;
    return n;
}
