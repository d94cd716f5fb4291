/* bench/hookparts.c: the default-rate fast path of libheapsnap.so taken
 * apart. Built by bench/hookparts as a preloadable pass-through to glibc
 * (malloc, free, calloc, realloc) with each piece of the hook's unsampled
 * path switched on by a macro, so that its cost can be measured alone:
 *
 *   HP_SAFEPOINT  the per-thread "inside" word set and cleared around each
 *                 call, and the load of the park request on the way out
 *   HP_COUNTERS   the exact size-class counter: the chunk's size word, one
 *                 add to the thread's slot (a slot taken on first use)
 *   HP_FILTER     free's filter byte, a cell per 4 KiB page (never set here)
 *   HP_COUNTDOWN  the sampler's countdown (re-armed, never sampling)
 *
 * Each piece is written as the hook writes it (hook_safepoint.h,
 * hook_counts.h, hook_internal.h, hook_sampler.h), in the same one-line TLS
 * block; what it leaves out is sampling itself. */
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

struct __attribute__((aligned(64))) hp_thread {
    int64_t countdown;
    uint64_t rng;
    uint64_t *counts;
    uint64_t pad[3];
    uint32_t inside, parked;
};
static __thread struct hp_thread hp __attribute__((tls_model("initial-exec")));
static uint64_t hp_slots[64][256] __attribute__((aligned(64)));
static unsigned hp_nslots;
static volatile uint32_t hp_park;
/* Not static: a static array nothing writes reads as zero to the compiler,
 * which then drops the load (the filter piece measured nothing until
 * 2026-12-07). The hook's filter is written by its sampler. */
uint8_t hp_filter[1u << 16] __attribute__((visibility("hidden")));
static volatile int hp_parked_sink;

static inline void hp_enter(void)
{
#if HP_SAFEPOINT
    hp.inside++;
#endif
}

static inline void hp_exit(void)
{
#if HP_SAFEPOINT
    hp.inside--;
    if (__builtin_expect(hp_park != 0, 0))
        hp_parked_sink = 1;
#endif
}

static __attribute__((noinline)) uint64_t *hp_claim(void)
{
    hp.counts = hp_slots[__atomic_fetch_add(&hp_nslots, 1, __ATOMIC_RELAXED) % 64];
    return hp.counts;
}

static inline void hp_count(const void *p, uint64_t sign)
{
#if HP_COUNTERS
    if (p == NULL)
        return;
    uint64_t *c = hp.counts;
    if (__builtin_expect(c == NULL, 0))
        c = hp_claim();
    uint64_t w = ((const uint64_t *)p)[-1];
    if (__builtin_expect(w <= 0x407, 1))
        c[w >> 4] += sign;
    else
        c[130 + (63 ^ (unsigned)__builtin_clzll(w))] += sign;
#else
    (void)p;
    (void)sign;
#endif
}

static inline void hp_tick(size_t n)
{
#if HP_COUNTDOWN
    hp.countdown -= (int64_t)n;
    if (__builtin_expect(hp.countdown <= 0, 0))
        hp.countdown = 524288;
#else
    (void)n;
#endif
}

static inline void hp_filter_check(const void *p)
{
#if HP_FILTER
    uint64_t a = (uint64_t)(uintptr_t)p;
    if (__builtin_expect(hp_filter[((a >> 12) ^ (a >> 28)) & 0xffff] != 0, 0))
        hp_parked_sink = 2;
#else
    (void)p;
#endif
}

void *malloc(size_t n)
{
    hp_enter();
    hp_tick(n);
    void *p = __libc_malloc(n);
    hp_count(p, 1);
    hp_exit();
    return p;
}

void free(void *p)
{
    hp_enter();
    hp_filter_check(p);
    hp_count(p, (uint64_t)-1);
    __libc_free(p);
    hp_exit();
}

void *calloc(size_t a, size_t b)
{
    hp_enter();
    hp_tick(a * b);
    void *p = __libc_calloc(a, b);
    hp_count(p, 1);
    hp_exit();
    return p;
}

void *realloc(void *p, size_t n)
{
    hp_enter();
    hp_tick(n);
    hp_filter_check(p);
    hp_count(p, (uint64_t)-1);
    void *q = __libc_realloc(p, n);
    hp_count(q, 1);
    hp_exit();
    return q;
}
