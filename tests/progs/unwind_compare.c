/* tests/progs/unwind_compare.c: a preloadable shim (built as
 * unwind_compare.so) that, on every 7th malloc of the program it is loaded
 * into, captures the stack with the hook's cached unwinder and with
 * libunwind's unw_backtrace from the same frame and compares them. At exit
 * it prints "unwind_compare: same N differ N bailed N" (bailed: the cached
 * unwinder handed the stack to libunwind), and the first differing stacks. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "hook_unwind.h"

#define MAXF 80

extern void *__libc_malloc(size_t);

static __thread int busy;
static unsigned long calls, same, differ, bailed;

static void say(const char *s, size_t n)
{
    ssize_t r = write(2, s, n);
    (void)r;
}

static void show(void *const *a, int na, void *const *b, int nb)
{
    char line[320];
    int n =
        snprintf(line, sizeof(line), "unwind_compare: differ: %d frames, libunwind %d\n", na, nb);
    say(line, (size_t)n);
    for (int i = 1; i < (na > nb ? na : nb) && i < 40; i++) {
        Dl_info x, y;
        memset(&x, 0, sizeof(x));
        memset(&y, 0, sizeof(y));
        if (i < na)
            dladdr(a[i], &x);
        if (i < nb)
            dladdr(b[i], &y);
        n = snprintf(line, sizeof(line), "  %2d %p %-32s %p %s\n", i, i < na ? a[i] : NULL,
                     x.dli_sname ? x.dli_sname : "?", i < nb ? b[i] : NULL,
                     y.dli_sname ? y.dli_sname : "?");
        say(line, (size_t)n);
    }
}

/* Entry 0 is each call's own return address; the rest must agree. */
static __attribute__((noinline)) void compare(void)
{
    void *a[MAXF], *b[MAXF];
    int na = hook_unwind_backtrace(a, MAXF);
    int nb = unw_backtrace(b, MAXF);
    __asm__ volatile("" ::: "memory");
    if (na < 0) {
        bailed++;
        return;
    }
    int ok = na == nb;
    for (int i = 1; ok && i < na; i++)
        ok = a[i] == b[i];
    if (ok) {
        same++;
        return;
    }
    if (++differ <= 3)
        show(a, na, b, nb);
}

void *malloc(size_t n)
{
    if (!busy && ++calls % 7 == 0) {
        busy = 1;
        compare();
        busy = 0;
    }
    return __libc_malloc(n);
}

__attribute__((destructor)) static void report(void)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "unwind_compare: same %lu differ %lu bailed %lu\n", same,
                     differ, bailed);
    say(line, (size_t)n);
}
