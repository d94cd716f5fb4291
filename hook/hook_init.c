/* hook/hook_init.c: start-up and fork handling of libheapsnap: reads the
 * environment, maps the registry tables, publishes the registry, and keeps the
 * tables consistent across fork(). Sampling starts when the constructor has
 * run, so allocations of other constructors (and main's) are recorded. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "heapsnap.h"
#include "hook_forklock.h"
#include "hook_internal.h"
#include "hook_safepoint.h"
#include "hook_stack.h"
#include "hook_unseen.h"

#define DEFAULT_STACKS (1u << 15)
#define DEFAULT_LIVE (1u << 16)
#define DEFAULT_LIVE_DENSE (1u << 22) /* for rates below 4096: many more samples */
#define MAX_TABLE_ENTRIES (1u << 26)

static uint8_t filter_count[1u << HOOK_FILTER_BITS] = {[HOOK_FILTER_NULL_CELL] = 255};
uint64_t hook_filter_summary[(1u << HOOK_FILTER_BITS) / 64] __attribute__((aligned(64))) = {
    [HOOK_FILTER_NULL_CELL / 64] = (uint64_t)1 << (HOOK_FILTER_NULL_CELL % 64)};
static uint8_t filter_lock[HOOK_FILTER_WORDS(HOOK_FILTER_BITS)];
/* Static, not set up by hook_filter_init: the bootstrap buffer's blocks are
 * added before any constructor runs. */
struct hook_filter hook_filter = {.count = filter_count,
                                  .summary = hook_filter_summary,
                                  .lock = filter_lock,
                                  .bits = HOOK_FILTER_BITS};

HOOK_EXPORT struct heapsnap_registry heapsnap_registry;
extern struct heapsnap_registry hook_registry __attribute__((alias("heapsnap_registry")));
struct hook_tables hook_tables = {.filter = &hook_filter};
uint64_t hook_rate = HOOK_RATE_DEFAULT;
int hook_ready;
int hook_started;

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) {
        ssize_t r = write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
        (void)r;
    }
}

/* A non-negative integer from the environment, or def (with a warning when
 * the variable is set but not a number). */
static uint64_t env_u64(const char *name, uint64_t def, uint64_t max)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || *s == '-' || v > max) {
        warn("libheapsnap: %s=%s is not a number in [0, %llu]; using %llu. Set it to a byte "
             "count.\n",
             name, s, (unsigned long long)max, (unsigned long long)def);
        return def;
    }
    return v;
}

static void fork_prepare(void)
{
    hook_forklock_exclusive();
}

static void fork_parent(void)
{
    hook_forklock_release();
}

/* Only the forking thread lives on in the child: start from a free lock. The
 * tables stay: the child's heap is a copy of the parent's, sampled blocks
 * included. */
static void fork_child(void)
{
    hook_forklock_reset_child();
    heapsnap_registry.hook_pid = (uint64_t)getpid();
    hook_thread.sampler.rng = 0; /* reseed: do not replay the parent's draws */
    hook_counts_atfork_child();
    hook_safepoint_atfork_child(&heapsnap_registry);
    hook_http_atfork_child();
}

static void *tables_mem; /* the tables' mapping, kept for a re-attach */
static size_t tables_len;

/* Maps *bytes for the tables, the live table (from offset live) in 2 MiB
 * pages where the kernel allows them (MADV_HUGEPAGE; *bytes grows to the
 * page's end): each sample and each free of one touches a slot of it at
 * random, and with 4 KiB pages each of those was a TLB miss as well as a
 * cache miss. The stack table keeps 4 KiB pages: its entries are few and
 * scattered, and a huge page each would cost megabytes of memory. */
