/* tests/unit/symtest_child.h: starts tests/progs/symtest as a child for the
 * symbolizer and thread-stack tests, reads the PCs it prints, and ends it. */
#ifndef HS_SYMTEST_CHILD_H
#define HS_SYMTEST_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct symtest_child {
    pid_t pid;
    int stdin_fd; /* closing it lets the child leave symtest_block() */
    uint64_t known, inl, cxx;
} symtest_child;

/* Runs path (NULL: $top_builddir/tests/progs/symtest); true when it printed its PCs. */
bool symtest_child_start(symtest_child *c, const char *path);
/* Waits until the child sleeps (blocked in read) or up to 10 s. */
bool symtest_child_wait_blocked(const symtest_child *c);
/* Closes its stdin, then reaps it (killing it if it does not exit). */
void symtest_child_stop(symtest_child *c);
/* The line number of the line carrying "SYMTEST:marker" in tests/progs/file. */
int symtest_marker_line(const char *file, const char *marker);
/* "$top_srcdir/rel" or "$top_builddir/rel" into a static buffer. */
const char *symtest_path(bool builddir, const char *rel);

#endif
