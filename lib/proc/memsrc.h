/* lib/proc/memsrc.h: where the heap walker reads memory from. One read interface
 * with three sources: another process (process_vm_readv through a small page
 * cache plus one reused streaming window), a local buffer that pretends to sit
 * at a fake base address (tests, fuzzers), and the calling process. Any source
 * can also hold local copies of whole regions (the heaps), read with a few
 * large reads while the process is stopped; reads inside them cost nothing. */
#ifndef HS_MEMSRC_H
#define HS_MEMSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

typedef struct memsrc memsrc;

/* A stopped process. window = bytes of the streaming window (0 = 256 KiB). */
memsrc *memsrc_open_pid(pid_t pid, size_t window, hs_err *err);
/* A frozen copy-on-write child of a process (lib/proc/cowfork.h), stopped and
 * traced by the caller: reads go through /proc/PID/mem. process_vm_readv
 * pins the pages it reads, and the kernel (5.19 and later) unshares --
 * copies -- a shared anonymous page that is pinned, so reading the child
 * that way would duplicate every page it reads. */
memsrc *memsrc_open_frozen(pid_t pid, size_t window, hs_err *err);
/* True for a source opened by memsrc_open_frozen: what it reads stays as it
 * was at the fork, however long the reader takes. */
bool memsrc_frozen(const memsrc *m);
/* len bytes at buf appear at address base; buf is not copied and must outlive m. */
memsrc *memsrc_open_buffer(uint64_t base, const void *buf, size_t len, hs_err *err);
/* The calling process itself (reads through process_vm_readv, so a bad address
 * is an error, not a fault; nothing is cached). */
memsrc *memsrc_open_self(hs_err *err);
void memsrc_close(memsrc *m);

/* Copies len bytes at addr into buf. 0, or -1 when any byte is unreadable. */
int memsrc_read(memsrc *m, uint64_t addr, size_t len, void *buf);
int memsrc_read_u64(memsrc *m, uint64_t addr, uint64_t *v);
/* Sequential access: a pointer to at least len readable bytes at addr, valid
 * until the next call on m; *avail gets how many bytes from addr are readable
 * through it (>= len). NULL when fewer than len bytes at addr are readable. */
const uint8_t *memsrc_stream(memsrc *m, uint64_t addr, size_t len, size_t *avail);
/* Reads len bytes at each of the n addresses addr[i] into out + i * len;
 * ok[i] gets 1 when they were read, 0 when any byte was unreadable (as
 * memsrc_read would say). Addresses outside the copies are read from a
 * process up to 1024 at a time in one process_vm_readv, so a scan that looks
 * at one header per page costs a syscall per 1024 pages, not per page.
 * Returns how many were read. */
size_t memsrc_read_gather(memsrc *m, const uint64_t *addr, size_t n, size_t len, void *out,
                          unsigned char *ok);
/* Drops cached bytes (the target ran since they were read). */
void memsrc_invalidate(memsrc *m);
/* Number of process_vm_readv calls made (for tests and benchmarks). */
uint64_t memsrc_syscalls(const memsrc *m);

/* ---- region copies ---- */
typedef struct memsrc_range {
    uint64_t start, end; /* [start, end) */
} memsrc_range;

/* The most bytes the copies may hold in all; 0 (the default) copies nothing. */
void memsrc_set_copy_limit(memsrc *m, size_t bytes);
size_t memsrc_copy_limit(const memsrc *m);
/* Makes bytes (at most the limit) of local memory ready for later copies now,
 * faulted in and backed by huge pages where the kernel allows, so that a copy
 * made while the process is stopped costs the copy and no page faults. 0, or
 * -1 + err. Kept until memsrc_close. */
int memsrc_reserve(memsrc *m, size_t bytes, hs_err *err);
/* Gives the reserve and the copies back (a caller that will not copy after
 * all); later copies fault their pages in as they go. */
void memsrc_release(memsrc *m);
/* Copies the n ranges, in order, while the total stays within the limit; a
 * range that does not fit, and any after it, is left to the ordinary path. A
 * range whose tail is unreadable keeps its readable head. From then on every
 * read and stream that lies wholly inside a copy is served from it (a read
 * that straddles a copy's edge takes the ordinary path). Returns how many
 * ranges were copied whole; *bytes (may be NULL) gets the bytes copied.
 * A big copy (2 MiB and more per thread) is split by bytes over up to
 * min(online CPUs, 4) threads, all joined before it returns; the result does
 * not depend on the thread count. */
size_t memsrc_copy(memsrc *m, const memsrc_range *r, size_t n, uint64_t *bytes);
/* Copies with exactly n threads whatever their size (tests; at most 16);
 * 0 (the default) chooses by size and CPUs. */
void memsrc_set_copy_threads(memsrc *m, unsigned n);
/* After this, reads outside the copies fail: the process may run now, so only
 * the copies still hold the state they were taken in. memsrc_invalidate
 * drops the copies (not the reserve) and lifts the seal. */
void memsrc_seal(memsrc *m);

#endif
