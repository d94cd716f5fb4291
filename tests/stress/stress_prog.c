/* tests/stress/stress_prog.c: the target of the stress and fault tests. N worker
 * threads allocate, resize and free without pause; on SIGUSR1 every thread parks
 * at a quiescent point (outside malloc, holding nothing), and the main thread
 * prints the process's own mallinfo2() as one JSON line; SIGUSR2 resumes them.
 * Options add a thread that creates and joins threads at a high rate (-c) and a
 * thread that keeps the main arena's lock busy inside malloc_trim (-l).
 * It exits (status 0) EXIT_AFTER_MS after it started with -x, or, with -q, when
 * its standard input reaches end of file, so that a test decides when it ends
 * whatever the machine's load.
 * Usage: stress_prog [-t THREADS] [-c] [-l] [-s SEED] [-x EXIT_AFTER_MS] [-q]
 * It prints {"ready":PID} once every thread runs; lines {"seq":K,...} follow. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SP_MAX_THREADS 16
#define SP_SLOTS 2048

static atomic_int sp_pause_req;
static pthread_mutex_t sp_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sp_parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t sp_resume_cv = PTHREAD_COND_INITIALIZER;
static int sp_parked;       /* threads waiting at the quiescent point */
static int sp_parties;      /* threads that must park before a report */
static int sp_pipe[2];      /* signal handler -> main thread */
static atomic_ulong sp_ops; /* allocator calls made, for the curious */

