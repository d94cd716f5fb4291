/* victim/scn_strdup.c: the `strdup` scenario, strings duplicated and dropped.
 * Imitates the setter that strdup()s a new value over an old one without freeing
 * it (a connection's "last error", a config reload that replaces every string):
 * the old copies become unreachable, the classic leak valgrind calls "definitely
 * lost". */
#include "cap.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strdup_conn {
    char *last_error;
    size_t last_error_cost;
    uint64_t errors;
};

/* The leak site: replaces the last error message, dropping the old copy (the fix
 * frees it first). */
VICTIM_SITE static void strdup_set_last_error(struct strdup_conn *c, const char *msg, int fixed)
{
    size_t cost = victim_cap_cost(strlen(msg) + 1);
    if (victim_cap_take(cost) != 0)
        return;
    char *copy = strdup(msg);
    if (copy == NULL) {
        victim_cap_give(cost);
        victim_cap_alloc_failed("strdup_set_last_error", strlen(msg) + 1);
        return;
    }
    if (fixed && c->last_error != NULL) {
        free(c->last_error);
        victim_cap_give(c->last_error_cost);
    }
    c->last_error = copy; /* without the fix, the old string is lost here */
    c->last_error_cost = cost;
    c->errors++;
}

static void strdup_step(void *state, struct victim_ctx *ctx)
{
    struct strdup_conn *c = state;
    char msg[160];
    uint64_t id = victim_mix(ctx->seed ^ ((uint64_t)ctx->thread << 48) ^ ctx->ops);
    snprintf(msg, sizeof(msg), "upstream %s:%u timed out after %u ms on request %016llx%.*s",
             "10.0.0.7", 8000 + (unsigned)(id % 16), 100 + (unsigned)(id % 900),
             (unsigned long long)id, (int)victim_rand_range(ctx, 0, 64),
             " (retrying with backoff, attempt 3 of 5, circuit breaker half open)");
    strdup_set_last_error(c, msg, ctx->fixed);
}

static void strdup_stop(void *state, struct victim_ctx *ctx)
{
    struct strdup_conn *c = state;
    if (c->last_error != NULL) {
        free(c->last_error);
        victim_cap_give(c->last_error_cost);
    }
}

const struct victim_scenario victim_scn_strdup = {
    .name = "strdup",
    .leaks = 1,
    .summary = "error-message setter that strdup()s over the old string without freeing it",
    .growth = "more and more entries: lost strings pile up (strdup_set_last_error)",
    .fix = "frees the old message before keeping the new one",
    .state_size = sizeof(struct strdup_conn),
    .start = NULL,
    .step = strdup_step,
    .stop = strdup_stop,
};
