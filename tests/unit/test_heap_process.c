/* tests/unit/test_heap_process.c: lib/heap_process against children this test
 * starts: tests/progs/varied_heap (built without sanitizers, so its heap is
 * glibc's whatever this test is built with), stopped here with ptrace, must
 * walk to its own mallinfo2() exactly; the layout's source, the tcache of the
 * main thread, a quiet heap, and the refusals (no process, a static program,
 * a program that called execve after hproc_open); which running threads are
 * asleep outside malloc (tests/progs/asleep_prog). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buildid.h"
#include "heap_process.h"
#include "procmaps.h"

#define MAX_TASKS 16

static char prog_dir[PATH_MAX];
static pid_t child = -1; /* killed after each test, passed or failed */

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("top_builddir");
    snprintf(prog_dir, sizeof(prog_dir), "%s/tests/progs", b ? b : ".");
    unsetenv("HEAPSNAP_DEBUG_DIR"); /* the layout comes from /usr/lib/debug */
    return 0;
}

/* Starts prog_dir/name with argv; its stdout is read through *out_fd. When
 * gate is non-NULL the child first waits for a byte on gate[0] (the parent
 * holds gate[1]), so the parent can look at it before it runs name. */
static pid_t start_child(const char *name, char *const argv[], int *out_fd, int *gate)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", prog_dir, name);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (gate) {
            char c;
            close(gate[1]);
            if (read(gate[0], &c, 1) != 1)
                _exit(126);
        }
        execv(path, argv);
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    child = pid;
    return pid;
}

/* Reads one line (up to len - 1 bytes) from fd. */
static void read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        assert_int_equal(r, 1);
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
}

static void end_child(pid_t pid, int fd)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fd);
    child = -1;
}

static int kill_child(void **state)
{
    (void)state;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
    return 0;
}

/* Seizes and interrupts every thread of pid (as heapsnap does, no SIGSTOP)
 * and fills threads[] with their registers; returns their count. */
static size_t stop_all(pid_t pid, gheap_thread *threads, struct user_regs_struct *regs)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < MAX_TASKS) {
        if (de->d_name[0] == '.')
            continue;
        pid_t tid = (pid_t)atoi(de->d_name);
        assert_int_equal(ptrace(PTRACE_SEIZE, tid, NULL, NULL), 0);
        assert_int_equal(ptrace(PTRACE_INTERRUPT, tid, NULL, NULL), 0);
        int st;
        assert_int_equal(waitpid(tid, &st, __WALL), tid);
        assert_int_equal(ptrace(PTRACE_GETREGS, tid, NULL, &regs[n]), 0);
        threads[n].tid = tid;
        threads[n].fs_base = regs[n].fs_base;
        threads[n].regs = &regs[n];
        n++;
    }
    closedir(d);
    return n;
}

static void resume_all(const gheap_thread *threads, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ptrace(PTRACE_DETACH, threads[i].tid, NULL, NULL), 0);
}

typedef struct counts {
    uint64_t chunks[GHEAP_NCLASSES];
    uint64_t bytes[GHEAP_NCLASSES];
} counts;

static int count_chunk(const gheap_chunk *c, void *arg)
{
    counts *k = arg;
    k->chunks[c->cls]++;
    k->bytes[c->cls] += c->size;
    return 0;
}

/* The field of varied_heap's mallinfo2 JSON line. */
static uint64_t json_field(const char *line, const char *name)
{
    char key[32];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *p = strstr(line, key);
    assert_non_null(p);
    return strtoull(p + strlen(key), NULL, 10);
}

