/* tests/progs/snap_tracer.c: another debugger. Seizes every thread of PID
 * (PTRACE_SEIZE, which does not stop it) and holds it, so heapsnap meets an
 * already traced process. Usage: snap_tracer PID STATUSFILE */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    pid_t pid = (pid_t)atoi(argv[1]);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
            perror("snap_tracer: PTRACE_SEIZE");
            return 1;
        }
    }
    closedir(d);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "seized\n", 7) != 7)
        return 1;
    close(fd);
    for (;;)
        pause();
}
