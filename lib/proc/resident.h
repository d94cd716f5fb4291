/* lib/proc/resident.h: which bytes of a process count in its resident set
 * size the way the kernel counts them in /proc/PID/smaps: pages present in
 * RAM, except the shared zero page (a never-written page that was only read,
 * which Rss leaves out) and the kernel's own [vvar]/[vsyscall] pages. Plus
 * smaps_rollup's Rss, to check a sum against. Read both while the process is
 * stopped. */
#ifndef HS_PROC_RESIDENT_H
#define HS_PROC_RESIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"
#include "procmaps.h"

#define RESIDENT_PAGE 4096u

/* How the zero page was told apart: PAGEMAP_SCAN's PAGE_IS_PFNZERO (Linux
 * 6.7 and later), the page frame numbers of /proc/PID/pagemap (needs
 * CAP_SYS_ADMIN), or not at all (every present page counts). */
typedef enum resident_method {
    RESIDENT_SCAN = 0,
    RESIDENT_PFN,
    RESIDENT_PRESENT,
} resident_method;

const char *resident_method_name(resident_method m); /* "pagemap_scan", ... */

typedef struct resident_range {
    uint64_t start, end; /* [start, end), page-aligned */
} resident_range;

typedef struct resident_set {
    resident_range *v; /* sorted, disjoint, adjacent ranges merged */
    size_t n, cap;
    uint64_t bytes; /* sum of the ranges */
    resident_method method;
} resident_set;

/* The resident pages of every mapping in maps of process pid (0: the calling
 * process) into out (free with resident_free). allow_scan false skips
 * PAGEMAP_SCAN (tests of the fallback). 0, or -1 + err when pagemap cannot be
 * read. */
int resident_read(pid_t pid, const procmaps *maps, bool allow_scan, resident_set *out, hs_err *err);
void resident_free(resident_set *s);

/* Appends [start, end) (page-aligned, not below the last range): for
 * resident_read and for tests that build a set by hand. 0, or -1 when out of
 * memory. */
int resident_add(resident_set *s, uint64_t start, uint64_t end);

/* The resident bytes of [start, end), any alignment. */
uint64_t resident_bytes(const resident_set *s, uint64_t start, uint64_t end);

/* Rss of /proc/PID/smaps_rollup in bytes. 0, or -1 + err. */
int resident_rollup(pid_t pid, uint64_t *rss, hs_err *err);

#endif
