/* tests/progs/alloc_jemalloc.c: a program whose malloc is jemalloc's (linked
 * with -ljemalloc, so libjemalloc.so.2 comes before libc in the symbol search
 * order), for heapsnap's tests of programs whose heap is not glibc's. It
 * builds a baseline of short-lived and kept blocks, says "ready 0" through a
 * file, and on every SIGUSR1 leaks COUNT entries from jem_leak_entry() while
 * also allocating and freeing as much again elsewhere (that churn must not be
 * named as a leak).
 *
 * Usage: alloc_jemalloc STATUSFILE [--leak COUNT] [--size BYTES] */
#include <fcntl.h>
#include <jemalloc/jemalloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *status_path;
static volatile sig_atomic_t pending_steps;

struct entry {
    struct entry *next;
    char payload[];
};

static struct entry *kept;

/* Status without stdio: write to a temp file, rename over. */
static void say(const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", status_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        _exit(3);
    if (write(fd, text, strlen(text)) < 0)
        _exit(3);
    close(fd);
    rename(tmp, status_path);
}

/* The leak the tests look for: entries prepended to a list nobody trims. */
__attribute__((noinline)) static void jem_leak_entry(size_t size)
{
    struct entry *e = malloc(sizeof(*e) + size); /* JEM_LEAK_LINE */
    if (e == NULL)
        _exit(4);
    memset(e->payload, 0xab, size);
    e->next = kept;
    kept = e;
    __asm__ volatile("" ::: "memory"); /* keep the call a real call, not a tail call */
}

/* Allocates and frees the same amount: no growth. */
__attribute__((noinline)) static void jem_churn(long count, size_t size)
{
    for (long i = 0; i < count; i++) {
        char *p = malloc(size);
        if (p == NULL)
            _exit(4);
        memset(p, 0xcd, size);
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
    }
}

static void on_usr1(int sig)
{
    (void)sig;
    pending_steps++;
}

int main(int argc, char **argv)
{
    long leak_count = 1000;
    size_t leak_size = 1000;
    if (argc < 2) {
        fprintf(stderr, "usage: alloc_jemalloc STATUSFILE [--leak COUNT] [--size BYTES]\n");
        return 2;
    }
    status_path = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--leak") == 0)
            leak_count = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--size") == 0)
            leak_size = (size_t)atol(argv[i + 1]);
        else
            return 2;
    }
    /* Proof that jemalloc, not glibc, serves malloc here: only jemalloc
     * answers mallctl("version"). */
    const char *version = NULL;
    size_t vlen = sizeof(version);
    if (mallctl("version", &version, &vlen, NULL, 0) != 0)
        return 5;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);

    jem_churn(leak_count, leak_size);
    say("ready 0\n");
    for (long step = 1;; step++) {
        while (pending_steps == 0)
            sigsuspend(&old);
        pending_steps--;
        for (long i = 0; i < leak_count; i++)
            jem_leak_entry(leak_size);
        jem_churn(leak_count, leak_size);
        char msg[64];
        snprintf(msg, sizeof(msg), "ready %ld\n", step);
        say(msg);
    }
}
