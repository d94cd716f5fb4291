/* hook/hook_sampler.h: Go-style allocation sampling. Each thread counts
 * allocated bytes down from an exponentially distributed threshold whose mean
 * is the sampling rate (Go's MemProfileRate); the allocation that crosses it is
 * sampled. Pure code, no allocator, testable without preloading. */
#ifndef HOOK_SAMPLER_H
#define HOOK_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#define HOOK_RATE_DEFAULT 524288u
/* A threshold that is never reached in practice (rate 0 or the hook's own work). */
#define HOOK_SAMPLE_NEVER ((int64_t)1 << 62)

/* Per-thread sampler. All-zero is the valid "not yet seeded" state, so a fresh
 * thread's TLS needs no constructor. */
struct hook_sampler {
    int64_t countdown; /* bytes left before the next sample; <= 0 means "decide now" */
    uint64_t rng;      /* xorshift64* state; 0 = unseeded */
};

/* The fast path: subtract and branch. True when the allocation of n bytes needs
 * the slow path (hook_sampler_decide). Unsigned arithmetic so that any n wraps
 * instead of overflowing. */
static inline bool hook_sampler_tick(struct hook_sampler *s, uint64_t n)
{
    s->countdown = (int64_t)((uint64_t)s->countdown - n);
    return __builtin_expect(s->countdown <= 0, 0);
}

void hook_rng_seed(uint64_t *state, uint64_t seed);
uint64_t hook_rng_next(uint64_t *state);

/* Bytes until the next sample: exponential with mean rate; 0 when rate is 1
 * (every allocation), HOOK_SAMPLE_NEVER when rate is 0. */
int64_t hook_sampler_draw(uint64_t *rng, uint64_t rate);

/* The slow path after hook_sampler_tick returned true for an allocation of n
 * bytes: seeds an unseeded sampler with seed, decides whether this allocation
 * is sampled and re-arms the countdown. */
bool hook_sampler_decide(struct hook_sampler *s, uint64_t rate, uint64_t n, uint64_t seed);

#endif
