/* lib/heap/heap_busy.c: is the heap of a stopped process quiet (see
 * heap_process.h)? An arena lock held, or a thread inside malloc.c's text --
 * by its pc, by a return address near its stack pointer, and only then by
 * unwinding its stack. */
#include "heap_process.h"

#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "hproc_internal.h"
#include "tsyscall.h"

/* 1 and the frame's pc when some frame of the thread is inside [lo, hi); 0
 * when none is; -1 when its stack cannot be unwound. */
static int hp_frames_in(hproc *h, const gheap_thread *t, uint64_t lo, uint64_t hi, uint64_t *pc,
                        int *depth)
{
    uint64_t pcs[HP_MAX_FRAMES];
    int n = uwr_frames(h->uw, t->regs, pcs, HP_MAX_FRAMES);
    for (int i = 0; i < n; i++) {
        /* a return address points after its call: test pc - 1 */
        uint64_t at = i == 0 ? pcs[i] : pcs[i] - 1;
        if (at >= lo && at < hi) {
            *pc = pcs[i];
            *depth = i;
            return 1;
        }
    }
    return n < 0 ? -1 : 0;
}

/* malloc.c's text in the target: [*lo, *hi). 1 when thread t's pc is in
 * it (with the evidence in why). */
static int hp_pc_in_malloc(const hproc *h, const gheap_thread *t, uint64_t *lo, uint64_t *hi,
                           char *why, size_t whylen)
{
    *lo = h->libc_base + h->lay.text_lo;
    *hi = h->libc_base + h->lay.text_hi;
    uint64_t ip = t->regs->rip;
    if (ip < *lo || ip >= *hi)
        return 0;
    snprintf(why, whylen, "thread %d is inside malloc (pc 0x%llx)", (int)t->tid,
             (unsigned long long)ip);
    return 1;
}

int hproc_thread_in_malloc(hproc *h, const gheap_thread *t, char *why, size_t whylen)
{
    uint64_t lo, hi;
    if (t->regs == NULL)
        return 0;
    if (hp_pc_in_malloc(h, t, &lo, &hi, why, whylen))
        return 1;
    uint64_t pc;
    int depth;
    int r = hp_frames_in(h, t, lo, hi, &pc, &depth);
    if (r == 1) {
        snprintf(why, whylen, "thread %d is inside malloc (frame %d returns to 0x%llx)",
                 (int)t->tid, depth, (unsigned long long)pc);
        return 1;
    }
    if (r < 0) {
        /* No unwinder: the return address the thread would use next when it
         * stopped in a leaf (a syscall wrapper) sits at rsp. */
        uint64_t ret;
        if (memsrc_read_u64(h->m, t->regs->rsp, &ret) == 0 && ret - 1 >= lo && ret - 1 < hi) {
            snprintf(why, whylen, "thread %d is inside malloc (returns to 0x%llx)", (int)t->tid,
                     (unsigned long long)ret);
            return 1;
        }
    }
    snprintf(why, whylen, "thread %d is outside malloc%s", (int)t->tid,
             r < 0 ? " (no unwinder: checked pc and the word at rsp)" : "");
    return 0;
}

/* glibc caps the arenas at 8 per core; the bound only stops a corrupt ring */
#define HP_MAX_ARENAS 65536

/* Moves *a to the next arena of main_arena's ring: false at the ring's end,
 * or when the next pointer cannot be read. */
static bool hp_arena_next(hproc *h, uint64_t *a)
{
    uint64_t main_arena = h->libc_base + h->lay.main_arena;
    return memsrc_read_u64(h->m, *a + h->lay.ms_next, a) == 0 && *a != main_arena;
}

/* Whether one of the HPROC_SCAN_BYTES at the top of a stack (from sp) is a
 * return address into [lo, hi): 1 yes, 0 no, -1 when they cannot be read
 * (the stack ends sooner). */
