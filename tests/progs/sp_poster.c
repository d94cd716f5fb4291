/* tests/progs/sp_poster.c: a heapsnap that dies with threads parked, for
 * tests/integration/safepoint.sh. It stops every thread of PID, posts the
 * hook's park request as heapsnap does, lets every thread run until at least
 * N more have parked (the registry's parks counter), stops them all again,
 * prints {"parked":K} and waits to be killed -- it never withdraws the request.
 * Usage: sp_poster PID N */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "procmaps.h"
#include "ptstop.h"
#include "registry.h"
#include "safepoint.h"

static int poster_fail(const char *what, const hs_err *err)
{
    fprintf(stderr, "sp_poster: %s: %s\n", what, err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: sp_poster PID N\n");
        return 2;
    }
    pid_t pid = (pid_t)atoi(argv[1]);
    uint64_t want = strtoull(argv[2], NULL, 10);
    hs_err err = {{0}};
    procmaps *maps = procmaps_read(pid, &err);
    if (maps == NULL)
        return poster_fail("maps", &err);
    registry reg;
    if (registry_locate(pid, maps, &reg, &err) != 1)
        return poster_fail("no hook registry", &err);
    safepoint sp;
    if (safepoint_open(&sp, pid, reg.addr, &reg.hdr) != 1) {
        fprintf(stderr, "sp_poster: the hook in process %d has no safepoint\n", (int)pid);
        return 1;
    }
    ptstop *s = ptstop_stop_all(pid, &err);
    if (s == NULL)
        return poster_fail("stop", &err);
    if (safepoint_post(&sp, 60000, &err) != 0 || ptstop_run(s, NULL, &err) != 0)
        return poster_fail("post", &err);
    uint64_t before = reg.hdr.parks, parks = before;
    for (int i = 0; i < 30000 && parks - before < want; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        struct iovec local = {&parks, sizeof(parks)};
        struct iovec remote = {
            (void *)(uintptr_t)(reg.addr + offsetof(struct heapsnap_registry, parks)),
            sizeof(parks)};
        if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(parks))
            return 1;
    }
    parks -= before;
    if (parks < want) {
        fprintf(stderr, "sp_poster: only %llu threads parked\n", (unsigned long long)parks);
        return 1;
    }
    if (ptstop_restop(s, &err) != 0)
        return poster_fail("stop again", &err);
    printf("{\"parked\":%llu}\n", (unsigned long long)parks);
    fflush(stdout);
    for (;;)
        pause();
}
