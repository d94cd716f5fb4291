/* lib/proc/registry.c: the hook's registry as seen from outside (see
 * registry.h). Only the touched pages of the tables are copied, into memory
 * reserved and faulted in before the stop, with a few large reads (memsrc's
 * region copies); the entries are read out of that copy after the resume. */
#include "registry.h"

#include "dynsym.h"
#include "memsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#define REGISTRY_SYMBOL "heapsnap_registry"
/* Reserve beyond the tables' touched bytes, for pages touched before the stop. */
#define REGISTRY_SLACK ((uint64_t)2 << 20)
#define REGISTRY_PAGE ((uint64_t)4096)
#define REGISTRY_PAGEMAP_BATCH ((uint64_t)8192)
/* Tables larger than this are treated as a corrupt header, not allocated. */
#define REGISTRY_MAX_TABLE ((uint64_t)1 << 34)
/* The highest HEAPSNAP_RATE the hook accepts; above it the header is corrupt. */
#define REGISTRY_MAX_RATE ((uint64_t)1 << 40)
/* Counter slots beyond this are a corrupt header (the hook has 1024). */
#define REGISTRY_MAX_COUNT_SLOTS ((uint64_t)1 << 16)

static int registry_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len, hs_err *err)
{
    size_t done = 0;
    while (done < len) {
        struct iovec local = {(char *)buf + done, len - done};
        struct iovec remote = {(void *)(uintptr_t)(addr + done), len - done};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) {
            if (n < 0 && errno == ESRCH)
                return hs_err_set(err, "process %d exited while its hook registry was read.",
                                  (int)pid);
            return hs_err_set(err,
                              "cannot read the hook registry at 0x%llx in process %d (%s); the "
                              "hook library may be damaged, restart the program with it.",
                              (unsigned long long)(addr + done), (int)pid,
                              n < 0 ? strerror(errno) : "short read");
        }
        done += (size_t)n;
    }
    return 0;
}

/* st_value of the registry symbol in the library's .dynsym and the vaddr of
 * its first PT_LOAD (to turn st_value into a run-time address). */
static int registry_find_symbol(const char *file, uint64_t *value, uint64_t *first_load,
                                hs_err *err)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return hs_err_set(err, "libelf is unusable (%s); reinstall libelf1.", elf_errmsg(-1));
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hs_err_set(err,
                          "cannot open the hook library %s (%s); check that the file the "
                          "process loaded still exists.",
                          file, strerror(errno));
    int rc = -1;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    if (e == NULL || elf_kind(e) != ELF_K_ELF) {
        hs_err_set(err, "the hook library %s is not an ELF file; check the LD_PRELOAD path.", file);
        goto out;
    }
    size_t nph = 0;
    bool have_load = false;
    if (elf_getphdrnum(e, &nph) == 0) {
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(e, (int)i, &ph) != NULL && ph.p_type == PT_LOAD) {
                *first_load = ph.p_vaddr - ph.p_offset; /* the vaddr of file offset 0 */
                have_load = true;
                break;
            }
        }
    }
    if (!have_load) {
        hs_err_set(err, "the hook library %s has no loadable segment; rebuild libheapsnap.so.",
                   file);
        goto out;
    }
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_DYNSYM || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (d == NULL)
            continue;
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; i < n; i++) {
            GElf_Sym sym;
            if (gelf_getsym(d, (int)i, &sym) == NULL || sym.st_shndx == SHN_UNDEF)
                continue;
            const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
            if (name != NULL && strcmp(name, REGISTRY_SYMBOL) == 0) {
                *value = sym.st_value;
                rc = 1;
                goto out;
            }
        }
    }
    rc = 0;
out:
    if (e != NULL)
        elf_end(e);
    close(fd);
    return rc;
}

bool registry_has_counts(const struct heapsnap_registry *h)
{
    return h->version >= 2 && h->counts_slots > 0;
}

/* The smallest stack entry a header of version v can give: from version 4
 * the entry holds the counters' stripes. */
static uint64_t registry_stack_entry_min(uint32_t v)
{
    return v >= 4 ? sizeof(struct heapsnap_stack_entry) : sizeof(struct heapsnap_stack);
}

/* A header older than version 5 ends before the words that version adds: what
 * was read there belongs to something else. */
static void registry_old_header(struct heapsnap_registry *h)
{
    if (h->version < 5) {
        h->flags = 0;
        h->unseen_lost = 0;
    }
}

