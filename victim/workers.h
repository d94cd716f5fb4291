/* victim/workers.h: the threads that run a scenario, paced to --rate. */
#ifndef VICTIM_WORKERS_H
#define VICTIM_WORKERS_H

#include <stdint.h>

#include "hs_error.h"
#include "scenario.h"

struct victim_workers;

/* Starts threads workers running scn, together at rate operations per second (0 =
 * no limit). NULL with a sentence in err if a thread cannot start. */
struct victim_workers *victim_workers_start(const struct victim_scenario *scn, unsigned threads,
                                            int fixed, uint64_t seed, uint64_t rate, hs_err *err);

/* Asks every worker to stop and waits for them; returns the operations done in
 * all. What the scenario holds stays allocated until victim_workers_free(). */
uint64_t victim_workers_join(struct victim_workers *w);

/* Lets the scenario free what it still reaches in each thread's state (leaked
 * blocks stay leaked), then frees w. Call after victim_workers_join(). */
void victim_workers_free(struct victim_workers *w);

#endif
