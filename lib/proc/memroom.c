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

/* One number from a cgroup file; "max" (v2) or a v1 "unlimited" of 2^62 and
 * more is MEMROOM_UNLIMITED. 0 or -1. */
static int memroom_cg_value(const char *dir, const char *file, uint64_t *v)
{
    char path[1024], buf[64];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    int ok = fgets(buf, sizeof(buf), f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    *v = strncmp(buf, "max", 3) == 0 ? MEMROOM_UNLIMITED : strtoull(buf, NULL, 10);
    if (*v >= (1ull << 62))
        *v = MEMROOM_UNLIMITED;
    return 0;
}

/* The least room below the limit over cgroup path and its ancestors, under
 * mount (v2: memory.max and memory.current; v1: memory.limit_in_bytes and
 * memory.usage_in_bytes). */
static void memroom_walk_up(memroom *r, const char *mount, const char *path, int v1)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", path);
    for (;;) {
        char full[1024];
        snprintf(full, sizeof(full), "%s%s", mount, strcmp(dir, "/") == 0 ? "" : dir);
        uint64_t max, cur;
        if (memroom_cg_value(full, v1 ? "memory.limit_in_bytes" : "memory.max", &max) == 0 &&
            max != MEMROOM_UNLIMITED &&
            memroom_cg_value(full, v1 ? "memory.usage_in_bytes" : "memory.current", &cur) == 0) {
            uint64_t room = max > cur ? max - cur : 0;
            if (room < r->cgroup_room) {
                r->cgroup_room = room;
                snprintf(r->cgroup, sizeof(r->cgroup), "%s", dir);
            }
        }
        char *slash = strrchr(dir, '/');
        if (slash == NULL || strcmp(dir, "/") == 0)
            break;
        if (slash == dir)
            slash[1] = '\0'; /* the root itself, last */
        else
            *slash = '\0';
    }
}

void memroom_cgroup_at(memroom *r, const char *cgroup_text, const char *root)
{
    r->cgroup_room = MEMROOM_UNLIMITED;
    r->cgroup[0] = '\0';
    const char *line = cgroup_text;
    while (line != NULL && *line != '\0') {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[600];
        if (len < sizeof(buf)) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            /* "0::/path" (v2), "N:memory:/path" or "N:a,memory,b:/path" (v1) */
            char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (c2 != NULL && c2[1] == '/') {
                *c2 = '\0';
                const char *ctl = c1 + 1, *path = c2 + 1;
                char mount[600];
                if (*ctl == '\0') { /* v2: unified at the root, or beside v1 (hybrid) */
                    snprintf(mount, sizeof(mount), "%s", root);
                    memroom_walk_up(r, mount, path, 0);
                    snprintf(mount, sizeof(mount), "%s/unified", root);
                    memroom_walk_up(r, mount, path, 0);
                } else if (strcmp(ctl, "memory") == 0 || strstr(ctl, "memory") != NULL) {
                    snprintf(mount, sizeof(mount), "%s/memory", root);
                    memroom_walk_up(r, mount, path, 1);
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

/* The least room below a memory limit over the process's cgroups. */
static void memroom_cgroup(pid_t pid, memroom *r)
{
    char path[64], text[4096];
    snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen(path, "re");
    size_t n = 0;
    if (f != NULL) {
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
    }
    text[n] = '\0';
    memroom_cgroup_at(r, text, "/sys/fs/cgroup");
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
