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

/* How many pages of [start, end) (page-aligned) a holds in another frame
 * than b, or holds where b has none: of a process and its copy-on-write
 * fork, the pages one of them wrote (or first touched) since the fork. Needs
 * the frame numbers (CAP_SYS_ADMIN). 0 with *pages set, or -1 + err. */
int pagemap_differing(pagemap *a, pagemap *b, uint64_t start, uint64_t end, uint64_t *pages,
                      hs_err *err);

#endif
