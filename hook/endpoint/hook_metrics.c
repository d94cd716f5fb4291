/* hook/endpoint/hook_metrics.c: /metrics for fleets (hook_metrics.h). Runs on the
 * endpoint's thread: mallinfo2() takes each arena's lock in turn and
 * allocates nothing, the hook's counters are summed as heapsnap sums them,
 * and resident memory comes from /proc/self/statm. */
#include "hook_metrics.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "hook_internal.h"

typedef struct out {
    char *buf;
    size_t cap, len;
    int full;
} out;

static void put(out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len) {
        o->full = 1;
        return;
    }
    o->len += (size_t)n;
}

/* One metric family: its HELP and TYPE lines. */
static void family(out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Resident bytes from /proc/self/statm (its second field, in pages); -1 when
 * it cannot be read. */
static long long resident_bytes(void)
{
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char b[128];
    ssize_t n = read(fd, b, sizeof(b) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    b[n] = '\0';
    unsigned long long size = 0, rss = 0;
    if (sscanf(b, "%llu %llu", &size, &rss) != 2)
        return -1;
    return (long long)(rss * (unsigned long long)sysconf(_SC_PAGESIZE));
}

size_t hook_metrics_text(char *buf, size_t cap)
{
    out o = {buf, cap, 0, 0};
    if (cap == 0)
        return 0;
    struct mallinfo2 mi = mallinfo2();
    family(&o, "heapsnap_heap_bytes", "gauge",
           "Bytes of glibc's malloc heap by class, from mallinfo2(): in_use (chunks in use, "
           "mmapped ones and those cached in tcache included), free (free chunks in the arenas), "
           "top (the top chunk's releasable part), mmapped (chunks mmapped on their own).");
    put(&o, "heapsnap_heap_bytes{class=\"in_use\"} %zu\n", mi.uordblks + mi.hblkhd);
    put(&o, "heapsnap_heap_bytes{class=\"free\"} %zu\n",
        mi.fordblks > mi.keepcost ? mi.fordblks - mi.keepcost : 0);
    put(&o, "heapsnap_heap_bytes{class=\"top\"} %zu\n", mi.keepcost);
    put(&o, "heapsnap_heap_bytes{class=\"mmapped\"} %zu\n", mi.hblkhd);
    family(&o, "heapsnap_heap_system_bytes", "gauge",
           "Bytes glibc's malloc took from the system: the arenas plus mmapped chunks.");
    put(&o, "heapsnap_heap_system_bytes %zu\n", mi.arena + mi.hblkhd);

    if (__atomic_load_n(&hook_counting, __ATOMIC_RELAXED)) {
        uint64_t count[HEAPSNAP_NCLASSES], bytes[HEAPSNAP_NCLASSES];
        hook_counts_sum(&hook_counts, count, bytes);
        uint64_t c = 0, b = 0;
        for (unsigned i = 0; i < HEAPSNAP_NCLASSES; i++) {
            c += count[i];
            b += bytes[i];
        }
        family(&o, "heapsnap_hooked_bytes", "gauge",
               "Bytes (chunk sizes) of the live chunks the hook counted: everything allocated "
               "since it loaded and not yet freed.");
        put(&o, "heapsnap_hooked_bytes %llu\n", (unsigned long long)b);
        family(&o, "heapsnap_hooked_chunks", "gauge", "Live chunks the hook counted.");
        put(&o, "heapsnap_hooked_chunks %llu\n", (unsigned long long)c);
    }
    family(&o, "heapsnap_sampled_allocations_total", "counter",
           "Allocations whose call stack the hook recorded.");
    put(&o, "heapsnap_sampled_allocations_total %llu\n",
        (unsigned long long)__atomic_load_n(&heapsnap_registry.sampled_allocs, __ATOMIC_RELAXED));
    family(&o, "heapsnap_sampling_rate_bytes", "gauge",
           "Mean bytes allocated between two samples (1: every allocation, 0: off).");
    put(&o, "heapsnap_sampling_rate_bytes %llu\n", (unsigned long long)heapsnap_registry.rate);
    long long rss = resident_bytes();
    if (rss >= 0) {
        family(&o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        put(&o, "process_resident_memory_bytes %lld\n", rss);
    }
    return o.full ? 0 : o.len;
}
