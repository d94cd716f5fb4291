/* victim/scn_map.c: the `map` scenario, more and more entries.
 * Imitates the session table keyed by per-request ids that nobody evicts (Go's
 * `sessions[reqID] = s` in a package-level map; memcached-style tables without a
 * TTL): every request adds an entry, none is ever deleted. */
#include "cap.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_TTL_REQUESTS 1024 /* --fixed: a session expires after this many requests */

struct map_session {
    struct map_session *next;
    uint64_t id;
    uint64_t created_ns;
    uint32_t hits;
    char user[36];
    char token[64];
};

struct map_state {
    struct map_session **buckets;
    size_t nbuckets, count;
    size_t buckets_charged;
};

static size_t map_slot(const struct map_state *m, uint64_t id)
{
    return (size_t)(victim_mix(id) & (m->nbuckets - 1));
}

/* Doubles the bucket array when the table is 3/4 full (calloc + rehash). */
VICTIM_SITE static void map_grow_buckets(struct map_state *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 64;
    size_t cost = victim_cap_cost(n * sizeof(*m->buckets));
    if (victim_cap_take_quiet(cost) != 0)
        return; /* at the cap: longer chains, same memory */
    struct map_session **b = calloc(n, sizeof(*b));
    if (b == NULL) {
        victim_cap_give(cost);
        victim_cap_alloc_failed("map_grow_buckets", n * sizeof(*b));
        return;
    }
    struct map_state old = *m;
    m->buckets = b;
    m->nbuckets = n;
    for (size_t i = 0; i < old.nbuckets; i++) {
        struct map_session *e = old.buckets[i], *next;
        for (; e != NULL; e = next) {
            next = e->next;
            size_t slot = map_slot(m, e->id);
            e->next = b[slot];
            b[slot] = e;
        }
    }
    free(old.buckets);
    victim_cap_give(old.buckets_charged);
    m->buckets_charged = cost;
}

/* The leak site: one new entry per request id, kept forever. */
VICTIM_SITE static struct map_session *map_remember_session(struct map_state *m, uint64_t id,
                                                            uint64_t now)
{
    if (m->nbuckets == 0 || m->count >= m->nbuckets / 4 * 3)
        map_grow_buckets(m);
    if (m->nbuckets == 0)
        return NULL;
    if (victim_cap_take(victim_cap_cost(sizeof(struct map_session))) != 0)
        return NULL;
    struct map_session *e = malloc(sizeof(*e));
    if (e == NULL) {
        victim_cap_give(victim_cap_cost(sizeof(struct map_session)));
        victim_cap_alloc_failed("map_remember_session", sizeof(*e));
        return NULL;
    }
    e->id = id;
    e->created_ns = now;
    e->hits = 1;
    snprintf(e->user, sizeof(e->user), "user-%llu", (unsigned long long)(id % 100000));
    snprintf(e->token, sizeof(e->token), "%016llx%016llx", (unsigned long long)id,
             (unsigned long long)victim_mix(id));
    size_t slot = map_slot(m, id);
    e->next = m->buckets[slot];
    m->buckets[slot] = e;
    m->count++;
    return e;
}

/* --fixed: the session of an expired request is deleted, as a TTL would. */
VICTIM_SITE static void map_forget_session(struct map_state *m, uint64_t id)
{
    if (m->nbuckets == 0)
        return;
    struct map_session **pp = &m->buckets[map_slot(m, id)];
    for (; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct map_session *e = *pp;
            *pp = e->next;
            free(e);
            victim_cap_give(victim_cap_cost(sizeof(struct map_session)));
            m->count--;
            return;
        }
    }
}

static uint64_t map_request_id(const struct victim_ctx *ctx, uint64_t op)
{
    return victim_mix(ctx->seed ^ ((uint64_t)ctx->thread << 48) ^ op);
}

static void map_step(void *state, struct victim_ctx *ctx)
{
    struct map_state *m = state;
    if (ctx->fixed && ctx->ops >= MAP_TTL_REQUESTS)
        map_forget_session(m, map_request_id(ctx, ctx->ops - MAP_TTL_REQUESTS));
    map_remember_session(m, map_request_id(ctx, ctx->ops), victim_now_ns());
}

static void map_stop(void *state, struct victim_ctx *ctx)
{
    struct map_state *m = state;
    for (size_t i = 0; i < m->nbuckets; i++) {
        struct map_session *e = m->buckets[i], *next;
        for (; e != NULL; e = next) {
            next = e->next;
            free(e);
            victim_cap_give(victim_cap_cost(sizeof(struct map_session)));
        }
    }
    free(m->buckets);
    victim_cap_give(m->buckets_charged);
}

const struct victim_scenario victim_scn_map = {
    .name = "map",
    .leaks = 1,
    .summary = "hash map of sessions keyed by per-request ids that are never evicted",
    .growth = "more and more entries: object count up (map_remember_session)",
    .fix = "deletes each session 1024 requests after it was made, as a TTL would",
    .state_size = sizeof(struct map_state),
    .start = NULL,
    .step = map_step,
    .stop = map_stop,
};