static void test_walk_matches_mallinfo2(void **state)
{
    (void)state;
    char *const argv[] = {"varied_heap", "7", "2", NULL};
    int fd;
    pid_t pid = start_child("varied_heap", argv, &fd, NULL);
    char line[512];
    read_line(fd, line, sizeof(line));

    hs_err err = {{0}};
    hproc *h = hproc_open(pid, &err);
    assert_non_null(h);
    /* the layout's source: the debug file found by libc's build id, else the
     * built-in table */
    procmaps *pm = procmaps_read(pid, &err);
    assert_non_null(pm);
    const procmaps_entry *libc = procmaps_find_file(pm, "libc.so.");
    assert_non_null(libc);
    uint8_t id[BUILDID_MAX];
    int idn = buildid_read_file(libc->path, id, sizeof(id), &err);
    assert_true(idn > 0);
    char hex[2 * BUILDID_MAX + 1], dbg[PATH_MAX], want[PATH_MAX + 64];
    buildid_hex(id, (size_t)idn, hex, sizeof(hex));
    buildid_debug_path(hex, NULL, dbg, sizeof(dbg));
    if (access(dbg, R_OK) == 0) {
        snprintf(want, sizeof(want), "DWARF of %s", dbg);
        assert_string_equal(hproc_layout_source(h), want);
    } else {
        snprintf(want, sizeof(want), "built-in table for Debian 12 glibc 2.36 (build id %s)", hex);
        assert_memory_equal(hproc_layout_source(h), want, strlen(want));
    }

    gheap_thread threads[MAX_TASKS];
    struct user_regs_struct regs[MAX_TASKS];
    size_t n = stop_all(pid, threads, regs);
    assert_int_equal(n, 3); /* main and two workers */
    assert_int_equal(hproc_same_image(h, &err), 0);

    char why[256] = "";
    assert_int_equal(hproc_busy(h, threads, n, why, sizeof(why), &err), 0);

    /* glibc 2.36 gives a thread its tcache on its first malloc, from its
     * arena; varied_heap's first call that reaches the main heap is a
     * malloc, so the main thread's tcache_perthread_struct is the first chunk
     * of [heap]: its user pointer is the heap's start + 16 */
    const procmaps_entry *heap = NULL;
    for (size_t i = 0; i < pm->n; i++)
        if (strcmp(pm->v[i].path, "[heap]") == 0)
            heap = &pm->v[i];
    assert_non_null(heap);
    if (heap == NULL) /* for the static analyzer: cmocka's failure does not return */
        return;
    size_t main_idx = 0;
    while (main_idx < n && threads[main_idx].tid != pid)
        main_idx++;
    assert_true(main_idx < n);
    uint64_t var = 0, value = 0;
    assert_int_equal(hproc_thread_tcache(h, &threads[main_idx], &var, &value, &err), 0);
    assert_int_equal(value, heap->start + 16);

    counts k;
    memset(&k, 0, sizeof(k));
    gheap_report rep;
    memset(&rep, 0, sizeof(rep));
    assert_int_equal(hproc_walk(h, threads, n, count_chunk, &k, &rep, &err), 0);
    /* The arenas a busy wait would name (issue 22): none locked in a quiet
     * process; the main thread allocates from main_arena, each worker from
     * an arena of its own (varied_heap's workers start together, so glibc
     * makes one per thread), and the cheap check sees nobody inside. */
    uint64_t locked[4];
    assert_int_equal(hproc_locked_arenas(h, locked, 4, &err), 0);
    uint64_t mine[MAX_TASKS] = {0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hproc_thread_arena(h, &threads[i], &mine[i], &err), 0);
    for (size_t i = 0; i < rep.narenas; i++) {
        size_t users = 0;
        for (size_t t = 0; t < n; t++)
            users += mine[t] == rep.arenas[i].addr;
        assert_int_equal(users, 1);
        if (rep.arenas[i].is_main)
            assert_int_equal(mine[main_idx], rep.arenas[i].addr);
    }
    signed char inside[MAX_TASKS];
    memset(inside, -1, sizeof(inside));
    bool lk = true;
    assert_int_equal(hproc_busy_threads(h, threads, n, inside, &lk, why, sizeof(why), &err), 0);
    assert_false(lk);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(inside[i], 0);
    resume_all(threads, n);

    assert_int_equal(rep.ndiags, 0);
    assert_int_equal(rep.narenas, 3);
    assert_int_equal(rep.total.arena, json_field(line, "arena"));
    assert_int_equal(rep.total.ordblks, json_field(line, "ordblks"));
    assert_int_equal(rep.total.smblks, json_field(line, "smblks"));
    assert_int_equal(rep.total.hblks, json_field(line, "hblks"));
    assert_int_equal(rep.total.hblkhd, json_field(line, "hblkhd"));
    assert_int_equal(rep.total.usmblks, json_field(line, "usmblks"));
    assert_int_equal(rep.total.fsmblks, json_field(line, "fsmblks"));
    assert_int_equal(rep.total.uordblks, json_field(line, "uordblks"));
    assert_int_equal(rep.total.fordblks, json_field(line, "fordblks"));
    assert_int_equal(rep.total.keepcost, json_field(line, "keepcost"));
    /* the callback saw exactly the chunks the report counts; an mmapped
     * chunk's bytes in the report are its whole mapping (glibc's hblkhd),
     * the callback's its chunk, which starts later when memalign moved it */
    for (int c = 0; c < GHEAP_NCLASSES; c++) {
        assert_int_equal(k.chunks[c], rep.chunks[c]);
        if (c != GHEAP_MMAPPED)
            assert_int_equal(k.bytes[c], rep.bytes[c]);
    }
    assert_int_equal(rep.chunks[GHEAP_MMAPPED], json_field(line, "hblks"));
    assert_int_equal(rep.bytes[GHEAP_MMAPPED], json_field(line, "hblkhd"));
    gheap_report_free(&rep);
    procmaps_free(pm);
    hproc_close(h);
    end_child(pid, fd);
}

