/* victim/scn_errpath.c: the `errpath` scenario, a leak only on an error path.
 * Imitates the request handler that frees its buffer on success but returns early
 * on a malformed request without freeing it (the `return -1` that skips the
 * cleanup; what `goto out` exists for): one request in eight leaks its buffer. */
#include "cap.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

struct errpath_state {
    uint64_t served, rejected;
};

/* Allocates and fills the request buffer, as a read from a socket would. */
VICTIM_SITE static char *errpath_read_request(struct victim_ctx *ctx, size_t len)
{
    if (victim_cap_take(victim_cap_cost(len)) != 0)
        return NULL;
    char *buf = malloc(len);
    if (buf == NULL) {
        victim_cap_give(victim_cap_cost(len));
        victim_cap_alloc_failed("errpath_read_request", len);
        return NULL;
    }
    memset(buf, 'x', len);
    /* One request in eight arrives without its header terminator. */
    const char *head =
        (victim_rand(ctx) % 8) == 0 ? "GET / HTTP/1.1\r\n" : "GET / HTTP/1.1\r\n\r\n";
    memcpy(buf, head, strlen(head) + 1); /* len is at least 512 */
    return buf;
}

static void errpath_release(char *buf, size_t len)
{
    free(buf);
    victim_cap_give(victim_cap_cost(len));
}

/* The leak: the malformed-request branch returns without releasing buf. */
VICTIM_SITE static int errpath_handle_request(struct errpath_state *st, struct victim_ctx *ctx)
{
    size_t len = victim_rand_range(ctx, 512, 4096);
    char *buf = errpath_read_request(ctx, len);
    if (buf == NULL)
        return -1;
    if (strstr(buf, "\r\n\r\n") == NULL) {
        st->rejected++;
        if (ctx->fixed)
            errpath_release(buf, len);
        /* 400 Bad Request; without the fix, buf is lost here, on purpose. */
        return -1; // NOLINT(clang-analyzer-unix.Malloc)
    }
    st->served++;
    errpath_release(buf, len);
    return 0;
}

static void errpath_step(void *state, struct victim_ctx *ctx)
{
    errpath_handle_request(state, ctx);
}

const struct victim_scenario victim_scn_errpath = {
    .name = "errpath",
    .leaks = 1,
    .summary = "request handler that leaks its buffer only when it rejects a malformed request",
    .growth = "more and more entries: one lost buffer per rejected request "
              "(errpath_read_request via errpath_handle_request)",
    .fix = "frees the buffer on the error path too",
    .state_size = sizeof(struct errpath_state),
    .start = NULL,
    .step = errpath_step,
    .stop = NULL,
};
