/* lib/proc/procmaps.c: parser of /proc/PID/maps lines
 * "start-end perms offset dev inode path" into procmaps entries. */
#include "procmaps.h"

#include "slurp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_line(const char *line, size_t len, procmaps_entry *e)
{
    char buf[4096 + 256];
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    unsigned long long start, end, off, inode;
    char perms[8];
    unsigned devmaj, devmin;
    int pathpos = 0;
    if (sscanf(buf, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &devmaj, &devmin,
               &inode, &pathpos) < 7)
        return -1;
    if (strlen(perms) < 4 || end < start)
        return -1;
    e->start = start;
    e->end = end;
    e->offset = off;
    e->r = perms[0] == 'r';
    e->w = perms[1] == 'w';
    e->x = perms[2] == 'x';
    e->p = perms[3] == 'p';
    e->inode = inode;
    const char *path = pathpos > 0 ? buf + pathpos : "";
    e->path = strdup(path);
    return e->path ? 0 : -1;
}

procmaps *procmaps_parse(const char *text, size_t len, pid_t pid, hs_err *err)
{
    procmaps *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        hs_err_set(err, "out of memory reading the memory map");
        return NULL;
    }
    m->pid = pid;
    size_t cap = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (ll > 0) {
            if (m->n == cap) {
                cap = cap ? cap * 2 : 64;
                procmaps_entry *nv = realloc(m->v, cap * sizeof(*nv));
                if (nv == NULL) {
                    procmaps_free(m);
                    hs_err_set(err, "out of memory reading the memory map");
                    return NULL;
                }
                m->v = nv;
            }
            int bad = parse_line(p, ll, &m->v[m->n]) != 0;
            /* procmaps_find's binary search needs ascending, disjoint entries,
             * as the kernel prints them */
            if (!bad && m->n > 0 && m->v[m->n].start < m->v[m->n - 1].end) {
                free(m->v[m->n].path);
                bad = 1;
            }
            if (bad) {
                hs_err_set(err, "malformed line %zu in the memory map of process %d", m->n + 1,
                           (int)pid);
                procmaps_free(m);
                return NULL;
            }
            m->n++;
        }
        p += ll + 1;
    }
    return m;
}

/* Reads of a map that changed while it was read, before giving up. */
#define PROCMAPS_TRIES 8

procmaps *procmaps_read(pid_t pid, hs_err *err)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/self/maps");
    else
        snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    if (access(path, F_OK) != 0) {
        hs_err_set(err, "no such process %d: check the PID (ps -p %d)", (int)pid, (int)pid);
        return NULL;
    }
    /* The kernel prints the map a page at a time, going on from the last
     * address it printed: a running process that maps or unmaps meanwhile can
     * make two reads overlap, out of order. Such a map is read again. */
    procmaps *m = NULL;
    for (int tries = 0; m == NULL && tries < PROCMAPS_TRIES; tries++) {
        uint8_t *text;
        size_t len;
        hs_err why;
        if (slurp_file(path, (size_t)1 << 30, &text, &len, &why) != 0) {
            hs_err_set(err,
                       "%s: the process may have exited, or run heapsnap as its owner or as "
                       "root",
                       why.msg);
            return NULL;
        }
        m = procmaps_parse((const char *)text, len, pid, err);
        free(text);
    }
    return m;
}

void procmaps_free(procmaps *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    free(m);
}

const procmaps_entry *procmaps_find(const procmaps *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) { /* ascending and disjoint: procmaps_parse refuses anything else */
        size_t mid = lo + (hi - lo) / 2;
        if (addr < m->v[mid].start)
            hi = mid;
        else if (addr >= m->v[mid].end)
            lo = mid + 1;
        else
            return &m->v[mid];
    }
    return NULL;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const procmaps_entry *procmaps_find_file(const procmaps *m, const char *basename_prefix)
{
    size_t plen = strlen(basename_prefix);
    for (size_t i = 0; i < m->n; i++) {
        const char *path = m->v[i].path;
        if (path[0] != '/')
            continue;
        if (strncmp(base_name(path), basename_prefix, plen) == 0)
            return &m->v[i];
    }
    return NULL;
}

uint64_t procmaps_file_base(const procmaps *m, const procmaps_entry *e)
{
    uint64_t base = e->start - e->offset;
    for (size_t i = 0; i < m->n; i++) {
        const procmaps_entry *o = &m->v[i];
        if (o->inode == e->inode && strcmp(o->path, e->path) == 0 && o->start - o->offset < base)
            base = o->start - o->offset;
    }
    return base;
}

const char *procmaps_open_path(const procmaps *m, const procmaps_entry *e, char *buf, size_t len)
{
    if (m->pid != 0 && e->path[0] == '/') {
        snprintf(buf, len, "/proc/%d/root%s", (int)m->pid, e->path);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    snprintf(buf, len, "%s", e->path);
    return buf;
}
