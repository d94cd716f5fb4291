/* victim/scn_fragment.c: the `fragment` control, free holes and nothing leaked.
 * Imitates the batch job that loads a burst of records, keeps one in sixteen and
 * frees the rest: the survivors pin the heap, so the free space between them
 * cannot go back to the kernel. RSS stays high while in-use memory is small and
 * flat; a heap walk shows the holes as free chunks, not as a leak. */
#include "cap.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#define FRAGMENT_BURST (64u << 20) /* bytes loaded at the start, across all threads */
#define FRAGMENT_KEEP_EVERY 16

struct fragment_state {
    void **kept;
    size_t *kept_cost;
    size_t nkept;
    size_t arrays_cost;
};

/* Loads the burst, then frees all but one record in FRAGMENT_KEEP_EVERY. */
VICTIM_SITE static void fragment_load_batch(struct fragment_state *f, struct victim_ctx *ctx)
{
    size_t burst = FRAGMENT_BURST;
    if (burst > victim_cap_limit() / 2)
        burst = victim_cap_limit() / 2; /* leave the cap room for the array and churn */
    burst /= ctx->threads;
    size_t max = burst / 1024 + 1;
    f->arrays_cost = victim_cap_cost(max * sizeof(void *)) + victim_cap_cost(max * sizeof(size_t));
    void **all = malloc(max * sizeof(*all));
    size_t *cost = malloc(max * sizeof(*cost));
    if (all == NULL || cost == NULL || victim_cap_take(f->arrays_cost) != 0) {
        if (all == NULL || cost == NULL)
            victim_cap_alloc_failed("fragment_load_batch", max * sizeof(*all));
        free(all);
        free(cost);
        f->arrays_cost = 0;
        return;
    }
    size_t n = 0, loaded = 0;
    while (n < max && loaded < burst) {
        size_t len = victim_rand_range(ctx, 1024, 4096);
        size_t c = victim_cap_cost(len);
        if (victim_cap_take(c) != 0)
            break;
        void *p = malloc(len);
        if (p == NULL) {
            victim_cap_give(c);
            victim_cap_alloc_failed("fragment_load_batch", len);
            break;
        }
        memset(p, (int)(n & 0xff), len);
        all[n] = p;
        cost[n++] = c;
        loaded += c;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % FRAGMENT_KEEP_EVERY == FRAGMENT_KEEP_EVERY - 1) {
            all[kept] = all[i];
            cost[kept++] = cost[i];
        } else {
            free(all[i]);
            victim_cap_give(cost[i]);
        }
    }
    f->kept = all;
    f->kept_cost = cost;
    f->nkept = kept;
}

/* After the burst: short-lived buffers that reuse the holes. */
VICTIM_SITE static void fragment_handle_request(struct victim_ctx *ctx)
{
    void *p[4];
    size_t c[4], got = 0;
    for (size_t i = 0; i < 4; i++) {
        size_t len = victim_rand_range(ctx, 512, 8192);
        c[got] = victim_cap_cost(len);
        if (victim_cap_take(c[got]) != 0)
            break;
        p[got] = malloc(len);
        if (p[got] == NULL) {
            victim_cap_give(c[got]);
            victim_cap_alloc_failed("fragment_handle_request", len);
            break;
        }
        memset(p[got], (int)i, len);
        got++;
    }
    for (size_t i = 0; i < got; i++) {
        free(p[i]);
        victim_cap_give(c[i]);
    }
}

static void fragment_start(void *state, struct victim_ctx *ctx)
{
    fragment_load_batch(state, ctx);
}

static void fragment_step(void *state, struct victim_ctx *ctx)
{
    fragment_handle_request(ctx);
}

static void fragment_stop(void *state, struct victim_ctx *ctx)
{
    struct fragment_state *f = state;
    for (size_t i = 0; i < f->nkept; i++) {
        free(f->kept[i]);
        victim_cap_give(f->kept_cost[i]);
    }
    free(f->kept);
    free(f->kept_cost);
    victim_cap_give(f->arrays_cost);
}

const struct victim_scenario victim_scn_fragment = {
    .name = "fragment",
    .leaks = 0,
    .summary = "loads a 64 MiB burst, keeps 1 record in 16: free holes, high RSS",
    .growth = "nothing after the burst at start: high RSS, small flat in-use, many free chunks",
    .fix = NULL,
    .state_size = sizeof(struct fragment_state),
    .start = fragment_start,
    .step = fragment_step,
    .stop = fragment_stop,
};