static int registry_check_header(const registry *r, hs_err *err)
{
    const struct heapsnap_registry *h = &r->hdr;
    if (h->magic != HEAPSNAP_REGISTRY_MAGIC)
        return hs_err_set(err,
                          "%s in process %d has no valid heapsnap registry (bad magic); the "
                          "hook is damaged or from another project, restart the program with a "
                          "libheapsnap.so from this heapsnap.",
                          r->path, (int)r->pid);
    if (h->version < 1 || h->version > HEAPSNAP_REGISTRY_VERSION)
        return hs_err_set(err,
                          "%s in process %d uses registry version %u but this heapsnap reads "
                          "versions 1 to %u; use the heapsnap built together with that "
                          "libheapsnap.so.",
                          r->path, (int)r->pid, h->version, HEAPSNAP_REGISTRY_VERSION);
    if (h->header_size < (h->version >= 5 ? sizeof(*h) : HEAPSNAP_REGISTRY_V4_SIZE) ||
        h->live_entry_size < sizeof(struct heapsnap_live) ||
        h->stack_entry_size < registry_stack_entry_min(h->version) ||
        h->live_capacity > REGISTRY_MAX_TABLE / h->live_entry_size ||
        h->stacks_capacity > REGISTRY_MAX_TABLE / h->stack_entry_size ||
        h->stacks_capacity > UINT32_MAX || h->rate > REGISTRY_MAX_RATE ||
        /* no table may wrap around the end of the address space */
        h->live_addr > UINT64_MAX - h->live_capacity * h->live_entry_size ||
        h->stacks_addr > UINT64_MAX - h->stacks_capacity * h->stack_entry_size ||
        (registry_has_counts(h) &&
         (h->counts_slot_size < sizeof(struct heapsnap_counts) ||
          h->counts_nclasses != HEAPSNAP_NCLASSES || h->counts_slots > REGISTRY_MAX_COUNT_SLOTS ||
          h->counts_slot_size > REGISTRY_MAX_TABLE / REGISTRY_MAX_COUNT_SLOTS ||
          h->counts_addr > UINT64_MAX - h->counts_slots * h->counts_slot_size)))
        return hs_err_set(err,
                          "the heapsnap registry in process %d has impossible table sizes; the "
                          "hook's memory was overwritten, restart the program.",
                          (int)r->pid);
    return 0;
}

/* The registry's address in a library mapped at base, from its dynamic
 * symbols in memory: 1, 0 when it has none, -1 + err. */
static int registry_find_in_memory(pid_t pid, uint64_t base, uint64_t *addr, hs_err *err)
{
    memsrc *mem = memsrc_open_pid(pid, 0, err);
    if (mem == NULL)
        return -1;
    int r = dynsym_lookup(mem, base, REGISTRY_SYMBOL, addr, NULL);
    memsrc_close(mem);
    if (r < 0)
        return hs_err_set(err, "cannot read the dynamic symbols of libheapsnap.so in process %d",
                          (int)pid);
    return r;
}

int registry_locate(pid_t pid, const procmaps *m, registry *r, hs_err *err)
{
    memset(r, 0, sizeof(*r));
    r->pid = pid;
    const procmaps_entry *e = procmaps_find_file(m, "libheapsnap.so");
    if (e == NULL)
        return 0;
    char path[4096];
    procmaps_open_path(m, e, path, sizeof(path));
    snprintf(r->path, sizeof(r->path), "%s", e->path);
    uint64_t value = 0, first_load = 0;
    int found;
    if (access(path, R_OK) != 0) {
        /* A memfd (heapsnap --attach): its symbols from the process's memory. */
        found = registry_find_in_memory(pid, procmaps_file_base(m, e), &value, err);
        first_load = procmaps_file_base(m, e);
    } else {
        found = registry_find_symbol(path, &value, &first_load, err);
    }
    if (found < 0)
        return -1;
    if (found == 0)
        return hs_err_set(err,
                          "%s is loaded in process %d but exports no %s; it is not a heapsnap "
                          "hook, restart the program with this project's libheapsnap.so.",
                          e->path, (int)pid, REGISTRY_SYMBOL);
    /* The lowest mapping of the file holds file offset 0. */
    uint64_t base = procmaps_file_base(m, e);
    r->addr = base - first_load + value;
    if (registry_read_mem(pid, r->addr, &r->hdr, sizeof(r->hdr), err) != 0)
        return -1;
    registry_old_header(&r->hdr);
    if (r->hdr.magic == 0)
        return 0; /* loaded, but its constructor has not published the tables yet */
    if (registry_check_header(r, err) != 0)
        return -1;
    return 1;
}

