/* tests/progs/status_line.h: a test program's one-line status file, which
 * its script waits for and reads: written to PATH.tmp and renamed over PATH,
 * so that the script never reads half a line. */
#ifndef HS_TESTS_STATUS_LINE_H
#define HS_TESTS_STATUS_LINE_H

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* line[0..len) into path; 0, or -1. */
static inline int status_line_write(const char *path, const char *line, int len)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || len < 0 || write(fd, line, (size_t)len) != len)
        return -1;
    close(fd);
    return rename(tmp, path);
}

#endif
