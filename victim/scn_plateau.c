/* victim/scn_plateau.c: the `plateau` control, growth to a bound and then flat.
 * Imitates a correctly bounded cache warming up: it fills to its capacity of 4096
 * entries (about 4.5 MiB), then every new entry replaces an old one. Early
 * snapshots show growth; once full, nothing grows, and it is not a leak. */
#include "cap.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#define PLATEAU_ENTRIES 4096 /* across all threads */

struct plateau_entry {
    void *data;
    size_t cost;
};

struct plateau_state {
    struct plateau_entry *slots;
    size_t bound, count;
    size_t slots_cost;
};

static void plateau_start(void *state, struct victim_ctx *ctx)
{
    struct plateau_state *p = state;
    size_t bound = PLATEAU_ENTRIES / ctx->threads;
    p->bound = bound > 0 ? bound : 1;
    p->slots_cost = victim_cap_cost(p->bound * sizeof(*p->slots));
    if (victim_cap_take(p->slots_cost) != 0) {
        p->slots_cost = 0;
        return;
    }
    p->slots = calloc(p->bound, sizeof(*p->slots));
    if (p->slots == NULL) {
        victim_cap_give(p->slots_cost);
        p->slots_cost = 0;
        victim_cap_alloc_failed("plateau_start", p->bound * sizeof(*p->slots));
    }
}

/* Stores an entry in slot i, replacing what was there. */
VICTIM_SITE static void plateau_store_entry(struct plateau_state *p, size_t i, size_t len)
{
    size_t cost = victim_cap_cost(len);
    if (victim_cap_take(cost) != 0)
        return;
    void *data = malloc(len);
    if (data == NULL) {
        victim_cap_give(cost);
        victim_cap_alloc_failed("plateau_store_entry", len);
        return;
    }
    memset(data, (int)(i & 0xff), len);
    if (p->slots[i].data != NULL) {
        free(p->slots[i].data);
        victim_cap_give(p->slots[i].cost);
    } else {
        p->count++;
    }
    p->slots[i].data = data;
    p->slots[i].cost = cost;
}

static void plateau_step(void *state, struct victim_ctx *ctx)
{
    struct plateau_state *p = state;
    if (p->slots == NULL)
        return;
    size_t i = p->count < p->bound ? p->count : victim_rand_range(ctx, 0, p->bound - 1);
    plateau_store_entry(p, i, victim_rand_range(ctx, 256, 2048));
}

static void plateau_stop(void *state, struct victim_ctx *ctx)
{
    struct plateau_state *p = state;
    if (p->slots == NULL)
        return;
    for (size_t i = 0; i < p->bound; i++) {
        free(p->slots[i].data);
        victim_cap_give(p->slots[i].cost);
    }
    free(p->slots);
    victim_cap_give(p->slots_cost);
}

const struct victim_scenario victim_scn_plateau = {
    .name = "plateau",
    .leaks = 0,
    .summary = "a bounded cache that fills to 4096 entries, then replaces old ones",
    .growth = "growth to about 4.5 MiB in the first seconds, then flat",
    .fix = NULL,
    .state_size = sizeof(struct plateau_state),
    .start = plateau_start,
    .step = plateau_step,
    .stop = plateau_stop,
};
