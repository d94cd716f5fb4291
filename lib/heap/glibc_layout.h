/* lib/heap/glibc_layout.h: what the walker must know about one libc build: the
 * offsets and sizes of malloc's structs and the libc-relative addresses of
 * its variables. Read from libc's separate debug file (DWARF, found by build
 * id) or, for a build verified by hand, from a built-in table. */
#ifndef HS_GLIBC_LAYOUT_H
#define HS_GLIBC_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"

/* The build verified in docs (Debian 12, glibc 2.36-9+deb12u14). */
#define GLAYOUT_DEBIAN12_BUILDID "93ac61ec5a8eb1396f9fbd350e3169a558528a40"

typedef struct glayout {
    /* struct malloc_state */
    uint32_t ms_size, ms_mutex, ms_flags, ms_fastbins, ms_nfastbins, ms_top, ms_last_remainder,
        ms_bins, ms_nbins_words, ms_next, ms_next_free, ms_attached_threads, ms_system_mem;
    /* struct malloc_chunk */
    uint32_t mc_prev_size, mc_size, mc_fd, mc_bk;
    /* struct _heap_info */
    uint32_t hi_size_of, hi_ar_ptr, hi_prev, hi_size, hi_mprotect_size;
    /* struct malloc_par (mp_) */
    uint32_t mp_size_of, mp_hp_pagesize, mp_n_mmaps, mp_mmapped_mem, mp_sbrk_base, mp_tcache_bins,
        mp_tcache_count;
    /* struct tcache_perthread_struct; counts[] elements are tc_count_size bytes */
    uint32_t tc_size_of, tc_counts, tc_count_size, tc_entries, tc_nbins;
    /* struct tcache_entry */
    uint32_t te_next, te_key;
    /* libc-relative addresses of variables */
    uint64_t main_arena, mp_, narenas, list_lock, free_list, free_list_lock, global_max_fast,
        tcache_key;
    /* offsets inside libc's static TLS block */
    uint64_t tls_tcache, tls_thread_arena;
    /* malloc.c's text, libc-relative [lo, hi) */
    uint64_t text_lo, text_hi;
    /* what the layout came from, in words */
    char source[256];
} glayout;

/* Loads the layout of the libc whose build id is hexid: from
 * DEBUG_DIR/.build-id/xx/yyy.debug (debug_dir NULL = $HEAPSNAP_DEBUG_DIR or
 * /usr/lib/debug), else from the built-in table. 0, or -1 + err (one sentence
 * that says to install libc6-dbg). */
int glayout_load(const char *hexid, const char *debug_dir, glayout *out, hs_err *err);
/* Only the DWARF of the debug file at path. */
int glayout_from_dwarf(const char *path, glayout *out, hs_err *err);
/* Only the built-in table. */
int glayout_builtin(const char *hexid, glayout *out, hs_err *err);

#endif
