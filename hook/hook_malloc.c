/* hook/hook_malloc.c: the interposed allocator entry points. Each one forwards
 * to the real allocator by a tail call; the unsampled path costs a
 * subtraction and a branch (allocation) or a bit of the filter's summary and
 * a branch (free), and a test of the park word. Everything else is on the
 * slow paths: sampling, the frees of sampled and unseen blocks, heapsnap's
 * park request, and the size-class counters, which run only while the hook
 * serves /debug/pprof (hook_counts.h; every call is then a slow one;
 * otherwise the blocks the hook does not count are recorded as unseen,
 * hook_unseen.h, and heapsnap reads the totals from the heap). Before dlsym
 * has found the real functions, requests are served from a static bootstrap
 * buffer, which is how dlsym's own calloc gets its memory. */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook_forklock.h"
#include "hook_internal.h"
#include "hook_safepoint.h"
#include "hook_stack.h"
#include "hook_unseen.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

__thread struct hook_thread hook_thread __attribute__((tls_model("initial-exec")));

/* The counters' slots: static, so that no allocation is needed to count, and
 * untouched (no memory) beyond the slots threads have taken. */
static struct heapsnap_counts count_slots[HOOK_COUNT_SLOTS] __attribute__((aligned(64)));
struct hook_counts_table hook_counts = {count_slots, HOOK_COUNT_SLOTS, 0};
int hook_counting;
int hook_glibc_next;
static pthread_key_t counts_key;

/* ---- bootstrap: memory for dlsym before malloc exists ---- */

#define BOOT_SIZE (64 * 1024)
static char boot_buf[BOOT_SIZE] __attribute__((aligned(64)));
static size_t boot_used;

static bool boot_owns(const void *p)
{
    return (const char *)p >= boot_buf && (const char *)p < boot_buf + BOOT_SIZE;
}

/* Bump allocation; a 16-byte header keeps the size for realloc and
 * malloc_usable_size. Blocks are never reused, so they stay zeroed (calloc). */
