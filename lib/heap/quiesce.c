/* lib/heap/quiesce.c: stopping a process at a moment its heap is quiet (see
 * quiesce.h). Only the threads inside malloc run until each is caught
 * outside it; the whole process runs briefly only when that does not help;
 * with a budget, the wait ends when it runs out and names what is busy. */
#include "quiesce.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

/* How often a busy heap (a thread inside malloc) is let run before giving up,
 * and how long each time: 1 ms growing to 32 ms (plus up to a quarter more,
 * at random, so the stops do not fall into step with a periodic workload),
 * about 3 s in all. */
#define QUIESCE_BUSY_TRIES 100
#define QUIESCE_BUSY_MIN_US 1000u
#define QUIESCE_BUSY_MAX_US 32000u
/* Before each of those, only the threads seen inside malloc run, the others
 * staying stopped (outside malloc they hold no malloc lock, so cannot block
 * them), until every one is caught outside: at most QUIESCE_SOLO_ROUNDS rounds
 * of QUIESCE_SOLO_MIN_US, doubled (up to QUIESCE_SOLO_MAX_US) after a round in
 * which no resumed thread moved -- not scheduled yet, or blocked on a lock
 * that a stopped thread holds (a fork in progress), which QUIESCE_SOLO_STUCK
 * such rounds in a row take as the sign to let everything run instead. A
 * thread stopped in libheapsnap's code holds no glibc lock either (its tables
 * are lock-free; its fork lock is taken outside glibc malloc): a resumed
 * thread that waits for it does so after leaving glibc malloc, where it is
 * caught and kept stopped. */
#define QUIESCE_SOLO_ROUNDS 200
#define QUIESCE_SOLO_MIN_US 100u
#define QUIESCE_SOLO_MAX_US 3200u
#define QUIESCE_SOLO_STUCK 6
/* All rounds together, so that a thread that stays inside malloc for long
 * (malloc_trim of a big heap) cannot make the stop last much past the 3 s. */
#define QUIESCE_BUSY_ROUNDS 2000
/* heapsnap's nice value during the pause. Every stop and every round waits
 * for heapsnap to be scheduled after a nap; on a loaded machine (64 busy
 * threads on 2 cores) a normal-priority heapsnap waited out others' time
 * slices each time: 64 threads took 20-35 ms to stop at nice 0 and 12-14 ms
 * at -20, and rounds of the wait 30-200 ms against 10-25 ms. */
#define QUIESCE_NICE (-20)
/* Better still, when allowed: a real-time policy for the end of the pause,
 * once the heap is quiet (quiesce_realtime). At any nice
 * value, every thread that heapsnap lets go (a PTRACE_DETACH, a round's
 * PTRACE_CONT) wakes with a sleeper's credit and preempts heapsnap, which then
 * waits out its slice: detaching 64 busy threads at nice -20 took 35-75 ms
 * on the loaded 2-core machine (load average 70-140), 0.15-0.3 ms as
 * SCHED_FIFO, and the whole copy part of the pause 35-146 ms against 6-10 ms.
 * heapsnap sleeps in every wait of the pause, so the threads it waits for
 * still run; SCHED_RESET_ON_FORK keeps the policy from any child. */
#define QUIESCE_RT_PRIORITY 1
/* The hook's safepoint (safepoint.h): a thread keeps a park request for at
 * most the budget plus QUIESCE_PARK_SLACK_MS of its running time, or
 * QUIESCE_PARK_NOBUDGET_MS without a budget (the rounds after the safepoint
 * may last that long): a request older than that was left by a heapsnap that
 * died. The safepoint's own round ends after QUIESCE_SAFEPOINT_MAX_US at
 * most, and the rounds take over the threads that have not parked by then
 * (one waiting for a lock that a stopped thread holds, or one let run out of
 * glibc's malloc that makes no further allocator call).
 * The words of the threads let run are read every QUIESCE_SAFEPOINT_POLL_US. */
