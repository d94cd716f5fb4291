/* lib/heap/heap_process.c: the glibc heap of a live process (see heap_process.h):
 * finds libc and ld.so in the memory map, loads libc's layout, locates every
 * thread's tcache through static TLS, lists the mappings where mmapped chunks
 * may live and captures the heap; heap_busy.c decides whether the heap is
 * quiet enough to capture. */
#include "heap_process.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildid.h"
#include "elf_mem.h"
#include "glibc_heap.h"
#include "glibc_layout.h"
#include "memsrc.h"
#include "pagemap.h"
#include "procmaps.h"
#include "uwr.h"

#include "hproc_internal.h"

/* ---- the heap copy's memory ---- */

/* MemAvailable from /proc/meminfo in bytes, 0 when unknown. */
static uint64_t hp_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "re");
    if (f == NULL)
        return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return (uint64_t)kib * 1024;
}

/* The walk copies every heap while the process is stopped (lib/heap/gheap_capture.c),
 * which holds as much memory as the heaps themselves. The limit is half of
 * MemAvailable, so the copy never pushes the machine (and the target) into
 * reclaim; a bigger heap is walked through the small window as before, only
 * with a longer pause. The memory is faulted in here, before the stop, with
 * room for some growth: the [heap] mapping plus every mapping that starts
 * where a non-main heap would. */
static void hp_prepare_copy(hproc *h, const procmaps *pm)
{
    uint64_t limit = hp_mem_available() / 2, want = 0;
    for (size_t i = 0; i < pm->n; i++) {
        const procmaps_entry *e = &pm->v[i];
        if (!e->r || !e->w)
            continue;
        if (strcmp(e->path, "[heap]") == 0 ||
            (e->path[0] == '\0' && e->inode == 0 && e->start % HP_HEAP_ALIGN == 0))
            want += e->end - e->start;
    }
    h->heap_bytes = want;
    want += want / 8 + (4u << 20);
    if (limit > SIZE_MAX)
        limit = SIZE_MAX;
    memsrc_set_copy_limit(h->m, (size_t)limit);
    hs_err ignored = {0};
    /* Without the reserve the copy still works, taking its page faults
     * inside the stop. */
    memsrc_reserve(h->m, want < limit ? (size_t)want : (size_t)limit, &ignored);
}

/* ---- symbols from the files' .dynsym ---- */

/* Value of the named .dynsym symbols of the ELF file at path (0 when absent). */
static int hp_dynsyms(const char *path, const char *const *names, uint64_t *vals, size_t n)
{
    memset(vals, 0, n * sizeof(*vals));
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    int rc = -1;
    Elf_Scn *scn = NULL;
    while (e && (scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t count = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; d && i < count; i++) {
            GElf_Sym sym;
            if (gelf_getsym(d, (int)i, &sym) == NULL || sym.st_shndx == SHN_UNDEF)
                continue;
            const char *nm = elf_strptr(e, sh.sh_link, sym.st_name);
            for (size_t k = 0; nm && k < n; k++)
                if (strcmp(nm, names[k]) == 0)
                    vals[k] = sym.st_value;
        }
        rc = 0;
    }
    if (e)
        elf_end(e);
    close(fd);
    return rc;
}

/* The GNU build id of the ELF object mapped at base, read from the process. */
static int hp_buildid_mem(memsrc *m, uint64_t base, char *hex, size_t hexlen)
{
    Elf64_Phdr phs[ELFMEM_MAX_PHDRS];
    uint64_t bias;
    int nph = elfmem_phdrs(m, base, phs, &bias);
    for (int i = 0; i < nph; i++) {
        const Elf64_Phdr *ph = &phs[i];
        if (ph->p_type != PT_NOTE || ph->p_filesz > 4096)
            continue;
        uint8_t buf[4096];
        if (memsrc_read(m, bias + ph->p_vaddr, ph->p_filesz, buf))
            continue;
        for (size_t off = 0; off + 12 <= ph->p_filesz;) {
            Elf64_Nhdr nh;
            memcpy(&nh, buf + off, sizeof(nh));
            size_t name = off + 12, desc = name + ((nh.n_namesz + 3) & ~3u);
            size_t next = desc + ((nh.n_descsz + 3) & ~3u);
            if (next > ph->p_filesz)
                break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                memcmp(buf + name, "GNU", 4) == 0 && nh.n_descsz <= BUILDID_MAX) {
                buildid_hex(buf + desc, nh.n_descsz, hex, hexlen);
                return 0;
            }
            off = next;
        }
    }
    return -1;
}

