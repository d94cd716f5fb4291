/* victim/scenario.h: the interface every heapsnap-victim scenario implements, and
 * the per-thread context it runs in. A worker thread calls start() once, step()
 * once per operation, stop() at the end; each thread owns its own state. */
#ifndef VICTIM_SCENARIO_H
#define VICTIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

/* Leak sites stay real, distinct frames: the analyzer and its tests look for
 * these function names, so gcc must neither inline nor clone them. */
#if defined(__clang__)
#define VICTIM_SITE __attribute__((noinline))
#else
#define VICTIM_SITE __attribute__((noinline, noclone))
#endif

struct victim_ctx {
    unsigned thread;  /* 0 .. threads-1 */
    unsigned threads; /* how many workers run this scenario */
    int fixed;        /* run the fixed version (--fixed) */
    uint64_t seed;    /* --seed, the same for every thread */
    uint64_t rng;     /* this thread's generator state (victim_rand) */
    uint64_t ops;     /* operations this thread has done before this step */
};

struct victim_scenario {
    const char *name;
    int leaks;           /* 1 for a leak pattern, 0 for a control */
    const char *summary; /* one line for --list */
    const char *growth;  /* what a profile shows, for the start banner */
    const char *fix;     /* what --fixed changes (NULL for controls) */
    size_t state_size;   /* zeroed per thread before start() */
    void (*start)(void *state, struct victim_ctx *ctx);
    void (*step)(void *state, struct victim_ctx *ctx);
    /* Frees what the state can still reach (leaked blocks stay leaked). */
    void (*stop)(void *state, struct victim_ctx *ctx);
};

extern const struct victim_scenario victim_scn_slice, victim_scn_map, victim_scn_queue,
    victim_scn_strdup, victim_scn_errpath, victim_scn_steady, victim_scn_plateau,
    victim_scn_fragment;

/* The scenarios in --list order, NULL-terminated. */
extern const struct victim_scenario *const victim_scenarios[];

/* The scenario called name, or NULL. */
const struct victim_scenario *victim_scenario_find(const char *name);

/* splitmix64: a bijection, so distinct inputs give distinct ids. */
uint64_t victim_mix(uint64_t x);

/* Next pseudo-random number of this thread (xorshift64*). */
uint64_t victim_rand(struct victim_ctx *ctx);

/* Uniform in [lo, hi]. */
size_t victim_rand_range(struct victim_ctx *ctx, size_t lo, size_t hi);

/* Monotonic clock in nanoseconds. */
uint64_t victim_now_ns(void);

#endif
