/* victim/scenarios.c: the table of scenarios (leak patterns first, then controls)
 * and the small helpers they share: ids, random sizes, the clock. */
#include "scenario.h"

#include <string.h>
#include <time.h>

const struct victim_scenario *const victim_scenarios[] = {
    &victim_scn_slice,   &victim_scn_map,      &victim_scn_queue,
    &victim_scn_strdup,  &victim_scn_errpath,  &victim_scn_steady,
    &victim_scn_plateau, &victim_scn_fragment, NULL,
};

const struct victim_scenario *victim_scenario_find(const char *name)
{
    for (size_t i = 0; victim_scenarios[i] != NULL; i++)
        if (strcmp(victim_scenarios[i]->name, name) == 0)
            return victim_scenarios[i];
    return NULL;
}

uint64_t victim_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t victim_rand(struct victim_ctx *ctx)
{
    uint64_t x = ctx->rng;
    if (x == 0) /* xorshift's one fixed point */
        x = 0x2545f4914f6cdd1dull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ctx->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

size_t victim_rand_range(struct victim_ctx *ctx, size_t lo, size_t hi)
{
    return lo + (size_t)(victim_rand(ctx) % (uint64_t)(hi - lo + 1));
}

uint64_t victim_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