/* /proc/PID/auxv: the kernel writes it afresh at every execve (new entry
 * point, base of ld.so, AT_RANDOM address), so equal bytes mean the same
 * program image. Returns its length, 0 when unreadable. */
static size_t hp_read_auxv(pid_t pid, uint8_t *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, len, f);
    fclose(f);
    return n;
}

int hproc_same_image(hproc *h, hs_err *err)
{
    uint8_t now[sizeof(h->auxv)];
    size_t n = hp_read_auxv(h->pid, now, sizeof(now));
    /* Unreadable now: the process is gone (an exec keeps it readable), which
     * is for the caller to report, not a new program. */
    if (h->auxv_len == 0 || n == 0 || (n == h->auxv_len && memcmp(now, h->auxv, n) == 0))
        return 0;
    return hs_err_set(err,
                      "process %d started another program (execve) while heapsnap was getting "
                      "ready; take the snapshot again (a launcher such as a pyenv shim or a shell "
                      "script execs the real program shortly after it starts)",
                      (int)h->pid);
}

/* ---- ld.so's list of objects: their static TLS blocks ---- */

/* A static TLS block's offset below the thread pointer: ld.so keeps 0 for
 * an object without TLS and -1 (FORCED_DYNAMIC_TLS_OFFSET) or -2 for one
 * whose block is allocated per thread on first use. */
static bool hp_static_tls(uint64_t off)
{
    return off != 0 && off <= (1u << 24);
}

/* The static TLS blocks of the link_maps on _r_debug's list (at most 4096
 * maps, HPROC_MAX_TLS blocks) into h->tls; their number, 0 when the list or
 * the field cannot be located or read. */
static size_t hp_read_static_tls(hproc *h)
{
    uint64_t map;
    if (!h->r_debug || !h->have_ltls_field || memsrc_read_u64(h->m, h->r_debug + 8, &map))
        return 0;
    size_t n = 0;
    for (int i = 0; map && i < 4096; i++) {
        uint64_t l_addr, next, off;
        if (memsrc_read_u64(h->m, map, &l_addr) || memsrc_read_u64(h->m, map + 24, &next) ||
            memsrc_read_u64(h->m, map + h->ltls_field, &off))
            return 0;
        if (hp_static_tls(off) && n < HPROC_MAX_TLS)
            h->tls[n++] = (hproc_tls){l_addr, off};
        map = next;
    }
    return n;
}

hproc *hproc_open(pid_t pid, hs_err *err)
{
    procmaps *pm = procmaps_read(pid, err);
    if (pm == NULL)
        return NULL;
    hproc *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        procmaps_free(pm);
        hs_err_set(err, "out of memory");
        return NULL;
    }
    h->pid = pid;
    h->auxv_len = hp_read_auxv(pid, h->auxv, sizeof(h->auxv));
    const procmaps_entry *libc = procmaps_find_file(pm, "libc.so.");
    const procmaps_entry *ld = procmaps_find_file(pm, "ld-linux-x86-64.so.");
    if (libc == NULL) {
        hs_err_set(err,
                   "process %d has no libc.so.6 mapped: it is not a dynamically linked glibc "
                   "process, so its heap cannot be walked",
                   (int)pid);
        goto fail;
    }
    h->libc_base = procmaps_file_base(pm, libc);
    h->m = memsrc_open_pid(pid, 0, err);
    if (h->m == NULL)
        goto fail;
    char libc_path[4096], ld_path[4096];
    procmaps_open_path(pm, libc, libc_path, sizeof(libc_path));
    if (hp_buildid_mem(h->m, h->libc_base, h->buildid, sizeof(h->buildid))) {
        uint8_t id[BUILDID_MAX];
        int n = buildid_read_file(libc_path, id, sizeof(id), NULL);
        if (n > 0)
            buildid_hex(id, (size_t)n, h->buildid, sizeof(h->buildid));
    }
    if (glayout_load(h->buildid[0] ? h->buildid : NULL, NULL, &h->lay, err))
        goto fail;

    const char *const libc_names[] = {"__libc_single_threaded", "_thread_db_link_map_l_tls_offset"};
    uint64_t v[2];
    if (hp_dynsyms(libc_path, libc_names, v, 2) == 0) {
        if (v[0])
            h->single_threaded = h->libc_base + v[0];
        uint32_t desc[3]; /* {bits, count, byte offset} */
        if (v[1] && memsrc_read(h->m, h->libc_base + v[1], sizeof(desc), desc) == 0 &&
            desc[0] == 64) {
            h->ltls_field = desc[2];
            h->have_ltls_field = 1;
        }
    }
    if (ld) {
        h->ld_base = procmaps_file_base(pm, ld);
        procmaps_open_path(pm, ld, ld_path, sizeof(ld_path));
        const char *const ld_names[] = {"_r_debug"};
        if (hp_dynsyms(ld_path, ld_names, v, 1) == 0 && v[0])
            h->r_debug = h->ld_base + v[0];
    }
    /* Before any stop: a copy seals h->m to what it copied, and ld.so's
     * list starts in ld.so's data. */
    h->ntls = hp_read_static_tls(h);
    hp_prepare_copy(h, pm);
    h->uw = uwr_open(pid, pm, h->m); /* NULL: no libunwind, see hproc_thread_in_malloc */
    procmaps_free(pm);
    return h;
