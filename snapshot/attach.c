/* snapshot/attach.c: heapsnap --attach and --detach. With every thread of the
 * process stopped and its heap quiet (as for a snapshot), one thread runs
 * injected calls (lib/proc/inject.h): memfd_create, whose file heapsnap fills
 * with libheapsnap.so through /proc/PID/fd, dlopen("/proc/self/fd/N") -- so
 * the library loads from inside the process's own mount namespace --, then
 * the library's heapsnap_attach, which rewrites the GOT entries of the
 * allocator; --detach calls heapsnap_detach, which puts them back. */
#include "attach.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dynsym.h"
#include "heap_process.h"
#include "inject.h"
#include "memsrc.h"
#include "procmaps.h"
#include "ptstop.h"
#include "quiesce.h"
#include "slurp.h"
#include "uwr.h"

#ifndef HS_LIBDIR
#define HS_LIBDIR "/usr/local/lib"
#endif

#define ATTACH_MEMFD_NAME "heapsnap/libheapsnap.so" /* maps: "/memfd:heapsnap/libheapsnap.so" */
#define ATTACH_SLICE_US 100000u /* an injected call waits this long before others run */
#define ATTACH_RUN_US 2000u     /* then the other threads run this long */
#define ATTACH_MAX_ROUNDS 100   /* about 10 s in all */
#define ATTACH_STOP_TRIES 50    /* stops until one thread is fit to run the calls */
#define ATTACH_MAX_FRAMES 128
#define ATTACH_MAX_RANGES 32

/* The library's state word (hook/hook_attach.c). */
enum { ATTACH_LOADED = 0, ATTACH_ON = 1, ATTACH_PRELOADED = 2 };

const char *attach_library_path(void)
{
    const char *env = getenv("HEAPSNAP_LIB");
    return env != NULL && *env != '\0' ? env : HS_LIBDIR "/libheapsnap.so";
}

/* Seccomp filter mode (2) from /proc/PID/status: a filter may kill the process
 * for the calls an attach makes (memfd_create, mmap of code). */
static int attach_check_seccomp(pid_t pid, hs_err *err)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return hs_err_set(err, "no such process: PID %d does not exist", (int)pid);
    int mode = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Seccomp: %d", &mode) == 1)
            break;
    fclose(f);
    if (mode != 0)
        return hs_err_set(err,
                          "process %d runs under seccomp (mode %d), which may kill it for the "
                          "system calls an attach makes; restart it with "
                          "LD_PRELOAD=libheapsnap.so instead",
                          (int)pid, mode);
    return 0;
}

/* Where libheapsnap.so is mapped in pid, and its state word: 1 and *state,
 * 0 when it is not loaded, -1 + err. */
static int attach_find_hook(pid_t pid, uint64_t *base, int *state, hs_err *err)
{
    procmaps *m = procmaps_read(pid, err);
    if (m == NULL)
        return -1;
    const procmaps_entry *e = procmaps_find_file(m, "libheapsnap.so");
    if (e == NULL) {
        procmaps_free(m);
        return 0;
    }
    *base = procmaps_file_base(m, e);
    procmaps_free(m);
    memsrc *mem = memsrc_open_pid(pid, 0, err);
    if (mem == NULL)
        return -1;
    uint64_t addr = 0;
    int r = dynsym_lookup(mem, *base, "heapsnap_attach_state", &addr, NULL);
    uint32_t v = 0;
    if (r == 1 && memsrc_read(mem, addr, sizeof(v), &v) != 0)
        r = -1;
    memsrc_close(mem);
    if (r < 0)
        return hs_err_set(err, "cannot read libheapsnap.so's symbols in process %d", (int)pid);
    /* A hook built before attach existed is a preloaded one. */
    *state = r == 0 ? ATTACH_PRELOADED : (int)v;
    return 1;
}

static int attach_hook_symbol(pid_t pid, uint64_t base, const char *name, uint64_t *addr,
                              hs_err *err)
{
    memsrc *mem = memsrc_open_pid(pid, 0, err);
    if (mem == NULL)
        return -1;
    int r = dynsym_lookup(mem, base, name, addr, NULL);
    memsrc_close(mem);
    if (r != 1)
        return hs_err_set(err,
                          "libheapsnap.so in process %d exports no %s; it is an older build, "
                          "restart the program",
                          (int)pid, name);
    return 0;
}

