/* lib/proc/tsyscall.c: /proc/PID/task/TID/syscall (see tsyscall.h). The
 * kernel (fs/proc/base.c, proc_pid_syscall) writes "running" for a task that
 * is not asleep, "-1 SP PC" for one asleep outside a system call, and
 * "NR A1 A2 A3 A4 A5 A6 SP PC" (numbers in hex after NR) for one asleep in a
 * call. */
#include "tsyscall.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int tsyscall_parse(const char *text, tsyscall *out)
{
    memset(out, 0, sizeof(*out));
    if (strncmp(text, "running", 7) == 0) {
        out->state = TSYSCALL_RUNNING;
        return 0;
    }
    long nr;
    uint64_t v[8];
    int k = sscanf(text,
                   "%ld 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64
                   " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64,
                   &nr, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    if (k == 3 && nr == -1) {
        out->state = TSYSCALL_NOCALL;
        out->sp = v[0];
        out->pc = v[1];
        return 0;
    }
    if (k == 9 && nr >= 0) {
        out->state = TSYSCALL_BLOCKED;
        out->nr = nr;
        memcpy(out->arg, v, sizeof(out->arg));
        out->sp = v[6];
        out->pc = v[7];
        return 0;
    }
    return -1;
}

void tsyscall_read(pid_t pid, pid_t tid, tsyscall *out)
{
    char path[96], buf[256];
    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (tsyscall_parse(buf, out) != 0)
        memset(out, 0, sizeof(*out));
}
