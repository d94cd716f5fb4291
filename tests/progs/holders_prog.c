/* tests/progs/holders_prog.c: one chunk (or a few) per kind of holder, each
 * allocated by its own function so that a profile shows which is which:
 *   make_list      5 nodes of a list dropped on an error path    lost
 *   make_cycle     2 nodes pointing at each other, nothing else  lost (indirect)
 *   make_table     the buckets of a hash table in g_table        global g_table
 *   make_entry     its 8 entries                                 global g_table
 *   make_config    a static global's buffer                      global s_config
 *   make_tls       a thread-local buffer of the main thread      tls t_buf
 *   make_batch     a worker's array and 4 items, held only by a  stack TID batch_worker
 *   make_item      local variable of the blocked worker
 *   make_arg       the worker's start argument (pthread_create)  thread TID start argument
 * (batch_worker) make_object    a struct known only by its middle member      global g_member
 *   make_cfg       in g_cfg and in a stale slot of main's frame  global g_cfg
 *   make_pair      in two globals                                shared
 * Usage: holders_prog STATUSFILE [exit]; writes "ready TID" (the worker's
 * thread id) when all is in place, then waits to be killed -- or, with
 * "exit", exits right there, for valgrind --leak-check=full to count the
 * lost blocks at the same point (tests/integration/holders_valgrind.sh). Nothing is allocated
 * with stdio, so no stale pointer sits in a chunk. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* No inlining, cloning or tail calls (a make_* function must be the frame
 * that called calloc), and no allocation the compiler could prove unused. */
#define NOINLINE __attribute__((noipa))
static volatile int g_made;

struct node {
    struct node *next;
    char payload[40];
};

struct entry {
    struct entry *next;
    long key;
    char value[48];
};

struct object {
    char head[32];
    long middle;
    char tail[32];
};

struct entry **g_table;
long *g_member;
void *g_cfg;
void *g_pair_a, *g_pair_b;
static char *volatile s_config;
static __thread char *volatile t_buf;
static int g_pipe[2];
static volatile pid_t g_worker_tid;

NOINLINE static struct node *make_list(int n)
{
    struct node *head = NULL;
    for (int i = 0; i < n; i++) {
        struct node *x = calloc(1, sizeof(*x));
        x->next = head;
        head = x;
    }
    return head;
}

/* The error path forgets to free the list it built. */
NOINLINE static int parse_request(void)
{
    struct node *list = make_list(5);
    if (list->payload[0] == 0)
        return -1;
    return 0;
}

NOINLINE static struct node *make_cycle(void)
{
    void *p = calloc(1, sizeof(struct node) + 16);
    g_made++;
    return p;
}

NOINLINE static void drop_cycle(void)
{
    struct node *a = make_cycle(), *b = make_cycle();
    a->next = b;
    b->next = a;
}

NOINLINE static struct entry **make_table(void)
{
    void *p = calloc(16, sizeof(struct entry *));
    g_made++;
    return p;
}

NOINLINE static struct entry *make_entry(long key)
{
    struct entry *e = calloc(1, sizeof(*e));
    e->key = key;
    return e;
}

NOINLINE static void fill_table(void)
{
    g_table = make_table();
    for (long k = 0; k < 8; k++) {
        struct entry *e = make_entry(k);
        e->next = g_table[k % 4];
        g_table[k % 4] = e;
    }
}

NOINLINE static char *make_config(void)
{
    void *p = calloc(1, 136);
    g_made++;
    return p;
}

NOINLINE static char *make_tls(void)
{
    void *p = calloc(1, 200);
    g_made++;
    return p;
}

NOINLINE static struct object *make_object(void)
{
    void *p = calloc(1, sizeof(struct object));
    g_made++;
    return p;
}

NOINLINE static void *make_cfg(void)
{
    void *p = calloc(1, 72);
    g_made++;
    return p;
}

NOINLINE static void *make_pair(void)
{
    void *p = calloc(1, 88);
    g_made++;
    return p;
}

NOINLINE static void **make_batch(void)
{
    void *p = calloc(4, sizeof(void *));
    g_made++;
    return p;
}

NOINLINE static void *make_item(void)
{
    void *p = calloc(1, 104);
    g_made++;
    return p;
}

/* What the worker is started with: glibc keeps it in the thread's
 * descriptor, which is all that holds it once the worker has ignored it. */
NOINLINE static void *make_arg(void)
{
    void *p = calloc(1, 88);
    g_made++;
    return p;
}

/* Holds its batch in a local variable only, and blocks. */
/* Overwrites the stack below the caller, so that no pointer left by the
 * calls above lingers where a later frame would keep it. */
NOINLINE static void scrub_stack(void)
{
    /* A loop, not memset: a leaf saves no register, so the array reaches
     * up to its return address, where the next callee's frame lies. */
    volatile char pad[16384];
    for (size_t i = 0; i < sizeof(pad); i++)
        pad[i] = 0;
}

NOINLINE static void *batch_worker(void *arg)
{
    (void)arg;
    void **volatile batch = make_batch();
    for (int i = 0; i < 4; i++)
        batch[i] = make_item();
    /* The allocator's frames (the hook's, which record a stack) left the
     * batch's address below this frame, where read's would keep it. */
    scrub_stack();
    g_worker_tid = gettid();
    char c;
    while (read(g_pipe[0], &c, 1) != 0)
        ;
    return batch[0];
}

int main(int argc, char **argv)
{
    if (argc < 2 || pipe(g_pipe) != 0)
        return 2;
    if (parse_request() != -1)
        return 1;
    drop_cycle();
    fill_table();
    s_config = make_config();
    t_buf = make_tls();
    g_member = &make_object()->middle;
    g_cfg = make_cfg();
    /* a stale copy in main's own frame, never read: the point */
    volatile void *stale = g_cfg; /* NOLINT(clang-analyzer-deadcode.DeadStores) */
    g_pair_a = g_pair_b = make_pair();
    pthread_t th;
    if (pthread_create(&th, NULL, batch_worker, make_arg()) != 0)
        return 1;
    while (g_worker_tid == 0)
        usleep(1000);
    scrub_stack();
    char line[64];
    int len = snprintf(line, sizeof(line), "ready %d\n", (int)g_worker_tid);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, line, (size_t)len) != len)
        return 1;
    close(fd);
    if (argc > 2 && strcmp(argv[2], "exit") == 0)
        exit(0);
    for (;;)
        pause();
    (void)stale;
}