/* Which pages of [addr, addr+len) the process has ever touched (present or
 * swapped, from /proc/PID/pagemap). The hook's tables are hash tables in a
 * large MAP_NORESERVE mapping that is mostly never touched: copying only the
 * touched pages keeps the pause short (the untouched ones read as EMPTY).
 * Returns a malloc'd array of one byte per page, or NULL when pagemap cannot
 * be read (then everything is copied). */
static unsigned char *registry_touched_pages(pid_t pid, uint64_t addr, uint64_t len,
                                             uint64_t *npages)
{
    uint64_t first = addr / REGISTRY_PAGE, last = (addr + len - 1) / REGISTRY_PAGE;
    *npages = last - first + 1;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    unsigned char *touched = malloc(*npages);
    uint64_t *ent = malloc(REGISTRY_PAGEMAP_BATCH * sizeof(uint64_t));
    bool ok = touched != NULL && ent != NULL;
    for (uint64_t i = 0; ok && i < *npages; i += REGISTRY_PAGEMAP_BATCH) {
        uint64_t n = *npages - i < REGISTRY_PAGEMAP_BATCH ? *npages - i : REGISTRY_PAGEMAP_BATCH;
        ssize_t got = pread(fd, ent, n * sizeof(uint64_t), (off_t)((first + i) * 8));
        if (got != (ssize_t)(n * sizeof(uint64_t))) {
            ok = false;
            break;
        }
        for (uint64_t j = 0; j < n; j++)
            touched[i + j] = (ent[j] >> 62) != 0; /* bit 63 present, bit 62 swapped */
    }
    close(fd);
    free(ent);
    if (!ok) {
        free(touched);
        return NULL;
    }
    return touched;
}

size_t registry_touched_spans(uint64_t addr, uint64_t count, uint64_t esz,
                              const unsigned char *touched, memsrc_range *out)
{
    if (count == 0 || esz == 0)
        return 0;
    uint64_t len = count * esz;
    if (touched == NULL) {
        out[0] = (memsrc_range){addr, addr + len};
        return 1;
    }
    uint64_t page0 = addr / REGISTRY_PAGE * REGISTRY_PAGE;
    uint64_t npages = (addr + len - 1) / REGISTRY_PAGE - addr / REGISTRY_PAGE + 1;
    uint64_t next = 0; /* first entry not yet in a span */
    size_t n = 0;
    for (uint64_t p = 0; p < npages;) {
        if (!touched[p]) {
            p++;
            continue;
        }
        uint64_t q = p;
        while (q < npages && touched[q])
            q++;
        uint64_t a0 = page0 + p * REGISTRY_PAGE, a1 = page0 + q * REGISTRY_PAGE;
        if (a0 < addr)
            a0 = addr;
        if (a1 > addr + len)
            a1 = addr + len;
        /* Widened to whole entries; an entry straddling two runs goes to the first. */
        uint64_t first = (a0 - addr) / esz, end = (a1 - addr + esz - 1) / esz;
        if (end > count)
            end = count;
        if (first < next)
            first = next;
        if (first < end) {
            if (n > 0 && out[n - 1].end == addr + first * esz)
                out[n - 1].end = addr + end * esz; /* touching runs: one read */
            else
                out[n++] = (memsrc_range){addr + first * esz, addr + end * esz};
            next = end;
        }
        p = q;
    }
    return n;
}

/* The touched spans of one table, appended to r->spans. */
static int registry_add_spans(registry *r, bool pagemap, uint64_t addr, uint64_t count,
                              uint64_t esz, hs_err *err)
{
    if (count == 0)
        return 0;
    uint64_t npages = 0;
    unsigned char *touched =
        pagemap ? registry_touched_pages(r->pid, addr, count * esz, &npages) : NULL;
    /* At most one span per two pages (runs are separated by an untouched page). */
    size_t most = touched ? (size_t)(npages / 2 + 1) : 1;
    memsrc_range *v = realloc(r->spans, (r->nspans + most) * sizeof(*v));
    if (v == NULL) {
        free(touched);
        return hs_err_set(err, "out of memory while copying the hook's tables.");
    }
    r->spans = v;
    r->nspans += registry_touched_spans(addr, count, esz, touched, v + r->nspans);
    free(touched);
    return 0;
}

