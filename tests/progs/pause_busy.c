/* tests/progs/pause_busy.c: N threads that do nothing but malloc and free, the
 * load that makes a snapshot wait for threads inside malloc (issue 22). Each
 * thread checks the bytes it wrote before freeing a block, so a snapshot that
 * harmed the heap shows as exit status 3. SIGUSR1 parks every thread at a
 * quiescent point and prints the process's mallinfo2() as one JSON line;
 * SIGUSR2 resumes them and prints {"resumed":SEQ}. Prints {"ready":PID} once
 * every thread runs.
 * Usage: pause_busy [-t THREADS] [-q]   (-q: exit 0 at end of standard input) */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PB_MAX_THREADS 1024
/* Live blocks per thread: the heap stays small (about 64 blocks of up to
 * 1 KiB per thread), so a snapshot's pause is the wait, not the copy. */
#define PB_SLOTS 64

static atomic_int pb_pause_req;
static atomic_int pb_ready;
static pthread_mutex_t pb_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pb_parked_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pb_resume_cv = PTHREAD_COND_INITIALIZER;
static int pb_parked, pb_parties;
static int pb_pipe[2];

static uint64_t pb_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static int pb_write_all(const char *buf, size_t n)
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

/* A block's bytes no longer what its thread wrote: the heap was harmed. */
static void pb_corrupt(size_t i)
{
    char line[96];
    int n = snprintf(line, sizeof(line), "{\"corrupt_slot\":%zu}\n", i);
    pb_write_all(line, (size_t)n);
    _exit(3);
}

static void pb_park(void)
{
    pthread_mutex_lock(&pb_mu);
    pb_parked++;
    pthread_cond_broadcast(&pb_parked_cv);
    while (atomic_load(&pb_pause_req))
        pthread_cond_wait(&pb_resume_cv, &pb_mu);
    pb_parked--;
    pthread_mutex_unlock(&pb_mu);
}

static void *pb_worker(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    unsigned char *slot[PB_SLOTS] = {0};
    size_t len[PB_SLOTS] = {0};
    atomic_fetch_add(&pb_ready, 1);
    for (;;) {
        if (atomic_load_explicit(&pb_pause_req, memory_order_acquire))
            pb_park();
        size_t i = (size_t)(pb_rand(&s) % PB_SLOTS);
        if (slot[i] != NULL) {
            unsigned char want = (unsigned char)(i * 7 + len[i]);
            if (slot[i][0] != want || slot[i][len[i] - 1] != want)
                pb_corrupt(i);
            free(slot[i]);
            slot[i] = NULL;
        } else {
            len[i] = 16 + (size_t)(pb_rand(&s) % 1009);
            slot[i] = malloc(len[i]);
            if (slot[i] == NULL)
                _exit(4);
            unsigned char v = (unsigned char)(i * 7 + len[i]);
            slot[i][0] = v;
            slot[i][len[i] - 1] = v;
        }
    }
    return NULL;
}

static void pb_on_signal(int sig)
{
    int saved = errno;
    char c = sig == SIGUSR1 ? 'p' : 'r';
    ssize_t r = write(pb_pipe[1], &c, 1);
    (void)r;
    errno = saved;
}

/* Parks every thread, then reports mallinfo2 without allocating. */
static int pb_report(unsigned long seq)
{
    atomic_store(&pb_pause_req, 1);
    pthread_mutex_lock(&pb_mu);
    while (pb_parked < pb_parties)
        pthread_cond_wait(&pb_parked_cv, &pb_mu);
    pthread_mutex_unlock(&pb_mu);
    struct mallinfo2 mi = mallinfo2();
    char line[512];
    int n = snprintf(line, sizeof(line),
                     "{\"seq\":%lu,\"arena\":%zu,\"ordblks\":%zu,\"smblks\":%zu,\"hblks\":%zu,"
                     "\"hblkhd\":%zu,\"fsmblks\":%zu,\"uordblks\":%zu,\"fordblks\":%zu,"
                     "\"keepcost\":%zu}\n",
                     seq, mi.arena, mi.ordblks, mi.smblks, mi.hblks, mi.hblkhd, mi.fsmblks,
                     mi.uordblks, mi.fordblks, mi.keepcost);
    return pb_write_all(line, (size_t)n);
}

static void pb_resume(void)
{
    pthread_mutex_lock(&pb_mu);
    atomic_store(&pb_pause_req, 0);
    pthread_cond_broadcast(&pb_resume_cv);
    pthread_mutex_unlock(&pb_mu);
}

static void *pb_exit_at_eof(void *arg)
{
    char buf[64];
    ssize_t r;
    (void)arg;
    while ((r = read(0, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
        ;
    _exit(0);
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = 4, exit_at_eof = 0, c;
    while ((c = getopt(argc, argv, "t:q")) != -1) {
        if (c == 't' && (nthreads = atoi(optarg)) >= 1 && nthreads <= PB_MAX_THREADS)
            continue;
        if (c == 'q') {
            exit_at_eof = 1;
            continue;
        }
        fprintf(stderr, "usage: pause_busy [-t THREADS (1-%d)] [-q]\n", PB_MAX_THREADS);
        return 2;
    }
    if (pipe(pb_pipe) != 0)
        return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = pb_on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0 || sigaction(SIGUSR2, &sa, NULL) != 0)
        return 1;
    /* Small stacks: 256 threads fit in any address-space limit. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pb_parties = nthreads;
    pthread_t t;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t, &attr, pb_worker, (void *)(uintptr_t)(i + 1)) != 0)
            return 1;
    if (exit_at_eof && pthread_create(&t, &attr, pb_exit_at_eof, NULL) != 0)
        return 1;
    while (atomic_load(&pb_ready) < nthreads)
        usleep(1000);
    char line[64];
    int n = snprintf(line, sizeof(line), "{\"ready\":%d}\n", (int)getpid());
    if (pb_write_all(line, (size_t)n) != 0)
        return 1;
    unsigned long seq = 0;
    int paused = 0;
    for (;;) {
        char cmd;
        ssize_t r = read(pb_pipe[0], &cmd, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 1)
            return 1;
        if (cmd == 'p' && !paused) {
            paused = 1;
            if (pb_report(++seq) != 0)
                return 1;
        } else if (cmd == 'r' && paused) {
            paused = 0;
            pb_resume();
            n = snprintf(line, sizeof(line), "{\"resumed\":%lu}\n", seq);
            if (pb_write_all(line, (size_t)n) != 0)
                return 1;
        }
    }
}
