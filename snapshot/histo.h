/* snapshot/histo.h: `heapsnap -p PID --histo [--json]`: stop the process,
 * capture its heap, resume it, and print the live heap by type, largest
 * first, as `jmap -histo` does for a JVM: C++ objects by their dynamic class
 * (lib/types/tvtable.h), other chunks by their DWARF type (typedwarf.h),
 * every other chunk by its size. */
#ifndef HS_SNAPSHOT_HISTO_H
#define HS_SNAPSHOT_HISTO_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "hs_error.h"

/* Prints the histogram to out. 0, or -1 + err (the process is always resumed). */
int histo_run(pid_t pid, bool json, FILE *out, hs_err *err);

#endif
