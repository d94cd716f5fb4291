/* lib/proc/pagemap.h: which pages of another process were ever touched (present in
 * RAM or swapped out), from /proc/PID/pagemap. Lets a scan of large, mostly
 * untouched mappings skip pages without faulting them in the target. */
#ifndef HS_PAGEMAP_H
#define HS_PAGEMAP_H

#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

#define PAGEMAP_PAGE 4096u

typedef struct pagemap pagemap;

/* Opens /proc/PID/pagemap (needs ptrace access; root reads it). NULL + err when
 * it cannot be opened. */
pagemap *pagemap_open(pid_t pid, hs_err *err);
void pagemap_close(pagemap *pm);

/* One byte per page of [start, end) (both page-aligned, start < end) into out:
 * 1 when the page is present or swapped, 0 when never touched (or discarded).
 * 0, or -1 + err when pagemap cannot be read. */
int pagemap_touched(pagemap *pm, uint64_t start, uint64_t end, unsigned char *out, hs_err *err);

#endif
