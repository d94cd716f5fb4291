/* snapshot/snapshot.c: one snapshot, as a script of the command's steps (see
 * snapshot.h). Everything that can be done while the process runs -- libc's
 * layout, the hook's registry address, the symbolizer's map -- is done before
 * the stop; only the copies of the heap and of the hook's tables happen while
 * stopped, and the walk of the heap's copy goes on after the resume. */
#include "snapshot.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "allocator.h"
#include "attribute.h"
#include "cowfork.h"
#include "cowmode.h"
#include "heap_process.h"
#include "heapprof.h"
#include "holders.h"
#include "hs_array.h"
#include "live_profile.h"
#include "memroom.h"
#include "pprof.h"
#include "procmaps.h"
#include "ptstop.h"
#include "quiesce.h"
#include "safepoint.h"
#include "registry.h"
#include "resident.h"
#include "retained.h"
#include "symbolize.h"
#include "thread_stacks.h"
#include "tvtable.h"
#include "typedwarf.h"
#include "typelabels.h"

#ifndef HS_VERSION
#define HS_VERSION "unknown"
#endif

static uint64_t snap_max_pause_us = QUIESCE_DEFAULT_BUDGET_US;
static bool snap_holders = true;
static const char *snap_retained_path;
static cowmode_want snap_cow_want = COWMODE_AUTO;

void snap_set_holders(bool on)
{
    snap_holders = on;
}

void snap_set_retained(const char *path)
{
    snap_retained_path = path;
}

void snap_set_cow(int cow)
{
    snap_cow_want = cow < 0 ? COWMODE_NEVER : cow > 0 ? COWMODE_ALWAYS : COWMODE_AUTO;
}

void snap_set_max_pause_us(uint64_t us)
{
    snap_max_pause_us = us > 0 ? us : QUIESCE_DEFAULT_BUDGET_US;
}

bool snap_process_gone(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return true;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The state follows the last ')' (the command name may contain parentheses). */
    const char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return true;
    /* A process in the middle of exiting (PF_EXITING in the flags, field 9) has
     * already lost its memory but is not a zombie yet. */
    char state;
    int ppid, pgrp, session, tty, tpgid;
    unsigned flags;
    if (sscanf(p + 2, "%c %d %d %d %d %d %u", &state, &ppid, &pgrp, &session, &tty, &tpgid,
               &flags) == 7 &&
        (flags & 0x4u) != 0)
        return true;
    return false;
}

typedef struct snap_chunks {
    attr_chunk *v;
    size_t n, cap;
    bool oom;
    const uint64_t *tcaches; /* the threads' tcaches (user pointers), sorted */
    size_t ntcaches;
} snap_chunks;

static int snap_collect(const gheap_chunk *c, void *arg)
{
    snap_chunks *cs = arg;
    if (c->cls != GHEAP_INUSE && c->cls != GHEAP_MMAPPED)
        return 0;
    if (cs->n == cs->cap) {
        size_t ncap = cs->cap ? cs->cap * 2 : 65536;
        attr_chunk *nv = realloc(cs->v, ncap * sizeof(*nv));
        if (nv == NULL) {
            cs->oom = true;
            return 1;
        }
        cs->v = nv;
        cs->cap = ncap;
    }
    bool own = bsearch(&(uint64_t){c->addr + 16}, cs->tcaches, cs->ntcaches, sizeof(uint64_t),
                       hs_array_cmp_u64) != NULL;
    cs->v[cs->n++] = (attr_chunk){c->addr, c->size, c->cls == GHEAP_MMAPPED, 0, own};
    return 0;
}

static uint64_t snap_loc(void *arg, pprof_builder *b, uint64_t return_address)
{
    return sym_location(arg, b, return_address, true);
}

static int64_t snap_now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The thread stacks for --threads, read while stopped. 0, or -1 + err. */
static int snap_capture_stacks(pid_t pid, const gheap_thread *threads, size_t n, tstacks **out,
                               hs_err *err)
{
    pid_t *tids = malloc((n ? n : 1) * sizeof(*tids));
    if (tids == NULL)
        return hs_err_set(err, "out of memory while reading the thread stacks.");
    for (size_t i = 0; i < n; i++)
        tids[i] = threads[i].tid;
    *out = tstacks_capture(pid, tids, n, err);
    free(tids);
    return *out != NULL ? 0 : -1;
}

