/* snapshot/snapshot.h: one heap snapshot of a live process, as the heapsnap
 * command's script of steps: locate (libc layout, hook registry), stop every
 * thread, walk the arenas, copy the hook's live table (and thread stacks),
 * resume, then attribute, symbolize and write the pprof file atomically. */
#ifndef HS_SNAPSHOT_SNAPSHOT_H
#define HS_SNAPSHOT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

/* Outcome of snap_take. */
typedef enum snap_status {
    SNAP_OK = 0,
    SNAP_FAILED = -1, /* err says why; nothing was written */
    SNAP_GONE = -2,   /* the process exited before or during the snapshot; nothing written */
} snap_status;

/* What one snapshot found, for the progress line and --json. */
typedef struct snap_result {
    int64_t time_nanos;    /* CLOCK_REALTIME when every thread was stopped */
    uint64_t pause_us;     /* first stop to last resume */
    size_t nthreads;       /* threads stopped */
    unsigned busy_retries; /* times the heap was busy and the process resumed briefly */
    bool hook_loaded;      /* libheapsnap.so's registry was found and read */
    uint64_t rate;         /* the hook's sampling rate (0 without hook) */
    uint64_t inuse_bytes, inuse_chunks;             /* walker: in-use + mmapped chunks */
    uint64_t typed_chunks, typed_bytes;             /* with a type label (vtable or DWARF) */
    uint64_t dwarf_chunks, dwarf_bytes;             /* of those, typed from DWARF */
    uint64_t dwarf_stack_slots, dwarf_stack_values; /* typed roots from the threads' locals */
    uint64_t types_us;                              /* the DWARF type stage's time */
    uint64_t attributed_bytes, attributed_chunks;   /* matched to a hook stack (raw) */
    uint64_t unattributed_bytes, unattributed_chunks;
    uint64_t stale_entries; /* live-table entries whose chunk is not in use */
    uint64_t torn_entries;  /* registry entries skipped because they were mid-update */
    size_t nsamples;        /* samples in the written profile */
    /* Whose malloc the process uses: "glibc", or the object that defines a
     * malloc of its own ("libjemalloc.so.2"; see allocator.h). When
     * from_live_table, the profile was built from the hook's live table and
     * inuse_* are its estimate, attributed_* its raw samples. */
    char allocator[128];
    bool from_live_table;
    /* One-line notices for stderr, "" when none (main prints each once). */
    char notice_hook[512];   /* no hook loaded: what the profile holds instead */
    char notice_layout[512]; /* libc debug info missing: the fallback used */
    char notice_alloc[512];  /* malloc is not glibc's: what the profile holds instead */
    /* The pause's parts: stopping every thread, the hook's safepoint (the
     * threads inside its allocator calls let run until they parked; 0
     * without the hook), waiting for the threads still inside malloc, and
     * the rest (copying the heap and the hook's tables). */
    uint64_t stop_us, safepoint_us, wait_us, copy_us;
    size_t parked_threads; /* threads parked at the safepoint */
    /* heapsnap ran the end of the pause (the capture and the resume) as
     * SCHED_FIFO: without it every thread it lets go preempts it */
    bool realtime;
    /* smaps_rollup's Rss read as the process resumed (0: unknown), for the
     * profile's comment: the analyzer compares it with the heap in use */
    uint64_t rss_bytes;
    /* The wait's budget ran out with threads inside malloc: the heap was
     * walked as it was, and the arenas they were modifying are approximate.
     * uncertain_bytes: their chunks that an allocator call in progress may be
     * moving (fast bins, unsorted bin) and what the walk could not reach. */
    bool approximate;
    size_t busy_threads, approx_narenas;
    uint64_t approx_arenas[8]; /* the first of them (malloc_state addresses) */
    uint64_t uncertain_bytes;
    /* How the heap was read (snapshot/cowmode.h): "fork", a frozen
     * copy-on-write child walked while the process ran (the pause's last
     * part is fork_us), or "copy", the heap copied while it was stopped
     * (copy_us), with copy_reason saying why it did not fork. */
    char mode[8];
    char copy_reason[512];
    uint64_t fork_us;
    uint64_t walk_us;      /* capture (fork) and classification after the resume */
    uint64_t reap_us;      /* the second, short stop that reaped the child */
    int64_t dirtied_pages; /* pages the process wrote while the child lived; -1 unknown */
    uint64_t fork_est_us, copy_est_us; /* cowmode's estimates of both pauses */
} snap_result;

/* The budget for the wait for threads inside malloc (--max-pause), for every
 * later snap_take; 0 restores the default (quiesce.h). */
void snap_set_max_pause_us(uint64_t us);
/* Whether later snap_take calls find who holds each chunk (the held_by
 * label; on by default; --no-holders turns it off). */
void snap_set_holders(bool on);
/* Where later snap_take calls also write the retained profile
 * (retained.h); NULL (the default) for none. */
void snap_set_retained(const char *path);

/* Whether later snap_takes fork: -1 never (--no-cow), 0 when it looks cheaper
 * (the default), 1 whenever the memory allows (--cow). */
void snap_set_cow(int cow);

/* Takes one snapshot of pid into out_path (and the threads profile into
 * threads_path when it is not NULL). */
snap_status snap_take(pid_t pid, const char *out_path, const char *threads_path, snap_result *res,
                      hs_err *err);

/* true when pid no longer runs (gone or a zombie). */
bool snap_process_gone(pid_t pid);

#endif
