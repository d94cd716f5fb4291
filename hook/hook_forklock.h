/* hook/hook_forklock.h: keeps fork() from copying the tables into the child
 * in the middle of an update. Table writers hold it shared; fork's prepare
 * handler holds it exclusive until the parent and child handlers. A shared
 * holder touches only its own stripe's cache line: a pthread rwlock's single
 * lock word, bounced between CPUs on every sampled allocation and free, was a
 * fifth of the time at HEAPSNAP_RATE=1. */
#ifndef HOOK_FORKLOCK_H
#define HOOK_FORKLOCK_H

#include <stdbool.h>

/* Shared hold. False (nothing taken, nothing to release) on the forking
 * thread itself between prepare and parent/child: it already excludes every
 * other writer and may go ahead. */
bool hook_forklock_shared(void);
void hook_forklock_unshare(bool taken);

/* fork's handlers: prepare waits for every shared holder to leave (new ones
 * wait for it); parent releases; child starts from a free lock. */
void hook_forklock_exclusive(void);
void hook_forklock_release(void);
void hook_forklock_reset_child(void);

#endif
