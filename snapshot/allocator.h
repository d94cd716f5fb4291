/* snapshot/allocator.h: whose malloc a process uses. heapsnap walks glibc's
 * arenas; a program linked with jemalloc, tcmalloc or mimalloc (Debian's
 * redis-server links jemalloc) keeps its heap elsewhere, and the walk finds
 * nothing. Two signs say so: a loaded object other than libc and the hook
 * defines malloc, and the hook's live entries are not in glibc's heap. */
#ifndef HS_SNAPSHOT_ALLOCATOR_H
#define HS_SNAPSHOT_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmaps.h"

/* Looks through the dynamic symbol tables of the files mapped in m for a
 * defined `malloc` outside libc and libheapsnap. true, with the file's base
 * name in name (e.g. "libjemalloc.so.2"), when one does. Unreadable files are
 * passed over: this names an allocator, it does not prove one. */
bool alloc_find_foreign(const procmaps *m, char *name, size_t namelen);

/* true when the walk of glibc's heap says the hook's live entries live in
 * another heap: more of them missing from glibc's heap (stale) than found
 * there, and more missing than the threads stopped. Under glibc's malloc an
 * entry is stale only when its thread was stopped between glibc's free and
 * the hook's removal of the entry, which each thread can be at most once. */
bool alloc_walk_says_foreign(uint64_t matched, uint64_t stale, size_t nthreads);

#endif
