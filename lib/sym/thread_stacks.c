/* lib/sym/thread_stacks.c: remote stacks of ptrace-stopped threads through
 * libunwind-ptrace (one address space per capture, so unwind info read for one
 * thread serves the next), and their threads/count profile in the style of Go's
 * goroutine profile, symbolized by lib/symbolize. */
#include "thread_stacks.h"

#include <errno.h>
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "uwr.h"

static void read_comm(pid_t pid, pid_t tid, char *out, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (f != NULL) {
        if (fgets(out, (int)len, f) != NULL) {
            out[strcspn(out, "\n")] = '\0';
            fclose(f);
            if (out[0] != '\0')
                return;
        } else {
            fclose(f);
        }
    }
    snprintf(out, len, "%d", (int)tid);
}

/* ---- unwinding a copy of a stopped thread's stack, after it runs again ----
 * libunwind-ptrace's accessors, but registers and stack words come from the
 * copy (the thread has moved on): the unwind tables are read from the files
 * and the process's text, which do not change. The accessors' own argument
 * is libunwind-ptrace's, so the copy is reached through ts_cur. */
static __thread const tstacks_copy *ts_cur;

static int ts_copy_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
    (void)as;
    (void)arg;
    const tstacks_copy *c = ts_cur;
    if (write)
        return -UNW_EINVAL;
    if (addr >= c->lo && addr - c->lo + 8 <= 8 * (uint64_t)c->nwords) {
        memcpy(val, (const char *)c->words + (addr - c->lo), 8);
        return 0;
    }
    struct iovec l = {val, 8}, r = {(void *)(uintptr_t)addr, 8};
    return process_vm_readv(c->tid, &l, 1, &r, 1, 0) == 8 ? 0 : -UNW_EINVAL;
}

static int ts_copy_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
    (void)as, (void)arg;
    uint64_t v;
    if (write || uwr_reg(&ts_cur->regs, reg, &v) != 0)
        return -UNW_EBADREG;
    *val = v;
    return 0;
}

static int ts_copy_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                         void *arg)
{
    (void)as, (void)reg, (void)val, (void)write, (void)arg;
    return -UNW_EBADREG;
}

static int unwind_in(unw_addr_space_t as, pid_t tid, uint64_t *pcs, uint64_t *sps,
                     tstacks_saved *saved, size_t max, uint64_t *exact, hs_err *err);

const int tstacks_saved_regs[TSTACKS_NSAVED] = {UNW_X86_64_RBX, UNW_X86_64_RBP, UNW_X86_64_R12,
                                                UNW_X86_64_R13, UNW_X86_64_R14, UNW_X86_64_R15};

int tstacks_unwind_copy(const tstacks_copy *c, uint64_t *pcs, uint64_t *sps, tstacks_saved *saved,
                        size_t max, uint64_t *exact, hs_err *err)
{
    unw_accessors_t acc = _UPT_accessors;
    acc.access_mem = ts_copy_mem;
    acc.access_reg = ts_copy_reg;
    acc.access_fpreg = ts_copy_fpreg;
    unw_addr_space_t as = unw_create_addr_space(&acc, 0);
    if (as == NULL)
        return hs_err_set(err, "libunwind cannot create an address space (out of memory)");
    ts_cur = c;
    int r = unwind_in(as, c->tid, pcs, sps, saved, max, exact, err);
    ts_cur = NULL;
    unw_destroy_addr_space(as);
    return r;
}

static int unwind_in(unw_addr_space_t as, pid_t tid, uint64_t *pcs, uint64_t *sps,
                     tstacks_saved *saved, size_t max, uint64_t *exact, hs_err *err)
{
    *exact = 0;
    if (max == 0)
        return 0;
    void *upt = _UPT_create(tid);
    if (upt == NULL)
        return hs_err_set(err, "out of memory unwinding thread %d", (int)tid);
    unw_cursor_t c;
    int r = unw_init_remote(&c, as, upt);
    if (r < 0) {
        _UPT_destroy(upt);
        return hs_err_set(err,
                          "cannot read the registers of thread %d (%s); it must be stopped "
                          "under ptrace by this process",
                          (int)tid, unw_strerror(r));
    }
    size_t n = 0;
    bool next_exact = true; /* the leaf's PC is the instruction itself */
    unw_word_t prev_sp = 0;
    while (n < max) {
        unw_word_t ip = 0, sp = 0;
        if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || unw_get_reg(&c, UNW_REG_SP, &sp) < 0)
            break;
        if (ip == 0)
            break;
        /* A frame that does not move the stack pointer up is a broken unwind. */
        if (n > 0 && sp < prev_sp)
            break;
        if (next_exact && n < 64)
            *exact |= 1ULL << n;
        if (sps != NULL)
            sps[n] = sp;
        if (saved != NULL) {
            /* what libunwind cannot place (a frame unwound without CFI) is unknown */
            saved[n].known = 0;
            for (int k = 0; k < TSTACKS_NSAVED; k++) {
                unw_word_t v = 0;
                if (unw_get_reg(&c, tstacks_saved_regs[k], &v) >= 0) {
                    saved[n].v[k] = v;
                    saved[n].known |= (uint8_t)(1u << k);
                }
            }
        }
        pcs[n++] = ip;
        prev_sp = sp;
        /* The frame below a signal frame was interrupted, not calling. */
        next_exact = unw_is_signal_frame(&c) > 0;
        if (unw_step(&c) <= 0)
            break;
    }
    _UPT_destroy(upt);
    if (n == 0)
        return hs_err_set(err, "thread %d has no readable program counter", (int)tid);
    return (int)n;
}