/* Code a thread that runs the calls must not be in (anywhere on its stack):
 * the dynamic loader and libc's functions that take its locks (a dlopen
 * re-entered on the same thread would find its lock already held: recursive,
 * so it would go on with the loader's lists half-updated), and the hook's
 * own code (it may hold the hook's lock, or be recording into the tables an
 * attach empties). Other threads holding those locks only make a call wait,
 * and they are let run then. */
typedef struct attach_ranges {
    uint64_t lo[ATTACH_MAX_RANGES], hi[ATTACH_MAX_RANGES];
    size_t n;
} attach_ranges;

static void attach_range_add(attach_ranges *r, uint64_t lo, uint64_t hi)
{
    if (r->n < ATTACH_MAX_RANGES && lo < hi) {
        r->lo[r->n] = lo;
        r->hi[r->n] = hi;
        r->n++;
    }
}

static void attach_find_ranges(const procmaps *m, memsrc *mem, attach_ranges *r)
{
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < m->n; i++) {
        const procmaps_entry *e = &m->v[i];
        const char *base = strrchr(e->path, '/');
        base = base ? base + 1 : e->path;
        if (e->x && (strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "libheapsnap.so", 14) == 0))
            attach_range_add(r, e->start, e->end);
    }
    const procmaps_entry *libc = procmaps_find_file(m, "libc.so.6");
    if (libc == NULL)
        return;
    static const char *const fns[] = {"dl_iterate_phdr", "dladdr", "dladdr1", "dlopen", "dlclose",
                                      "dlsym",           "dlvsym", "dlmopen", "dlinfo"};
    uint64_t lbase = procmaps_file_base(m, libc);
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        uint64_t addr, size;
        if (dynsym_lookup_size(mem, lbase, fns[i], &addr, &size) == 1)
            attach_range_add(r, addr, addr + size);
    }
}

/* The stopped process and the thread that runs the calls. */
typedef struct attach_ctx {
    pid_t pid;
    hproc *h;
    ptstop *s;
    quiesce_result qr;
    inj_target *t;
    inj_thread *c;
    pid_t tid;
    uint64_t pause_us;
    procmaps *pm; /* read before the stop: for the unwinder and the ranges */
    memsrc *mem;
    uwr *u;
    attach_ranges ranges;
} attach_ctx;

/* Calls fn in the process; while it waits (for a lock one of the stopped
 * threads holds: ld.so's, stdio's), the other threads run a little. */
static int attach_call(attach_ctx *a, uint64_t fn, const uint64_t *args, size_t nargs,
                       uint64_t *ret, const char *what, hs_err *err)
{
    inj_status st = inj_call(a->c, fn, args, nargs, ATTACH_SLICE_US, ret, err);
    for (int round = 0; st == INJ_RUNNING; round++) {
        if (round == ATTACH_MAX_ROUNDS)
            return hs_err_set(err,
                              "%s did not return in process %d within 10 s; heapsnap let it "
                              "finish on its own",
                              what, (int)a->pid);
        size_t n = ptstop_nthreads(a->s);
        bool *run = calloc(n ? n : 1, sizeof(*run));
        if (run == NULL)
            return hs_err_set(err, "out of memory");
        for (size_t i = 0; i < n; i++)
            run[i] = ptstop_thread_at(a->s, i)->tid != a->tid;
        int rc = ptstop_resume_some(a->s, run, ATTACH_RUN_US, err);
        free(run);
        if (rc != 0)
            return -1;
        st = inj_wait(a->c, ATTACH_SLICE_US, ret, err);
    }
    return st == INJ_DONE ? 0 : hs_err_prefix(err, "%s in process %d", what, (int)a->pid);
}