static void *boot_alloc(size_t n, size_t align)
{
    if (align < 16)
        align = 16;
    size_t used = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
    for (;;) {
        size_t start = (used + 16 + align - 1) & ~(align - 1);
        if (align > BOOT_SIZE || n > BOOT_SIZE || start + n > BOOT_SIZE) {
            errno = ENOMEM;
            return NULL;
        }
        if (__atomic_compare_exchange_n(&boot_used, &used, start + n, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
            char *p = boot_buf + start;
            memcpy(p - 8, &n, sizeof(n));
            /* Make free() take its slow path for this address, where it is
             * recognised and ignored instead of reaching glibc. */
            hook_filter_saturate(&hook_filter, (uint64_t)(uintptr_t)p);
            return p;
        }
    }
}

static size_t boot_size(const void *p)
{
    size_t n;
    memcpy(&n, (const char *)p - 8, sizeof(n));
    return n;
}

/* ---- resolving the real allocator ---- */

static void *early_malloc(size_t n);
static void early_free(void *p);
static void *early_calloc(size_t a, size_t b);
static void *early_realloc(void *p, size_t n);
static void *early_memalign(size_t al, size_t n);
static int early_posix_memalign(void **out, size_t al, size_t n);
static void *early_aligned_alloc(size_t al, size_t n);
static void *early_valloc(size_t n);
static void *early_pvalloc(size_t n);
static size_t early_usable(void *p);

struct hook_real hook_real = {
    early_malloc,         early_free,          early_calloc, early_realloc, early_memalign,
    early_posix_memalign, early_aligned_alloc, early_valloc, early_pvalloc, early_usable,
};

enum { RESOLVE_NONE, RESOLVE_RUNNING, RESOLVE_DONE };
static int resolve_state;

static void die(const char *msg)
{
    ssize_t r = write(2, msg, strlen(msg));
    (void)r;
    abort();
}

#define NEXT(field, name)                                                                          \
    do {                                                                                           \
        r.field = dlsym(RTLD_NEXT, name);                                                          \
        if (!r.field)                                                                              \
            die("libheapsnap: dlsym(RTLD_NEXT, \"" name "\") failed: load libheapsnap.so "         \
                "before glibc (LD_PRELOAD or -lheapsnap) in a glibc process.\n");                  \
    } while (0)

/* True for glibc's libc.so.6 (or an old libc-2.NN.so). */
static bool is_glibc(const char *path)
{
    if (!path)
        return false;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0;
}

/* Returns true when the real functions are available; false while this very
 * thread is inside dlsym (the caller then uses the bootstrap buffer). */
static bool resolve(void)
{
    if (LIKELY(__atomic_load_n(&resolve_state, __ATOMIC_ACQUIRE) == RESOLVE_DONE))
        return true;
    if (hook_thread.resolving)
        return false;
    int expect = RESOLVE_NONE;
    if (__atomic_compare_exchange_n(&resolve_state, &expect, RESOLVE_RUNNING, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        struct hook_real r;
        hook_thread.resolving = 1;
        NEXT(malloc, "malloc");
        NEXT(free, "free");
        NEXT(calloc, "calloc");
        NEXT(realloc, "realloc");
        NEXT(memalign, "memalign");
        NEXT(posix_memalign, "posix_memalign");
        NEXT(aligned_alloc, "aligned_alloc");
        NEXT(valloc, "valloc");
        NEXT(pvalloc, "pvalloc");
        NEXT(malloc_usable_size, "malloc_usable_size");
        hook_thread.resolving = 0;
        hook_real = r;
        /* The counters read glibc's chunk headers, and heapsnap walks glibc's
         * heap: only when glibc is next. */
        Dl_info info;
        if (dladdr((void *)r.malloc, &info) != 0 && is_glibc(info.dli_fname))
            __atomic_store_n(&hook_glibc_next, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&resolve_state, RESOLVE_DONE, __ATOMIC_RELEASE);
        return true;
    }
    while (__atomic_load_n(&resolve_state, __ATOMIC_ACQUIRE) != RESOLVE_DONE)
        sched_yield();
    return true;
}

static void *early_malloc(size_t n)
{
    return resolve() ? hook_real.malloc(n) : boot_alloc(n, 16);
}

static void early_free(void *p)
{
    if (boot_owns(p))
        return;
    if (resolve())
        hook_real.free(p);
}

static void *early_calloc(size_t a, size_t b)
{
    size_t n;
    if (resolve())
        return hook_real.calloc(a, b);
    if (__builtin_mul_overflow(a, b, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return boot_alloc(n, 16);
}

static void *early_realloc(void *p, size_t n)
{
    if (resolve())
        return hook_real.realloc(p, n);
    void *q = boot_alloc(n, 16);
    if (q && p)
        memcpy(q, p, boot_size(p) < n ? boot_size(p) : n);
    return q;
}

static void *early_memalign(size_t al, size_t n)
{
    return resolve() ? hook_real.memalign(al, n) : boot_alloc(n, al);
}

static int early_posix_memalign(void **out, size_t al, size_t n)
{
    if (resolve())
        return hook_real.posix_memalign(out, al, n);
    *out = boot_alloc(n, al);
    return *out ? 0 : ENOMEM;
}

static void *early_aligned_alloc(size_t al, size_t n)
{
    return resolve() ? hook_real.aligned_alloc(al, n) : boot_alloc(n, al);
}

static void *early_valloc(size_t n)
{
    return resolve() ? hook_real.valloc(n) : boot_alloc(n, 4096);
}

static void *early_pvalloc(size_t n)
{
    return resolve() ? hook_real.pvalloc(n) : boot_alloc((n + 4095) & ~(size_t)4095, 4096);
}

static size_t early_usable(void *p)
{
    if (boot_owns(p))
        return boot_size(p);
    return resolve() ? hook_real.malloc_usable_size(p) : 0;
}

/* ---- counting (exact live totals per size class) ---- */

static void counts_thread_exit(void *slot)
{
    if (hook_thread.counts == slot)
        hook_thread.counts = NULL;
    if (hook_thread.counts_saved == slot)
        hook_thread.counts_saved = NULL;
    hook_counts_release(slot);
}

void hook_counts_start(void)
{
    if (pthread_key_create(&counts_key, counts_thread_exit) != 0)
        return; /* slots would never come back */
    heapsnap_registry.counts_addr = (uint64_t)(uintptr_t)hook_counts.slots;
    heapsnap_registry.counts_slots = hook_counts.nslots;
    heapsnap_registry.counts_slot_size = sizeof(struct heapsnap_counts);
    heapsnap_registry.counts_nclasses = HEAPSNAP_NCLASSES;
    hook_filter_fill(&hook_filter); /* every free to the slow path, where it is counted */
    __atomic_store_n(&hook_counting, 1, __ATOMIC_RELAXED);
}

void hook_counts_atfork_child(void)
{
    hook_counts_fork_child(&hook_counts,
                           hook_thread.counts ? hook_thread.counts : hook_thread.counts_saved);
}

/* A chunk to count (the counters run: its callers test that) and no slot at
 * hand: take one for this thread (given back at its exit), or add to the
 * shared slot when none is left. Nothing is counted before sampling starts
 * or for the hook's own blocks, so the totals are what the sampler could
 * have seen. */
static __attribute__((noinline)) void count_slow(uint64_t w, uint64_t sign)
{
    struct hook_thread *t = &hook_thread;
    if (t->guard)
        return;
    if (!__atomic_load_n(&hook_ready, __ATOMIC_ACQUIRE))
        return;
    struct heapsnap_counts *c = hook_counts_claim(&hook_counts);
    if (!c) {
        hook_counts_update_shared(&hook_counts.slots[hook_counts.nslots - 1], w, sign);
        return;
    }
    t->counts = c;
    pthread_setspecific(counts_key, c);
    hook_counts_update(c, w, sign);
}

/* Counts the chunk of size word w (0: no chunk) as allocated (sign 1) or
 * freed (sign -1). */
static inline void count_word(uint64_t w, uint64_t sign)
{
    if (LIKELY(!__atomic_load_n(&hook_counting, __ATOMIC_RELAXED)))
        return;
    struct heapsnap_counts *c = hook_thread.counts;
    if (LIKELY(c != NULL && w != 0))
        hook_counts_update(c, w, sign);
    else if (w != 0)
        count_slow(w, sign);
}

/* The size word of p's chunk, or 0 for no block. Read only when the counters
 * run: under another allocator (jemalloc, tcmalloc) the word before a block
 * may not even be mapped. */
static inline uint64_t chunk_word(const void *p)
{
    return p && __atomic_load_n(&hook_counting, __ATOMIC_RELAXED) ? hook_chunk_word(p) : 0;
}

/* count_word for a block that may be NULL (free(NULL), a failed malloc).
 * The counters run only under glibc, so the header may be read. */
static inline void count_block(const void *p, uint64_t sign)
{
    if (LIKELY(!__atomic_load_n(&hook_counting, __ATOMIC_RELAXED)) || UNLIKELY(p == NULL))
        return;
    struct heapsnap_counts *c = hook_thread.counts;
    if (LIKELY(c != NULL))
        hook_counts_update(c, hook_chunk_word(p), sign);
    else
        count_slow(hook_chunk_word(p), sign);
}

/* ---- recording ---- */

static bool table_lock(void)
{
    return hook_forklock_shared();
}

static void table_unlock(bool locked)
{
    hook_forklock_unshare(locked);
}

/* The stripe of the stack counters this thread adds to: its fork-lock
 * stripe, which table_lock has given it. */
static unsigned table_stripe(void)
{
    return (unsigned)hook_thread.stripe;
}

/* The slow path of every allocation whose byte count crossed the thread's
 * threshold: decide, and record p with the caller's stack if sampled. Inlined
 * into malloc_sampled, so that a sampled malloc puts one frame of the hook
 * between the capture and its caller; maybe_sample for the other entry
 * points. */
static inline __attribute__((always_inline)) void sample(void *p, size_t n)
{
    struct hook_thread *t = &hook_thread;
    if (t->guard) {
        /* The hook's own allocation: unseen. The countdown stays <= 0, so
         * that every one comes here, and is restored on exit. */
        t->sampler.countdown = 0;
        if (p)
            hook_unseen_record(p);
        return;
    }
    if (!__atomic_load_n(&hook_ready, __ATOMIC_ACQUIRE) || !p) {
        /* Sampling off for good (HEAPSNAP_RATE=0): never come here again.
         * Otherwise the countdown stays <= 0: decide again once ready, and
         * until then p is unseen. */
        if (__atomic_load_n(&hook_started, __ATOMIC_ACQUIRE) &&
            !__atomic_load_n(&hook_ready, __ATOMIC_ACQUIRE))
            t->sampler.countdown = HOOK_SAMPLE_NEVER;
        else if (p)
            hook_unseen_record(p);
        return;
    }
    /* The seed only matters to a thread's first decision; rdtsc costs 10-20 ns
     * here (a glibc operation is about 100), so not on every sample. */
    uint64_t seed = t->sampler.rng == 0 ? (uint64_t)(uintptr_t)t ^ __builtin_ia32_rdtsc() : 0;
    if (!hook_sampler_decide(&t->sampler, hook_rate, n, seed))
        return;
    int64_t saved = hook_guard_enter();
    uint64_t frames[HEAPSNAP_MAX_FRAMES];
    uint32_t nframes = hook_stack_capture(frames);
    bool locked = table_lock();
    hook_record_alloc(&hook_tables, (uint64_t)(uintptr_t)p, n, frames, nframes, table_stripe());
    table_unlock(locked);
    hook_guard_exit(saved);
}

static __attribute__((noinline)) void maybe_sample(void *p, size_t n)
{
    sample(p, n);
}

/* Forgets p if it is a sampled or an unseen block; true if it was (entry,
 * USED or UNSEEN, in *out). The filter's summary sent p here (or a park
 * request, or the counters); its count says whether the table can hold p. */
static bool forget(void *p, struct heapsnap_live *out)
{
    if (!hook_filter_counted(&hook_filter, (uint64_t)(uintptr_t)p))
        return false;
    bool locked = table_lock();
    bool was = hook_unseen_forget(p, out, table_stripe());
    table_unlock(locked);
    return was;
}

/* True when forget found p among the unseen blocks: the counters never
 * counted it, so its free is not counted either. */
static bool was_unseen(bool was, const struct heapsnap_live *e)
{
    return was && e->state == HEAPSNAP_LIVE_UNSEEN;
}

/* ---- the slow paths ----
 * An entry point takes its slow path when the sampler's countdown ran out,
 * when the filter's summary may hold the block it frees, or when heapsnap's
 * park request is posted. Each slow path parks first if a request is posted
 * (the thread is then outside the allocator), runs inside the safepoint's
 * bracket, and parks on its way out if a request came meanwhile.
 *
 * With the counters (HEAPSNAP_HTTP), every call is a slow one: the thread's
 * countdown is kept at 0, the sampler's own in `shadow`, and the filter's
 * summary is full. */

/* Begins a slow path whose fast path's tick said tick; returns whether the
 * allocation reaches the sampler's decision. */
static inline bool slow_begin(bool tick)
{
    struct hook_thread *t = &hook_thread;
    if (UNLIKELY(hook_safepoint_posted()))
        hook_safepoint_park();
    hook_safepoint_enter();
    if (__atomic_load_n(&hook_counting, __ATOMIC_RELAXED) && t->guard == 0) {
        /* The countdown was 0 before the fast path subtracted (or it is a
         * call that does not count down: tick false, nothing subtracted). */
        t->sampler.countdown += t->shadow;
        t->shadow = 0;
        return tick && t->sampler.countdown <= 0;
    }
    return tick;
}

static inline void slow_end(void)
{
    struct hook_thread *t = &hook_thread;
    if (__atomic_load_n(&hook_counting, __ATOMIC_RELAXED) && t->guard == 0) {
        t->shadow = t->sampler.countdown;
        t->sampler.countdown = 0;
    }
    hook_safepoint_exit();
}

static __attribute__((noinline)) void *malloc_slow(size_t n, bool tick)
{
    tick = slow_begin(tick);
    void *p = hook_real.malloc(n);
    count_block(p, 1);
    if (tick)
        sample(p, n);
    slow_end();
    return p;
}

static __attribute__((noinline)) void *calloc_slow(size_t a, size_t b, size_t n, bool tick)
{
    tick = slow_begin(tick);
    void *p = hook_real.calloc(a, b);
    count_block(p, 1);
    if (tick)
        maybe_sample(p, n);
    slow_end();
    return p;
}

/* free(NULL), a block that may be sampled or unseen, a park request, or the
 * counters. */
static __attribute__((noinline)) void free_slow(void *p)
{
    slow_begin(false);
    if (p != NULL && !boot_owns(p)) {
        /* Out of the table before glibc may hand the address to another thread. */
        struct heapsnap_live e;
        bool was = forget(p, &e);
        if (!was_unseen(was, &e))
            count_block(p, (uint64_t)-1);
        hook_real.free(p);
    }
    slow_end();
}

/* realloc is a free of the old block and an allocation of the new one, as the
 * caller sees it (Go's append does the same). */
static void *realloc_work(void *p, size_t n, bool tick)
{
    if (boot_owns(p)) {
        void *q = malloc(n);
        if (q)
            memcpy(q, p, boot_size(p) < n ? boot_size(p) : n);
        return q;
    }
    if (p == NULL) { /* an allocation: nothing to forget or to count as freed */
        void *q = hook_real.realloc(p, n);
        count_block(q, 1);
        if (tick)
            maybe_sample(q, n);
        return q;
    }
    struct heapsnap_live old;
    bool was = forget(p, &old);
    uint64_t w = chunk_word(p);
    void *q = hook_real.realloc(p, n);
    if (!q && n != 0) {
        /* Failed: the old block is still there, still sampled or unseen. */
        if (was) {
            bool locked = table_lock();
            hook_unseen_unforget(&old, table_stripe());
            table_unlock(locked);
        }
        return NULL;
    }
    if (!was_unseen(was, &old))
        count_word(w, (uint64_t)-1); /* realloc(p, 0) frees p and returns NULL */
    count_word(chunk_word(q), 1);
    if (tick)
        maybe_sample(q, n);
    return q;
}

static __attribute__((noinline)) void *realloc_slow(void *p, size_t n, bool tick)
{
    tick = slow_begin(tick);
    void *q = realloc_work(p, n, tick);
    slow_end();
    return q;
}

/* The aligned allocations: not on anyone's hot path, so always slow. */
static void *aligned_slow(void *(*real)(size_t, size_t), size_t al, size_t n)
{
    bool tick = slow_begin(hook_sampler_tick(&hook_thread.sampler, n));
    void *p = real(al, n);
    count_block(p, 1);
    if (tick)
        maybe_sample(p, n);
    slow_end();
    return p;
}

static void *pagealigned_slow(void *(*real)(size_t), size_t n)
{
    bool tick = slow_begin(hook_sampler_tick(&hook_thread.sampler, n));
    void *p = real(n);
    count_block(p, 1);
    if (tick)
        maybe_sample(p, n);
    slow_end();
    return p;
}

/* ---- the exported entry points ----
 * The fast paths: the sampler's subtraction (allocations), the filter's
 * summary bit (frees), the park word, and a tail call into the real
 * allocator -- no frame, no work after it. heapsnap therefore tells a thread
 * inside glibc's allocator by its pc and stack (lib/heap/heap_busy.c), not by
 * a word kept here, and such a thread, let run, parks at its next entry. */

HOOK_EXPORT void *malloc(size_t n)
{
    bool tick = hook_sampler_tick(&hook_thread.sampler, n);
    if (UNLIKELY(tick) || UNLIKELY(hook_safepoint_posted()))
        return malloc_slow(n, tick);
    return hook_real.malloc(n);
}

HOOK_EXPORT void free(void *p)
{
    if (UNLIKELY(hook_maybe_live(p)) || UNLIKELY(hook_safepoint_posted())) {
        free_slow(p);
        return;
    }
    hook_real.free(p);
}

HOOK_EXPORT void *calloc(size_t a, size_t b)
{
    size_t n;
    if (UNLIKELY(__builtin_mul_overflow(a, b, &n)))
        return hook_real.calloc(a, b); /* glibc sets ENOMEM */
    bool tick = hook_sampler_tick(&hook_thread.sampler, n);
    if (UNLIKELY(tick) || UNLIKELY(hook_safepoint_posted()))
        return calloc_slow(a, b, n, tick);
    return hook_real.calloc(a, b);
}

HOOK_EXPORT void *realloc(void *p, size_t n)
{
    bool tick = hook_sampler_tick(&hook_thread.sampler, n);
    if (UNLIKELY(tick) || UNLIKELY(hook_maybe_live(p)) || UNLIKELY(hook_safepoint_posted()))
        return realloc_slow(p, n, tick);
    return hook_real.realloc(p, n);
}

HOOK_EXPORT void *reallocarray(void *p, size_t a, size_t b)
{
    size_t n;
    if (__builtin_mul_overflow(a, b, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n);
}

HOOK_EXPORT void *memalign(size_t al, size_t n)
{
    return aligned_slow(hook_real.memalign, al, n);
}

HOOK_EXPORT int posix_memalign(void **out, size_t al, size_t n)
{
    bool tick = slow_begin(hook_sampler_tick(&hook_thread.sampler, n));
    int rc = hook_real.posix_memalign(out, al, n);
    if (rc == 0)
        count_word(chunk_word(*out), 1);
    if (tick && rc == 0)
        maybe_sample(*out, n);
    slow_end();
    return rc;
}

HOOK_EXPORT void *aligned_alloc(size_t al, size_t n)
{
    return aligned_slow(hook_real.aligned_alloc, al, n);
}

HOOK_EXPORT void *valloc(size_t n)
{
    return pagealigned_slow(hook_real.valloc, n);
}

HOOK_EXPORT void *pvalloc(size_t n)
{
    return pagealigned_slow(hook_real.pvalloc, n);
}

HOOK_EXPORT size_t malloc_usable_size(void *p)
{
    if (UNLIKELY(boot_owns(p)))
        return boot_size(p);
    return hook_real.malloc_usable_size(p);
}

void hook_resolve_real(void)
{
    resolve();
}

/* Hidden aliases: their addresses are this library's functions even when
 * the process's own lookup of "malloc" finds glibc's (after a dlopen). */
/* NOLINTBEGIN(bugprone-macro-parentheses): self is a declarator, name a symbol */
#define SELF(name, self)                                                                           \
    extern __typeof(name) self __attribute__((copy(name), alias(#name), visibility("hidden")))
/* NOLINTEND(bugprone-macro-parentheses) */
SELF(malloc, self_malloc);
SELF(free, self_free);
SELF(calloc, self_calloc);
SELF(realloc, self_realloc);
SELF(memalign, self_memalign);
SELF(posix_memalign, self_posix_memalign);
SELF(aligned_alloc, self_aligned_alloc);
SELF(valloc, self_valloc);
SELF(pvalloc, self_pvalloc);
SELF(malloc_usable_size, self_malloc_usable_size);
SELF(reallocarray, hook_self_reallocarray);

const struct hook_real hook_self = {
    self_malloc,         self_free,          self_calloc, self_realloc, self_memalign,
    self_posix_memalign, self_aligned_alloc, self_valloc, self_pvalloc, self_malloc_usable_size,
};

void hook_thread_mark_own(void)
{
    hook_thread.guard = 1;
    hook_thread.counts = hook_thread.counts_saved = NULL;
    hook_thread.sampler.countdown = 0; /* every block of its own is unseen */
}
