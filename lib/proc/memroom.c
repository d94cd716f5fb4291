/* lib/proc/memroom.c: a process's memory and its room to grow (see
 * memroom.h), from /proc/PID/{smaps_rollup,status,cgroup}, the cgroup v2
 * files under /sys/fs/cgroup and /proc/meminfo. */
#include "memroom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The "Key: N kB" values of a /proc file, in bytes: 0, or -1 when it cannot
 * be opened. Keys not found stay as they were. */
static int memroom_kb(const char *path, const char *const *keys, uint64_t *vals, int n)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    char line[256];
    while (fgets(line, sizeof(line), f) != NULL)
        for (int i = 0; i < n; i++) {
            size_t kl = strlen(keys[i]);
            unsigned long long kb;
            if (strncmp(line, keys[i], kl) == 0 && line[kl] == ':' &&
                sscanf(line + kl + 1, "%llu", &kb) == 1)
                vals[i] = (uint64_t)kb * 1024;
        }
    fclose(f);
    return 0;
}

/* One number from a cgroup file; "max" is MEMROOM_UNLIMITED. 0 or -1. */
static int memroom_cg_value(const char *dir, const char *file, uint64_t *v)
{
    char path[512], buf[64];
    snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    if (strncmp(buf, "max", 3) == 0) {
        *v = MEMROOM_UNLIMITED;
        return 0;
    }
    *v = strtoull(buf, NULL, 10);
    return 0;
}

/* The least room below memory.max over the process's cgroup and its ancestors. */
static void memroom_cgroup(pid_t pid, memroom *r)
{
    r->cgroup_room = MEMROOM_UNLIMITED;
    r->cgroup[0] = '\0';
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return;
    char dir[512] = "";
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "0::", 3) == 0) { /* cgroup v2 */
            snprintf(dir, sizeof(dir), "%s", line + 3);
            dir[strcspn(dir, "\n")] = '\0';
        }
    fclose(f);
    while (dir[0] == '/' && dir[1] != '\0') {
        uint64_t max, cur;
        if (memroom_cg_value(dir, "memory.max", &max) == 0 && max != MEMROOM_UNLIMITED &&
            memroom_cg_value(dir, "memory.current", &cur) == 0) {
            uint64_t room = max > cur ? max - cur : 0;
            if (room < r->cgroup_room) {
                r->cgroup_room = room;
                snprintf(r->cgroup, sizeof(r->cgroup), "%s", dir);
            }
        }
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            break;
        *slash = '\0';
    }
}

int memroom_read(pid_t pid, memroom *out, hs_err *err)
{
    memset(out, 0, sizeof(*out));
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
    static const char *const rollup[] = {"Anonymous", "AnonHugePages"};
    uint64_t rv[2] = {0, 0};
    if (memroom_kb(path, rollup, rv, 2) != 0)
        return hs_err_set(err, "cannot read %s: %s", path, strerror(errno));
    out->anon_bytes = rv[0];
    out->anon_huge_bytes = rv[1];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    static const char *const status[] = {"VmData", "VmStk"};
    uint64_t sv[2] = {0, 0};
    if (memroom_kb(path, status, sv, 2) != 0)
        return hs_err_set(err, "cannot read %s: %s", path, strerror(errno));
    out->private_bytes = sv[0] + sv[1];
    memroom_cgroup(pid, out);
    out->overcommit = -1;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "re");
    if (f != NULL) {
        if (fscanf(f, "%d", &out->overcommit) != 1)
            out->overcommit = -1;
        fclose(f);
    }
    static const char *const mem[] = {"CommitLimit", "Committed_AS"};
    uint64_t mv[2] = {0, 0};
    out->commit_room = MEMROOM_UNLIMITED;
    if (memroom_kb("/proc/meminfo", mem, mv, 2) == 0 && mv[0] != 0)
        out->commit_room = mv[0] > mv[1] ? mv[0] - mv[1] : 0;
    return 0;
}