#define QUIESCE_PARK_SLACK_MS 1000u
#define QUIESCE_PARK_NOBUDGET_MS 10000u
#define QUIESCE_SAFEPOINT_MAX_US 200000u
#define QUIESCE_SAFEPOINT_POLL_US 50u
/* Every this many polls (about a millisecond), the threads let run that have
 * not parked are looked at in /proc: one asleep in a system call malloc never
 * waits in has left malloc, and may make no allocator call for a long time
 * (a handler that mallocs, then blocks in read): the wait ends without it. */
#define QUIESCE_SAFEPOINT_ASLEEP_POLLS 20u

static int64_t quiesce_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The stopped threads as the walker wants them. */
static gheap_thread *quiesce_threads(const ptstop *s, size_t *n)
{
    *n = ptstop_nthreads(s);
    gheap_thread *t = calloc(*n ? *n : 1, sizeof(*t));
    if (t == NULL)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        const ptstop_thread *p = ptstop_thread_at(s, i);
        t[i] = (gheap_thread){p->tid, p->fs_base, &p->regs};
    }
    return t;
}

/* What is known of the stopped threads between two rounds: for each thread
 * that has not run since it was checked, whether it is inside malloc, and
 * where it stood (to tell whether a resumed thread moved). */
typedef struct quiesce_seen {
    pid_t *tid;
    signed char *inside;
    uint64_t *pc, *sp;
    bool *run;
    size_t n;
} quiesce_seen;

static void quiesce_seen_free(quiesce_seen *v)
{
    free(v->tid);
    free(v->inside);
    free(v->pc);
    free(v->sp);
    free(v->run);
    memset(v, 0, sizeof(*v));
}

static int quiesce_seen_alloc(quiesce_seen *v, size_t n)
{
    quiesce_seen_free(v);
    size_t c = n ? n : 1;
    v->tid = calloc(c, sizeof(*v->tid));
    v->inside = calloc(c, sizeof(*v->inside));
    v->pc = calloc(c, sizeof(*v->pc));
    v->sp = calloc(c, sizeof(*v->sp));
    v->run = calloc(c, sizeof(*v->run));
    if (v->tid == NULL || v->inside == NULL || v->pc == NULL || v->sp == NULL || v->run == NULL) {
        quiesce_seen_free(v);
        return -1;
    }
    v->n = n;
    return 0;
}

static ssize_t quiesce_seen_find(const quiesce_seen *v, pid_t tid)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->tid[i] == tid)
            return (ssize_t)i;
    return -1;
}

/* The budget ran out: which arenas the threads still inside malloc are
 * modifying. A thread's own arena (thread_arena) is the one it allocates from
 * and frees into (a free of another arena's chunk takes that arena's lock,
 * which shows in its mutex word), and any arena whose lock is held is being
 * modified by someone. */
static void quiesce_name_arenas(hproc *h, const gheap_thread *t, size_t n,
                                const signed char *inside, quiesce_result *qr)
{
    hs_err ignored = {{0}};
    int k = hproc_locked_arenas(h, qr->arenas, QUIESCE_MAX_ARENAS, &ignored);
    qr->narenas = k > 0 ? (size_t)k : 0;
    if (k < 0)
        qr->busy_unknown = true;
    for (size_t i = 0; i < n; i++) {
        if (inside[i] <= 0)
            continue;
        qr->busy++;
        uint64_t a = 0;
        if (hproc_thread_arena(h, &t[i], &a, &ignored) != 0 || a == 0) {
            qr->busy_unknown = true; /* choosing its first arena: any may change */
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < qr->narenas; j++)
            seen |= qr->arenas[j] == a;
        if (!seen && qr->narenas < QUIESCE_MAX_ARENAS)
            qr->arenas[qr->narenas++] = a;
        else if (!seen)
            qr->busy_unknown = true;
    }
}

/* The thread pointers of s's threads, for safepoint_read. */
static uint64_t *quiesce_tps(const ptstop *s, size_t n)
{
    uint64_t *tp = calloc(n ? n : 1, sizeof(*tp));
    for (size_t i = 0; tp != NULL && i < n; i++)
        tp[i] = ptstop_thread_at(s, i)->fs_base;
    return tp;
}

