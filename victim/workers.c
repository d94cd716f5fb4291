/* victim/workers.c: runs a scenario on N threads (so glibc gives them their own
 * arenas), each with its own state and random stream, paced so that together they
 * do --rate operations per second. */
#include "workers.h"
#include "cap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WORKER_MIN_SLEEP_NS 200000ull   /* ahead by less: keep going, sleep later */
#define WORKER_MAX_SLEEP_NS 50000000ull /* check the stop flag at least this often */
#define WORKER_MAX_LAG_NS 1000000000ull /* behind by more: forget the debt */

struct victim_worker {
    pthread_t tid;
    struct victim_workers *all;
    struct victim_ctx ctx;
    void *state; /* the scenario's, kept after the thread ends for stop() */
    int started;
};

struct victim_workers {
    const struct victim_scenario *scn;
    double period_ns; /* per thread; 0 = no limit */
    atomic_int stop;
    unsigned n;
    struct victim_worker w[];
};

static void worker_sleep_until(uint64_t deadline, const atomic_int *stop)
{
    for (;;) {
        uint64_t now = victim_now_ns();
        if (now >= deadline || atomic_load(stop))
            return;
        uint64_t until =
            deadline - now > WORKER_MAX_SLEEP_NS ? now + WORKER_MAX_SLEEP_NS : deadline;
        struct timespec ts = {.tv_sec = (time_t)(until / 1000000000ull),
                              .tv_nsec = (long)(until % 1000000000ull)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
}

static void *worker_main(void *arg)
{
    struct victim_worker *w = arg;
    struct victim_workers *all = w->all;
    const struct victim_scenario *scn = all->scn;
    void *state = calloc(1, scn->state_size);
    w->state = state;
    if (state == NULL) {
        victim_cap_alloc_failed("worker_main", scn->state_size);
        return NULL;
    }
    if (scn->start != NULL)
        scn->start(state, &w->ctx);
    uint64_t t0 = victim_now_ns();
    uint64_t done = 0; /* operations since t0 */
    while (!atomic_load(&all->stop)) {
        scn->step(state, &w->ctx);
        w->ctx.ops++;
        done++;
        if (all->period_ns == 0)
            continue;
        uint64_t due = t0 + (uint64_t)((double)done * all->period_ns);
        uint64_t now = victim_now_ns();
        if (due > now + WORKER_MIN_SLEEP_NS) {
            worker_sleep_until(due, &all->stop);
        } else if (now > due + WORKER_MAX_LAG_NS) {
            t0 = now; /* cannot keep up: run at full speed without a burst later */
            done = 0;
        }
    }
    return NULL;
}

struct victim_workers *victim_workers_start(const struct victim_scenario *scn, unsigned threads,
                                            int fixed, uint64_t seed, uint64_t rate, hs_err *err)
{
    struct victim_workers *all = calloc(1, sizeof(*all) + threads * sizeof(all->w[0]));
    if (all == NULL) {
        hs_err_set(err, "cannot allocate the state of %u worker threads: out of memory.", threads);
        return NULL;
    }
    all->scn = scn;
    all->n = threads;
    all->period_ns = rate ? 1e9 * (double)threads / (double)rate : 0;
    atomic_init(&all->stop, 0);
    for (unsigned i = 0; i < threads; i++) {
        struct victim_worker *w = &all->w[i];
        w->all = all;
        w->ctx.thread = i;
        w->ctx.threads = threads;
        w->ctx.fixed = fixed;
        w->ctx.seed = seed;
        w->ctx.rng = victim_mix(seed * 64 + i);
        int rc = pthread_create(&w->tid, NULL, worker_main, w);
        if (rc != 0) {
            hs_err_set(err, "cannot start worker thread %u of %u: %s; try fewer --threads.", i + 1,
                       threads, strerror(rc));
            victim_workers_join(all);
            victim_workers_free(all);
            return NULL;
        }
        w->started = 1;
    }
    return all;
}

uint64_t victim_workers_join(struct victim_workers *all)
{
    atomic_store(&all->stop, 1);
    uint64_t ops = 0;
    for (unsigned i = 0; i < all->n; i++) {
        if (!all->w[i].started)
            continue;
        pthread_join(all->w[i].tid, NULL);
        all->w[i].started = 0;
        ops += all->w[i].ctx.ops;
    }
    return ops;
}

void victim_workers_free(struct victim_workers *all)
{
    for (unsigned i = 0; i < all->n; i++) {
        struct victim_worker *w = &all->w[i];
        if (w->state != NULL && all->scn->stop != NULL)
            all->scn->stop(w->state, &w->ctx);
        free(w->state);
    }
    free(all);
}
