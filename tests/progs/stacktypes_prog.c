/* tests/progs/stacktypes_prog.c: heap data held only by local variables of
 * blocked threads, for the type stage's stack roots
 * (tests/integration/stacktypes.sh):
 *   main    a linked list of 400 struct lnode, each with a malloc'd name
 *           and double array, in main's local `head`
 *   worker  a struct table in the thread's local `tab` (its address is
 *           taken, so it lives in the frame at every -O level): its array
 *           of 300 struct entry pointers, each entry with a malloc'd label
 *   holder  a list of 250 struct pnode that only the parameter `ring` of
 *           the thread's blocked hold_param holds (its caller passed it on
 *           without keeping it)
 * Nothing global points at them. The three threads then block in read() on
 * a pipe no one writes. Built -g at -O0 and -O2. Usage: stacktypes_prog
 * STATUSFILE; writes one JSON line with its pid and each case's chunk bytes
 * (malloc_usable_size + 8) when both threads are blocked, then waits to be
 * killed. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "status_line.h"

struct lnode {
    struct lnode *next;
    char *name;
    double *xs;
    long id;
};

struct entry {
    long key;
    char *label;
    long val[4];
};

struct table {
    struct entry **slots;
    size_t n;
    struct entry *first;
};

struct pnode {
    struct pnode *next;
    long id;
    char tag[40];
};

static unsigned long long lnodes, lnames, lxs, tslots, tentries, tlabels, pnodes;
static int g_block[2]; /* the pipe both threads block on */
static int g_ready[2]; /* the worker and the holder say they are blocked */

static unsigned long long chunk_bytes(void *p)
{
    return (unsigned long long)malloc_usable_size(p) + 8;
}

__attribute__((noipa)) static struct lnode *build_list(int n)
{
    struct lnode *head = NULL;
    for (int i = 0; i < n; i++) {
        struct lnode *x = calloc(1, sizeof(*x));
        char buf[48];
        snprintf(buf, sizeof(buf), "node-%d-%.*s", i, i % 24, "abcdefghijklmnopqrstuvwx");
        x->name = strdup(buf);
        x->xs = calloc((size_t)(4 + i % 8), sizeof(double));
        x->id = i;
        x->next = head;
        head = x;
        lnodes += chunk_bytes(x);
        lnames += chunk_bytes(x->name);
        lxs += chunk_bytes(x->xs);
    }
    return head;
}

__attribute__((noipa)) static void fill_table(struct table *t, size_t n)
{
    t->slots = calloc(n, sizeof(*t->slots));
    t->n = n;
    tslots += chunk_bytes(t->slots);
    for (size_t i = 0; i < n; i++) {
        struct entry *e = calloc(1, sizeof(*e));
        char buf[40];
        snprintf(buf, sizeof(buf), "entry-%zu", i);
        e->key = (long)i;
        e->label = strdup(buf);
        t->slots[i] = e;
        tentries += chunk_bytes(e);
        tlabels += chunk_bytes(e->label);
    }
    t->first = t->slots[0];
}

/* Blocks until the pipe is written to or closed (never, in the test). */
__attribute__((noipa)) static long wait_here(void)
{
    char c;
    return (long)read(g_block[0], &c, 1);
}

__attribute__((noipa)) static struct pnode *build_ring(int n)
{
    struct pnode *first = NULL;
    for (int i = 0; i < n; i++) {
        struct pnode *x = calloc(1, sizeof(*x));
        x->id = i;
        x->next = first;
        first = x;
        pnodes += chunk_bytes(x);
    }
    return first;
}

/* Blocks holding ring, which nothing else points at, in its parameter. */
__attribute__((noipa)) static long hold_param(struct pnode *ring)
{
    if (write(g_ready[1], "h", 1) != 1)
        return 0;
    long sum = wait_here();
    for (struct pnode *p = ring; p != NULL; p = p->next)
        sum += p->id;
    return sum;
}

static void *holder(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)hold_param(build_ring(250));
}

static void *worker(void *arg)
{
    (void)arg;
    struct table tab;
    memset(&tab, 0, sizeof(tab));
    fill_table(&tab, 300);
    if (write(g_ready[1], "r", 1) != 1)
        return NULL;
    long got = wait_here();
    long sum = got;
    for (size_t i = 0; i < tab.n; i++)
        sum += tab.slots[i]->key;
    return (void *)(intptr_t)sum;
}

static int write_status(const char *path)
{
    char line[512];
    int len = snprintf(line, sizeof(line),
                       "{\"ready\":%d,\"lnodes\":%llu,\"lnames\":%llu,\"lxs\":%llu,"
                       "\"tslots\":%llu,\"tentries\":%llu,\"tlabels\":%llu,\"pnodes\":%llu}\n",
                       (int)getpid(), lnodes, lnames, lxs, tslots, tentries, tlabels, pnodes);
    return status_line_write(path, line, len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: stacktypes_prog STATUSFILE\n");
        return 2;
    }
    if (pipe(g_block) != 0 || pipe(g_ready) != 0)
        return 1;
    pthread_t th, th2;
    if (pthread_create(&th, NULL, worker, NULL) != 0 ||
        pthread_create(&th2, NULL, holder, NULL) != 0)
        return 1;
    struct lnode *head = build_list(400);
    char c[2];
    if (read(g_ready[0], &c[0], 1) != 1 || read(g_ready[0], &c[1], 1) != 1 ||
        write_status(argv[1]) != 0)
        return 1;
    long got = wait_here();
    long sum = got;
    for (struct lnode *p = head; p != NULL; p = p->next)
        sum += p->id + (long)p->xs[0] + (long)strlen(p->name);
    printf("%ld\n", sum);
    return 0;
}