/* The hook's safepoint, one round: posts the park request, lets only the
 * threads inside the allocator run until each has parked (or the budget ran
 * out), and stops them again. A thread is inside when its words say it is in
 * the hook's own work (it parks on its way out), or when its pc and stack
 * say it is in glibc's malloc, which the hook's fast paths reach by a tail
 * call and keep no word for: such a thread parks at its next allocator call,
 * or is seen asleep outside malloc (hproc_asleep_outside), and one that does
 * neither is waited for QUIESCE_SAFEPOINT_MAX_US at most (the rounds after
 * take both over). Nothing to do when no thread is inside. Leaves
 * in *seen each thread's verdict and whether it ran, as a round of the
 * caller's would. 0, or -1 + err. */
static int quiesce_safepoint(ptstop *s, hproc *h, safepoint *sp, uint64_t budget_us,
                             quiesce_result *qr, quiesce_seen *seen, hs_err *err)
{
    size_t n = ptstop_nthreads(s), k = 0, parked = 0;
    uint64_t *tp = quiesce_tps(s, n);
    unsigned char *st = calloc(n ? n : 1, 1), *asleep = calloc(n ? n : 1, 1);
    pid_t *tids = calloc(n ? n : 1, sizeof(*tids));
    gheap_thread *th = quiesce_threads(s, &n);
    int rc = -1;
    if (tp == NULL || st == NULL || asleep == NULL || tids == NULL || th == NULL ||
        quiesce_seen_alloc(seen, n) != 0) {
        hs_err_set(err, "out of memory while stopping process %d.", (int)sp->pid);
        goto out;
    }
    if (safepoint_read(sp, tp, n, st, err) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        seen->tid[i] = th[i].tid;
        seen->pc[i] = th[i].regs->rip;
        seen->sp[i] = th[i].regs->rsp;
        seen->inside[i] = st[i] == SAFEPOINT_INSIDE ? 1 : st[i] == SAFEPOINT_PARKED ? 0 : -1;
    }
    bool locked = false;
    char why[320];
    if (hproc_busy_threads(h, th, n, seen->inside, &locked, why, sizeof(why), err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if ((seen->run[i] = seen->inside[i] > 0)) {
            tids[k] = th[i].tid;
            tp[k++] = tp[i]; /* from here on, tp and tids hold the threads let run */
        }
    }
    rc = 0;
    if (k == 0 || (budget_us > 0 && ptstop_pause_us(s) - qr->stop_us >= budget_us)) {
        memset(seen->run, 0, n * sizeof(*seen->run));
        goto out;
    }
    uint64_t t0 = ptstop_pause_us(s);
    uint32_t timeout_ms = budget_us > 0 ? (uint32_t)(budget_us / 1000) + QUIESCE_PARK_SLACK_MS
                                        : QUIESCE_PARK_NOBUDGET_MS;
    if (safepoint_post(sp, timeout_ms, err) != 0) {
        rc = -1;
        goto out;
    }
    ptstop_guard_word(sp->pid, sp->park_addr); /* a SIGINT meanwhile withdraws it */
    if (ptstop_run(s, seen->run, err) != 0) {
        rc = -1;
        goto out;
    }
    for (unsigned poll = 1;; poll++) {
        struct timespec nap = {0, QUIESCE_SAFEPOINT_POLL_US * 1000L};
        nanosleep(&nap, NULL);
        /* A thread whose words cannot be read has exited. */
        if (safepoint_read(sp, tp, k, st, err) != 0)
            break;
        parked = 0;
        size_t gone = 0, idle = 0;
        bool look = poll % QUIESCE_SAFEPOINT_ASLEEP_POLLS == 0;
        for (size_t j = 0; j < k; j++) {
            parked += st[j] == SAFEPOINT_PARKED;
            gone += st[j] == SAFEPOINT_UNKNOWN;
            if (st[j] == SAFEPOINT_PARKED || st[j] == SAFEPOINT_UNKNOWN)
                continue;
            if (look)
                asleep[j] = (unsigned char)(hproc_asleep_outside(h, tids[j]) == 1);
            idle += asleep[j];
        }
        uint64_t now = ptstop_pause_us(s);
        if (parked + gone + idle == k || (budget_us > 0 && now - qr->stop_us >= budget_us) ||
            now - t0 >= QUIESCE_SAFEPOINT_MAX_US)
            break;
    }
    hs_err restop_err = {{0}};
    rc = ptstop_restop(s, &restop_err);
    if (rc != 0)
        *err = restop_err;
    qr->parked = parked;
    qr->safepoint_us = ptstop_pause_us(s) - t0;
out:
    free(tp);
    free(st);
    free(asleep);
    free(tids);
    free(th);
    return rc;
}

/* While every thread is stopped: the request goes (when one was posted). */
static int quiesce_withdraw(safepoint *sp, hs_err *err)
{
    int rc = safepoint_withdraw(sp, err);
    ptstop_guard_word(0, 0);
    return rc;
}

/* Each round, what the hook's words say of the threads: parked ones are
 * outside the allocator for certain, and those inside one of its calls are
 * inside whatever their pc says (the hook's own code around glibc's, the
 * counters not yet updated). The other threads keep the verdict they had. */
static void quiesce_hook_verdicts(const safepoint *sp, const gheap_thread *t, size_t n,
                                  signed char *inside)
{
    uint64_t *tp = calloc(n ? n : 1, sizeof(*tp));
    unsigned char *st = calloc(n ? n : 1, 1);
    hs_err ignored = {{0}};
    if (tp != NULL && st != NULL) {
        for (size_t i = 0; i < n; i++)
            tp[i] = t[i].fs_base;
        if (safepoint_read(sp, tp, n, st, &ignored) == 0)
            for (size_t i = 0; i < n; i++)
                if (st[i] == SAFEPOINT_PARKED || st[i] == SAFEPOINT_INSIDE)
                    inside[i] = st[i] == SAFEPOINT_INSIDE;
    }
    free(tp);
    free(st);
}

/* Once the heap is quiet, for the capture and the resume (not before: a
 * real-time heapsnap that wakes from a nap between its checks preempts a
 * target thread running on its CPU, which then waits a whole turn of the run
 * queue to reach its stop or its safepoint; at load 60-120 one busy thread
 * took 12 ms to stop, and 12 ms to park, that way, against 2-4 ms at nice
 * -20). Without CAP_SYS_NICE this fails, and the nice value stays. */
static void quiesce_realtime(quiesce_result *qr)
{
    struct sched_param cur;
    int policy = sched_getscheduler(0);
    if (policy == SCHED_OTHER && sched_getparam(0, &cur) == 0 &&
        sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK,
                           &(struct sched_param){QUIESCE_RT_PRIORITY}) == 0) {
        qr->rt = true;
        qr->old_policy = policy;
        qr->old_rt_priority = cur.sched_priority;
    }
}

