/* hook/hook_safepoint.c: parking at heapsnap's request (see
 * hook_safepoint.h and heapsnap_registry.h). A parked thread waits on the
 * registry's park word with a raw futex system call, never allocating or
 * taking a lock, and re-checks every HOOK_SP_RECHECK_MS: heapsnap cannot wake
 * it (a futex word of another process), but stops it with ptrace once it has
 * parked, and when it lets the process go the interrupted wait restarts,
 * sees the word changed and returns at once. A request outlives its poster
 * only when heapsnap died without withdrawing it: the first thread to notice
 * (poster gone, the request meant for another process, or park_timeout_ms
 * spent) withdraws it for every thread. */
#include "hook_safepoint.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HOOK_SP_RECHECK_MS 10
/* A request asks for at most this much, whatever its park_timeout_ms says. */
#define HOOK_SP_MAX_TIMEOUT_MS 60000u

static uint64_t sp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* True when request id can no longer be meant for this process: posted for
 * another one (this is a fork child that ran no atfork handler), or its
 * poster, whose pid is known, has exited. */
static int sp_stale(const struct heapsnap_registry *reg)
{
    uint32_t target = __atomic_load_n(&reg->park_target, __ATOMIC_RELAXED);
    if (target != 0 && target != (uint32_t)syscall(SYS_getpid))
        return 1;
    uint32_t poster = __atomic_load_n(&reg->park_requester, __ATOMIC_RELAXED);
    return poster != 0 && syscall(SYS_kill, (pid_t)poster, 0) != 0 && errno == ESRCH;
}

/* Withdraws request id for every thread (unless heapsnap already did). */
static void sp_withdraw(struct heapsnap_registry *reg, uint32_t id)
{
    uint32_t expect = id;
    if (__atomic_compare_exchange_n(&reg->park, &expect, 0, false, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED))
        syscall(SYS_futex, &reg->park, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

void hook_safepoint_park(void)
{
    struct heapsnap_safepoint_thread *t = &hook_thread.sp;
    struct heapsnap_registry *reg = &hook_registry;
    if (t->inside != 0)
        return; /* an outer call is still in progress: park when it ends */
    uint32_t id = __atomic_load_n(&reg->park, __ATOMIC_RELAXED);
    if (id == 0)
        return;
    int saved_errno = errno;
    if (sp_stale(reg)) {
        sp_withdraw(reg, id);
        errno = saved_errno;
        return;
    }
    uint32_t timeout = __atomic_load_n(&reg->park_timeout_ms, __ATOMIC_RELAXED);
    if (timeout == 0 || timeout > HOOK_SP_MAX_TIMEOUT_MS)
        timeout = HOOK_SP_MAX_TIMEOUT_MS;
    uint64_t start = sp_now_ms();
    /* A signal handler that allocates while this thread is parked parks
     * again inside; on its way out it gives the flag back as it found it. */
    uint32_t was_parked = t->parked;
    __atomic_store_n(&t->parked, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&reg->parks, 1, __ATOMIC_RELAXED);
    for (;;) {
        struct timespec recheck = {0, HOOK_SP_RECHECK_MS * 1000000L};
        syscall(SYS_futex, &reg->park, FUTEX_WAIT_PRIVATE, id, &recheck, NULL, 0);
        if (__atomic_load_n(&reg->park, __ATOMIC_RELAXED) != id)
            break;
        if (sp_now_ms() - start >= timeout || sp_stale(reg)) {
            sp_withdraw(reg, id);
            break;
        }
    }
    __atomic_store_n(&t->parked, was_parked, __ATOMIC_RELAXED);
    errno = saved_errno;
}

void hook_safepoint_start(struct heapsnap_registry *reg)
{
    char *tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp)); /* the thread pointer (x86-64 TCB self) */
    reg->safepoint_tls = (int64_t)((char *)&hook_thread.sp - tp);
}

void hook_safepoint_atfork_child(struct heapsnap_registry *reg)
{
    __atomic_store_n(&reg->park, 0, __ATOMIC_RELAXED);
    hook_thread.sp.parked = 0;
}