/* The tables' touched spans: live, then stacks, then counter slots. */
static int registry_spans(registry *r, bool pagemap, hs_err *err)
{
    r->nspans = 0;
    if (registry_add_spans(r, pagemap, r->hdr.live_addr, r->hdr.live_capacity,
                           r->hdr.live_entry_size, err) != 0)
        return -1;
    r->nspans_live = r->nspans;
    if (registry_add_spans(r, pagemap, r->hdr.stacks_addr, r->hdr.stacks_capacity,
                           r->hdr.stack_entry_size, err) != 0)
        return -1;
    r->nspans_stacks = r->nspans;
    if (!registry_has_counts(&r->hdr))
        return 0;
    return registry_add_spans(r, pagemap, r->hdr.counts_addr, r->hdr.counts_slots,
                              r->hdr.counts_slot_size, err);
}

/* Bounded by registry_check_header: each product stays below 2^34. */
static uint64_t registry_table_bytes(const struct heapsnap_registry *h)
{
    uint64_t n = h->live_capacity * h->live_entry_size + h->stacks_capacity * h->stack_entry_size;
    if (registry_has_counts(h))
        n += h->counts_slots * h->counts_slot_size;
    return n;
}

/* The source the tables are copied through: the process, unless a test set one. */
static int registry_source(registry *r, hs_err *err)
{
    if (r->src != NULL)
        return 0;
    r->src = memsrc_open_pid(r->pid, 0, err);
    if (r->src == NULL)
        return -1;
    r->own_src = true;
    return 0;
}

size_t registry_tables(const registry *r, uint64_t start[REGISTRY_MAX_TABLES],
                       uint64_t end[REGISTRY_MAX_TABLES])
{
    const struct heapsnap_registry *g = &r->hdr;
    size_t n = 0;
    start[n] = g->stacks_addr;
    end[n++] = g->stacks_addr + g->stacks_capacity * g->stack_entry_size;
    start[n] = g->live_addr;
    end[n++] = g->live_addr + g->live_capacity * g->live_entry_size;
    if (registry_has_counts(g)) {
        start[n] = g->counts_addr;
        end[n++] = g->counts_addr + g->counts_slots * g->counts_slot_size;
    }
    return n;
}

int registry_reserve(registry *r, hs_err *err)
{
    if (registry_source(r, err) != 0)
        return -1;
    /* Any part of the tables may be copied; only what is touched now is
     * faulted in ahead, plus room for pages first touched before the stop
     * (a copy past the reserve still works, at a page fault per page). */
    memsrc_set_copy_limit(r->src, (size_t)registry_table_bytes(&r->hdr));
    if (registry_spans(r, r->own_src, err) != 0)
        return -1;
    uint64_t bytes = 0;
    for (size_t i = 0; i < r->nspans; i++)
        bytes += r->spans[i].end - r->spans[i].start;
    bytes += bytes / 8 + REGISTRY_SLACK;
    if (memsrc_reserve(r->src, (size_t)bytes, err) != 0)
        return -1;
    return 0;
}

int registry_copy_frozen(registry *r, pid_t frozen, hs_err *err)
{
    memsrc *m = memsrc_open_frozen(frozen, 0, err);
    if (m == NULL)
        return -1;
    if (r->own_src)
        memsrc_close(r->src);
    r->src = m;
    r->own_src = true;
    pid_t pid = r->pid;
    r->pid = frozen; /* the touched pages are the copy's */
    int rc = registry_copy(r, err);
    r->pid = pid;
    return rc;
}

