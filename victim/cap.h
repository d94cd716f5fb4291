/* victim/cap.h: the --max-mb budget. Every scenario takes bytes from it before it
 * allocates and gives them back when it frees, so the victim stops growing at
 * the cap (saying so once) instead of running the machine out of memory. */
#ifndef VICTIM_CAP_H
#define VICTIM_CAP_H

#include <stddef.h>
#include <stdint.h>

/* Sets the budget: max_bytes (--max-mb) for the whole process, of which
 * own_bytes are the program itself (victim_cap_own_bytes), so the scenario's data
 * get the rest and the resident size stays near the cap. Call once before any
 * worker starts; -1 when own_bytes leaves no room. */
int victim_cap_init(size_t max_bytes, size_t own_bytes);

/* What the program needs besides the scenario's data: what is resident now
 * (code, libraries, the hook's tables) plus the stack and arena of each worker
 * thread it is about to start. */
size_t victim_cap_own_bytes(unsigned threads);

/* Bytes a malloc(request) really takes from the heap: glibc's chunk size, or
 * whole pages for a request large enough to be mmapped. */
size_t victim_cap_cost(size_t request);

/* Takes bytes from the budget: 0 on success, -1 when that would pass the cap
 * (the first refusal prints the cap notice on stderr). */
int victim_cap_take(size_t bytes);

/* As victim_cap_take(), without the notice: for growth that is optional (a
 * hash table's buckets), so the notice marks the moment the scenario stops. */
int victim_cap_take_quiet(size_t bytes);

/* Takes as much of want as fits, at least min: returns what it took, 0 when
 * not even min fits (a refusal, as above). */
size_t victim_cap_take_upto(size_t want, size_t min);

/* Returns bytes to the budget after a free. */
void victim_cap_give(size_t bytes);

/* The budget of the scenario's data in bytes (--max-mb minus the program). */
size_t victim_cap_limit(void);

/* Bytes taken now. */
size_t victim_cap_held(void);

/* Whether the cap has refused something since the start. */
int victim_cap_reached(void);

/* Reports that site could not allocate bytes (malloc returned NULL): one line on
 * stderr, at most one a second, with the count of the ones it did not print. */
void victim_cap_alloc_failed(const char *site, size_t bytes);

#endif