/* Lets the process go (once; later calls do nothing) and records the pause
 * and its copy part. */
static void snap_resume(ptstop **stop, snap_result *res, quiesce_result *qr)
{
    if (*stop == NULL)
        return;
    int64_t t0 = snap_now_ns(CLOCK_MONOTONIC);
    res->pause_us = ptstop_pause_us(*stop);
    ptstop_detach_all(*stop);
    *stop = NULL;
    res->pause_us += (uint64_t)(snap_now_ns(CLOCK_MONOTONIC) - t0) / 1000;
    uint64_t before = res->stop_us + res->safepoint_us + res->wait_us;
    res->copy_us = res->pause_us > before ? res->pause_us - before : 0;
    res->realtime = qr->rt;
    quiesce_end(qr);
}

/* smaps_rollup's Rss for the profile's comment, once, as soon as the process
 * runs again (stop == NULL): reading it costs no pause then. */
static void snap_read_rss(pid_t pid, const ptstop *stop, snap_result *res)
{
    hs_err ignored = {0};
    if (stop == NULL && res->rss_bytes == 0 && resident_rollup(pid, &res->rss_bytes, &ignored) != 0)
        res->rss_bytes = 0;
}

/* The wait ran out of budget: the arenas the busy threads were modifying are
 * approximate; their uncertain bytes are the chunks an allocator call moves
 * between lists in bulk (malloc_consolidate empties the fast bins, a malloc
 * sorts the unsorted bin) and whatever part of the arena the walk could not
 * follow (its system_mem less every chunk and header walked). */
static void snap_approximate(const quiesce_result *qr, const gheap_report *rep, snap_result *res)
{
    res->approximate = true;
    res->busy_threads = qr->busy;
    for (size_t i = 0; i < rep->narenas; i++) {
        const gheap_arena_report *a = &rep->arenas[i];
        bool busy = qr->busy_unknown;
        for (size_t k = 0; k < qr->narenas && !busy; k++)
            busy = qr->arenas[k] == a->addr;
        if (!busy)
            continue;
        uint64_t walked = a->overhead_bytes;
        for (int c = 0; c < GHEAP_NCLASSES; c++)
            if (c != GHEAP_MMAPPED)
                walked += a->bytes[c];
        res->uncertain_bytes += a->bytes[GHEAP_FASTBIN] + a->bytes[GHEAP_UNSORTED] +
                                (a->system_mem > walked ? a->system_mem - walked : 0);
        if (res->approx_narenas < sizeof(res->approx_arenas) / sizeof(res->approx_arenas[0]))
            res->approx_arenas[res->approx_narenas] = a->addr;
        res->approx_narenas++;
    }
}

/* Three comment lines at most (go tool pprof prints them above every
 * listing): what and when, the heap's figures, the hook's and the walk's. */