static void *map_huge_aligned(size_t *bytes, size_t live)
{
    const size_t huge = (size_t)2 << 20;
    size_t len = (*bytes + huge - 1) & ~(huge - 1);
    char *raw = mmap(NULL, len + huge, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        return MAP_FAILED;
    /* The live table's start on a 2 MiB boundary; the rest given back. */
    char *mem = (char *)((((uintptr_t)raw + live + huge - 1) & ~(uintptr_t)(huge - 1)) - live);
    if (mem > raw)
        munmap(raw, (size_t)(mem - raw));
    if (raw + len + huge > mem + len)
        munmap(mem + len, (size_t)(raw + len + huge - (mem + len)));
    madvise(mem + live, len - live, MADV_HUGEPAGE);
    *bytes = len;
    return mem;
}

static void map_tables(void)
{
    uint64_t nstacks = env_u64("HEAPSNAP_MAX_STACKS", DEFAULT_STACKS, MAX_TABLE_ENTRIES);
    uint64_t nlive = env_u64("HEAPSNAP_MAX_LIVE",
                             hook_rate && hook_rate < 4096 ? DEFAULT_LIVE_DENSE : DEFAULT_LIVE,
                             MAX_TABLE_ENTRIES);
    if (nstacks < 1)
        nstacks = 1;
    if (nlive < 1)
        nlive = 1;
    size_t bytes = hook_tables_bytes(nstacks, nlive);
    void *mem = map_huge_aligned(&bytes, hook_tables_live_offset(nstacks));
    if (mem == MAP_FAILED) {
        warn("libheapsnap: cannot map %zu bytes for the registry tables (%s); nothing will be "
             "recorded. Lower HEAPSNAP_MAX_LIVE / HEAPSNAP_MAX_STACKS.\n",
             bytes, strerror(errno));
        hook_rate = 0;
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    heapsnap_registry.start_time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    heapsnap_registry.hook_pid = (uint64_t)getpid();
    tables_mem = mem;
    tables_len = bytes;
    hook_tables_init(&hook_tables, &heapsnap_registry, mem, nstacks, nlive, &hook_filter,
                     hook_rate);
}

/* True when addr lies in one of the object's loadable segments. */
static bool object_holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr - lo < ph->p_memsz)
            return true;
    }
    return false;
}

/* Where this library and glibc come in the global search order. */
struct search_order {
    uintptr_t self;  /* an address in this library */
    uintptr_t sym;   /* an address: is it the executable's? */
    int at, self_at; /* objects seen; this library's place (-1: not seen) */
    int libc_at;     /* glibc's place (-1: not seen) */
    bool sym_in_exe;
};

static int search_order_visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct search_order *o = arg;
    if (o->at == 0) /* the first object is the executable */
        o->sym_in_exe = object_holds(info, o->sym);
    const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    base = base ? base + 1 : info->dlpi_name;
    if (o->self_at < 0 && object_holds(info, o->self))
        o->self_at = o->at;
    else if (base && strncmp(base, "libc.so", 7) == 0 && o->libc_at < 0)
        o->libc_at = o->at;
    o->at++;
    return 0;
}

/* True when this library's malloc is the one the process calls: preloaded or
 * linked in. Loaded later with dlopen (heapsnap --attach) it is not, and
 * waits for heapsnap_attach (hook_attach.c). The lookup of "malloc" names
 * this library, or, when the executable takes malloc's address in non-PIC
 * code (Debian's python3.11), its own PLT entry, the address every object
 * then uses; then what decides is that this library comes before glibc in
 * the search order, where a dlopen'ed one never does. */
static bool interposing(void)
{
    Dl_info self, global;
    void *g = dlsym(RTLD_DEFAULT, "malloc");
    if (g == NULL || dladdr((void *)hook_http_atfork_child, &self) == 0 || dladdr(g, &global) == 0)
        return false;
    if (self.dli_fbase == global.dli_fbase)
        return true;
    struct search_order o = {(uintptr_t)hook_http_atfork_child, (uintptr_t)g, 0, -1, -1, false};
    dl_iterate_phdr(search_order_visit, &o);
    return o.sym_in_exe && o.self_at >= 0 && o.libc_at >= 0 && o.self_at < o.libc_at;
}

