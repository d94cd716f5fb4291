/* lib/proc/cowfork.c: the frozen child (see cowfork.h). The fork and the
 * reaping each run in one injection session on one stopped thread; the
 * child's exit signal of 0 keeps it out of the program's waits, so only an
 * injected wait with __WALL collects it. */
#include "cowfork.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inject.h"
#include "pagemap.h"
#include "procmaps.h"
#include "resident.h"
#include "ptstop.h"

#define COWFORK_MAX_ZOMBIES 64
/* The child's name (the injecting thread wears it for the clone): what tells
 * heapsnap's zombies from clone children the program makes itself. */
#define COWFORK_COMM "heapsnap-frozen"
_Static_assert(sizeof(COWFORK_COMM) <= 16, "a task's name is at most 15 bytes");

struct cowfork {
    pid_t pid;
    inj_target *t;
    uint64_t wait4_fn, prctl_fn;
    pid_t child;                      /* alive and traced by us, 0 when none */
    pid_t zombie;                     /* killed, waiting for cowfork_reap, 0 when none */
    pid_t stale[COWFORK_MAX_ZOMBIES]; /* zombies of earlier forks */
    size_t nstale;
};

/* The name, the state and field 38 (exit_signal) of /proc/PID/stat: 0 or -1. */
static int cowfork_stat(pid_t pid, char comm[16], char *state, int *exit_signal)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'), *open = strchr(buf, '('); /* names hold anything */
    if (p == NULL || open == NULL || p < open || p[1] != ' ' || p - open - 1 > 15)
        return -1;
    memcpy(comm, open + 1, (size_t)(p - open - 1));
    comm[p - open - 1] = '\0';
    *state = p[2];
    /* Fields 3 (state) to 38: skip 35 spaces after the state. */
    int field = 3;
    for (p += 2; *p != '\0' && field < 38; p++)
        if (*p == ' ')
            field++;
    if (field != 38 || sscanf(p, "%d", exit_signal) != 1)
        return -1;
    return 0;
}

