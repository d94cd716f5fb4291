/* snapshot/attach.h: heapsnap --attach and --detach: load libheapsnap.so into
 * a running process and start recording, or put its GOT entries back. */
#ifndef HS_SNAPSHOT_ATTACH_H
#define HS_SNAPSHOT_ATTACH_H

#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

typedef enum attach_already {
    ATTACH_DONE = 0,          /* the command did what was asked */
    ATTACH_ALREADY_ATTACHED,  /* --attach: attached before */
    ATTACH_ALREADY_PRELOADED, /* --attach: started with the hook */
    ATTACH_NOT_ATTACHED,      /* --detach: nothing attached */
} attach_already;

typedef struct attach_report {
    attach_already already;
    int reused;        /* the library was loaded already (an earlier attach) */
    int entries;       /* GOT entries rewritten, or put back */
    int http_errno;    /* the endpoint did not start (recording did) */
    uint64_t pause_us; /* how long the process was stopped */
} attach_report;

/* The libheapsnap.so heapsnap loads: $HEAPSNAP_LIB, else the installed one. */
const char *attach_library_path(void);
/* Loads the hook into pid (or reuses it) and starts recording at rate bytes,
 * with the endpoint on http unless NULL. 0 (see rep), or -1 + err with the
 * process running as before. */
int attach_run(pid_t pid, uint64_t rate, const char *http, attach_report *rep, hs_err *err);
/* Puts back every GOT entry an attach rewrote and stops the endpoint. */
int detach_run(pid_t pid, attach_report *rep, hs_err *err);

/* The process stopped with its heap quiet and one thread fit to run injected
 * calls, as --attach has it (for --trim). */
typedef struct attach_ctx attach_ctx;
/* NULL + err (seccomp, not glibc, cannot be stopped...), the process running. */
attach_ctx *attach_session_open(pid_t pid, hs_err *err);
/* Calls libc's libc_fn(args...) in the process; *ret gets its return value. */
int attach_session_call(attach_ctx *a, const char *libc_fn, const uint64_t *args, size_t nargs,
                        uint64_t *ret, hs_err *err);
/* Puts the thread back and lets the process run; returns rc, or -1 when that
 * failed; *pause_us (may be NULL) gets how long it was stopped. Frees a. */
int attach_session_close(attach_ctx *a, int rc, uint64_t *pause_us, hs_err *err);

#endif
