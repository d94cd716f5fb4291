/* lib/proc/safepoint.c: the hook's safepoint from outside (see safepoint.h).
 * The words are read and written with process_vm_readv/writev; heapsnap is
 * the process's tracer, which is all those calls need. */
#include "safepoint.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Threads per process_vm_readv (the kernel takes up to 1024 iovecs). */
#define SAFEPOINT_BATCH 256

/* heapsnap's pid as pid sees it: its own when both are in one pid
 * namespace, else 0 (unknown; the threads then rely on the timeout). */
static uint32_t safepoint_requester(pid_t pid)
{
    char path[64];
    struct stat self, other;
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
    if (stat("/proc/self/ns/pid", &self) != 0 || stat(path, &other) != 0)
        return 0;
    if (self.st_ino != other.st_ino || self.st_dev != other.st_dev)
        return 0;
    return (uint32_t)getpid();
}

int safepoint_open(safepoint *sp, pid_t pid, uint64_t registry_addr,
                   const struct heapsnap_registry *hdr)
{
    memset(sp, 0, sizeof(*sp));
    if (hdr->version < 3 || hdr->safepoint_tls == 0)
        return 0;
    sp->pid = pid;
    sp->park_addr = registry_addr + offsetof(struct heapsnap_registry, park);
    sp->tls = hdr->safepoint_tls;
    sp->target = (uint32_t)hdr->hook_pid;
    sp->requester = safepoint_requester(pid);
    return 1;
}

int safepoint_state_of(const struct heapsnap_safepoint_thread *w)
{
    if (w->inside != 0)
        return SAFEPOINT_INSIDE;
    return w->parked != 0 ? SAFEPOINT_PARKED : SAFEPOINT_OUTSIDE;
}

/* Reads threads [i, i + k) of one batch; a failed remote iovec ends a
 * process_vm_readv, so the read goes on after it. */
static int safepoint_read_batch(const safepoint *sp, const uint64_t *tp, size_t k,
                                unsigned char *state, hs_err *err)
{
    struct heapsnap_safepoint_thread w[SAFEPOINT_BATCH];
    struct iovec local[SAFEPOINT_BATCH], remote[SAFEPOINT_BATCH];
    size_t map[SAFEPOINT_BATCH], m = 0;
    for (size_t j = 0; j < k; j++) {
        state[j] = SAFEPOINT_UNKNOWN;
        if (tp[j] == 0)
            continue;
        local[m] = (struct iovec){&w[m], sizeof(w[m])};
        remote[m] = (struct iovec){(void *)(uintptr_t)(tp[j] + (uint64_t)sp->tls), sizeof(w[m])};
        map[m++] = j;
    }
    size_t done = 0;
    while (done < m) {
        ssize_t got = process_vm_readv(sp->pid, local + done, m - done, remote + done, m - done, 0);
        if (got < 0 && errno == ESRCH)
            return hs_err_set(err,
                              "process %d exited while its threads' safepoint words were read.",
                              (int)sp->pid);
        size_t whole = got > 0 ? (size_t)got / sizeof(w[0]) : 0;
        if (whole > m - done)
            whole = m - done; /* never more than asked; stated for the analyzer */
        for (size_t j = 0; j < whole; j++)
            state[map[done + j]] = (unsigned char)safepoint_state_of(&w[done + j]);
        done += whole + 1; /* the iovec that failed stays unknown */
    }
    return 0;
}

int safepoint_read(const safepoint *sp, const uint64_t *tp, size_t n, unsigned char *state,
                   hs_err *err)
{
    for (size_t i = 0; i < n; i += SAFEPOINT_BATCH) {
        size_t k = n - i < SAFEPOINT_BATCH ? n - i : SAFEPOINT_BATCH;
        if (safepoint_read_batch(sp, tp + i, k, state + i, err) != 0)
            return -1;
    }
    return 0;
}

static int safepoint_write(const safepoint *sp, const void *buf, size_t len, hs_err *err)
{
    struct iovec local = {(void *)buf, len};
    struct iovec remote = {(void *)(uintptr_t)sp->park_addr, len};
    ssize_t n = process_vm_writev(sp->pid, &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len)
        return 0;
    if (n < 0 && errno == ESRCH)
        return hs_err_set(err, "process %d exited during the safepoint.", (int)sp->pid);
    return hs_err_set(err,
                      "cannot write the park request into process %d's hook registry (%s); the "
                      "hook's memory may be damaged, restart the program.",
                      (int)sp->pid, n < 0 ? strerror(errno) : "short write");
}

int safepoint_post(safepoint *sp, uint32_t timeout_ms, hs_err *err)
{
    static uint32_t serial;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* Any non-zero id; a new one per request, so that a thread parked on an
     * old one is never taken for one parked on this. */
    uint32_t id = ((uint32_t)getpid() * 2654435761u) ^ (uint32_t)ts.tv_nsec ^ ++serial;
    if (id == 0)
        id = 1;
    /* park, park_timeout_ms, park_requester, park_target: contiguous */
    uint32_t words[4] = {id, timeout_ms ? timeout_ms : 1, sp->requester, sp->target};
    _Static_assert(offsetof(struct heapsnap_registry, park_target) -
                           offsetof(struct heapsnap_registry, park) ==
                       3 * sizeof(uint32_t),
                   "the request's words are contiguous");
    if (safepoint_write(sp, words, sizeof(words), err) != 0)
        return -1;
    sp->posted = id;
    return 0;
}

int safepoint_withdraw(safepoint *sp, hs_err *err)
{
    if (sp->posted == 0)
        return 0;
    uint32_t zero = 0;
    sp->posted = 0;
    return safepoint_write(sp, &zero, sizeof(zero), err);
}
