/* victim/scn_steady.c: the `steady` control, allocation at a high rate and a flat
 * heap. Imitates a healthy request handler: every request allocates a handful of
 * buffers of mixed sizes, grows one with realloc, and frees them all before it
 * returns. Nothing survives a request, so no call site may show growth. */
#include "cap.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#define STEADY_MAX_BLOCKS 32

struct steady_state {
    uint64_t requests;
};

VICTIM_SITE static void steady_handle_request(struct steady_state *st, struct victim_ctx *ctx)
{
    void *blocks[STEADY_MAX_BLOCKS];
    size_t costs[STEADY_MAX_BLOCKS];
    size_t n = victim_rand_range(ctx, 8, STEADY_MAX_BLOCKS), got = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = victim_rand_range(ctx, 16, 8192);
        size_t cost = victim_cap_cost(len);
        if (victim_cap_take(cost) != 0)
            break;
        void *p = (i % 4 == 0) ? calloc(1, len) : malloc(len);
        if (p == NULL) {
            victim_cap_give(cost);
            victim_cap_alloc_failed("steady_handle_request", len);
            break;
        }
        memset(p, (int)i, len);
        blocks[got] = p;
        costs[got++] = cost;
    }
    /* The response buffer grows once, as a builder's would. */
    if (got > 0) {
        size_t len = victim_rand_range(ctx, 8192, 16384);
        size_t cost = victim_cap_cost(len);
        if (victim_cap_take(cost) == 0) {
            void *p = realloc(blocks[0], len);
            if (p != NULL) {
                blocks[0] = p;
                victim_cap_give(costs[0]);
                costs[0] = cost;
            } else {
                victim_cap_give(cost);
                victim_cap_alloc_failed("steady_handle_request", len);
            }
        }
    }
    for (size_t i = 0; i < got; i++) {
        free(blocks[i]);
        victim_cap_give(costs[i]);
    }
    st->requests++;
}

static void steady_step(void *state, struct victim_ctx *ctx)
{
    steady_handle_request(state, ctx);
}

const struct victim_scenario victim_scn_steady = {
    .name = "steady",
    .leaks = 0,
    .summary = "each request allocates 8-32 buffers and frees them all",
    .growth = "nothing: a flat heap at a high allocation rate",
    .fix = NULL,
    .state_size = sizeof(struct steady_state),
    .start = NULL,
    .step = steady_step,
    .stop = NULL,
};