int registry_copy(registry *r, hs_err *err)
{
    if (registry_source(r, err) != 0)
        return -1;
    memsrc_invalidate(r->src); /* a previous copy, and the seal */
    /* The header's counters move. The hook never moves or grows its tables,
     * but a header naming other (valid) tables is followed, not trusted
     * from before the stop. */
    struct heapsnap_registry h;
    if (memsrc_read(r->src, r->addr, sizeof(h), &h) != 0) {
        if (r->own_src && kill(r->pid, 0) != 0 && errno == ESRCH)
            return hs_err_set(err, "process %d exited while its hook registry was read.",
                              (int)r->pid);
        return hs_err_set(err,
                          "cannot read the hook registry at 0x%llx in process %d; the hook "
                          "library may be damaged, restart the program with it.",
                          (unsigned long long)r->addr, (int)r->pid);
    }
    registry_old_header(&h);
    r->hdr = h;
    if (registry_check_header(r, err) != 0)
        return -1;
    if (memsrc_copy_limit(r->src) < registry_table_bytes(&h))
        memsrc_set_copy_limit(r->src, (size_t)registry_table_bytes(&h));
    if (registry_spans(r, r->own_src, err) != 0)
        return -1;
    uint64_t bytes = 0;
    size_t whole = memsrc_copy(r->src, r->spans, r->nspans, &bytes);
    memsrc_seal(r->src); /* the parse reads the copy, never the running process */
    r->copied = true;
    if (whole != r->nspans)
        return hs_err_set(err,
                          "cannot copy the hook's tables out of process %d (%zu of %zu parts "
                          "unreadable, or no memory for the copy); the process may have "
                          "exited or the hook's memory was unmapped, restart the program.",
                          (int)r->pid, r->nspans - whole, r->nspans);
    return 0;
}

/* Hands every entry of spans [from, to) of the copy to keep. */
typedef int (*registry_entry_fn)(registry *r, uint64_t index, const unsigned char *entry,
                                 hs_err *err);

static int registry_parse_spans(registry *r, size_t from, size_t to, uint64_t table, uint64_t esz,
                                registry_entry_fn keep, hs_err *err)
{
    for (size_t i = from; i < to; i++) {
        uint64_t len = r->spans[i].end - r->spans[i].start;
        size_t avail = 0;
        const uint8_t *p = memsrc_stream(r->src, r->spans[i].start, (size_t)len, &avail);
        if (p == NULL)
            return hs_err_set(err,
                              "the copy of the hook's tables of process %d is incomplete; take "
                              "the snapshot again.",
                              (int)r->pid);
        uint64_t first = (r->spans[i].start - table) / esz;
        for (uint64_t j = 0; j < len / esz; j++)
            if (keep(r, first + j, p + j * esz, err) != 0)
                return -1;
    }
    return 0;
}

/* Grows an array of elements of size esz to hold one more. */
static int registry_grow(void **v, size_t *cap, size_t n, size_t esz, hs_err *err)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 1024;
    void *nv = realloc(*v, ncap * esz);
    if (nv == NULL)
        return hs_err_set(err, "out of memory while copying the hook's tables.");
    *v = nv;
    *cap = ncap;
    return 0;
}

static int registry_keep_live(registry *r, uint64_t index, const unsigned char *entry, hs_err *err)
{
    (void)index;
    struct heapsnap_live e;
    memcpy(&e, entry, sizeof(e));
    if (e.state == HEAPSNAP_LIVE_BUSY) {
        r->torn_live++;
        return 0;
    }
    if (e.state == HEAPSNAP_LIVE_UNSEEN && r->hdr.version >= 5) {
        if (registry_grow((void **)&r->unseen, &r->unseen_cap, r->nunseen, sizeof(*r->unseen),
                          err) != 0)
            return -1;
        r->unseen[r->nunseen++] = e.addr;
        return 0;
    }
    if (e.state != HEAPSNAP_LIVE_USED)
        return 0;
    if (registry_grow((void **)&r->live, &r->live_cap, r->nlive, sizeof(*r->live), err) != 0)
        return -1;
    r->live[r->nlive++] = e;
    return 0;
}

/* Adds a version-4 entry's stripes to the counters of its stack s. */
static void registry_add_stripes(struct heapsnap_stack *s, const unsigned char *stripes)
{
    for (unsigned k = 0; k < HEAPSNAP_STACK_STRIPES; k++) {
        struct heapsnap_stack_stripe c;
        memcpy(&c, stripes + k * sizeof(c), sizeof(c));
        s->alloc_objects += c.alloc_objects;
        s->alloc_bytes += c.alloc_bytes;
        s->free_objects += c.free_objects;
        s->free_bytes += c.free_bytes;
    }
}

