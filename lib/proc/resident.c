/* lib/proc/resident.c: the resident pages of a process (see resident.h), from
 * /proc/PID/pagemap: the PAGEMAP_SCAN ioctl where the kernel has it (one call
 * returns runs of present, non-zero pages), else one 64-bit entry per page
 * (bit 63 present, bits 0-54 the frame, readable with CAP_SYS_ADMIN). */
#include "resident.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hs_array.h"

/* Linux 6.7's PAGEMAP_SCAN (include/uapi/linux/fs.h), spelled out for
 * headers older than the running kernel. */
#ifndef PAGEMAP_SCAN
struct page_region {
    uint64_t start, end, categories;
};
struct pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_PFNZERO (1 << 5)
#endif

#define RES_VEC 512u    /* regions per PAGEMAP_SCAN call */
#define RES_BATCH 4096u /* pagemap entries per pread */
#define RES_PRESENT (1ull << 63)
#define RES_PFN_MASK ((1ull << 55) - 1)

const char *resident_method_name(resident_method m)
{
    switch (m) {
    case RESIDENT_SCAN:
        return "pagemap_scan";
    case RESIDENT_PFN:
        return "pagemap_pfn";
    case RESIDENT_PRESENT:
        return "pagemap_present";
    }
    return "?";
}

int resident_add(resident_set *s, uint64_t start, uint64_t end)
{
    if (start >= end)
        return 0;
    if (s->n && s->v[s->n - 1].end == start) {
        s->v[s->n - 1].end = end;
        s->bytes += end - start;
        return 0;
    }
    if (hs_array_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v), 64))
        return -1;
    s->v[s->n++] = (resident_range){start, end};
    s->bytes += end - start;
    return 0;
}