static void test_exec_after_open(void **state)
{
    (void)state;
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    char *const argv[] = {"varied_heap", "1", "0", NULL};
    int fd;
    pid_t pid = start_child("varied_heap", argv, &fd, gate);
    close(gate[0]);
    hs_err err = {{0}};
    hproc *h = hproc_open(pid, &err); /* this test's own image, before the exec */
    assert_non_null(h);
    assert_int_equal(hproc_same_image(h, &err), 0);
    assert_int_equal(write(gate[1], "x", 1), 1);
    char line[512];
    read_line(fd, line, sizeof(line)); /* varied_heap runs */
    assert_int_equal(hproc_same_image(h, &err), -1);
    char want[512];
    snprintf(want, sizeof(want),
             "process %d started another program (execve) while heapsnap was getting ready; "
             "take the snapshot again (a launcher such as a pyenv shim or a shell script execs "
             "the real program shortly after it starts)",
             (int)pid);
    assert_string_equal(err.msg, want);
    hproc_close(h);
    close(gate[1]);
    end_child(pid, fd);
}

static void test_refusals(void **state)
{
    (void)state;
    hs_err err = {{0}};
    char want[256];
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    assert_non_null(f);
    int pid_max = 0;
    assert_int_equal(fscanf(f, "%d", &pid_max), 1);
    fclose(f);
    assert_null(hproc_open(pid_max + 1, &err));
    snprintf(want, sizeof(want), "no such process %d: check the PID (ps -p %d)", pid_max + 1,
             pid_max + 1);
    assert_string_equal(err.msg, want);

    /* a static program maps no libc.so.6 */
    char status[PATH_MAX];
    snprintf(status, sizeof(status), "%s/hs-hproc-static.%d",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    char *const argv[] = {"snap_static", status, NULL};
    int fd;
    pid_t pid = start_child("snap_static", argv, &fd, NULL);
    for (int i = 0; i < 3000 && access(status, F_OK) != 0; i++)
        usleep(10000);
    assert_int_equal(access(status, F_OK), 0);
    assert_null(hproc_open(pid, &err));
    snprintf(want, sizeof(want),
             "process %d has no libc.so.6 mapped: it is not a dynamically linked glibc process, "
             "so its heap cannot be walked",
             (int)pid);
    assert_string_equal(err.msg, want);
    end_child(pid, fd);
    unlink(status);
}

/* The tid of role name in asleep_prog's ready line. */
static pid_t role_tid(const char *line, const char *name)
{
    char key[32];
    snprintf(key, sizeof(key), " %s=", name);
    const char *p = strstr(line, key);
    assert_non_null(p);
    return (pid_t)atoi(p + strlen(key));
}

/* hproc_asleep_outside on the running threads of asleep_prog: asleep in
 * read, nanosleep and a condition variable's futex is outside; asleep on
 * main_arena's lock (a futex inside malloc), or running, is not. */
static void test_asleep_outside(void **state)
{
    (void)state;
    char *const argv[] = {"asleep_prog", NULL};
    int fd;
    pid_t pid = start_child("asleep_prog", argv, &fd, NULL);
    char line[512];
    read_line(fd, line, sizeof(line));
    assert_true(strncmp(line, "ready ", 6) == 0);
    hs_err err = {{0}};
    hproc *h = hproc_open(pid, &err);
    assert_non_null(h);
    assert_int_equal(hproc_asleep_outside(h, role_tid(line, "reader")), 1);
    assert_int_equal(hproc_asleep_outside(h, role_tid(line, "sleeper")), 1);
    assert_int_equal(hproc_asleep_outside(h, role_tid(line, "cond")), 1);
    assert_int_equal(hproc_asleep_outside(h, role_tid(line, "waiter")), 0);
    assert_int_equal(hproc_asleep_outside(h, role_tid(line, "spinner")), 0);
    assert_int_equal(hproc_asleep_outside(h, pid + 1000000), 0); /* no such thread */
    hproc_close(h);
    end_child(pid, fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_asleep_outside, kill_child),
        cmocka_unit_test_teardown(test_walk_matches_mallinfo2, kill_child),
        cmocka_unit_test_teardown(test_exec_after_open, kill_child),
        cmocka_unit_test_teardown(test_refusals, kill_child),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
