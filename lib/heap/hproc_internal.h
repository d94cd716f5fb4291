/* lib/heap/hproc_internal.h: the live-process heap handle shared by
 * heap_process.c (open, layout, TLS, capture) and heap_busy.c (is the heap
 * quiet?). Private to those two files. */
#ifndef HS_HPROC_INTERNAL_H
#define HS_HPROC_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "buildid.h"
#include "glibc_heap.h"
#include "glibc_layout.h"
#include "heap_process.h"
#include "memsrc.h"
#include "uwr.h"

/* struct pthread's stackblock/stackblock_size in the verified build; used only
 * after checking that the thread's stack pointer lies inside. */
#define HP_PTHREAD_STACKBLOCK 1680
#define HP_PTHREAD_STACKBLOCK_SIZE 1688
#define HP_MAX_FRAMES 64
/* glibc's non-main heaps start HEAP_MAX_SIZE-aligned (docs/glibc-malloc.md §4) */
#define HP_HEAP_ALIGN (64ull << 20)

struct hproc {
    pid_t pid;
    uint64_t libc_base, ld_base;
    char buildid[2 * BUILDID_MAX + 1];
    glayout lay;
    memsrc *m;
    memsrc *frozen;      /* hproc_capture_frozen's source, kept for the classify */
    uint64_t heap_bytes; /* the heaps' mappings at hproc_open */
    uwr *uw;             /* the busy check's unwinder; NULL without libunwind */
    gheap_range excluded[HPROC_MAX_EXCLUDED]; /* from the mmapped-chunk search */
    size_t nexcluded;
    uint64_t single_threaded; /* &__libc_single_threaded, 0 = unknown */
    uint64_t r_debug;         /* &_r_debug in ld.so, 0 = unknown */
    uint64_t ltls_field;      /* offset of l_tls_offset in struct link_map */
    int have_ltls_field;
    uint64_t l_tls_offset;        /* libc's, 0 = not yet read */
    hproc_tls tls[HPROC_MAX_TLS]; /* every object's static TLS block, read at the open */
    size_t ntls;
    uint8_t auxv[1024]; /* /proc/PID/auxv at open: changes with every exec */
    size_t auxv_len;
};

#endif