fail:
    procmaps_free(pm);
    hproc_close(h);
    return NULL;
}

const char *hproc_layout_source(const hproc *h)
{
    return h->lay.source;
}

void hproc_close(hproc *h)
{
    if (h == NULL)
        return;
    uwr_close(h->uw);
    memsrc_close(h->m);
    memsrc_close(h->frozen);
    free(h);
}

/* ---- TLS: libc's static block sits at fs_base - l_tls_offset ---- */

static int hp_l_tls_offset(hproc *h, hs_err *err)
{
    if (h->l_tls_offset)
        return 0;
    if (!h->r_debug || !h->have_ltls_field)
        return hs_err_set(err, "cannot locate libc's TLS block: _r_debug or "
                               "_thread_db_link_map_l_tls_offset is missing from ld.so/libc");
    for (size_t k = 0; k < h->ntls; k++)
        if (h->tls[k].l_addr == h->libc_base) {
            h->l_tls_offset = h->tls[k].offset;
            return 0;
        }
    return hs_err_set(err, "cannot find libc's link_map and l_tls_offset through _r_debug");
}

size_t hproc_static_tls(hproc *h, hproc_tls *out, size_t max)
{
    size_t n = h->ntls < max ? h->ntls : max;
    memcpy(out, h->tls, n * sizeof(*out));
    return n;
}

int hproc_thread_tcache(hproc *h, const gheap_thread *t, uint64_t *var, uint64_t *value,
                        hs_err *err)
{
    if (hp_l_tls_offset(h, err))
        return -1;
    *var = t->fs_base - h->l_tls_offset + h->lay.tls_tcache;
    if (memsrc_read_u64(h->m, *var, value))
        return hs_err_set(err, "cannot read thread %d's tcache pointer at 0x%llx", (int)t->tid,
                          (unsigned long long)*var);
    return 0;
}

int hproc_thread_arena(hproc *h, const gheap_thread *t, uint64_t *arena, hs_err *err)
{
    if (hp_l_tls_offset(h, err))
        return -1;
    uint64_t var = t->fs_base - h->l_tls_offset + h->lay.tls_thread_arena;
    if (memsrc_read_u64(h->m, var, arena))
        return hs_err_set(err, "cannot read thread %d's arena pointer at 0x%llx", (int)t->tid,
                          (unsigned long long)var);
    return 0;
}

/* ---- where mmapped chunks may be ---- */

