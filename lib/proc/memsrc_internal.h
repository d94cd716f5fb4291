/* lib/proc/memsrc_internal.h: a memory source's state, shared by memsrc.c
 * (the sources and their reads) and memsrc_copy.c (region copies, the
 * threaded copier). Private to those two files. */
#ifndef HS_MEMSRC_INTERNAL_H
#define HS_MEMSRC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memsrc.h"

#define MS_PAGE 4096u
#define MS_LINES 64u
#define MS_DEFAULT_WINDOW (256u * 1024u)
#define MS_HUGE (2u << 20)
#define MS_COPY_ALIGN 64u
#define MS_BATCH 64u               /* ranges per process_vm_readv call when copying */
#define MS_GATHER 1024u            /* IOV_MAX: addresses per process_vm_readv when gathering */
#define MS_ROUND 4096u             /* ranges planned, then filled, at a time when copying */
#define MS_THREADS_MAX 16u         /* threads a copy may use when a test sets the count */
#define MS_THREADS_AUTO 4u         /* threads a copy uses at most by itself */
#define MS_THREAD_BYTES (2u << 20) /* bytes a copy thread must have to pay for its start */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

enum ms_kind { MS_PID, MS_BUFFER, MS_SELF };

/* One copied region; data lies in the reserve or in its own mapping. */
typedef struct ms_copy {
    uint64_t start;
    size_t len;
    uint8_t *data;
    void *map; /* its own mapping (NULL: inside the reserve) */
    size_t maplen;
} ms_copy;

struct memsrc {
    enum ms_kind kind;
    pid_t pid;
    /* MS_BUFFER */
    const uint8_t *buf;
    uint64_t base;
    size_t len;
    /* MS_PID / MS_SELF: the streaming window */
    uint8_t *win;
    size_t win_cap;
    uint64_t win_addr;
    size_t win_len;
    uint64_t last_stream; /* address of the previous stream request */
    /* MS_PID: page cache, direct-mapped by page number */
    uint8_t *lines;
    uint64_t tag[MS_LINES];
    uint8_t valid[MS_LINES];
    uint64_t nsys;
    /* region copies, sorted by start, disjoint */
    ms_copy *copies;
    size_t ncopies, copycap, last_copy;
    size_t limit, copied;  /* bytes allowed, bytes held */
    unsigned copy_threads; /* 0: by size and CPUs */
    unsigned ncpu;         /* online CPUs, counted before the stop */
    void *rmap;            /* the reserve's mapping */
    size_t rmaplen;
    uint8_t *reserve; /* huge-page aligned start inside rmap */
    size_t rlen, rused;
    int sealed;
    /* MS_PID opened by memsrc_open_frozen: reads go through /proc/PID/mem */
    int memfd;
    int use_memfd;
};

/* memsrc.c */
/* Reads as much as possible of [addr, addr+len) from m's process (through
 * /proc/PID/mem for memsrc_open_frozen's); the byte count. */
size_t ms_read_src(const memsrc *m, uint64_t addr, void *buf, size_t len, uint64_t *nsys);
void ms_drop_copies(memsrc *m);
/* the copies are sorted by start and disjoint (asserted where they change) */
int ms_copies_sorted(const memsrc *m);
/* how many copies start at or below addr */
size_t ms_copies_upto(const memsrc *m, uint64_t addr);

#endif