static void snap_comments(pprof_builder *b, pid_t pid, const char *exe, const snap_result *r,
                          const gheap_report *rep, const char *layout, const registry *reg,
                          const attr_totals *t, const char *held)
{
    char when[64] = "";
    time_t secs = (time_t)(r->time_nanos / 1000000000);
    struct tm tm;
    if (gmtime_r(&secs, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* The mode ends the first line (three lines at most). */
    char mode[640];
    if (strcmp(r->mode, "fork") == 0)
        snprintf(mode, sizeof(mode),
                 "mode fork: the pause's last part was a copy-on-write fork (%.3f ms; estimates "
                 "fork %.3f, copy %.3f); the frozen child was walked in %.3f ms while the process "
                 "ran and wrote %" PRId64 " pages; a second stop of %.3f ms reaped the child",
                 (double)r->fork_us / 1000.0, (double)r->fork_est_us / 1000.0,
                 (double)r->copy_est_us / 1000.0, (double)r->walk_us / 1000.0, r->dirtied_pages,
                 (double)r->reap_us / 1000.0);
    else
        snprintf(mode, sizeof(mode),
                 "mode copy: the heap was copied while stopped, walked in %.3f ms; %s",
                 (double)r->walk_us / 1000.0, r->copy_reason);
    pprof_add_comment(b,
                      "heapsnap %s: heap of process %d (%s) at %s; pause %.3f ms (stop %.3f, "
                      "safepoint %.3f with %zu threads parked, wait for threads inside malloc "
                      "%.3f, copy %.3f), %zu threads stopped (%u busy retries); glibc layout: %s; "
                      "%s",
                      HS_VERSION, (int)pid, exe, when, (double)r->pause_us / 1000.0,
                      (double)r->stop_us / 1000.0, (double)r->safepoint_us / 1000.0,
                      r->parked_threads, (double)r->wait_us / 1000.0, (double)r->copy_us / 1000.0,
                      r->nthreads, r->busy_retries, layout, mode);
    uint64_t free_bytes = 0;
    for (int k = GHEAP_TCACHE; k <= GHEAP_TOP; k++)
        free_bytes += rep->bytes[k];
    char approx[256] = "";
    if (r->approximate) {
        int n = snprintf(approx, sizeof(approx),
                         "; APPROXIMATE: the wait's budget ran out with %zu threads inside malloc, "
                         "in use %" PRIu64 " +- %" PRIu64 " bytes in %zu arenas (",
                         r->busy_threads, rep->inuse_bytes, r->uncertain_bytes, r->approx_narenas);
        for (size_t i = 0; i < r->approx_narenas && i < 8 && n > 0 && (size_t)n < sizeof(approx);
             i++)
            n += snprintf(approx + n, sizeof(approx) - (size_t)n, "%s0x%" PRIx64, i ? " " : "",
                          r->approx_arenas[i]);
        if (n > 0 && (size_t)n < sizeof(approx))
            snprintf(approx + n, sizeof(approx) - (size_t)n, "%s)",
                     r->approx_narenas > 8 ? " ..." : "");
    }
    pprof_add_comment(
        b,
        "heap: %zu arenas, system_mem %" PRIu64 "; in use %" PRIu64 " bytes in %" PRIu64
        " chunks (mmapped %" PRIu64 " in %" PRIu64 "); free %" PRIu64 " (tcache %" PRIu64
        ", fastbin %" PRIu64 ", unsorted %" PRIu64 ", smallbin %" PRIu64 ", largebin %" PRIu64
        ", top %" PRIu64 "); mallinfo2 uordblks %" PRIu64 " fordblks %" PRIu64 " hblkhd %" PRIu64
        "; rss %" PRIu64 "%s",
        rep->narenas, rep->total.arena, rep->inuse_bytes, r->inuse_chunks,
        rep->bytes[GHEAP_MMAPPED], rep->chunks[GHEAP_MMAPPED], free_bytes, rep->bytes[GHEAP_TCACHE],
        rep->bytes[GHEAP_FASTBIN], rep->bytes[GHEAP_UNSORTED], rep->bytes[GHEAP_SMALLBIN],
        rep->bytes[GHEAP_LARGEBIN], rep->bytes[GHEAP_TOP], rep->total.uordblks, rep->total.fordblks,
        rep->total.hblkhd, r->rss_bytes, approx);
    char walk[320] = "";
    if (rep->ndiags > 0)
        snprintf(walk, sizeof(walk), "; walk: %s%s", rep->diags[0],
                 rep->ndiags > 1 ? " (and more: heapsnap --stats)" : "");
    char unseen[96] = "";
    if (reg != NULL && reg->unseen_tracked)
        snprintf(unseen, sizeof(unseen), ", %zu unseen blocks (lost %" PRIu64 ")", reg->nunseen,
                 reg->hdr.unseen_lost);
    if (reg != NULL)
        pprof_add_comment(
            b,
            "hook: %s, rate %" PRIu64 ", %zu live entries (stale %" PRIu64 ", duplicate %" PRIu64
            ", torn %" PRIu64 ", unknown stack %" PRIu64 "), %zu stacks (torn %" PRIu64
            "), dropped %" PRIu64 "%s; inuse_space %" PRId64 " = attributed %" PRId64
            "%s + unsampled %" PRIu64 " + unattributed %" PRIu64 "%s%s",
            reg->path, reg->hdr.rate, reg->nlive, t->stale_entries, t->duplicate_entries,
            reg->torn_live, t->unknown_stack, reg->nstacks, reg->torn_stacks,
            reg->hdr.dropped_stacks + reg->hdr.dropped_live, unseen,
            t->estimated_bytes + (int64_t)t->unsampled_bytes + (int64_t)t->unattributed_bytes,
            t->estimated_bytes,
            /* heapsnap-analyze reads this mark (analyzer/an_input.c AN_EXACT_MARK) */
            t->calibrated ? " (scaled to the hook's exact size-class totals)" : "",
            t->unsampled_bytes, t->unattributed_bytes, walk, held);
    else
        pprof_add_comment(b,
                          "hook: not loaded, every chunk is under an [unattributed ...] size class "
                          "(LD_PRELOAD=libheapsnap.so adds call sites)%s%s",
                          walk, held);
}

/* The walk found the hook's allocations outside glibc's heap: malloc is
 * another allocator's. The profile is built again, from the hook's live
 * table alone (live_profile.h), and the result says so. */
static int snap_live_table(pid_t pid, const char *exe, const registry *reg, sym_ctx *sym,
                           pprof_builder **b, snap_result *res, hs_err *err)
{
    if (strcmp(res->allocator, "glibc") == 0)
        snprintf(res->allocator, sizeof(res->allocator), "an allocator other than glibc's");
    pprof_builder_free(*b);
    sym_forget_builder(sym);
    *b = heapprof_new((int64_t)reg->hdr.rate, res->time_nanos);
    if (*b == NULL)
        return hs_err_set(err, "out of memory while building the profile.");
    liveprof_totals lt;
    if (liveprof_build(*b, reg, snap_loc, sym, &lt, err) != 0)
        return -1;
    res->from_live_table = true;
    res->inuse_bytes = (uint64_t)lt.estimated_bytes;
    res->inuse_chunks = (uint64_t)lt.estimated_objects;
    res->attributed_bytes = lt.bytes;
    res->attributed_chunks = lt.entries;
    res->torn_entries = reg->torn_live + reg->torn_stacks;
    res->nsamples = pprof_builder_nsamples(*b);
    snprintf(res->notice_alloc, sizeof(res->notice_alloc),
             "process %d allocates with %s, not glibc's malloc, so the profile comes from "
             "libheapsnap.so's %" PRIu64 " live samples, scaled like Go, instead of a walk "
             "of the heap.",
             (int)pid, res->allocator, lt.entries);
    liveprof_comments(*b, HS_VERSION, (int)pid, exe, res->time_nanos, res->pause_us, res->nthreads,
                      res->allocator, reg, &lt);
    return 0;
}

/* --retained: the ownership paths of the chunks the graph stage labelled. */
static int snap_write_retained(const holders *held, const snap_chunks *chunks,
                               const char *const *labels, size_t nlabels, const registry *reg,
                               sym_ctx *sym, const snap_result *res, hs_err *err)
{
    const uint32_t *idom = held != NULL ? holders_idom(held) : NULL;
    if (idom == NULL)
        return hs_err_set(err,
                          "no retained profile: the heap graph was not built (see the profile's "
                          "held_by comment).");
    sym_forget_builder(sym);
    pprof_builder *rb = retained_build(chunks->v, chunks->n, idom, labels, nlabels, reg, snap_loc,
                                       sym, res->time_nanos, err);
    int rc = rb != NULL ? pprof_write_file(rb, snap_retained_path, err) : -1;
    pprof_builder_free(rb);
    sym_forget_builder(sym);
    return rc;
}

/* Before the stop: fork or copy (cowmode.h), and for a fork the injection's
 * preparation. NULL when it copies, with the reason in res. */
static cowfork *snap_cow_prepare(pid_t pid, const hproc *h, bool with_roots, snap_result *res)
{
    snprintf(res->mode, sizeof(res->mode), "copy");
    res->dirtied_pages = -1;
    memroom room;
    hs_err e = {0};
    if (memroom_read(pid, &room, &e) != 0) {
        snprintf(res->copy_reason, sizeof(res->copy_reason),
                 "the process's memory figures are unreadable (%.300s)", e.msg);
        return NULL;
    }
    cowmode_estimate est;
    bool fork = cowmode_decide(snap_cow_want, hproc_heap_bytes(h), with_roots, &room, &est,
                               res->copy_reason, sizeof(res->copy_reason));
    res->fork_est_us = est.fork_us;
    res->copy_est_us = est.copy_us;
    if (!fork)
        return NULL;
    cowfork *cf = cowfork_open(pid, &e);
    if (cf == NULL)
        snprintf(res->copy_reason, sizeof(res->copy_reason),
                 "a fork cannot be injected into the process (%.300s)", e.msg);
    return cf;
}

/* While stopped: the frozen child, on the first thread. 0 when it failed:
 * the snapshot copies then, the reason in res (a fork refused by seccomp,
 * EAGAIN or ENOMEM never fails the snapshot). */
static pid_t snap_cow_fork(cowfork *cf, const gheap_thread *threads, snap_result *res)
{
    pid_t child = 0;
    int cerr = 0;
    hs_err e = {0};
    if (cowfork_fork(cf, threads[0].tid, &child, &cerr, &e) == 0) {
        snprintf(res->mode, sizeof(res->mode), "fork");
        return child;
    }
    if (cerr != 0)
        snprintf(res->copy_reason, sizeof(res->copy_reason),
                 "the process could not fork (%s), so the heap was copied", strerror(cerr));
    else
        snprintf(res->copy_reason, sizeof(res->copy_reason),
                 "the fork could not be injected (%.300s), so the heap was copied", e.msg);
    return 0;
}

/* After the walk of the child: what the process wrote meanwhile, then the
 * child's end -- killed, and reaped in a second short stop. A zombie this
 * leaves (the process exited, a stop failed) is reaped by the next fork. */
static void snap_cow_end(cowfork *cf, snap_result *res)
{
    hs_err e = {0};
    uint64_t pages = 0;
    if (cowfork_child(cf) != 0 && cowfork_dirtied(cf, &pages, &e) == 0)
        res->dirtied_pages = (int64_t)pages;
    if (cowfork_kill(cf, &e) == 0)
        cowfork_reap(cf, &res->reap_us, &e);
}

static snap_status snap_fail(pid_t pid, hs_err *err)
{
    /* A read that failed because the process is exiting may come a moment
     * before the exit shows in /proc: look again for up to 100 ms. */
    bool gone = snap_process_gone(pid);
    for (int i = 0; i < 10 && !gone; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        gone = snap_process_gone(pid);
    }
    if (gone) {
        hs_err_set(err,
                   "process %d exited during the snapshot, so nothing was written; "
                   "take the snapshot while it runs.",
                   (int)pid);
        return SNAP_GONE;
    }
    return SNAP_FAILED;
}

/* One attempt; *execed tells the caller that the process started another
 * program (execve) between the preparation and the stop, so that a second
 * attempt, prepared afresh, can succeed. */
static snap_status snap_take_once(pid_t pid, const char *out_path, const char *threads_path,
                                  snap_result *res, bool *execed, hs_err *err)
{
    memset(res, 0, sizeof(*res));
    if (snap_process_gone(pid)) {
        hs_err_set(err, "no process with PID %d is running; check the PID with ps or pgrep.",
                   (int)pid);
        return SNAP_GONE;
    }
    snap_status st = SNAP_FAILED;
    hproc *h = NULL;
    procmaps *maps = NULL;
    sym_ctx *sym = NULL;
    ptstop *stop = NULL;
    gheap_thread *threads = NULL;
    size_t nthreads = 0;
    snap_chunks chunks = {0};
    gheap_report rep;
    memset(&rep, 0, sizeof(rep));
    registry reg;
    memset(&reg, 0, sizeof(reg));
    bool hook = false;
    pprof_builder *b = NULL;
    tstacks *stacks = NULL;
    char exe[4096] = "?";
    quiesce_result qr;
    memset(&qr, 0, sizeof(qr));
    gheap_capture *cap = NULL;
    holders *held = NULL;
    hs_err held_err = {0};
    memsrc *live = NULL;
    tvt *tv = NULL;
    tlab *tl = NULL;
    tdstage *td = NULL;
    const char **classes = NULL;
    bool *vtyped = NULL;
    cowfork *cf = NULL;
    pid_t child = 0;
    struct user_regs_struct *regs = NULL;
    int classified = -1;

    /* Before the stop: everything that only needs the process's map. */
    h = hproc_open(pid, err);
    if (h == NULL)
        goto fail;
    const char *layout = hproc_layout_source(h);
    if (strncmp(layout, "built-in", 8) == 0)
        snprintf(res->notice_layout, sizeof(res->notice_layout),
                 "libc debug info is missing, so the heap layout comes from the %s; install "
                 "libc6-dbg for the layout from libc's own DWARF.",
                 layout);
    maps = procmaps_read(pid, err);
    if (maps == NULL)
        goto fail;
    char link[64];
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
    ssize_t exelen = readlink(link, exe, sizeof(exe) - 1);
    if (exelen > 0)
        exe[exelen] = '\0';
    bool foreign = alloc_find_foreign(maps, res->allocator, sizeof(res->allocator));
    if (!foreign)
        snprintf(res->allocator, sizeof(res->allocator), "glibc");
    int found = registry_locate(pid, maps, &reg, err);
    if (found < 0)
        goto fail;
    hook = found == 1;
    if (hook) {
        uint64_t ts[REGISTRY_MAX_TABLES], te[REGISTRY_MAX_TABLES];
        for (size_t k = 0, n = registry_tables(&reg, ts, te); k < n; k++)
            hproc_exclude(h, ts[k], te[k]);
    }
    if (hook && reg.hdr.rate == 0)
        snprintf(res->notice_hook, sizeof(res->notice_hook),
                 "libheapsnap.so in process %d records nothing (HEAPSNAP_RATE=0), so the "
                 "profile is a census by chunk size; restart it with a positive HEAPSNAP_RATE "
                 "to see the call sites.",
                 (int)pid);
    if (!hook && foreign)
        snprintf(res->notice_alloc, sizeof(res->notice_alloc),
                 "process %d allocates with %s, not glibc's malloc, so its heap cannot be "
                 "walked and the profile is nearly empty; start it with "
                 "LD_PRELOAD=libheapsnap.so to profile it from the hook's samples.",
                 (int)pid, res->allocator);
    else if (!hook)
        snprintf(res->notice_hook, sizeof(res->notice_hook),
                 "process %d runs without libheapsnap.so, so the profile is a census by chunk "
                 "size; start it with LD_PRELOAD=libheapsnap.so to see the call sites.",
                 (int)pid);
    if (hook && registry_reserve(&reg, err) != 0)
        goto fail;
    sym = sym_open(pid, err);
    if (sym == NULL)
        goto fail;
    cf = snap_cow_prepare(pid, h, snap_holders && !foreign, res);

    /* The stop: wait for a quiet heap, capture the heap, the hook's tables
     * and the thread stacks (all of the same moment), resume as soon as the
     * capture holds everything the classification reads, classify. */
    safepoint sp;
    bool have_sp = hook && safepoint_open(&sp, pid, reg.addr, &reg.hdr) == 1;
    stop = quiesce_stop_within(pid, h, have_sp ? &sp : NULL, snap_max_pause_us, &threads, &nthreads,
                               &qr, err);
    res->busy_retries = qr.retries;
    res->stop_us = qr.stop_us;
    res->safepoint_us = qr.safepoint_us;
    res->parked_threads = qr.parked;
    res->wait_us = qr.wait_us;
    if (stop == NULL) {
        /* A process killed during the stop is not taken for an exec
         * (hproc_same_image): snap_fail reports that it exited. */
        *execed = hproc_same_image(h, NULL) != 0;
        goto fail;
    }
    res->time_nanos = snap_now_ns(CLOCK_REALTIME);
    res->nthreads = nthreads;
    if (cf != NULL && nthreads > 0)
        child = snap_cow_fork(cf, threads, res);
    if (child != 0) {
        /* Only the thread stacks still need the process stopped; the rest
         * is read from the child while it runs. The registers are kept:
         * the stop's copy of them goes with the resume. */
        if (threads_path != NULL && snap_capture_stacks(pid, threads, nthreads, &stacks, err) != 0)
            goto fail;
        regs = malloc(nthreads * sizeof(*regs));
        if (regs == NULL) {
            hs_err_set(err, "out of memory while keeping the threads' registers.");
            goto fail;
        }
        for (size_t i = 0; i < nthreads; i++) {
            regs[i] = *threads[i].regs;
            threads[i].regs = &regs[i];
        }
        snap_resume(&stop, res, &qr);
        res->fork_us = res->copy_us;
        res->copy_us = 0;
        hproc_release_copy(h); /* unused: back to the machine while the child lives */
        snap_read_rss(pid, stop, res);
        int64_t w0 = snap_now_ns(CLOCK_MONOTONIC);
        if (hproc_capture_frozen(h, child, threads, nthreads, &cap, err) != 0)
            goto fail;
        if (hook && registry_copy_frozen(&reg, child, err) != 0)
            goto fail;
        /* The roots from the child too: its memory is the process's at
         * the fork (every thread's stack, the globals); the registers are
         * the stop's. The child ends after the graph (holders_assign reads
         * the chunks through the capture, from the child). */
        if (snap_holders && !foreign)
            held = holders_capture(child, h, threads, nthreads, cap, hook ? &reg : NULL, &held_err);
        chunks.tcaches = gheap_capture_tcaches(cap, &chunks.ntcaches);
        classified = gheap_classify(cap, snap_collect, &chunks, &rep, err);
        res->walk_us = (uint64_t)(snap_now_ns(CLOCK_MONOTONIC) - w0) / 1000;
    } else {
        if (hproc_capture(h, threads, nthreads, &cap, err) != 0)
            goto fail;
        if (hook && registry_copy(&reg, err) != 0) /* parsed after the resume */
            goto fail;
        if (threads_path != NULL && snap_capture_stacks(pid, threads, nthreads, &stacks, err) != 0)
            goto fail;
        /* Without its roots the profile just has no held_by labels; another
         * allocator's heap is not walked, so there is no graph to build. */
        if (snap_holders && !foreign)
            held = holders_capture(pid, h, threads, nthreads, cap, hook ? &reg : NULL, &held_err);
        if (gheap_capture_complete(cap))
            snap_resume(&stop, res, &qr);
        snap_read_rss(pid, stop, res);
        int64_t w0 = snap_now_ns(CLOCK_MONOTONIC);
        chunks.tcaches = gheap_capture_tcaches(cap, &chunks.ntcaches);
        classified = gheap_classify(cap, snap_collect, &chunks, &rep, err);
        res->walk_us = (uint64_t)(snap_now_ns(CLOCK_MONOTONIC) - w0) / 1000;
        snap_resume(&stop, res, &qr);
        snap_read_rss(pid, stop, res);
    }
    if (classified != 0)
        goto fail;
    if (qr.budget_out)
        snap_approximate(&qr, &rep, res);
    if (chunks.oom) {
        hs_err_set(err, "out of memory while recording the chunks of process %d.", (int)pid);
        goto fail;
    }
    if (hook && registry_parse(&reg, err) != 0)
        goto fail_keep;

    /* After the stop: attribute, symbolize, write. */
    res->hook_loaded = hook;
    res->rate = hook ? reg.hdr.rate : 0;
    b = heapprof_new(hook && reg.hdr.rate > 0 ? (int64_t)reg.hdr.rate : 1, res->time_nanos);
    if (b == NULL) {
        hs_err_set(err, "out of memory while building the profile.");
        goto fail;
    }
    if (held != NULL && holders_assign(held, cap, chunks.v, chunks.n, sym, err) != 0)
        goto fail_keep;
    size_t nlabels = 0;
    const char *const *labels = held != NULL ? holders_labels(held, &nlabels) : NULL;
    /* The type stage: the chunks' C++ classes from their vtables, else
     * their DWARF types spread from the typed globals over the graph's
     * roots and chunks, joined to their holders; words from the capture (so
     * before a frozen child ends), vtables from the process's read-only
     * data. */
    const char *const *types = NULL, *const *froms = NULL;
    if (!foreign) {
        classes = malloc((chunks.n ? chunks.n : 1) * sizeof(*classes));
        vtyped = malloc((chunks.n ? chunks.n : 1) * sizeof(*vtyped));
        if (classes == NULL || vtyped == NULL) {
            hs_err_set(err, "out of memory while naming the types of %zu chunks.", chunks.n);
            goto fail;
        }
        if ((live = memsrc_open_pid(pid, 0, err)) == NULL ||
            (tv = tvt_open(live, maps, err)) == NULL)
            goto fail;
        tlab_vtables(chunks.v, chunks.n, gheap_capture_memsrc(cap), tv, classes);
        for (size_t i = 0; i < chunks.n; i++)
            vtyped[i] = classes[i] != NULL;
        roots *rt = held != NULL ? holders_root_copies(held) : NULL;
        if (rt != NULL && (td = tdstage_run(rt, cap, sym, chunks.v, chunks.n, vtyped,
                                            hook ? &reg : NULL, err)) == NULL)
            goto fail_keep;
        if ((tl = tlab_assign(chunks.v, chunks.n, classes, td ? tdstage_labels(td) : NULL, labels,
                              nlabels, err)) == NULL)
            goto fail_keep;
        labels = tlab_held(tl);
        types = tlab_types(tl);
        froms = tlab_froms(tl);
        nlabels = tlab_count(tl);
        res->typed_chunks = tlab_typed_chunks(tl);
        res->typed_bytes = tlab_typed_bytes(tl);
        if (td != NULL) {
            tdstage_totals(td, &res->dwarf_chunks, &res->dwarf_bytes, &res->types_us);
            tdstage_stack_roots(td, &res->dwarf_stack_slots, &res->dwarf_stack_values);
        }
    }
    if (child != 0)
        snap_cow_end(cf, res);
    attr_totals tot;
    if (attr_build_typed(b, chunks.v, chunks.n, hook ? &reg : NULL, labels, types, froms, nlabels,
                         snap_loc, sym, &tot, err) != 0)
        goto fail;
    if (hook && reg.hdr.rate > 0 &&
        (alloc_walk_says_foreign(tot.attributed_chunks, tot.stale_entries, nthreads) ||
         (foreign && tot.attributed_chunks == 0))) {
        if (snap_live_table(pid, exe, &reg, sym, &b, res, err) != 0)
            goto fail_keep;
        goto write;
    }
    if (hook && tot.attributed_chunks > 0) /* the walk found the hook's blocks: glibc's */
        snprintf(res->allocator, sizeof(res->allocator), "glibc");
    res->inuse_bytes = rep.inuse_bytes;
    res->inuse_chunks = tot.chunks;
    res->attributed_bytes = tot.attributed_bytes;
    res->attributed_chunks = tot.attributed_chunks;
    res->unattributed_bytes = tot.unattributed_bytes;
    res->unattributed_chunks = tot.unattributed_chunks;
    res->stale_entries = tot.stale_entries;
    res->torn_entries = hook ? reg.torn_live + reg.torn_stacks : 0;
    res->nsamples = pprof_builder_nsamples(b);
    /* The holders' totals end the third comment line (three at most). */
    char held_text[1024] = "";
    if (held != NULL)
        holders_summary(held, held_text + 2, sizeof(held_text) - 2);
    else if (snap_holders && !foreign)
        snprintf(held_text + 2, sizeof(held_text) - 2, "held_by: not computed: %s", held_err.msg);
    if (held_text[2] != '\0')
        memcpy(held_text, "; ", 2);
    snap_comments(b, pid, exe, res, &rep, layout, hook ? &reg : NULL, &tot, held_text);
    if (snap_retained_path != NULL &&
        snap_write_retained(held, &chunks, labels, nlabels, hook ? &reg : NULL, sym, res, err) != 0)
        goto fail_keep;
write:
    if (pprof_write_file(b, out_path, err) != 0)
        goto fail_keep;
    if (stacks != NULL && tstacks_write(stacks, sym, threads_path, err) != 0)
        goto fail_keep;
    st = SNAP_OK;
    goto out;

fail:
    st = snap_fail(pid, err);
    goto out;
fail_keep:
    st = SNAP_FAILED;
out:
    if (stop != NULL)
        ptstop_detach_all(stop);
    quiesce_end(&qr);
    if (cf != NULL && cowfork_child(cf) != 0)
        snap_cow_end(cf, res);
    cowfork_close(cf);
    free(regs);
    free(threads);
    tstacks_free(stacks);
    free(chunks.v);
    holders_free(held);
    tlab_free(tl);
    tdstage_free(td);
    free(classes);
    free(vtyped);
    tvt_close(tv);
    memsrc_close(live);
    gheap_capture_free(cap);
    gheap_report_free(&rep);
    registry_free(&reg);
    pprof_builder_free(b);
    sym_close(sym);
    procmaps_free(maps);
    hproc_close(h);
    return st;
}

/* A process that has just been started through a launcher (a shell script, a
 * pyenv shim) may exec the real program while heapsnap prepares: try again,
 * a few times, on the new program. */
#define SNAP_EXEC_TRIES 3

snap_status snap_take(pid_t pid, const char *out_path, const char *threads_path, snap_result *res,
                      hs_err *err)
{
    for (int i = 1;; i++) {
        bool execed = false;
        snap_status st = snap_take_once(pid, out_path, threads_path, res, &execed, err);
        if (!execed || i == SNAP_EXEC_TRIES)
            return st;
    }
}