/* Whether thread t may run the calls: nothing on its stack in a->ranges. */
static bool attach_fit(attach_ctx *a, const ptstop_thread *t)
{
    uint64_t pcs[ATTACH_MAX_FRAMES];
    int n = a->u != NULL ? uwr_frames(a->u, &t->regs, pcs, ATTACH_MAX_FRAMES) : -1;
    if (n < 1) {
        pcs[0] = t->regs.rip; /* no unwinding: the pc at least */
        n = 1;
    }
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < a->ranges.n; k++)
            if (pcs[i] >= a->ranges.lo[k] && pcs[i] < a->ranges.hi[k])
                return false;
    return true;
}

/* Stops the process with its heap quiet and picks the thread for the calls:
 * the main thread when it is fit (its stack grows on demand), else any fit
 * one; when none is, lets the process run a moment and stops it again. */
static int attach_stop(attach_ctx *a, hs_err *err)
{
    a->pm = procmaps_read(a->pid, err);
    if (a->pm == NULL)
        return -1;
    a->mem = memsrc_open_pid(a->pid, 0, err);
    if (a->mem == NULL)
        return -1;
    attach_find_ranges(a->pm, a->mem, &a->ranges);
    a->u = uwr_open(a->pid, a->pm, a->mem);
    a->h = hproc_open(a->pid, err);
    if (a->h == NULL)
        return -1;
    for (int tries = 0; tries < ATTACH_STOP_TRIES; tries++) {
        gheap_thread *threads = NULL;
        size_t n = 0;
        a->s = quiesce_stop_within(a->pid, a->h, NULL, 0, &threads, &n, &a->qr, err);
        free(threads);
        if (a->s == NULL)
            return -1;
        memsrc_invalidate(a->mem);
        a->tid = 0;
        for (size_t i = 0; i < ptstop_nthreads(a->s); i++) {
            const ptstop_thread *t = ptstop_thread_at(a->s, i);
            if ((a->tid == 0 || t->tid == a->pid) && attach_fit(a, t))
                a->tid = t->tid;
        }
        if (a->tid != 0) {
            a->c = inj_begin(a->t, a->tid, err);
            return a->c != NULL ? 0 : -1;
        }
        ptstop_detach_all(a->s);
        quiesce_end(&a->qr);
        a->s = NULL;
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    return hs_err_set(err,
                      "every thread of process %d was inside the dynamic loader or the hook at "
                      "each of %d stops; try again",
                      (int)a->pid, ATTACH_STOP_TRIES);
}

/* Puts the thread back and lets the process run. A call that never returned
 * is left to finish by itself (it returns through its signal frame). */
static int attach_resume(attach_ctx *a, int rc, hs_err *err)
{
    if (a->c != NULL) {
        hs_err e2;
        if (inj_end(a->c, rc == 0 ? err : &e2) != 0) {
            if (rc == 0)
                rc = -1;
            else
                inj_abandon(a->c);
        }
        a->c = NULL;
    }
    if (a->s != NULL) {
        a->pause_us = ptstop_pause_us(a->s);
        ptstop_detach_all(a->s);
        quiesce_end(&a->qr);
    }
    a->s = NULL;
    hproc_close(a->h);
    inj_close(a->t);
    uwr_close(a->u);
    memsrc_close(a->mem);
    procmaps_free(a->pm);
    return rc;
}

/* memfd + write + dlopen inside the process; the library's base in *base. */
static int attach_load(attach_ctx *a, const void *lib, size_t len, uint64_t *base, hs_err *err)
{
    uint64_t fn_memfd, fn_dlopen, fn_dlerror, fn_close;
    if (inj_libc_symbol(a->t, "memfd_create", &fn_memfd, err) != 0 ||
        inj_libc_symbol(a->t, "dlopen", &fn_dlopen, err) != 0 ||
        inj_libc_symbol(a->t, "dlerror", &fn_dlerror, err) != 0 ||
        inj_libc_symbol(a->t, "close", &fn_close, err) != 0)
        return -1;
    uint64_t name, fd = 0;
    if (inj_push(a->c, ATTACH_MEMFD_NAME, sizeof(ATTACH_MEMFD_NAME), &name, err) != 0)
        return -1;
    uint64_t margs[2] = {name, MFD_CLOEXEC};
    if (attach_call(a, fn_memfd, margs, 2, &fd, "memfd_create", err) != 0)
        return -1;
    if ((int64_t)(int32_t)fd < 0)
        return hs_err_set(err, "memfd_create failed in process %d (no room to map the library?)",
                          (int)a->pid);
    fd = (uint32_t)fd;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)a->pid, (int)fd);
    int wfd = open(path, O_WRONLY | O_CLOEXEC);
    size_t done = 0;
    while (wfd >= 0 && done < len) {
        ssize_t w = write(wfd, (const char *)lib + done, len - done);
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    if (wfd >= 0)
        close(wfd);
    int rc = 0;
    if (done != len) {
        rc = hs_err_set(err, "cannot write libheapsnap.so into process %d's memfd (%s)",
                        (int)a->pid, strerror(errno));
    } else {
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", (int)fd);
        uint64_t spath, handle = 0;
        uint64_t dargs[2] = {0, RTLD_NOW | RTLD_LOCAL};
        rc = inj_push(a->c, self, strlen(self) + 1, &spath, err);
        dargs[0] = spath;
        if (rc == 0)
            rc = attach_call(a, fn_dlopen, dargs, 2, &handle, "dlopen of libheapsnap.so", err);
        if (rc == 0 && handle == 0) {
            uint64_t msg = 0;
            char text[256] = "unknown reason";
            attach_call(a, fn_dlerror, NULL, 0, &msg, "dlerror", err);
            memsrc *mem = msg ? memsrc_open_pid(a->pid, 0, err) : NULL;
            if (mem != NULL) {
                for (size_t i = 0; i + 1 < sizeof(text); i++) {
                    if (memsrc_read(mem, msg + i, 1, &text[i]) != 0 || text[i] == '\0')
                        break;
                    text[i + 1] = '\0';
                }
                memsrc_close(mem);
            }
            rc = hs_err_set(err,
                            "process %d could not load libheapsnap.so: %s (a library it needs "
                            "is missing in its file system?)",
                            (int)a->pid, text);
        }
    }
    uint64_t cargs[1] = {fd}, ignored;
    hs_err e2;
    attach_call(a, fn_close, cargs, 1, &ignored, "close", rc == 0 ? err : &e2);
    if (rc != 0)
        return -1;
    int state;
    if (attach_find_hook(a->pid, base, &state, err) != 1)
        return hs_err_set(err, "libheapsnap.so is not mapped in process %d after its dlopen",
                          (int)a->pid);
    return 0;
}

