/* analyzer/an_debugpkg.c: `dpkg -S FILE` (about 60-90 ms with 800 packages
 * installed, run once per report and only when a program has no symbol at
 * all), spawned without a shell since the path comes from a profile. */
#include "an_debugpkg.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs dpkg -S path; its first line into line. */
static bool dpkg_owner(const char *path, char *line, size_t len)
{
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) != 0)
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"dpkg", "-S", "--", (char *)path, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "dpkg", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        return false;
    }
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(fd[0], line + n, len - 1 - n)) > 0)
        n += (size_t)r;
    line[n] = '\0';
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && n > 0;
}

bool an_debug_package(const char *path, char *out, size_t len)
{
    /* An absolute path of a file here, and no glob characters: dpkg -S takes
     * a pattern. */
    if (path[0] != '/' || strpbrk(path, "*?[]\\") != NULL || access(path, F_OK) != 0)
        return false;
    char line[1024];
    if (!dpkg_owner(path, line, sizeof(line)))
        return false;
    /* "perl-base: /usr/bin/perl", "libsqlite3-0:amd64: /usr/lib/...",
     * "pkg1, pkg2: /path" (a diversion): the first package, without its
     * architecture. */
    size_t end = strcspn(line, ":, \n");
    if (end == 0 || line[end] == '\0' || line[end] == '\n')
        return false;
    int w = snprintf(out, len, "%.*s-dbgsym", (int)end, line);
    return w > 0 && (size_t)w < len;
}
