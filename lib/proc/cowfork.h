/* lib/proc/cowfork.h: a frozen copy-on-write child of a stopped process, for
 * reading its memory as it was at the fork while the process runs on. The
 * child is a raw clone (inject.h's inj_clone: no atfork handlers, exit
 * signal 0, traced and stopped from birth, killed if heapsnap dies), so the
 * program never sees it; once killed it is a zombie of the process until
 * cowfork_reap's injected wait4 (in a second short stop) collects it, and a
 * zombie that a killed heapsnap left behind is collected by the next fork. */
#ifndef HS_COWFORK_H
#define HS_COWFORK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_error.h"

typedef struct cowfork cowfork;

/* Before the stop: finds pid's libc for the injections and the zombies of
 * earlier forks (cowfork_zombies). NULL + err when pid cannot be injected
 * into (not glibc, static). */
cowfork *cowfork_open(pid_t pid, hs_err *err);
/* While every thread is stopped and the heap quiet: on thread tid (stopped
 * by the caller, left stopped), reaps the zombies found by cowfork_open and
 * forks the frozen child. 0 with *child set; -1 + err with the process as
 * it was, *clone_errno the clone's own error (EAGAIN, ENOMEM, EPERM) or 0. */
int cowfork_fork(cowfork *cf, pid_t tid, pid_t *child, int *clone_errno, hs_err *err);
/* The child, 0 when there is none alive. */
pid_t cowfork_child(const cowfork *cf);
/* Any time after the fork: kills the child and collects its end as its
 * tracer; it is then a zombie of the process. 0, or -1 + err. */
int cowfork_kill(cowfork *cf, hs_err *err);
/* After cowfork_kill, with the process running: stops it (ptstop), reaps the
 * zombie with an injected wait4(child, NULL, __WALL | WNOHANG) and resumes
 * it; *pause_us gets that stop's length. 0, or -1 + err (the zombie is then
 * left for the next fork to reap). */
int cowfork_reap(cowfork *cf, uint64_t *pause_us, hs_err *err);
/* While the child lives: the resident pages of the process, in the child's
 * writable private mappings, that it holds in another frame than the child
 * by now -- the pages it wrote (or
 * first touched) since the fork, each one a copy the kernel made. 0, or -1 +
 * err (no frame numbers without CAP_SYS_ADMIN). */
int cowfork_dirtied(cowfork *cf, uint64_t *pages, hs_err *err);
/* Kills a child still alive (not reaped: that needs a stop) and frees cf. */
void cowfork_close(cowfork *cf);

/* The zombies of earlier forks of pid: children of any of its threads
 * (/proc/PID/task/T/children) in state Z with exit signal 0 (field 38 of
 * their stat) and the name "heapsnap-frozen", which the injecting thread
 * wears for the clone (so a clone child the program made itself is never
 * taken), at most max into out. Their number. */
size_t cowfork_zombies(pid_t pid, pid_t *out, size_t max);

#endif