static int hp_cmp_range(const void *a, const void *b)
{
    const gheap_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

int hproc_exclude(hproc *h, uint64_t start, uint64_t end)
{
    if (h->nexcluded == HPROC_MAX_EXCLUDED)
        return -1;
    if (start < end)
        h->excluded[h->nexcluded++] = (gheap_range){start, end};
    return 0;
}

int hproc_thread_stack(hproc *h, const gheap_thread *t, const procmaps *pm, uint64_t *start,
                       uint64_t *end)
{
    uint64_t sp = t->regs ? t->regs->rsp : 0;
    uint64_t blk = 0, sz = 0;
    memsrc_read_u64(h->m, t->fs_base + HP_PTHREAD_STACKBLOCK, &blk);
    memsrc_read_u64(h->m, t->fs_base + HP_PTHREAD_STACKBLOCK_SIZE, &sz);
    if (blk && sz && t->fs_base >= blk && t->fs_base < blk + sz &&
        (sp == 0 || (sp >= blk && sp < blk + sz))) {
        *start = blk;
        *end = blk + sz;
        return 0;
    }
    /* main thread ([stack], not anonymous) or an unknown layout: the mapping
     * that holds the stack pointer */
    const procmaps_entry *e = sp ? procmaps_find(pm, sp) : NULL;
    if (e == NULL)
        return -1;
    *start = e->start;
    *end = e->end;
    return 0;
}

/* Anonymous rw mappings minus every thread's stack block and the ranges
 * hproc_exclude named. */
static gheap_range *hp_mmap_ranges(hproc *h, const gheap_thread *threads, size_t n, size_t *out_n,
                                   hs_err *err)
{
    procmaps *pm = procmaps_read(h->pid, err);
    if (pm == NULL)
        return NULL;
    size_t nholes = n + h->nexcluded;
    gheap_range *stacks = calloc(nholes ? nholes : 1, sizeof(*stacks));
    gheap_range *v = calloc(pm->n * (nholes + 1) + 1, sizeof(*v));
    if (stacks == NULL || v == NULL) {
        free(stacks);
        free(v);
        procmaps_free(pm);
        hs_err_set(err, "out of memory");
        return NULL;
    }
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        if (hproc_thread_stack(h, &threads[i], pm, &stacks[ns].start, &stacks[ns].end) == 0)
            ns++;
    for (size_t i = 0; i < h->nexcluded; i++)
        stacks[ns++] = h->excluded[i];
    qsort(stacks, ns, sizeof(*stacks), hp_cmp_range);
    size_t nv = 0;
    for (size_t i = 0; i < pm->n; i++) {
        const procmaps_entry *e = &pm->v[i];
        if (!e->r || !e->w || !e->p || e->path[0] != '\0' || e->inode != 0)
            continue;
        uint64_t s = e->start, end = e->end;
        for (size_t k = 0; k < ns && s < end; k++) {
            if (stacks[k].end <= s || stacks[k].start >= end)
                continue;
            if (stacks[k].start > s)
                v[nv++] = (gheap_range){s, stacks[k].start};
            if (stacks[k].end > s) /* holes may nest or overlap */
                s = stacks[k].end;
        }
        if (s < end)
            v[nv++] = (gheap_range){s, end};
    }
    free(stacks);
    procmaps_free(pm);
    *out_n = nv;
    return v;
}

static int hp_touched(void *arg, uint64_t start, uint64_t end, unsigned char *out)
{
    hs_err e = {0};
    return pagemap_touched(arg, start, end, out, &e);
}

int hproc_capture(hproc *h, const gheap_thread *threads, size_t n, gheap_capture **out, hs_err *err)
{
    *out = NULL;
    memsrc_invalidate(h->m);
    gheap_range *ranges = NULL;
    size_t nr = 0;
    int rc = -1;
    uint64_t *tcaches = calloc(n ? n : 1, sizeof(*tcaches));
    if (tcaches == NULL) {
        hs_err_set(err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t var;
        if (hproc_thread_tcache(h, &threads[i], &var, &tcaches[i], err))
            goto out;
    }
    ranges = hp_mmap_ranges(h, threads, n, &nr, err);
    if (ranges == NULL)
        goto out;
    /* Without pagemap (no access) the scan still works, reading every page. */
    hs_err pmerr = {0};
    pagemap *pm = pagemap_open(h->pid, &pmerr);
    gheap_target t = {.lay = &h->lay,
                      .libc_base = h->libc_base,
                      .tcaches = tcaches,
                      .ntcaches = n,
                      .mmap_ranges = ranges,
                      .nmmap_ranges = nr,
                      .touched = pm ? hp_touched : NULL,
                      .touched_arg = pm};
    rc = gheap_capture_take(h->m, &t, out, err);
    pagemap_close(pm);
out:
    free(ranges);
    free(tcaches);
    return rc;
}

int hproc_capture_frozen(hproc *h, pid_t frozen, const gheap_thread *threads, size_t n,
                         gheap_capture **out, hs_err *err)
{
    *out = NULL;
    memsrc *m = memsrc_open_frozen(frozen, 0, err);
    if (m == NULL)
        return -1;
    /* Every read of the capture -- TLS, maps, pagemap, heaps -- goes to the
     * copy; nothing is copied into heapsnap (the limit stays 0). */
    memsrc *live = h->m;
    pid_t pid = h->pid;
    h->m = m;
    h->pid = frozen;
    int rc = hproc_capture(h, threads, n, out, err);
    h->m = live;
    h->pid = pid;
    if (rc != 0) {
        memsrc_close(m);
        return -1;
    }
    memsrc_close(h->frozen);
    h->frozen = m;
    return 0;
}

void hproc_release_copy(hproc *h)
{
    memsrc_release(h->m);
}

uint64_t hproc_heap_bytes(const hproc *h)
{
    return h->heap_bytes;
}

int hproc_walk(hproc *h, const gheap_thread *threads, size_t n, gheap_chunk_fn fn, void *arg,
               gheap_report *rep, hs_err *err)
{
    memset(rep, 0, sizeof(*rep));
    gheap_capture *c;
    if (hproc_capture(h, threads, n, &c, err) != 0)
        return -1;
    int rc = gheap_classify(c, fn, arg, rep, err);
    gheap_capture_free(c);
    return rc;
}