static uint64_t sp_rand(uint64_t *s)
{
    /* xorshift64*: cheap, and never calls into libc */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Mostly small blocks (tcache and fastbin range), some small/large-bin sizes,
 * a few above the mmap threshold so hblks moves too. */
static size_t sp_size(uint64_t *s)
{
    unsigned r = (unsigned)(sp_rand(s) % 1000);
    if (r < 600)
        return 1 + sp_rand(s) % 160;
    if (r < 900)
        return 161 + sp_rand(s) % 2000;
    if (r < 995)
        return 2200 + sp_rand(s) % 30000;
    return 140000 + sp_rand(s) % 300000;
}

/* Waits here while a report is requested; holds no allocator lock. */
static void sp_park(void)
{
    pthread_mutex_lock(&sp_mu);
    sp_parked++;
    pthread_cond_broadcast(&sp_parked_cv);
    while (atomic_load(&sp_pause_req))
        pthread_cond_wait(&sp_resume_cv, &sp_mu);
    sp_parked--;
    pthread_mutex_unlock(&sp_mu);
}

static void *sp_worker(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    static __thread void *slot[SP_SLOTS];
    static __thread size_t len[SP_SLOTS];
    for (;;) {
        if (atomic_load_explicit(&sp_pause_req, memory_order_acquire))
            sp_park();
        unsigned i = (unsigned)(sp_rand(&s) % SP_SLOTS);
        unsigned op = (unsigned)(sp_rand(&s) % 100);
        if (slot[i] == NULL) {
            size_t n = sp_size(&s);
            slot[i] = op < 80 ? malloc(n) : calloc(1, n);
            len[i] = slot[i] ? n : 0;
        } else if (op < 60) {
            free(slot[i]);
            slot[i] = NULL;
        } else {
            size_t n = sp_size(&s);
            void *p = realloc(slot[i], n);
            if (p != NULL) {
                slot[i] = p;
                len[i] = n;
            }
        }
        if (slot[i] != NULL)
            memset(slot[i], (int)(i & 0xff), len[i] < 32 ? len[i] : 32);
        atomic_fetch_add_explicit(&sp_ops, 1, memory_order_relaxed);
    }
    return NULL;
}

/* Short-lived threads, created and joined back to back: each gets a tcache
 * (and maybe an arena) and gives it back at exit, while snapshots run. */
static void *sp_child(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg | 1;
    void *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = malloc(sp_size(&s) % 4096 + 1);
    for (int i = 0; i < 8; i++)
        free(p[i]);
    return NULL;
}

static void *sp_churner(void *arg)
{
    uintptr_t k = (uintptr_t)arg;
    for (;;) {
        if (atomic_load_explicit(&sp_pause_req, memory_order_acquire))
            sp_park();
        pthread_t t;
        if (pthread_create(&t, NULL, sp_child, (void *)++k) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

/* malloc_trim walks and trims every arena with its mutex held; around it, large
 * frees make consolidation work under the main arena's lock. */
static void *sp_locker(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg | 1;
    void *big[64] = {0};
    for (;;) {
        if (atomic_load_explicit(&sp_pause_req, memory_order_acquire))
            sp_park();
        for (int i = 0; i < 64; i++)
            big[i] = malloc(1000 + sp_rand(&s) % 60000);
        for (int i = 0; i < 64; i += 2)
            free(big[i]);
        malloc_trim(0);
        for (int i = 1; i < 64; i += 2)
            free(big[i]);
    }
    return NULL;
}

static void sp_on_signal(int sig)
{
    int saved = errno;
    char c = sig == SIGUSR1 ? 'p' : 'r';
    ssize_t r = write(sp_pipe[1], &c, 1);
    (void)r;
    errno = saved;
}

static int sp_write_all(const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Parks every thread, then reports mallinfo2 without allocating (no stdio
 * streams: their buffers would change the heap being compared). */
static int sp_report(unsigned long seq)
{
    atomic_store(&sp_pause_req, 1);
    pthread_mutex_lock(&sp_mu);
    while (sp_parked < sp_parties)
        pthread_cond_wait(&sp_parked_cv, &sp_mu);
    pthread_mutex_unlock(&sp_mu);
    struct mallinfo2 mi = mallinfo2();
    char line[512];
    int n = snprintf(line, sizeof(line),
                     "{\"seq\":%lu,\"ops\":%lu,\"arena\":%zu,\"ordblks\":%zu,\"smblks\":%zu,"
                     "\"hblks\":%zu,\"hblkhd\":%zu,\"usmblks\":%zu,\"fsmblks\":%zu,"
                     "\"uordblks\":%zu,\"fordblks\":%zu,\"keepcost\":%zu}\n",
                     seq, atomic_load(&sp_ops), mi.arena, mi.ordblks, mi.smblks, mi.hblks,
                     mi.hblkhd, mi.usmblks, mi.fsmblks, mi.uordblks, mi.fordblks, mi.keepcost);
    return sp_write_all(line, (size_t)n);
}

static void sp_resume(void)
{
    pthread_mutex_lock(&sp_mu);
    atomic_store(&sp_pause_req, 0);
    pthread_cond_broadcast(&sp_resume_cv);
    pthread_mutex_unlock(&sp_mu);
}

static void *sp_exit_timer(void *arg)
{
    unsigned long ms = (unsigned long)(uintptr_t)arg;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    _exit(0);
    return NULL;
}

static void *sp_exit_at_eof(void *arg)
{
    char buf[64];
    ssize_t r;
    while ((r = read(0, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
        ;
    _exit(0);
    return NULL;
}

static int sp_usage(void)
{
    static const char msg[] =
        "usage: stress_prog [-t THREADS] [-c] [-l] [-s SEED] [-x EXIT_AFTER_MS] [-q]\n";
    sp_write_all(msg, sizeof(msg) - 1);
    return 2;
}

int main(int argc, char **argv)
{
    int nworkers = 4, churn = 0, locker = 0, exit_at_eof = 0, c;
    unsigned long seed = 1, exit_ms = 0;
    while ((c = getopt(argc, argv, "t:cls:x:q")) != -1) {
        switch (c) {
        case 't':
            nworkers = atoi(optarg);
            if (nworkers < 1 || nworkers > SP_MAX_THREADS)
                return sp_usage();
            break;
        case 'c':
            churn = 1;
            break;
        case 'l':
            locker = 1;
            break;
        case 's':
            seed = strtoul(optarg, NULL, 10);
            break;
        case 'x':
            exit_ms = strtoul(optarg, NULL, 10);
            break;
        case 'q':
            exit_at_eof = 1;
            break;
        default:
            return sp_usage();
        }
    }
    if (optind != argc)
        return sp_usage();
    if (pipe(sp_pipe) != 0)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sp_on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0 || sigaction(SIGUSR2, &sa, NULL) != 0)
        return 1;

    pthread_t t;
    sp_parties = nworkers + churn + locker;
    for (int i = 0; i < nworkers; i++)
        if (pthread_create(&t, NULL, sp_worker, (void *)(uintptr_t)(seed * 131 + (unsigned)i)))
            return 1;
    if (churn && pthread_create(&t, NULL, sp_churner, (void *)(uintptr_t)(seed << 20)))
        return 1;
    if (locker && pthread_create(&t, NULL, sp_locker, (void *)(uintptr_t)seed))
        return 1;
    if (exit_ms > 0 && pthread_create(&t, NULL, sp_exit_timer, (void *)(uintptr_t)exit_ms))
        return 1;
    if (exit_at_eof && pthread_create(&t, NULL, sp_exit_at_eof, NULL))
        return 1;

    char line[64];
    int n = snprintf(line, sizeof(line), "{\"ready\":%d}\n", (int)getpid());
    if (sp_write_all(line, (size_t)n) != 0)
        return 1;
    unsigned long seq = 0;
    int paused = 0;
    for (;;) {
        char cmd;
        ssize_t r = read(sp_pipe[0], &cmd, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 1)
            return 1;
        if (cmd == 'p' && !paused) {
            paused = 1;
            if (sp_report(++seq) != 0)
                return 1;
        } else if (cmd == 'r' && paused) {
            paused = 0;
            sp_resume();
        }
    }
}
