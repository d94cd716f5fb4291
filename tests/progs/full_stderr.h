/* tests/progs/full_stderr.h: stderr made a pipe that is full and never read,
 * so that the next write to it blocks for good: malloc_stats() then blocks
 * holding main_arena's lock (tests/progs/stuck_malloc.c, asleep_prog.c). */
#ifndef HS_TESTS_FULL_STDERR_H
#define HS_TESTS_FULL_STDERR_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* 0, or -1 when no pipe could be made. */
static inline int full_stderr(void)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    /* fill the pipe without blocking, then make writes block */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char buf[4096];
    memset(buf, 'x', sizeof(buf));
    while (write(p[1], buf, sizeof(buf)) > 0)
        ;
    fcntl(p[1], F_SETFL, 0);
    return dup2(p[1], 2) == 2 ? 0 : -1;
}

#endif