static int attach_prepare(attach_ctx *a, pid_t pid, hs_err *err)
{
    memset(a, 0, sizeof(*a));
    a->pid = pid;
    if (attach_check_seccomp(pid, err) != 0)
        return -1;
    a->t = inj_open(pid, err);
    if (a->t == NULL)
        return -1;
    uint64_t fn;
    if (inj_libc_symbol(a->t, "dlopen", &fn, err) != 0) {
        inj_close(a->t);
        return hs_err_set(err,
                          "process %d runs a glibc older than 2.34 (no dlopen in libc.so.6), "
                          "which attach does not support; restart it with "
                          "LD_PRELOAD=libheapsnap.so",
                          (int)pid);
    }
    return 0;
}

int attach_run(pid_t pid, uint64_t rate, const char *http, attach_report *rep, hs_err *err)
{
    memset(rep, 0, sizeof(*rep));
    attach_ctx a;
    if (attach_prepare(&a, pid, err) != 0)
        return -1;
    uint64_t base = 0;
    int state = ATTACH_LOADED;
    int found = attach_find_hook(pid, &base, &state, err);
    if (found < 0) {
        inj_close(a.t);
        return -1;
    }
    if (found == 1 && state != ATTACH_LOADED) {
        rep->already = state == ATTACH_ON ? ATTACH_ALREADY_ATTACHED : ATTACH_ALREADY_PRELOADED;
        inj_close(a.t);
        return 0;
    }
    rep->reused = found == 1;
    uint8_t *lib = NULL;
    size_t len = 0;
    if (!rep->reused) {
        const char *path = attach_library_path();
        if (slurp_file(path, (size_t)1 << 30, &lib, &len, err) != 0) {
            inj_close(a.t);
            return hs_err_set(err, "cannot read %s; set HEAPSNAP_LIB to the path of libheapsnap.so",
                              path);
        }
    }
    int rc = attach_stop(&a, err);
    if (rc == 0 && !rep->reused)
        rc = attach_load(&a, lib, len, &base, err);
    free(lib);
    uint64_t fn = 0, ret = 0, haddr = 0;
    if (rc == 0)
        rc = attach_hook_symbol(pid, base, "heapsnap_attach", &fn, err);
    if (rc == 0 && http != NULL)
        rc = inj_push(a.c, http, strlen(http) + 1, &haddr, err);
    if (rc == 0) {
        uint64_t args[2] = {rate, haddr};
        rc = attach_call(&a, fn, args, 2, &ret, "heapsnap_attach", err);
    }
    if (rc == 0 && (int32_t)ret < 0) {
        int e = -(int32_t)ret;
        if (http != NULL && (e == EADDRINUSE || e == EACCES || e == EINVAL || e == EALREADY))
            rep->http_errno = e; /* recording runs; the endpoint does not */
        else
            rc = hs_err_set(err, "libheapsnap.so could not start in process %d: %s", (int)pid,
                            strerror(e));
    } else if (rc == 0) {
        rep->entries = (int32_t)ret;
    }
    rc = attach_resume(&a, rc, err);
    rep->pause_us = a.pause_us;
    return rc;
}

