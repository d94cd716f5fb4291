/* hook/hook_unseen.h: the blocks the hook lets through to glibc without
 * counting them as its own -- allocated before its constructor made it
 * ready, or by the hook itself -- kept as UNSEEN live entries until they are
 * freed (registry version 5, HEAPSNAP_FLAG_UNSEEN). heapsnap then knows every
 * other in-use chunk but glibc's own came through the hook, and takes the
 * hook's exact totals from the walk: no counter on the fast path. Before the
 * tables exist (allocations of ld.so and of earlier constructors) the
 * addresses wait in a static array, and the constructor moves them in. */
#ifndef HOOK_UNSEEN_H
#define HOOK_UNSEEN_H

#include <stdbool.h>
#include <stdint.h>

#include "heapsnap_registry.h"

/* Addresses kept before the tables exist; beyond them unseen_lost counts. */
#define HOOK_UNSEEN_EARLY 4096u

/* Records p (not NULL) as unseen, in the table or, before it exists, in the
 * early array; its free then takes the slow path. Takes the fork lock. */
void hook_unseen_record(const void *p);

/* With the fork lock held: removes p from wherever unseen blocks are kept
 * now, or from the sampled ones once the tables exist. True when it was
 * there (the entry in *out when not NULL). */
bool hook_unseen_forget(const void *p, struct heapsnap_live *out, unsigned stripe);

/* With the fork lock held: puts back what hook_unseen_forget took out (e, as
 * it returned it), for a block that stays allocated (realloc failed). */
void hook_unseen_unforget(const struct heapsnap_live *e, unsigned stripe);

/* Called by the constructor once the tables exist: moves the early array
 * into the live table. From then on every record goes to the table. */
void hook_unseen_start(void);

#endif