static int hp_returns_into(hproc *h, uint64_t sp, uint64_t lo, uint64_t hi)
{
    uint64_t words[HPROC_SCAN_BYTES / 8];
    if (memsrc_read(h->m, sp, sizeof(words), words) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (words[i] - 1 >= lo && words[i] - 1 < hi)
            return 1;
    return 0;
}

/* 1 with the reason in why when a malloc lock word is held, 0 when none is,
 * -1 + err. */
static int hp_lock_held(hproc *h, char *why, size_t whylen, hs_err *err)
{
    const glayout *L = &h->lay;
    memsrc_invalidate(h->m);
    uint32_t w;
    if (memsrc_read(h->m, h->libc_base + L->list_lock, 4, &w))
        return hs_err_set(err, "cannot read malloc's list_lock in process %d", (int)h->pid);
    if (w) {
        snprintf(why, whylen, "malloc's list_lock is held (%u)", w);
        return 1;
    }
    if (memsrc_read(h->m, h->libc_base + L->free_list_lock, 4, &w) == 0 && w) {
        snprintf(why, whylen, "malloc's free_list_lock is held (%u)", w);
        return 1;
    }
    uint64_t a = h->libc_base + L->main_arena;
    for (int i = 0; i < HP_MAX_ARENAS; i++) {
        if (memsrc_read(h->m, a + L->ms_mutex, 4, &w))
            return hs_err_set(err, "cannot read the lock of arena 0x%llx", (unsigned long long)a);
        if (w) {
            snprintf(why, whylen, "arena 0x%llx is locked (%u)", (unsigned long long)a, w);
            return 1;
        }
        if (!hp_arena_next(h, &a))
            break;
    }
    return 0;
}

static void hp_quiet_why(hproc *h, char *why, size_t whylen)
{
    uint8_t single = 0;
    if (h->single_threaded)
        memsrc_read(h->m, h->single_threaded, 1, &single);
    /* With __libc_single_threaded set malloc takes no lock at all, so only
     * the stack walk could tell; say which evidence was used. */
    snprintf(why, whylen,
             single ? "quiet (single-threaded: no malloc frame on the stack)"
                    : "quiet (no malloc lock held, no thread inside malloc)");
}

int hproc_busy(hproc *h, const gheap_thread *threads, size_t n, char *why, size_t whylen,
               hs_err *err)
{
    int locked = hp_lock_held(h, why, whylen, err);
    if (locked != 0)
        return locked;
    /* Lock words say nothing about tcache, lock-free fastbin frees, or any
     * single-threaded malloc: look at where every thread is. */
    for (size_t i = 0; i < n; i++)
        if (hproc_thread_in_malloc(h, &threads[i], why, whylen) == 1)
            return 1;
    hp_quiet_why(h, why, whylen);
    return 0;
}

int hproc_locked_arenas(hproc *h, uint64_t *out, size_t max, hs_err *err)
{
    const glayout *L = &h->lay;
    uint64_t a = h->libc_base + L->main_arena;
    size_t k = 0;
    for (int i = 0; i < HP_MAX_ARENAS; i++) {
        uint32_t w;
        if (memsrc_read(h->m, a + L->ms_mutex, 4, &w))
            return hs_err_set(err, "cannot read the lock of arena 0x%llx", (unsigned long long)a);
        if (w && k < max)
            out[k++] = a;
        if (!hp_arena_next(h, &a))
            break;
    }
    return (int)k;
}

/* 1 when addr is one of malloc's lock words: list_lock, free_list_lock, or
 * an arena's mutex (the ring read through h->m, which the caller refreshed). */
static int hp_is_lock_word(hproc *h, uint64_t addr)
{
    const glayout *L = &h->lay;
    if (addr == h->libc_base + L->list_lock || addr == h->libc_base + L->free_list_lock)
        return 1;
    uint64_t a = h->libc_base + L->main_arena;
    for (int i = 0; i < HP_MAX_ARENAS; i++) {
        if (addr == a + L->ms_mutex)
            return 1;
        if (!hp_arena_next(h, &a))
            break;
    }
    return 0;
}

int hproc_asleep_outside(hproc *h, pid_t tid)
{
    tsyscall c;
    tsyscall_read(h->pid, tid, &c);
    if (c.state != TSYSCALL_BLOCKED)
        return 0;
    memsrc_invalidate(h->m); /* the process runs: no page read before holds */
    switch (c.nr) {
    case SYS_mmap:
    case SYS_munmap:
    case SYS_mprotect:
    case SYS_brk:
    case SYS_mremap:
    case SYS_madvise:
    case SYS_getrandom:
        return 0;
    case SYS_futex:
        if (hp_is_lock_word(h, c.arg[0]))
            return 0;
        break;
    default:
        break;
    }
    uint64_t lo = h->libc_base + h->lay.text_lo, hi = h->libc_base + h->lay.text_hi;
    if (c.pc >= lo && c.pc < hi)
        return 0;
    /* a call malloc made (stdio under malloc_stats) would have its return
     * address into malloc.c near the stack pointer, as hp_thread_inside reads */
    return hp_returns_into(h, c.sp, lo, hi) == 0;
}

/* hproc_thread_in_malloc, the cheap way first (see hproc_busy_threads): most
 * threads of a busy process are decided by their pc or by one read of the top
 * of their stack, without unwinding. A thread inside malloc whose pc is
 * outside malloc.c's text is in a leaf it called (a lock wait, brk, mmap,
 * madvise), whose return address into malloc.c sits a few words above the
 * stack pointer; only stdio under malloc_stats/malloc_info goes deeper, and
 * it holds an arena lock, which the caller sees. */
static int hp_thread_inside(hproc *h, const gheap_thread *t, char *why, size_t whylen)
{
    uint64_t lo, hi;
    if (t->regs == NULL)
        return 0;
    if (hp_pc_in_malloc(h, t, &lo, &hi, why, whylen))
        return 1;
    int hit = hp_returns_into(h, t->regs->rsp, lo, hi);
    if (hit < 0)
        return hproc_thread_in_malloc(h, t, why, whylen); /* the stack ends sooner */
    if (hit == 0) {
        snprintf(why, whylen, "thread %d is outside malloc (no return address into it near rsp)",
                 (int)t->tid);
        return 0;
    }
    if (h->uw == NULL) { /* cannot tell a live return address from a stale word */
        snprintf(why, whylen, "thread %d may be inside malloc (a return address into it near rsp)",
                 (int)t->tid);
        return 1;
    }
    return hproc_thread_in_malloc(h, t, why, whylen);
}

int hproc_busy_threads(hproc *h, const gheap_thread *threads, size_t n, signed char *inside,
                       bool *locked, char *why, size_t whylen, hs_err *err)
{
    char lockwhy[160] = "", threadwhy[160] = "", tmp[160];
    int l = hp_lock_held(h, lockwhy, sizeof(lockwhy), err);
    if (l < 0)
        return -1;
    *locked = l == 1;
    size_t ninside = 0;
    for (size_t i = 0; i < n; i++) {
        if (inside[i] < 0)
            inside[i] = (signed char)(hp_thread_inside(h, &threads[i], tmp, sizeof(tmp)) == 1);
        else if (inside[i] > 0)
            snprintf(tmp, sizeof(tmp), "thread %d is inside malloc", (int)threads[i].tid);
        if (inside[i] > 0 && ninside++ == 0)
            snprintf(threadwhy, sizeof(threadwhy), "%s", tmp);
    }
    if (!*locked && ninside == 0) {
        hp_quiet_why(h, why, whylen);
        return 0;
    }
    if (*locked && ninside > 0)
        snprintf(why, whylen, "%s; %s%s", lockwhy, threadwhy, ninside > 1 ? " (and others)" : "");
    else if (ninside > 0)
        snprintf(why, whylen, "%s%s", threadwhy, ninside > 1 ? " (and others)" : "");
    else
        snprintf(why, whylen, "%s (no thread seen inside malloc)", lockwhy);
    return 1;
}
