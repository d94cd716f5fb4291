/* tests/unit/symtest_child.c: the symtest child process and source markers
 * shared by test_symbolize and test_thread_stacks. */
#include "symtest_child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *symtest_path(bool builddir, const char *rel)
{
    static char buf[2][4096];
    const char *root = getenv(builddir ? "top_builddir" : "top_srcdir");
    snprintf(buf[builddir], sizeof(buf[0]), "%s/%s", root != NULL ? root : ".", rel);
    return buf[builddir];
}

bool symtest_child_start(symtest_child *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    c->pid = -1;
    c->stdin_fd = -1;
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0)
        return false;
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return false;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (path == NULL)
        path = symtest_path(true, "tests/progs/symtest");
    char *argv[] = {(char *)path, NULL};
    pid_t pid;
    int r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (r != 0) {
        close(in[1]);
        close(out[0]);
        return false;
    }
    c->pid = pid;
    c->stdin_fd = in[1];
    FILE *f = fdopen(out[0], "r");
    if (f == NULL) {
        close(out[0]);
        return false;
    }
    unsigned long long k = 0, i = 0, x = 0;
    int got = fscanf(f, "known %llx inline %llx cxx %llx", &k, &i, &x);
    fclose(f);
    c->known = k;
    c->inl = i;
    c->cxx = x;
    return got == 3;
}

bool symtest_child_wait_blocked(const symtest_child *c)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->pid);
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(path, "re");
        if (f == NULL)
            return false;
        char buf[512];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        if (p != NULL && p[1] == ' ' && p[2] == 'S')
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

void symtest_child_stop(symtest_child *c)
{
    if (c->stdin_fd >= 0)
        close(c->stdin_fd);
    c->stdin_fd = -1;
    if (c->pid <= 0)
        return;
    for (int i = 0; i < 500; i++) {
        int st;
        if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
            c->pid = -1;
            return;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    c->pid = -1;
}

int symtest_marker_line(const char *file, const char *marker)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "tests/progs/%s", file);
    FILE *f = fopen(symtest_path(false, rel), "re");
    if (f == NULL)
        return -1;
    char want[128], line[512];
    snprintf(want, sizeof(want), "SYMTEST:%s ", marker);
    int n = 0, found = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        n++;
        line[strcspn(line, "\n")] = ' '; /* so a marker at the end still matches */
        if (strstr(line, want) != NULL) {
            found = n;
            break;
        }
    }
    fclose(f);
    return found;
}
