/* snapshot/cowmode.c: fork or copy (see cowmode.h). A fork copies the page
 * tables of every private page of the process, a copy reads the heaps; each
 * is estimated from constants measured with bench/cowbench on the 2-CPU
 * machine of bench/README.md, and the cheaper one wins. The copy reads the
 * holders' roots too when they are wanted: in a process of 64 threads with a
 * 13 MB heap they were 17 MB (libunwind's per-thread caches, the stacks, the
 * globals) and took 12-29 ms of the stop, more than the heap's 7-14 ms;
 * after a fork they are read from the child, off the pause. A fork is also
 * refused when the memory the process may dirty while the child lives could
 * push it past its cgroup's memory.max or the kernel's strict commit limit. */
#include "cowmode.h"

#include <inttypes.h>
#include <stdio.h>

/* Reading the heaps with process_vm_readv into memory faulted in ahead:
 * bytes per microsecond. */
#define COWMODE_COPY_BYTES_PER_US 3000u
/* fork()'s cost per 4 KiB anonymous page (its page table entry and the
 * page's reference), and per transparent huge page (one PMD, but the huge
 * page's refcounting and, on the first write, the split). Nanoseconds. */
#define COWMODE_PAGE_NS 120u
#define COWMODE_HUGE_NS 10000u
/* The rest of a fork's pause: the injection session (mmap and munmap of the
 * code page, the two renames of the thread, the clone, their ptrace stops).
 * Microseconds. */
#define COWMODE_FORK_BASE_US 450u

static void cowmode_estimate_us(uint64_t heap_bytes, bool roots, const memroom *room,
                                cowmode_estimate *est)
{
    uint64_t huge = room->anon_huge_bytes,
             small = room->anon_bytes - (huge < room->anon_bytes ? huge : room->anon_bytes);
    est->fork_us = COWMODE_FORK_BASE_US + (small / 4096) * COWMODE_PAGE_NS / 1000 +
                   (huge / (2u << 20)) * COWMODE_HUGE_NS / 1000;
    /* The roots: about every private anonymous page that is not the heap's
     * (the heap's resident pages are anonymous too, at most its mappings). */
    est->root_bytes =
        roots ? room->anon_bytes - (heap_bytes < room->anon_bytes ? heap_bytes : room->anon_bytes)
              : 0;
    est->copy_us = (heap_bytes + est->root_bytes) / COWMODE_COPY_BYTES_PER_US;
}

bool cowmode_decide(cowmode_want want, uint64_t heap_bytes, bool roots, const memroom *room,
                    cowmode_estimate *est, char *why, size_t whylen)
{
    cowmode_estimate_us(heap_bytes, roots, room, est);
    why[0] = '\0';
    if (want == COWMODE_NEVER) {
        snprintf(why, whylen, "--no-cow given");
        return false;
    }
    /* Worst case, the process writes every private page while the child
     * holds the old ones: each write is a new page charged to the process. */
    uint64_t worst = room->anon_bytes;
    if (room->cgroup_room != MEMROOM_UNLIMITED && room->cgroup_room < worst) {
        snprintf(why, whylen,
                 "cgroup %s has %" PRIu64 " bytes left below memory.max, less than the %" PRIu64
                 " bytes of private memory the process could dirty while the fork lives",
                 room->cgroup, room->cgroup_room, worst);
        return false;
    }
    if (room->overcommit == 2 && room->commit_room < room->private_bytes) {
        snprintf(why, whylen,
                 "strict overcommit (vm.overcommit_memory=2) leaves %" PRIu64
                 " bytes to commit, less than the %" PRIu64 " bytes a fork commits",
                 room->commit_room, room->private_bytes);
        return false;
    }
    if (want == COWMODE_AUTO && est->fork_us >= est->copy_us) {
        if (room->anon_huge_bytes > 0 && room->anon_huge_bytes * 2 >= room->anon_bytes)
            snprintf(why, whylen,
                     "transparent huge pages (%" PRIu64 " of %" PRIu64
                     " anonymous bytes) make a fork (about %" PRIu64
                     " us) no cheaper than a copy (about %" PRIu64 " us)",
                     room->anon_huge_bytes, room->anon_bytes, est->fork_us, est->copy_us);
        else if (roots)
            snprintf(why, whylen,
                     "the heap (%" PRIu64
                     " bytes) is small enough that a copy of it and of %" PRIu64
                     " bytes of roots (about %" PRIu64
                     " us) is no slower than a fork (about %" PRIu64 " us)",
                     heap_bytes, est->root_bytes, est->copy_us, est->fork_us);
        else
            snprintf(why, whylen,
                     "the heap (%" PRIu64 " bytes) is small enough that a copy (about %" PRIu64
                     " us) is no slower than a fork (about %" PRIu64 " us)",
                     heap_bytes, est->copy_us, est->fork_us);
        return false;
    }
    return true;
}
