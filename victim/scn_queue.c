/* victim/scn_queue.c: the `queue` scenario, pending items never drained.
 * Imitates the unbounded work queue whose consumer is slower than its producer
 * (a log shipper or mail spooler that falls behind, an unbounded Go channel
 * emulated with a slice): every request queues a job, only every second one is
 * ever processed, and the backlog grows without limit. */
#include "cap.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

#define QUEUE_BOUND 256 /* --fixed: a full queue sheds new jobs */

struct queue_job {
    struct queue_job *next;
    uint64_t id;
    size_t len;
    unsigned char payload[]; /* 64 .. 1024 bytes */
};

struct queue_state {
    struct queue_job *head, *tail;
    size_t len;
    uint64_t shed; /* --fixed: jobs refused because the queue was full */
};

static size_t queue_job_cost(size_t len)
{
    return victim_cap_cost(sizeof(struct queue_job) + len);
}

/* The leak site: queues a job; nothing bounds the queue. */
VICTIM_SITE static int queue_push_job(struct queue_state *q, uint64_t id, size_t len)
{
    if (victim_cap_take(queue_job_cost(len)) != 0)
        return -1;
    struct queue_job *j = malloc(sizeof(*j) + len);
    if (j == NULL) {
        victim_cap_give(queue_job_cost(len));
        victim_cap_alloc_failed("queue_push_job", sizeof(*j) + len);
        return -1;
    }
    j->next = NULL;
    j->id = id;
    j->len = len;
    memset(j->payload, (int)(id & 0xff), len);
    if (q->tail != NULL)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->len++;
    return 0;
}

/* The consumer: takes the oldest job, "sends" it and frees it. */
VICTIM_SITE static void queue_process_job(struct queue_state *q)
{
    struct queue_job *j = q->head;
    if (j == NULL)
        return;
    q->head = j->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->len--;
    size_t len = j->len;
    free(j);
    victim_cap_give(queue_job_cost(len));
}

static void queue_step(void *state, struct victim_ctx *ctx)
{
    struct queue_state *q = state;
    uint64_t id = victim_mix(ctx->seed ^ ((uint64_t)ctx->thread << 48) ^ ctx->ops);
    size_t len = victim_rand_range(ctx, 64, 1024);
    if (ctx->fixed && q->len >= QUEUE_BOUND)
        q->shed++; /* back-pressure: refuse work instead of queueing it forever */
    else
        queue_push_job(q, id, len);
    if (ctx->ops % 2 == 0) /* the consumer keeps up with only half the load */
        queue_process_job(q);
}

static void queue_stop(void *state, struct victim_ctx *ctx)
{
    struct queue_state *q = state;
    while (q->head != NULL)
        queue_process_job(q);
}

const struct victim_scenario victim_scn_queue = {
    .name = "queue",
    .leaks = 1,
    .summary = "work queue whose consumer drains half the jobs its producer adds",
    .growth = "more and more entries: pending jobs pile up (queue_push_job)",
    .fix = "bounds the queue at 256 jobs and sheds new work when it is full",
    .state_size = sizeof(struct queue_state),
    .start = NULL,
    .step = queue_step,
    .stop = queue_stop,
};
