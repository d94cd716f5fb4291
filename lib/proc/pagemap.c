/* lib/proc/pagemap.c: reads /proc/PID/pagemap in batches (see pagemap.h). Each page
 * has one 64-bit entry: bit 63 present, bit 62 swapped; the frame number bits
 * are not used, so this works without CAP_SYS_ADMIN. */
#include "pagemap.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGEMAP_BATCH 4096u /* entries per pread: 32 KiB */

struct pagemap {
    int fd;
    pid_t pid;
    uint64_t ent[PAGEMAP_BATCH];
};

pagemap *pagemap_open(pid_t pid, hs_err *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hs_err_set(err, "cannot open %s: %s (run as root or with ptrace access)", path,
                   strerror(errno));
        return NULL;
    }
    pagemap *pm = malloc(sizeof(*pm));
    if (pm == NULL) {
        close(fd);
        hs_err_set(err, "out of memory for a pagemap reader");
        return NULL;
    }
    pm->fd = fd;
    pm->pid = pid;
    return pm;
}

void pagemap_close(pagemap *pm)
{
    if (pm == NULL)
        return;
    close(pm->fd);
    free(pm);
}

int pagemap_touched(pagemap *pm, uint64_t start, uint64_t end, unsigned char *out, hs_err *err)
{
    uint64_t first = start / PAGEMAP_PAGE, n = (end - start) / PAGEMAP_PAGE;
    for (uint64_t i = 0; i < n;) {
        uint64_t want = n - i < PAGEMAP_BATCH ? n - i : PAGEMAP_BATCH;
        ssize_t got = pread(pm->fd, pm->ent, want * sizeof(uint64_t),
                            (off_t)((first + i) * sizeof(uint64_t)));
        if (got <= 0 || got % (ssize_t)sizeof(uint64_t) != 0)
            return hs_err_set(err, "cannot read /proc/%d/pagemap at page 0x%llx: %s", (int)pm->pid,
                              (unsigned long long)(first + i),
                              got < 0 ? strerror(errno) : "short read");
        uint64_t k = (uint64_t)got / sizeof(uint64_t);
        for (uint64_t j = 0; j < k; j++)
            out[i + j] = (pm->ent[j] >> 62) != 0;
        i += k;
    }
    return 0;
}

/* Entries [first, first + want) of pm into pm->ent: how many were read, or -1. */
static ssize_t pagemap_batch(pagemap *pm, uint64_t first, uint64_t want)
{
    ssize_t got =
        pread(pm->fd, pm->ent, want * sizeof(uint64_t), (off_t)(first * sizeof(uint64_t)));
    if (got <= 0 || got % (ssize_t)sizeof(uint64_t) != 0)
        return -1;
    return got / (ssize_t)sizeof(uint64_t);
}

#define PAGEMAP_PRESENT (1ull << 63)
#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)

int pagemap_differing(pagemap *a, pagemap *b, uint64_t start, uint64_t end, uint64_t *pages,
                      hs_err *err)
{
    *pages = 0;
    uint64_t first = start / PAGEMAP_PAGE, n = (end - start) / PAGEMAP_PAGE;
    bool pfns = false;
    for (uint64_t i = 0; i < n;) {
        uint64_t want = n - i < PAGEMAP_BATCH ? n - i : PAGEMAP_BATCH;
        ssize_t ka = pagemap_batch(a, first + i, want),
                kb = ka > 0 ? pagemap_batch(b, first + i, (uint64_t)ka) : -1;
        if (ka <= 0 || kb != ka)
            return hs_err_set(err, "cannot read the pagemaps of processes %d and %d at page 0x%llx",
                              (int)a->pid, (int)b->pid, (unsigned long long)(first + i));
        for (ssize_t j = 0; j < ka; j++) {
            uint64_t ea = a->ent[j], eb = b->ent[j];
            if (!(ea & PAGEMAP_PRESENT))
                continue;
            pfns = pfns || (ea & PAGEMAP_PFN_MASK) != 0;
            if (!(eb & PAGEMAP_PRESENT) || (ea & PAGEMAP_PFN_MASK) != (eb & PAGEMAP_PFN_MASK))
                (*pages)++;
        }
        i += (uint64_t)ka;
    }
    if (*pages > 0 && !pfns)
        return hs_err_set(err,
                          "pagemap hides the frame numbers of process %d (it needs "
                          "CAP_SYS_ADMIN)",
                          (int)a->pid);
    return 0;
}
