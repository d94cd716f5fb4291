/* victim/cap.c: the --max-mb budget, shared by all worker threads through atomic
 * counters, and the reporting of allocations that fail despite it. */
#include "cap.h"
#include "scenario.h"

#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#define CAP_MMAP_THRESHOLD (128u * 1024u) /* glibc's default M_MMAP_THRESHOLD */
#define CAP_PAGE 4096u
#define CAP_MIN_DATA (1u << 20)       /* the least data budget worth running with */
#define CAP_THREAD_OWN (512u * 1024u) /* a worker's stack pages and arena (measured) */

static size_t cap_max_bytes;   /* for the scenario's data */
static size_t cap_total_bytes; /* --max-mb */
static size_t cap_own_bytes;   /* the program itself */
static atomic_size_t cap_held_bytes;
static atomic_int cap_refused;
static atomic_uint_fast64_t cap_failed_unprinted;
static atomic_uint_fast64_t cap_failed_last_ns;

int victim_cap_init(size_t max_bytes, size_t own_bytes)
{
    cap_total_bytes = max_bytes;
    cap_own_bytes = own_bytes;
    if (own_bytes + CAP_MIN_DATA > max_bytes)
        return -1;
    cap_max_bytes = max_bytes - own_bytes;
    return 0;
}

size_t victim_cap_own_bytes(unsigned threads)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    long page = sysconf(_SC_PAGESIZE);
    return (size_t)resident * (size_t)(page > 0 ? page : CAP_PAGE) +
           (size_t)threads * CAP_THREAD_OWN;
}

size_t victim_cap_cost(size_t request)
{
    if (request >= CAP_MMAP_THRESHOLD) /* an mmapped chunk: header + whole pages */
        return (request + 16 + CAP_PAGE - 1) & ~(size_t)(CAP_PAGE - 1);
    size_t chunk = (request + 8 + 15) & ~(size_t)15; /* request2size() */
    return chunk < 32 ? 32 : chunk;
}

static void cap_notice(void)
{
    if (atomic_exchange(&cap_refused, 1) != 0)
        return;
    fprintf(stderr,
            "heapsnap-victim: reached the --max-mb cap of %zu MiB (%.1f MiB of data besides the "
            "program's own %.1f MiB): no longer growing, still running (raise --max-mb to let it "
            "grow further).\n",
            cap_total_bytes >> 20, (double)atomic_load(&cap_held_bytes) / (1024.0 * 1024.0),
            (double)cap_own_bytes / (1024.0 * 1024.0));
}

static size_t cap_take(size_t want, size_t min, int quiet)
{
    size_t held = atomic_load(&cap_held_bytes);
    for (;;) {
        size_t room = held < cap_max_bytes ? cap_max_bytes - held : 0;
        size_t take = want < room ? want : room;
        if (take < min || take == 0) {
            if (!quiet)
                cap_notice();
            return 0;
        }
        if (atomic_compare_exchange_weak(&cap_held_bytes, &held, held + take))
            return take;
    }
}

size_t victim_cap_take_upto(size_t want, size_t min)
{
    return cap_take(want, min, 0);
}

int victim_cap_take(size_t bytes)
{
    return cap_take(bytes, bytes, 0) == bytes ? 0 : -1;
}

int victim_cap_take_quiet(size_t bytes)
{
    return cap_take(bytes, bytes, 1) == bytes ? 0 : -1;
}

void victim_cap_give(size_t bytes)
{
    atomic_fetch_sub(&cap_held_bytes, bytes);
}

size_t victim_cap_limit(void)
{
    return cap_max_bytes;
}

size_t victim_cap_held(void)
{
    return atomic_load(&cap_held_bytes);
}

int victim_cap_reached(void)
{
    return atomic_load(&cap_refused);
}

void victim_cap_alloc_failed(const char *site, size_t bytes)
{
    uint64_t now = victim_now_ns();
    uint64_t last = atomic_load(&cap_failed_last_ns);
    if (last != 0 && now - last < 1000000000ull) {
        atomic_fetch_add(&cap_failed_unprinted, 1);
        return;
    }
    if (!atomic_compare_exchange_strong(&cap_failed_last_ns, &last, now)) {
        atomic_fetch_add(&cap_failed_unprinted, 1);
        return;
    }
    uint64_t quiet = atomic_exchange(&cap_failed_unprinted, 0);
    char more[64] = "";
    if (quiet > 0)
        snprintf(more, sizeof(more), " (%llu more failures since the last message)",
                 (unsigned long long)quiet);
    fprintf(stderr,
            "heapsnap-victim: %s could not allocate %zu bytes: out of memory%s; it skipped that "
            "step and runs on (lower --max-mb to stay within the memory available).\n",
            site, bytes, more);
}
