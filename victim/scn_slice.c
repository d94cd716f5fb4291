/* victim/scn_slice.c: the `slice` scenario, one buffer that keeps growing.
 * Imitates the Go-slice leak (`log = append(log, req)` on a long-lived slice that
 * is never truncated), as in C services that keep a realloc-doubling array of
 * recent requests "for debugging": bytes grow, the object count stays at one. */
#include "cap.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_KEEP 1024         /* --fixed: how many recent requests are worth keeping */
#define SLICE_SLACK (4096 + 16) /* most an allocation can cost beyond its size */

/* 1 KiB per request: the request line and the first bytes of its body. */
struct slice_request {
    uint64_t id;
    uint64_t when_ns;
    uint32_t status;
    uint32_t body_len;
    char path[104];
    char body[896];
};

struct slice_state {
    struct slice_request *items;
    size_t len, cap;
    size_t charged; /* bytes taken from the --max-mb budget for items */
    int full;       /* refused by the cap or the allocator: stop growing */
};

/* The leak site: appends one request, doubling the array with realloc when it is
 * full. Nothing ever shortens it. Returns 0, or -1 when it could not grow. */
VICTIM_SITE static int slice_append_request(struct slice_state *s, const struct slice_request *r)
{
    if (s->len == s->cap) {
        if (s->full)
            return -1;
        size_t want = s->cap ? s->cap * 2 : 16;
        size_t need = victim_cap_cost(want * sizeof(*r)) - s->charged;
        /* At least one more element must fit, counting an mmapped chunk's overhead. */
        size_t least = (s->cap + 1) * sizeof(*r) + SLICE_SLACK;
        least = least > s->charged ? least - s->charged : 1;
        size_t grow = victim_cap_take_upto(need, least);
        if (grow == 0) {
            s->full = 1;
            return -1;
        }
        /* At the cap, grow only as far as the budget reaches. */
        size_t newcap = want;
        if (grow < need)
            newcap = (s->charged + grow - SLICE_SLACK) / sizeof(*r);
        struct slice_request *p = realloc(s->items, newcap * sizeof(*r));
        if (p == NULL) {
            victim_cap_give(grow);
            victim_cap_alloc_failed("slice_append_request", newcap * sizeof(*r));
            s->full = 1;
            return -1;
        }
        s->items = p;
        s->cap = newcap;
        s->charged += grow;
    }
    s->items[s->len++] = *r;
    return 0;
}

/* --fixed: keeps a bounded window, the way `log = log[len(log)-keep:]` (with a
 * copy) bounds a Go slice; the array stops at 4 x SLICE_KEEP entries. */
VICTIM_SITE static void slice_truncate_requests(struct slice_state *s)
{
    if (s->len < 4 * SLICE_KEEP)
        return;
    memmove(s->items, s->items + (s->len - SLICE_KEEP), SLICE_KEEP * sizeof(*s->items));
    s->len = SLICE_KEEP;
}

static void slice_step(void *state, struct victim_ctx *ctx)
{
    struct slice_state *s = state;
    struct slice_request r;
    r.id = victim_mix(ctx->seed ^ ((uint64_t)ctx->thread << 48) ^ ctx->ops);
    r.when_ns = victim_now_ns();
    r.status = (r.id % 10) == 0 ? 500 : 200;
    r.body_len = (uint32_t)victim_rand_range(ctx, 0, sizeof(r.body));
    snprintf(r.path, sizeof(r.path), "/api/v1/orders/%llu", (unsigned long long)(r.id >> 20));
    memset(r.body, 'a' + (int)(r.id % 26), sizeof(r.body));
    if (ctx->fixed)
        slice_truncate_requests(s);
    slice_append_request(s, &r);
}

static void slice_stop(void *state, struct victim_ctx *ctx)
{
    struct slice_state *s = state;
    free(s->items);
    victim_cap_give(s->charged);
}

const struct victim_scenario victim_scn_slice = {
    .name = "slice",
    .leaks = 1,
    .summary = "request log in a realloc-doubling array, appended to and never truncated",
    .growth = "one buffer that keeps growing: bytes up, object count flat "
              "(slice_append_request)",
    .fix = "keeps only the last 1024 requests, so the array stops at 4 MiB",
    .state_size = sizeof(struct slice_state),
    .start = NULL,
    .step = slice_step,
    .stop = slice_stop,
};