void resident_free(resident_set *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

uint64_t resident_bytes(const resident_set *s, uint64_t start, uint64_t end)
{
    /* from the first range ending after start */
    size_t lo =
        hs_array_upper_bound(s->v, s->n, sizeof(*s->v), offsetof(resident_range, end), start);
    uint64_t sum = 0;
    for (size_t i = lo; i < s->n && s->v[i].start < end; i++) {
        uint64_t a = s->v[i].start > start ? s->v[i].start : start;
        uint64_t b = s->v[i].end < end ? s->v[i].end : end;
        if (b > a)
            sum += b - a;
    }
    return sum;
}

/* Mappings whose pages Rss does not count, or that pagemap cannot see: the
 * kernel's pfn-mapped [vvar] pages, [vsyscall] above the user address space,
 * and hugetlbfs pages (smaps lists them apart, as Private_Hugetlb). */
static bool res_skipped(const procmaps_entry *e)
{
    return strncmp(e->path, "[vvar", 5) == 0 || strcmp(e->path, "[vsyscall]") == 0 ||
           strncmp(e->path, "/anon_hugepage", 14) == 0;
}

/* 1 when the kernel has PAGEMAP_SCAN and it filled s for [start, end); 0 when
 * it does not have it; -1 + err. */
static int res_scan(int fd, uint64_t start, uint64_t end, resident_set *s, hs_err *err)
{
    struct page_region vec[RES_VEC];
    uint64_t at = start;
    while (at < end) {
        struct pm_scan_arg a;
        memset(&a, 0, sizeof(a));
        a.size = sizeof(a);
        a.start = at;
        a.end = end;
        a.vec = (uint64_t)(uintptr_t)vec;
        a.vec_len = RES_VEC;
        a.category_mask = PAGE_IS_PRESENT | PAGE_IS_PFNZERO;
        a.category_inverted = PAGE_IS_PFNZERO; /* present and not the zero page */
        a.return_mask = PAGE_IS_PRESENT;
        long n = ioctl(fd, PAGEMAP_SCAN, &a);
        if (n < 0) {
            if (at == start && (errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP))
                return 0;
            return hs_err_set(err, "cannot scan pagemap at 0x%llx: %s", (unsigned long long)at,
                              strerror(errno));
        }
        for (long i = 0; i < n; i++)
            if (resident_add(s, vec[i].start, vec[i].end))
                return hs_err_set(err, "out of memory for the resident pages");
        if (a.walk_end <= at) /* no progress: never loop */
            return hs_err_set(err, "pagemap scan made no progress at 0x%llx",
                              (unsigned long long)at);
        at = a.walk_end;
    }
    return 1;
}

/* The zero page's frame number as this process sees it, 0 when frames are
 * hidden (no CAP_SYS_ADMIN). */
static uint64_t res_zero_pfn(void)
{
    volatile unsigned char *p =
        mmap(NULL, RESIDENT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    (void)p[0]; /* a read fault maps the zero page */
    uint64_t ent = 0, pfn = 0;
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 &&
        pread(fd, &ent, sizeof(ent), (off_t)((uintptr_t)p / RESIDENT_PAGE * sizeof(ent))) ==
            (ssize_t)sizeof(ent) &&
        (ent & RES_PRESENT))
        pfn = ent & RES_PFN_MASK;
    if (fd >= 0)
        close(fd);
    munmap((void *)p, RESIDENT_PAGE);
    return pfn;
}

/* [start, end) from pagemap entries, leaving out frame zero_pfn (when known). */
static int res_entries(int fd, pid_t pid, uint64_t start, uint64_t end, uint64_t zero_pfn,
                       resident_set *s, hs_err *err)
{
    uint64_t ent[RES_BATCH];
    uint64_t first = start / RESIDENT_PAGE, n = (end - start) / RESIDENT_PAGE;
    for (uint64_t i = 0; i < n;) {
        uint64_t want = n - i < RES_BATCH ? n - i : RES_BATCH;
        ssize_t got = pread(fd, ent, want * sizeof(uint64_t), (off_t)((first + i) * 8));
        if (got <= 0 || got % 8 != 0)
            return hs_err_set(err, "cannot read /proc/%d/pagemap at page 0x%llx: %s", (int)pid,
                              (unsigned long long)(first + i),
                              got < 0 ? strerror(errno) : "short read");
        uint64_t k = (uint64_t)got / 8;
        for (uint64_t j = 0; j < k; j++) {
            if (!(ent[j] & RES_PRESENT) || (zero_pfn && (ent[j] & RES_PFN_MASK) == zero_pfn))
                continue;
            uint64_t a = (first + i + j) * RESIDENT_PAGE;
            if (resident_add(s, a, a + RESIDENT_PAGE))
                return hs_err_set(err, "out of memory for the resident pages");
        }
        i += k;
    }
    return 0;
}

int resident_read(pid_t pid, const procmaps *maps, bool allow_scan, resident_set *out, hs_err *err)
{
    memset(out, 0, sizeof(*out));
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/self/pagemap");
    else
        snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hs_err_set(err, "cannot open %s: %s (run as root or with ptrace access)", path,
                          strerror(errno));
    bool scan = allow_scan;
    uint64_t zero_pfn = 0;
    out->method = RESIDENT_SCAN;
    int rc = 0;
    for (size_t i = 0; i < maps->n && rc == 0; i++) {
        const procmaps_entry *e = &maps->v[i];
        if (res_skipped(e) || e->start >= e->end)
            continue;
        if (scan) {
            int got = res_scan(fd, e->start, e->end, out, err);
            if (got < 0)
                rc = -1;
            if (got != 0)
                continue;
            scan = false; /* an older kernel: entries from here on */
        }
        if (out->method == RESIDENT_SCAN) {
            zero_pfn = res_zero_pfn();
            out->method = zero_pfn ? RESIDENT_PFN : RESIDENT_PRESENT;
        }
        rc = res_entries(fd, pid, e->start, e->end, zero_pfn, out, err);
    }
    close(fd);
    if (rc)
        resident_free(out);
    return rc;
}

int resident_rollup(pid_t pid, uint64_t *rss, hs_err *err)
{
    char path[64];
    if (pid == 0)
        snprintf(path, sizeof(path), "/proc/self/smaps_rollup");
    else
        snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return hs_err_set(err, "cannot open %s: %s (Linux 4.14 or later has it)", path,
                          strerror(errno));
    char line[256];
    unsigned long long kib = 0;
    int found = 0;
    while (!found && fgets(line, sizeof(line), f))
        found = sscanf(line, "Rss: %llu kB", &kib) == 1;
    fclose(f);
    if (!found)
        return hs_err_set(err, "no Rss line in %s", path);
    *rss = (uint64_t)kib * 1024;
    return 0;
}