int detach_run(pid_t pid, attach_report *rep, hs_err *err)
{
    memset(rep, 0, sizeof(*rep));
    uint64_t base = 0;
    int state = 0;
    int found = attach_find_hook(pid, &base, &state, err);
    if (found < 0)
        return -1;
    if (found == 0 || state == ATTACH_LOADED) {
        rep->already = ATTACH_NOT_ATTACHED;
        return 0;
    }
    if (state == ATTACH_PRELOADED)
        return hs_err_set(err,
                          "process %d was started with libheapsnap.so preloaded (LD_PRELOAD or "
                          "linked in); --detach takes out only a hook that --attach put in, so "
                          "nothing was changed",
                          (int)pid);
    attach_ctx a;
    if (attach_prepare(&a, pid, err) != 0)
        return -1;
    uint64_t fn = 0, ret = 0;
    int rc = attach_stop(&a, err);
    if (rc == 0)
        rc = attach_hook_symbol(pid, base, "heapsnap_detach", &fn, err);
    if (rc == 0)
        rc = attach_call(&a, fn, NULL, 0, &ret, "heapsnap_detach", err);
    if (rc == 0 && (int32_t)ret < 0)
        rc = hs_err_set(err, "libheapsnap.so could not detach in process %d: %s", (int)pid,
                        strerror(-(int32_t)ret));
    rep->entries = (int32_t)ret;
    rc = attach_resume(&a, rc, err);
    rep->pause_us = a.pause_us;
    return rc;
}

/* ---- a session for other injected calls (--trim) ---- */

attach_ctx *attach_session_open(pid_t pid, hs_err *err)
{
    attach_ctx *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        hs_err_set(err, "out of memory");
        return NULL;
    }
    a->pid = pid;
    if (attach_check_seccomp(pid, err) != 0) {
        free(a);
        return NULL;
    }
    a->t = inj_open(pid, err);
    if (a->t == NULL) {
        free(a);
        return NULL;
    }
    if (attach_stop(a, err) != 0) {
        attach_resume(a, -1, err);
        free(a);
        return NULL;
    }
    return a;
}

int attach_session_call(attach_ctx *a, const char *libc_fn, const uint64_t *args, size_t nargs,
                        uint64_t *ret, hs_err *err)
{
    uint64_t fn;
    if (inj_libc_symbol(a->t, libc_fn, &fn, err) != 0)
        return -1;
    return attach_call(a, fn, args, nargs, ret, libc_fn, err);
}

int attach_session_close(attach_ctx *a, int rc, uint64_t *pause_us, hs_err *err)
{
    rc = attach_resume(a, rc, err);
    if (pause_us != NULL)
        *pause_us = a->pause_us;
    free(a);
    return rc;
}
