/* hook/hook_sampler.c: the exponential sampling thresholds behind
 * HEAPSNAP_RATE, as in Go's runtime (mallocgc's nextSample): a sample every
 * `rate` bytes on average, unbiased for any allocation size mix. */
#include "hook_sampler.h"

#include <math.h>

/* splitmix64: spreads a weak seed (tid, time) over all 64 bits. */
void hook_rng_seed(uint64_t *state, uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    *state = z ? z : 1; /* xorshift never leaves 0 */
}

/* xorshift64*: fast, no allocation, good enough for sampling. */
uint64_t hook_rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int64_t hook_sampler_draw(uint64_t *rng, uint64_t rate)
{
    if (rate == 0)
        return HOOK_SAMPLE_NEVER;
    if (rate == 1)
        return 0;
    /* u in (0, 1]: 53 random bits, never 0, so log(u) is finite. */
    double u = (double)((hook_rng_next(rng) >> 11) + 1) * 0x1.0p-53;
    double x = -log(u) * (double)rate;
    if (x > (double)HOOK_SAMPLE_NEVER)
        x = (double)HOOK_SAMPLE_NEVER;
    return (int64_t)x + 1;
}

bool hook_sampler_decide(struct hook_sampler *s, uint64_t rate, uint64_t n, uint64_t seed)
{
    if (s->rng == 0) {
        /* First allocation of this thread: the countdown was 0, not a real
         * threshold, so draw one and charge this allocation against it. */
        hook_rng_seed(&s->rng, seed);
        int64_t t = hook_sampler_draw(&s->rng, rate);
        s->countdown = (int64_t)((uint64_t)t - n);
        if (s->countdown > 0)
            return false;
    }
    s->countdown = hook_sampler_draw(&s->rng, rate);
    return rate != 0;
}