int hook_start_attached(uint64_t rate)
{
    if (!__atomic_load_n(&hook_started, __ATOMIC_ACQUIRE)) {
        hook_rate = rate;
        map_tables();
        if (tables_mem != NULL)
            hook_unseen_start(); /* the hook's own blocks go to the table */
        hook_stack_init();
        pthread_atfork(fork_prepare, fork_parent, fork_child);
    } else if (tables_mem != NULL) {
        /* Detached since: the live entries are stale (their frees went
         * straight to glibc). Start again from empty tables. */
        __atomic_store_n(&hook_ready, 0, __ATOMIC_RELEASE);
        hook_rate = rate;
        madvise(tables_mem, tables_len, MADV_DONTNEED);
        hook_filter_init(&hook_filter, filter_count, hook_filter_summary, filter_lock,
                         HOOK_FILTER_BITS);
        hook_filter_saturate(&hook_filter, 0); /* NULL's cell */
        struct heapsnap_registry fresh = {0};
        fresh.counts_addr = heapsnap_registry.counts_addr;
        heapsnap_registry = fresh;
        uint64_t nstacks = (hook_tables.stack_mask + 1), nlive = (hook_tables.live_mask + 1);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        heapsnap_registry.start_time_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        heapsnap_registry.hook_pid = (uint64_t)getpid();
        hook_tables_init(&hook_tables, &heapsnap_registry, tables_mem, nstacks, nlive, &hook_filter,
                         hook_rate);
    }
    if (hook_rate == 1)
        hook_filter_fill(&hook_filter); /* every block is in the table */
    if (hook_rate != 0 && tables_mem != NULL)
        __atomic_store_n(&hook_ready, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&hook_started, 1, __ATOMIC_RELEASE);
    return tables_mem != NULL ? 0 : -1;
}

__attribute__((constructor)) static void hook_start(void)
{
    if (!interposing()) {
        hook_attach_mode = 1; /* nothing calls us until heapsnap_attach */
        return;
    }
    heapsnap_attach_state = 2;
    hook_rate = env_u64("HEAPSNAP_RATE", HOOK_RATE_DEFAULT, (uint64_t)1 << 40);
    const char *addr = getenv("HEAPSNAP_HTTP");
    bool serve = addr && *addr;
    hook_resolve_real();
    bool glibc = __atomic_load_n(&hook_glibc_next, __ATOMIC_RELAXED) != 0;
    /* Both before map_tables publishes the header. */
    if (serve && glibc && hook_rate != 0)
        hook_counts_start();
    if (glibc && !__atomic_load_n(&hook_counting, __ATOMIC_RELAXED) && hook_rate != 0)
        heapsnap_registry.flags |= HEAPSNAP_FLAG_UNSEEN;
    if (hook_rate == 1)
        hook_filter_fill(&hook_filter); /* every block is in the table */
    hook_safepoint_start(&heapsnap_registry);
    map_tables();
    if (tables_mem != NULL)
        hook_unseen_start();
    hook_stack_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    if (hook_rate != 0)
        __atomic_store_n(&hook_ready, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&hook_started, 1, __ATOMIC_RELEASE);

    if (serve && heapsnap_http_start(addr) != 0) {
        int e = errno;
        warn("libheapsnap: cannot serve /debug/pprof on %s: %s%s\n", addr, strerror(e),
             e == EACCES   ? " (not a loopback address; set HEAPSNAP_HTTP_ALLOW_REMOTE=1 to allow)"
             : e == EINVAL ? " (expected HOST:PORT, e.g. 127.0.0.1:6060)"
             : e == EADDRINUSE ? " (pick another port)"
                               : "");
    }
}

HOOK_EXPORT uint64_t heapsnap_rate(void)
{
    return hook_rate;
}

HOOK_EXPORT const char *heapsnap_version(void)
{
    return HS_VERSION;
}