size_t cowfork_zombies(pid_t pid, pid_t *out, size_t max)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < max) {
        int tid = atoi(de->d_name);
        if (tid <= 0)
            continue;
        char cpath[96];
        snprintf(cpath, sizeof(cpath), "/proc/%d/task/%d/children", (int)pid, tid);
        FILE *f = fopen(cpath, "re");
        if (f == NULL)
            continue;
        int c;
        while (n < max && fscanf(f, "%d", &c) == 1) {
            char comm[16], state;
            int sig;
            if (cowfork_stat((pid_t)c, comm, &state, &sig) == 0 && state == 'Z' && sig == 0 &&
                strcmp(comm, COWFORK_COMM) == 0)
                out[n++] = (pid_t)c;
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

cowfork *cowfork_open(pid_t pid, hs_err *err)
{
    cowfork *cf = calloc(1, sizeof(*cf));
    if (cf == NULL) {
        hs_err_set(err, "out of memory");
        return NULL;
    }
    cf->pid = pid;
    cf->t = inj_open(pid, err);
    if (cf->t == NULL || inj_libc_symbol(cf->t, "wait4", &cf->wait4_fn, err) != 0 ||
        inj_libc_symbol(cf->t, "prctl", &cf->prctl_fn, err) != 0) {
        cowfork_close(cf);
        return NULL;
    }
    cf->nstale = cowfork_zombies(pid, cf->stale, COWFORK_MAX_ZOMBIES);
    return cf;
}

pid_t cowfork_child(const cowfork *cf)
{
    return cf->child;
}

/* wait4(z, NULL, __WALL | WNOHANG) in the process: 0 when z was reaped. */
static int cowfork_wait4(cowfork *cf, inj_thread *c, pid_t z, hs_err *err)
{
    uint64_t args[4] = {(uint64_t)(int64_t)z, 0, (uint64_t)(__WALL | WNOHANG), 0}, ret = 0;
    if (inj_call(c, cf->wait4_fn, args, 4, 0, &ret, err) != INJ_DONE)
        return -1;
    if ((int64_t)(int32_t)ret != (int64_t)z)
        return hs_err_set(err, "wait4 for the clone child %d in process %d returned %d", (int)z,
                          (int)cf->pid, (int)(int32_t)ret);
    return 0;
}

/* prctl(PR_SET_NAME, name) on the thread: 0 or -1 + err. */
static int cowfork_name(cowfork *cf, inj_thread *c, const char *name, hs_err *err)
{
    uint64_t addr, ret = 0;
    if (inj_push(c, name, strlen(name) + 1, &addr, err) != 0)
        return -1;
    uint64_t args[2] = {PR_SET_NAME, addr};
    if (inj_call(c, cf->prctl_fn, args, 2, 0, &ret, err) != INJ_DONE)
        return -1;
    return ret == 0 ? 0 : hs_err_set(err, "prctl(PR_SET_NAME) in process %d failed", (int)cf->pid);
}

/* The thread's name, from /proc: 0 or -1. */
static int cowfork_thread_comm(pid_t pid, pid_t tid, char comm[16])
{
    char path[96];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int ok = fgets(comm, 16, f) != NULL;
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    return ok ? 0 : -1;
}

int cowfork_fork(cowfork *cf, pid_t tid, pid_t *child, int *clone_errno, hs_err *err)
{
    *child = 0;
    *clone_errno = 0;
    if (cf->child != 0)
        return hs_err_set(err, "a frozen child of process %d is still alive", (int)cf->pid);
    char comm[16];
    if (cowfork_thread_comm(cf->pid, tid, comm) != 0)
        return hs_err_set(err, "cannot read the name of thread %d", (int)tid);
    inj_thread *c = inj_begin(cf->t, tid, err);
    if (c == NULL)
        return -1;
    hs_err ignored = {0};
    for (size_t i = 0; i < cf->nstale; i++)
        cowfork_wait4(cf, c, cf->stale[i], &ignored); /* best effort: reaped next time else */
    cf->nstale = 0;
    /* The child is born with the thread's name: wear ours for the clone. */
    int rc = cowfork_name(cf, c, COWFORK_COMM, err);
    if (rc == 0) {
        rc = inj_clone(c, child, clone_errno, err);
        hs_err e2 = {0};
        if (cowfork_name(cf, c, comm, rc == 0 ? err : &e2) != 0 && rc == 0) {
            kill(*child, SIGKILL); /* the thread's name is not as it was */
            waitpid(*child, NULL, __WALL);
            *child = 0;
            rc = -1;
        }
    }
    hs_err keep = *err;
    if (inj_end(c, err) != 0) {
        if (rc == 0) { /* the process is not as it was: do without the child */
            kill(*child, SIGKILL);
            waitpid(*child, NULL, __WALL);
            *child = 0;
        }
        return -1;
    }
    *err = keep;
    if (rc != 0)
        return -1;
    cf->child = *child;
    return 0;
}

int cowfork_kill(cowfork *cf, hs_err *err)
{
    if (cf->child == 0)
        return 0;
    pid_t ch = cf->child;
    cf->child = 0;
    if (kill(ch, SIGKILL) != 0)
        return hs_err_set(err, "cannot kill the frozen child %d: %s", (int)ch, strerror(errno));
    for (;;) {
        int st;
        pid_t r = waitpid(ch, &st, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return hs_err_set(err, "lost the frozen child %d: %s", (int)ch, strerror(errno));
        if (WIFEXITED(st) || WIFSIGNALED(st))
            break;
    }
    cf->zombie = ch;
    return 0;
}

int cowfork_reap(cowfork *cf, uint64_t *pause_us, hs_err *err)
{
    *pause_us = 0;
    if (cf->zombie == 0)
        return 0;
    ptstop *s = ptstop_stop_all(cf->pid, err);
    if (s == NULL)
        return -1;
    if (ptstop_nthreads(s) == 0) { /* the process died: the kernel reaps what was its */
        ptstop_detach_all(s);
        cf->zombie = 0;
        return hs_err_set(err, "process %d exited before its frozen child was reaped",
                          (int)cf->pid);
    }
    /* Any thread can reap a child of any other: the main thread if it is
     * still there. */
    pid_t tid = ptstop_thread_at(s, 0)->tid;
    for (size_t i = 0; i < ptstop_nthreads(s); i++)
        if (ptstop_thread_at(s, i)->tid == cf->pid)
            tid = cf->pid;
    int rc = -1;
    inj_thread *c = inj_begin(cf->t, tid, err);
    if (c != NULL) {
        rc = cowfork_wait4(cf, c, cf->zombie, err);
        hs_err keep = *err;
        if (inj_end(c, err) != 0)
            rc = -1;
        else
            *err = keep;
    }
    *pause_us = ptstop_pause_us(s);
    ptstop_detach_all(s);
    if (rc == 0)
        cf->zombie = 0;
    return rc;
}

int cowfork_dirtied(cowfork *cf, uint64_t *pages, hs_err *err)
{
    *pages = 0;
    if (cf->child == 0)
        return hs_err_set(err, "no frozen child of process %d is alive", (int)cf->pid);
    procmaps *m = procmaps_read(cf->child, err);
    if (m == NULL)
        return -1;
    /* Only the process's resident pages are compared: a writable mapping
     * may reserve terabytes (a sanitizer's shadow) of which a few pages are
     * there, and PAGEMAP_SCAN finds those without reading an entry per page. */
    procmaps w = {cf->pid, calloc(m->n ? m->n : 1, sizeof(procmaps_entry)), 0};
    resident_set res;
    memset(&res, 0, sizeof(res));
    int rc = w.v != NULL ? 0 : hs_err_set(err, "out of memory");
    for (size_t i = 0; w.v != NULL && i < m->n; i++)
        if (m->v[i].w && m->v[i].p)
            w.v[w.n++] = m->v[i];
    if (rc == 0)
        rc = resident_read(cf->pid, &w, true, &res, err);
    pagemap *a = NULL, *b = NULL;
    if (rc == 0) {
        a = pagemap_open(cf->pid, err);
        b = a != NULL ? pagemap_open(cf->child, err) : NULL;
        rc = b != NULL ? 0 : -1;
    }
    for (size_t i = 0; rc == 0 && i < res.n; i++) {
        uint64_t n = 0;
        rc = pagemap_differing(a, b, res.v[i].start, res.v[i].end, &n, err);
        *pages += n;
    }
    pagemap_close(a);
    pagemap_close(b);
    resident_free(&res);
    free(w.v);
    procmaps_free(m);
    return rc;
}

void cowfork_close(cowfork *cf)
{
    if (cf == NULL)
        return;
    hs_err ignored = {0};
    cowfork_kill(cf, &ignored);
    inj_close(cf->t);
    free(cf);
}
