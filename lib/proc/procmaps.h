/* lib/proc/procmaps.h: the memory map of a process (/proc/PID/maps), with paths
 * resolved through /proc/PID/root so files of a process in a container are
 * opened from the process's own view of the file system. */
#ifndef HS_PROCMAPS_H
#define HS_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

typedef struct procmaps_entry {
    uint64_t start, end; /* [start, end) */
    uint64_t offset;     /* file offset of start */
    bool r, w, x, p;     /* permissions; p = private */
    uint64_t inode;
    char *path; /* as printed in maps ("" for anonymous, "[heap]", ...) */
} procmaps_entry;

typedef struct procmaps {
    pid_t pid;
    procmaps_entry *v;
    size_t n;
} procmaps;

/* Reads /proc/PID/maps (pid 0 = the calling process). NULL + err on failure,
 * e.g. no such process. */
procmaps *procmaps_read(pid_t pid, hs_err *err);
/* Parses maps text (for tests). */
procmaps *procmaps_parse(const char *text, size_t len, pid_t pid, hs_err *err);
void procmaps_free(procmaps *m);

/* The entry containing addr, or NULL. */
const procmaps_entry *procmaps_find(const procmaps *m, uint64_t addr);
/* First entry whose path's basename starts with prefix (e.g. "libc.so."), or NULL. */
const procmaps_entry *procmaps_find_file(const procmaps *m, const char *basename_prefix);
/* Lowest start address among the entries mapping the same file as e: the
 * file's load address (for a PIE/shared object, its load bias when the first
 * PT_LOAD has vaddr 0). */
uint64_t procmaps_file_base(const procmaps *m, const procmaps_entry *e);
/* A path to open the entry's file from this process: "/proc/PID/root" + path
 * when that exists, else path itself. Writes into buf; returns buf. */
const char *procmaps_open_path(const procmaps *m, const procmaps_entry *e, char *buf, size_t len);

#endif