static int registry_keep_stack(registry *r, uint64_t index, const unsigned char *entry, hs_err *err)
{
    uint32_t state;
    memcpy(&state, entry, sizeof(state));
    if (state == HEAPSNAP_STACK_EMPTY)
        return 0;
    struct heapsnap_stack s;
    memcpy(&s, entry, sizeof(s));
    if (state != HEAPSNAP_STACK_READY || s.nframes == 0 || s.nframes > HEAPSNAP_MAX_FRAMES) {
        r->torn_stacks++;
        return 0;
    }
    if (r->hdr.version >= 4)
        registry_add_stripes(&s, entry + offsetof(struct heapsnap_stack_entry, stripes));
    if (registry_grow((void **)&r->stacks, &r->stacks_cap, r->nstacks, sizeof(*r->stacks), err) !=
        0)
        return -1;
    size_t idcap = r->stacks_cap;
    uint32_t *ids = realloc(r->stack_ids, idcap * sizeof(*ids));
    if (ids == NULL)
        return hs_err_set(err, "out of memory while copying the hook's tables.");
    r->stack_ids = ids;
    r->stacks[r->nstacks] = s;
    r->stack_ids[r->nstacks] = (uint32_t)index;
    r->nstacks++;
    return 0;
}

/* Adds one counter slot to the totals (wrapping, as the hook's words do). */
static int registry_keep_counts(registry *r, uint64_t index, const unsigned char *entry,
                                hs_err *err)
{
    (void)index;
    (void)err;
    const unsigned char *count = entry + offsetof(struct heapsnap_counts, count);
    const unsigned char *bytes = entry + offsetof(struct heapsnap_counts, bytes);
    for (unsigned i = 0; i < HEAPSNAP_NCLASSES; i++) {
        uint64_t c, b;
        memcpy(&c, count + 8 * i, 8);
        memcpy(&b, bytes + 8 * i, 8);
        r->class_count[i] += c;
        r->class_bytes[i] += b;
    }
    return 0;
}

int registry_parse(registry *r, hs_err *err)
{
    if (!r->copied)
        return hs_err_set(err, "the hook's tables were not copied; this is a heapsnap bug.");
    r->nlive = 0;
    r->nunseen = 0;
    r->torn_live = 0;
    r->nstacks = 0;
    r->torn_stacks = 0;
    if (registry_parse_spans(r, 0, r->nspans_live, r->hdr.live_addr, r->hdr.live_entry_size,
                             registry_keep_live, err) != 0)
        return -1;
    /* Spans are in address order, so stack_ids ends up sorted. */
    if (registry_parse_spans(r, r->nspans_live, r->nspans_stacks, r->hdr.stacks_addr,
                             r->hdr.stack_entry_size, registry_keep_stack, err) != 0)
        return -1;
    memset(r->class_count, 0, sizeof(r->class_count));
    memset(r->class_bytes, 0, sizeof(r->class_bytes));
    r->have_counts = registry_has_counts(&r->hdr);
    r->unseen_tracked = !r->have_counts && r->hdr.version >= 5 &&
                        (r->hdr.flags & HEAPSNAP_FLAG_UNSEEN) != 0 && r->hdr.rate != 0;
    if (!r->have_counts)
        return 0;
    if (registry_parse_spans(r, r->nspans_stacks, r->nspans, r->hdr.counts_addr,
                             r->hdr.counts_slot_size, registry_keep_counts, err) != 0)
        return -1;
    for (unsigned i = 0; i < HEAPSNAP_NEXACT; i++)
        r->class_bytes[i] = r->class_count[i] * 16 * i; /* not kept by the hook */
    return 0;
}

const struct heapsnap_stack *registry_stack(const registry *r, uint32_t id)
{
    size_t lo = 0, hi = r->nstacks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->stack_ids[mid] == id)
            return &r->stacks[mid];
        if (r->stack_ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void registry_free(registry *r)
{
    if (r == NULL)
        return;
    free(r->live);
    free(r->unseen);
    free(r->stacks);
    free(r->stack_ids);
    free(r->spans);
    if (r->own_src)
        memsrc_close(r->src);
    r->src = NULL;
    r->own_src = r->copied = false;
    r->spans = NULL;
    r->nspans = r->nspans_live = r->nspans_stacks = 0;
    r->have_counts = r->unseen_tracked = false;
    r->live = NULL;
    r->unseen = NULL;
    r->stacks = NULL;
    r->stack_ids = NULL;
    r->nlive = r->nstacks = r->live_cap = r->stacks_cap = 0;
    r->nunseen = r->unseen_cap = 0;
}
