/* lib/proc/memroom.h: how much memory a process has and how much more it may
 * get: its private anonymous pages (4 KiB and transparent huge ones), and
 * the room its memory cgroup and the kernel's commit limit leave. What a
 * fork of it costs and risks (snapshot/cowmode.c decides with these). */
#ifndef HS_MEMROOM_H
#define HS_MEMROOM_H

#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

#define MEMROOM_UNLIMITED UINT64_MAX

typedef struct memroom {
    uint64_t anon_bytes;      /* smaps_rollup Anonymous: private pages a fork shares */
    uint64_t anon_huge_bytes; /* of them, AnonHugePages (transparent huge pages) */
    uint64_t private_bytes;   /* status VmData + VmStk: what a fork commits */
    /* the limit less the usage of the process's memory cgroup and each of
     * its ancestors (v2: memory.max - memory.current; v1:
     * memory.limit_in_bytes - memory.usage_in_bytes), the least of them;
     * MEMROOM_UNLIMITED when none has a limit */
    uint64_t cgroup_room;
    char cgroup[512];     /* the cgroup whose room that is, "" when unlimited */
    int overcommit;       /* /proc/sys/vm/overcommit_memory: 0, 1, 2 (-1 unknown) */
    uint64_t commit_room; /* CommitLimit - Committed_AS (meminfo), only meant for mode 2 */
} memroom;

/* Reads them for pid. 0, or -1 + err when the process's smaps_rollup or status
 * cannot be read (the cgroup and commit figures are best effort). */
int memroom_read(pid_t pid, memroom *out, hs_err *err);

/* The cgroup part of memroom_read: cgroup_text is /proc/PID/cgroup's, root
 * where the hierarchies are mounted (/sys/fs/cgroup; v2 there or in
 * unified/, v1's memory controller in memory/). Sets cgroup_room and cgroup.
 * For tests, with a directory of their own. */
void memroom_cgroup_at(memroom *r, const char *cgroup_text, const char *root);

#endif