void quiesce_end(quiesce_result *qr)
{
    if (qr->rt)
        sched_setscheduler(0, qr->old_policy, &(struct sched_param){qr->old_rt_priority});
    qr->rt = false;
    if (qr->raised)
        setpriority(PRIO_PROCESS, 0, qr->old_nice);
    qr->raised = false;
}

ptstop *quiesce_stop(pid_t pid, hproc *h, gheap_thread **threads, size_t *nthreads,
                     unsigned *retries, hs_err *err)
{
    quiesce_result qr;
    ptstop *s = quiesce_stop_within(pid, h, NULL, 0, threads, nthreads, &qr, err);
    *retries = qr.retries;
    return s;
}

ptstop *quiesce_stop_within(pid_t pid, hproc *h, safepoint *sp, uint64_t budget_us,
                            gheap_thread **threads, size_t *nthreads, quiesce_result *qr,
                            hs_err *err)
{
    memset(qr, 0, sizeof(*qr));
    unsigned *retries = &qr->retries;
    if (budget_us > 0) {
        errno = 0;
        int old = getpriority(PRIO_PROCESS, 0);
        /* Without CAP_SYS_NICE this fails and the stop runs at the old priority. */
        if (errno == 0 && old > QUIESCE_NICE && setpriority(PRIO_PROCESS, 0, QUIESCE_NICE) == 0) {
            qr->raised = true;
            qr->old_nice = old;
        }
    }
    ptstop *s = ptstop_stop_all(pid, err);
    if (s == NULL) {
        quiesce_end(qr);
        return NULL;
    }
    qr->stop_us = ptstop_pause_us(s);
    if (hproc_same_image(h, err) != 0) {
        ptstop_detach_all(s);
        quiesce_end(qr);
        return NULL;
    }
    quiesce_seen prev = {0}, cur = {0};
    if (sp != NULL && quiesce_safepoint(s, h, sp, budget_us, qr, &prev, err) != 0) {
        quiesce_seen_free(&prev);
        quiesce_withdraw(sp, NULL);
        ptstop_detach_all(s);
        quiesce_end(qr);
        return NULL;
    }
    unsigned delay = QUIESCE_BUSY_MIN_US, solo_delay = QUIESCE_SOLO_MIN_US;
    unsigned full = 0, solo = 0, stuck = 0, rounds = 0;
    size_t turn = 0;
    /* What stopping one thread costs, first from the stop of them all. */
    uint64_t per_thread_us = qr->stop_us / (ptstop_nthreads(s) ? ptstop_nthreads(s) : 1) + 1;
    char why[320] = "";
    for (;;) {
        *threads = quiesce_threads(s, nthreads);
        if (*threads == NULL || quiesce_seen_alloc(&cur, *nthreads) != 0) {
            hs_err_set(err, "out of memory while stopping process %d.", (int)pid);
            break;
        }
        /* A thread that stayed stopped keeps its verdict; the others (and
         * threads new since the last round) are checked again. */
        bool moved = prev.n == 0;
        for (size_t i = 0; i < *nthreads; i++) {
            const gheap_thread *t = &(*threads)[i];
            ssize_t k = quiesce_seen_find(&prev, t->tid);
            assert(k < 0 || prev.run != NULL);
            cur.tid[i] = t->tid;
            cur.pc[i] = t->regs->rip;
            cur.sp[i] = t->regs->rsp;
            cur.inside[i] = k >= 0 && !prev.run[k] ? prev.inside[k] : -1;
            if (k < 0 || (prev.run[k] && (prev.pc[k] != cur.pc[i] || prev.sp[k] != cur.sp[i])))
                moved = true;
        }
        if (sp != NULL && sp->posted != 0)
            quiesce_hook_verdicts(sp, *threads, *nthreads, cur.inside);
        bool locked = false;
        int busy =
            hproc_busy_threads(h, *threads, *nthreads, cur.inside, &locked, why, sizeof(why), err);
        uint64_t waited = ptstop_pause_us(s) - qr->stop_us;
        size_t ninside = 0;
        for (size_t i = 0; i < cur.n; i++)
            ninside += cur.inside[i] > 0;
        /* With a budget, a round lets run only as many threads as can be
         * stopped again before it ends (at the cost per thread seen so far),
         * and always one, so that the budget, not an estimate, ends the wait. */
        size_t fit = ninside;
        if (budget_us > 0 && busy > 0 && waited < budget_us) {
            uint64_t rest = budget_us - waited;
            fit = rest > QUIESCE_SOLO_MIN_US
                      ? (size_t)((rest - QUIESCE_SOLO_MIN_US) / per_thread_us)
                      : 0;
            if (fit == 0)
                fit = 1;
        }
        if (busy == 0 || (busy > 0 && budget_us > 0 && waited >= budget_us)) {
            qr->wait_us = waited - qr->safepoint_us;
            /* Every thread is stopped: parked ones go on when they run. */
            if (sp != NULL && quiesce_withdraw(sp, err) != 0)
                break;
            if (busy > 0) {
                qr->budget_out = true;
                quiesce_name_arenas(h, *threads, *nthreads, cur.inside, qr);
            }
            quiesce_seen_free(&prev);
            quiesce_seen_free(&cur);
            /* For the capture and the resume, whether or not the nice value
             * was raised here: heapsnap's main raises it for the whole run
             * (a2ba2b2), and tying this to that raise lost the real-time
             * policy, so detaching 64 busy threads took 2-116 ms again. */
            if (budget_us > 0)
                quiesce_realtime(qr);
            return s;
        }
        if (busy < 0)
            break;
        /* No round runs past the budget (the stop that ends it may). */
        unsigned left = budget_us > 0 && budget_us - waited < QUIESCE_BUSY_MAX_US
                            ? (unsigned)(budget_us - waited)
                            : QUIESCE_BUSY_MAX_US;
        free(*threads);
        *threads = NULL;
        stuck = moved ? 0 : stuck + 1;
        if (ninside > 0 && solo < QUIESCE_SOLO_ROUNDS && stuck < QUIESCE_SOLO_STUCK &&
            rounds + 1 < QUIESCE_BUSY_ROUNDS) {
            /* Only the threads inside malloc run; a slower pace when none
             * of them moved last time. */
            solo_delay = moved ? QUIESCE_SOLO_MIN_US
                               : (solo_delay * 2 > QUIESCE_SOLO_MAX_US ? QUIESCE_SOLO_MAX_US
                                                                       : solo_delay * 2);
            if (solo_delay > left)
                solo_delay = left;
            /* When not all fit, a different share runs each round. */
            size_t allowed = 0;
            for (size_t i = 0; i < cur.n; i++) {
                size_t k = (i + turn) % cur.n;
                cur.run[k] = cur.inside[k] > 0 && allowed < fit;
                allowed += cur.run[k];
            }
            turn += allowed;
            solo++;
            rounds++;
            (*retries)++;
            quiesce_seen tmp = prev;
            prev = cur;
            cur = tmp;
            uint64_t t0 = ptstop_pause_us(s);
            if (ptstop_resume_some(s, prev.run, solo_delay, err) != 0)
                break;
            uint64_t took = ptstop_pause_us(s) - t0;
            per_thread_us = took > solo_delay ? (took - solo_delay) / allowed : 1;
            if (per_thread_us == 0)
                per_thread_us = 1;
            continue;
        }
        if (budget_us == 0 &&
            (full + 1 >= QUIESCE_BUSY_TRIES || rounds + 1 >= QUIESCE_BUSY_ROUNDS)) {
            hs_err_set(err,
                       "the heap of process %d stayed busy through %u tries (%s); try again "
                       "when it allocates less, or raise its priority over other work.",
                       (int)pid, rounds + 1, why);
            break;
        }
        /* A lock is held with no thread seen inside malloc (its holder is in
         * stdio under malloc_stats, or forking, or the unwinder is missing),
         * or the threads inside malloc did not get out: let everything run. */
        full++;
        rounds++;
        (*retries)++;
        solo = 0;
        stuck = 0;
        solo_delay = QUIESCE_SOLO_MIN_US;
        quiesce_seen_free(&prev);
        unsigned jitter = (unsigned)((uint64_t)quiesce_now_ns() % (delay / 4 + 1));
        unsigned run_us = delay + jitter < left ? delay + jitter : left;
        if (ptstop_resume_briefly(s, run_us, err) != 0)
            break;
        delay = delay * 2 > QUIESCE_BUSY_MAX_US ? QUIESCE_BUSY_MAX_US : delay * 2;
    }
    quiesce_seen_free(&prev);
    quiesce_seen_free(&cur);
    free(*threads);
    *threads = NULL;
    if (sp != NULL)
        quiesce_withdraw(sp, NULL);
    ptstop_detach_all(s);
    quiesce_end(qr);
    return NULL;
}
