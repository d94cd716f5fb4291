/* lib/proc/tsyscall.h: what a thread of another process is blocked in, from
 * /proc/PID/task/TID/syscall (readable by its tracer): the system call and
 * its arguments, with the user stack pointer and pc it will return to. */
#ifndef HS_PROC_TSYSCALL_H
#define HS_PROC_TSYSCALL_H

#include <stdint.h>
#include <sys/types.h>

typedef enum tsyscall_state {
    TSYSCALL_UNKNOWN = 0, /* unreadable (gone, or no access) or unparsed */
    TSYSCALL_RUNNING,     /* on a CPU or runnable: no blocking call to show */
    TSYSCALL_BLOCKED,     /* asleep in system call nr */
    TSYSCALL_NOCALL,      /* asleep, but not in a system call (a fault, a stop) */
} tsyscall_state;

typedef struct tsyscall {
    tsyscall_state state;
    long nr;         /* TSYSCALL_BLOCKED: the call's number (x86-64) */
    uint64_t arg[6]; /* TSYSCALL_BLOCKED: its arguments */
    uint64_t sp, pc; /* BLOCKED and NOCALL: the user stack pointer and pc */
} tsyscall;

/* Parses the file's text (one line, as the kernel writes it) into *out;
 * 0, or -1 when it is none of the three forms. */
int tsyscall_parse(const char *text, tsyscall *out);

/* Reads thread tid of process pid; out->state is TSYSCALL_UNKNOWN when the
 * file cannot be read or parsed. */
void tsyscall_read(pid_t pid, pid_t tid, tsyscall *out);

#endif
