/* tests/progs/dwtypes_prog.c: C data structures behind typed globals, for
 * the DWARF half of heapsnap's type stage (tests/integration/dwtypes.sh):
 *   g_sessions  a hash table: its bucket array (struct session *[]), 3000
 *               sessions in the chains, each with a malloc'd user name
 *   g_list      a linked list of 1000 nodes, each with a double array
 *   g_items     a global array of 500 pointers to structs
 *   g_config    a struct whose char * members point at malloc'd strings
 *   g_opaque    a void * to a buffer: no type
 *   t_buf       a thread-local pointer to a struct with a malloc'd buffer
 * Built with -g -O0, with -g -O2 and without debug info. Usage:
 * dwtypes_prog STATUSFILE; writes one JSON line with its pid and each
 * case's chunk bytes (malloc_usable_size + 8, the chunk's size) when all is
 * in place, then waits to be killed. Each SIGUSR1 adds 1000 sessions to the
 * table (a leak for heapsnap-analyze to find) and rewrites the line with
 * "grown" counting them. */
#include <fcntl.h>
#include <signal.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status_line.h"

struct session {
    int id;
    char *user;
    struct session *next;
    char token[40];
};

struct table {
    struct session **buckets;
    size_t nbuckets, count;
};

struct node {
    struct node *next;
    double *xs;
    size_t n;
};

struct item {
    long key;
    long val[6];
};

struct config {
    char *name;
    char *path;
    int flags;
};

struct tls_buf {
    char *data;
    size_t len;
};

struct table g_sessions;
__thread struct tls_buf *t_buf;
struct node *g_list;
struct item *g_items[500];
struct config *g_config;
void *g_opaque;

static unsigned long long chunk_bytes(void *p)
{
    return (unsigned long long)malloc_usable_size(p) + 8;
}

static unsigned long long buckets, sessions, users, nodes, xs, items, config, names, tls, tlsdata;
static volatile sig_atomic_t grow_asked;
static int grown;

static void on_usr1(int sig)
{
    (void)sig;
    grow_asked = 1;
}

/* Sessions first..first+n-1 into the table (not inlined: the profile's
 * call site of the sessions and their names). */
__attribute__((noipa)) static void add_sessions(int first, int n)
{
    for (int i = first; i < first + n; i++) {
        struct session *s = calloc(1, sizeof(*s));
        char name[64];
        snprintf(name, sizeof(name), "user-%d-%.*s", i, i % 40,
                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmn");
        s->id = i;
        s->user = strdup(name);
        size_t b = (size_t)i * 2654435761u % g_sessions.nbuckets;
        s->next = g_sessions.buckets[b];
        g_sessions.buckets[b] = s;
        g_sessions.count++;
        sessions += chunk_bytes(s);
        users += chunk_bytes(s->user);
    }
}

static int write_status(const char *path)
{
    char line[512];
    int len = snprintf(line, sizeof(line),
                       "{\"ready\":%d,\"buckets\":%llu,\"sessions\":%llu,\"users\":%llu,"
                       "\"nodes\":%llu,\"xs\":%llu,\"items\":%llu,\"config\":%llu,"
                       "\"names\":%llu,\"tls\":%llu,\"tlsdata\":%llu,\"grown\":%d}\n",
                       (int)getpid(), buckets, sessions, users, nodes, xs, items, config, names,
                       tls, tlsdata, grown);
    return status_line_write(path, line, len);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    /* SIGUSR1 blocked but in sigsuspend: none is lost between two checks */
    sigset_t usr1, waitmask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &waitmask);
    sigdelset(&waitmask, SIGUSR1);
    signal(SIGUSR1, on_usr1);
    g_sessions.nbuckets = 1024;
    g_sessions.buckets = calloc(g_sessions.nbuckets, sizeof(struct session *));
    buckets = chunk_bytes(g_sessions.buckets);
    add_sessions(0, 3000);
    for (int i = 0; i < 1000; i++) {
        struct node *n = calloc(1, sizeof(*n));
        n->n = 16 + i % 17;
        n->xs = calloc(n->n, sizeof(double));
        n->next = g_list;
        g_list = n;
        nodes += chunk_bytes(n);
        xs += chunk_bytes(n->xs);
    }
    for (int i = 0; i < 500; i++) {
        g_items[i] = calloc(1, sizeof(struct item));
        g_items[i]->key = i;
        items += chunk_bytes(g_items[i]);
    }
    g_config = calloc(1, sizeof(*g_config));
    g_config->name = strdup("dwtypes configuration name");
    g_config->path = strdup("/etc/dwtypes/a/path/long/enough.conf");
    config = chunk_bytes(g_config);
    names = chunk_bytes(g_config->name) + chunk_bytes(g_config->path);
    t_buf = calloc(1, sizeof(*t_buf));
    t_buf->len = 2000;
    t_buf->data = calloc(1, t_buf->len);
    tls = chunk_bytes(t_buf);
    tlsdata = chunk_bytes(t_buf->data);
    g_opaque = malloc(4000);
    memset(g_opaque, 0, 4000);
    if (write_status(argv[1]) != 0)
        return 1;
    for (;;) {
        sigsuspend(&waitmask);
        if (grow_asked) {
            grow_asked = 0;
            add_sessions(3000 + 1000 * grown, 1000);
            grown++;
            if (write_status(argv[1]) != 0)
                return 1;
        }
    }
}