int tstacks_unwind(pid_t tid, uint64_t *pcs, size_t max, uint64_t *exact, hs_err *err)
{
    unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
    if (as == NULL)
        return hs_err_set(err, "libunwind cannot create an address space (out of memory)");
    int r = unwind_in(as, tid, pcs, NULL, NULL, max, exact, err);
    unw_destroy_addr_space(as);
    return r;
}

int tstacks_unwind_sp(pid_t tid, uint64_t *pcs, uint64_t *sps, size_t max, uint64_t *exact,
                      hs_err *err)
{
    unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
    if (as == NULL)
        return hs_err_set(err, "libunwind cannot create an address space (out of memory)");
    int r = unwind_in(as, tid, pcs, sps, NULL, max, exact, err);
    unw_destroy_addr_space(as);
    return r;
}

tstacks *tstacks_capture(pid_t pid, const pid_t *tids, size_t ntids, hs_err *err)
{
    if (ntids == 0) {
        hs_err_set(err, "no threads to unwind; stop the process's threads first");
        return NULL;
    }
    tstacks *t = calloc(1, sizeof(*t));
    if (t != NULL)
        t->v = calloc(ntids, sizeof(tstacks_thread));
    unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
    if (t == NULL || t->v == NULL || as == NULL) {
        if (as != NULL)
            unw_destroy_addr_space(as);
        tstacks_free(t);
        hs_err_set(err, "out of memory capturing thread stacks");
        return NULL;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    t->time_nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    t->pid = pid;
    t->n = ntids;
    for (size_t i = 0; i < ntids; i++) {
        tstacks_thread *th = &t->v[i];
        th->tid = tids[i];
        read_comm(pid, tids[i], th->name, sizeof(th->name));
        hs_err e;
        int r = unwind_in(as, tids[i], th->pc, NULL, NULL, TSTACKS_MAX_FRAMES, &th->exact, &e);
        if (r < 0) {
            size_t l = strnlen(e.msg, sizeof(th->error) - 1);
            memcpy(th->error, e.msg, l);
            th->error[l] = '\0';
            th->n = 0;
        } else {
            th->n = (size_t)r;
        }
    }
    unw_destroy_addr_space(as);
    return t;
}

void tstacks_free(tstacks *t)
{
    if (t == NULL)
        return;
    free(t->v);
    free(t);
}

/* Orders threads so equal (name, stack) runs are adjacent. */
static int thread_cmp(const void *pa, const void *pb)
{
    const tstacks_thread *a = *(const tstacks_thread *const *)pa;
    const tstacks_thread *b = *(const tstacks_thread *const *)pb;
    int c = strcmp(a->name, b->name);
    if (c != 0)
        return c;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    for (size_t i = 0; i < a->n; i++) {
        if (a->pc[i] != b->pc[i])
            return a->pc[i] < b->pc[i] ? -1 : 1;
    }
    if (a->exact != b->exact)
        return a->exact < b->exact ? -1 : 1;
    if (a->n == 0)
        return strcmp(a->error, b->error);
    return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static bool same_sample(const tstacks_thread *a, const tstacks_thread *b)
{
    return strcmp(a->name, b->name) == 0 && a->n == b->n && a->exact == b->exact &&
           memcmp(a->pc, b->pc, a->n * sizeof(uint64_t)) == 0 &&
           (a->n != 0 || strcmp(a->error, b->error) == 0);
}

pprof_builder *tstacks_profile(const tstacks *t, sym_ctx *sym, hs_err *err)
{
    sym_ctx *own = NULL;
    if (sym == NULL) {
        own = sym = sym_open(t->pid, err);
        if (sym == NULL)
            return NULL;
    }
    pprof_builder *b = pprof_builder_new();
    const tstacks_thread **order = calloc(t->n ? t->n : 1, sizeof(*order));
    if (b == NULL || order == NULL) {
        pprof_builder_free(b);
        free(order);
        sym_close(own);
        hs_err_set(err, "out of memory building the thread profile");
        return NULL;
    }
    sym_forget_builder(sym); /* b may reuse the address of a freed builder */
    pprof_add_sample_type(b, "threads", "count");
    pprof_set_period(b, "threads", "count", 1);
    pprof_set_time(b, t->time_nanos, 0);
    pprof_add_comment(b, "thread stacks of process %d: %zu threads", (int)t->pid, t->n);
    for (size_t i = 0; i < t->n; i++)
        order[i] = &t->v[i];
    qsort(order, t->n, sizeof(*order), thread_cmp);
    for (size_t i = 0; i < t->n;) {
        size_t j = i + 1;
        while (j < t->n && same_sample(order[i], order[j]))
            j++;
        const tstacks_thread *th = order[i];
        uint64_t locs[TSTACKS_MAX_FRAMES];
        size_t nl = 0;
        if (th->n == 0) {
            char name[200];
            snprintf(name, sizeof(name), "[stack unavailable: %s]", th->error);
            locs[nl++] = pprof_add_pseudo_location(b, name);
        }
        for (size_t k = 0; k < th->n && k < TSTACKS_MAX_FRAMES; k++)
            locs[nl++] = sym_location(sym, b, th->pc[k], (th->exact & (1ULL << k)) == 0);
        int64_t count = (int64_t)(j - i);
        pprof_label_desc labels[2] = {{.key = "thread", .str = th->name},
                                      {.key = "tid", .num = th->tid}};
        pprof_add_sample(b, locs, nl, &count, labels, count == 1 ? 2 : 1);
        i = j;
    }
    free(order);
    sym_close(own);
    return b;
}

int tstacks_write(const tstacks *t, sym_ctx *sym, const char *path, hs_err *err)
{
    pprof_builder *b = tstacks_profile(t, sym, err);
    if (b == NULL)
        return -1;
    int r = pprof_write_file(b, path, err);
    pprof_builder_free(b);
    return r;
}
