/* lib/sym/symbolize.c: the symbolizer's front: a process's mappings (read once at
 * sym_open), one lazily opened file record per mapped file (ELF symbols via
 * sym_elf.c, DWARF via sym_dwarf.c, separate debug files via sym_debugfile.c),
 * per-address result caches, and the pprof mappings and locations built from
 * them. All state hangs off the sym_ctx; nothing is global. */
#include "symbolize.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buildid.h"
#include "hs_array.h"
#include "procmaps.h"
#include "sym_internal.h"
#include "symtypes.h"

#define SYM_MAX_FRAMES 64 /* inline frames per address, plus the function */

typedef struct sym_file {
    bool loaded;
    bool usable; /* its ELF was read: addresses can be translated */
    char build_id[2 * BUILDID_MAX + 1];
    sym_elf elf;
    sym_dwarf *dwarf;
    bool has_functions, has_lines, has_inlines;
} sym_file;

typedef struct cached {
    uint32_t first, n; /* in ctx->frames */
    int32_t entry;     /* maps entry index, -1 if none */
} cached;

struct sym_ctx {
    pid_t pid;
    procmaps *maps;
    sym_file **entry_file; /* per maps entry; entries of one file share it */
    sym_file **files;
    size_t nfiles;
    sym_pool *pool;
    char debug_dir[PATH_MAX];
    char root[64]; /* "/proc/PID/root" for another process, "" for ourselves */

    sym_u64map result_by_key; /* (pc, is_return) -> index into results */
    cached *results;
    size_t nresults, capresults;
    sym_frame *frames;
    size_t nframes, capframes;

    pprof_builder *b; /* the builder the ids below belong to */
    sym_u64map loc_by_pc;
    uint64_t *mapping_id; /* per maps entry, 0 = not added yet */
    bool main_added;      /* the executable's mapping went first */
};

sym_ctx *sym_open(pid_t pid, hs_err *err)
{
    sym_ctx *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        hs_err_set(err, "out of memory opening a symbolizer");
        return NULL;
    }
    s->pid = pid;
    s->maps = procmaps_read(pid, err);
    if (s->maps == NULL) {
        free(s);
        return NULL;
    }
    s->pool = sym_pool_new();
    size_t n = s->maps->n ? s->maps->n : 1;
    s->entry_file = calloc(n, sizeof(sym_file *));
    s->files = calloc(n, sizeof(sym_file *));
    s->mapping_id = calloc(n, sizeof(uint64_t));
    if (s->pool == NULL || s->entry_file == NULL || s->files == NULL || s->mapping_id == NULL) {
        sym_close(s);
        hs_err_set(err, "out of memory opening a symbolizer");
        return NULL;
    }
    const char *dd = getenv("HEAPSNAP_DEBUG_DIR");
    snprintf(s->debug_dir, sizeof(s->debug_dir), "%s", dd != NULL && dd[0] ? dd : "/usr/lib/debug");
    size_t l = strlen(s->debug_dir);
    while (l > 1 && s->debug_dir[l - 1] == '/')
        s->debug_dir[--l] = '\0';
    if (pid != 0)
        snprintf(s->root, sizeof(s->root), "/proc/%d/root", (int)pid);
    return s;
}

void sym_close(sym_ctx *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nfiles; i++) {
        sym_elf_free(&s->files[i]->elf);
        sym_dwarf_close(s->files[i]->dwarf);
        free(s->files[i]);
    }
    free(s->files);
    free(s->entry_file);
    free(s->mapping_id);
    free(s->results);
    free(s->frames);
    sym_u64map_free(&s->result_by_key);
    sym_u64map_free(&s->loc_by_pc);
    procmaps_free(s->maps);
    sym_pool_free(s->pool);
    free(s);
}

/* ---- files ---- */

static bool is_file_path(const char *p)
{
    return p != NULL && (p[0] == '/' || strcmp(p, "[vdso]") == 0);
}

static void load_file_at(sym_ctx *s, sym_file *f, const char *open_path)
{
    hs_err err;
    if (sym_elf_read(&f->elf, open_path, s->pool, true, &err) != 0)
        return;
    f->usable = f->elf.nloads > 0;
    uint8_t id[BUILDID_MAX];
    int idlen = buildid_read_file(open_path, id, sizeof(id), &err);
    if (idlen > 0)
        buildid_hex(id, (size_t)idlen, f->build_id, sizeof(f->build_id));
    char debug_path[PATH_MAX];
    if (sym_debugfile_find(open_path, s->root[0] ? s->root : NULL,
                           f->build_id[0] ? f->build_id : NULL, f->elf.debuglink,
                           f->elf.debuglink_crc, s->debug_dir, debug_path, sizeof(debug_path))) {
        /* The debug file's .symtab names what a stripped binary's .dynsym
         * cannot (static functions); its DWARF has the lines. */
        bool had_debug_info = f->elf.has_debug_info;
        sym_elf_read(&f->elf, debug_path, s->pool, false, &err);
        f->elf.has_debug_info = had_debug_info;
        f->dwarf = sym_dwarf_open(debug_path, s->pool, &err);
    }
    if (f->dwarf == NULL && f->elf.has_debug_info)
        f->dwarf = sym_dwarf_open(open_path, s->pool, &err);
    bool dwarf_funcs = sym_dwarf_has_functions(f->dwarf);
    f->has_functions = f->elf.nsyms > 0 || dwarf_funcs;
    f->has_lines = sym_dwarf_has_lines(f->dwarf);
    f->has_inlines = dwarf_funcs;
}

/* The vDSO exists only in memory: copy the process's image into a memfd so
 * the file readers can open it by path. Returns the fd, or -1. */
static int vdso_memfd(sym_ctx *s, const procmaps_entry *e, char *path, size_t pathlen)
{
    size_t len = (size_t)(e->end - e->start);
    if (len == 0 || len > (1u << 20))
        return -1;
    char *buf = malloc(len);
    if (buf == NULL)
        return -1;
    bool ok;
    if (s->pid == 0) {
        memcpy(buf, (const void *)(uintptr_t)e->start, len);
        ok = true;
    } else {
        struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)e->start, len};
        ok = process_vm_readv(s->pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
    }
    int fd = ok ? memfd_create("heapsnap-vdso", MFD_CLOEXEC) : -1;
    if (fd >= 0 && write(fd, buf, len) != (ssize_t)len) {
        close(fd);
        fd = -1;
    }
    free(buf);
    if (fd >= 0)
        snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

static void load_file(sym_ctx *s, sym_file *f, const procmaps_entry *e)
{
    f->loaded = true;
    char open_path[PATH_MAX];
    int vdso_fd = -1;
    if (strcmp(e->path, "[vdso]") == 0) {
        vdso_fd = vdso_memfd(s, e, open_path, sizeof(open_path));
        if (vdso_fd < 0)
            return;
    } else {
        procmaps_open_path(s->maps, e, open_path, sizeof(open_path));
    }
    load_file_at(s, f, open_path);
    if (vdso_fd >= 0)
        close(vdso_fd); /* the readers hold their own descriptors */
}

/* The file record of maps entry i (shared by every entry of the same file),
 * opened on first use; NULL for anonymous and special mappings. */
static sym_file *file_of(sym_ctx *s, size_t i)
{
    if (s->entry_file[i] != NULL)
        return s->entry_file[i];
    const procmaps_entry *e = &s->maps->v[i];
    if (!is_file_path(e->path))
        return NULL;
    for (size_t j = 0; j < s->maps->n; j++) {
        const procmaps_entry *o = &s->maps->v[j];
        if (j != i && s->entry_file[j] != NULL && o->inode == e->inode &&
            strcmp(o->path, e->path) == 0) {
            s->entry_file[i] = s->entry_file[j];
            return s->entry_file[i];
        }
    }
    sym_file *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    s->files[s->nfiles++] = f;
    s->entry_file[i] = f;
    load_file(s, f, e);
    return f;
}

/* ---- lookup ---- */

static int push_frame(sym_ctx *s, const sym_frame *f)
{
    if (hs_array_grow((void **)&s->frames, &s->capframes, s->nframes + 1, sizeof(sym_frame),
                      1024) != 0)
        return -1;
    s->frames[s->nframes++] = *f;
    return 0;
}

/* The name of code without a symbol: "file+0xOFFSET" inside a mapped file
 * (the ELF address when the file could be read, else the file offset) --
 * the same in every run, where the raw address moves with ASLR, and it says
 * which library to look at -- else the raw address. */
static const char *unknown_name(sym_ctx *s, const procmaps_entry *e, const sym_file *f,
                                uint64_t addr)
{
    char buf[300];
    if (e != NULL && (e->path[0] == '/' || e->path[0] == '[')) {
        const char *base = strrchr(e->path, '/');
        base = base != NULL ? base + 1 : e->path;
        uint64_t off = addr - e->start + e->offset, vaddr;
        if (f != NULL && f->usable && sym_elf_offset_to_vaddr(&f->elf, off, &vaddr))
            off = vaddr;
        snprintf(buf, sizeof(buf), "%.255s+0x%" PRIx64, base, off);
    } else {
        snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
    }
    const char *r = sym_pool_str(s->pool, buf);
    return r != NULL ? r : "??";
}

/* Symbolizes pc (already adjusted into the call instruction for return
 * addresses) into s->frames; returns the number appended. */
static size_t resolve(sym_ctx *s, uint64_t addr, uint64_t pc, int32_t *entry_out)
{
    const procmaps_entry *e = procmaps_find(s->maps, pc);
    *entry_out = e != NULL ? (int32_t)(e - s->maps->v) : -1;
    sym_file *f = e != NULL ? file_of(s, (size_t)(e - s->maps->v)) : NULL;
    uint64_t vaddr = 0;
    if (f == NULL || !f->usable ||
        !sym_elf_offset_to_vaddr(&f->elf, pc - e->start + e->offset, &vaddr)) {
        sym_frame u = {unknown_name(s, e, f, addr), NULL, "", 0, 0};
        u.system_name = u.function;
        return push_frame(s, &u) == 0 ? 1 : 0;
    }
    sym_dwarf_frame df[SYM_MAX_FRAMES];
    size_t nd = sym_dwarf_lookup(f->dwarf, vaddr, df, SYM_MAX_FRAMES);
    const sym_elf_symbol *es = sym_elf_lookup(&f->elf, vaddr);
    size_t n = 0;
    for (size_t i = 0; i < nd; i++) {
        sym_frame fr = {df[i].name, df[i].system_name, df[i].file, df[i].line, df[i].start_line};
        /* The outer frame is named by the symbol table, the linker's name for
         * the code (malloc rather than its source name __libc_malloc; a
         * compiler clone keeps its .constprop/.cold suffix); inlined frames
         * only exist in DWARF. */
        if (i + 1 == nd && es != NULL) {
            fr.function = es->name;
            fr.system_name = es->system_name;
        }
        if (fr.function == NULL || fr.function[0] == '\0') {
            fr.function = unknown_name(s, e, f, addr);
            fr.system_name = fr.function;
        }
        if (fr.system_name == NULL || fr.system_name[0] == '\0')
            fr.system_name = fr.function;
        if (push_frame(s, &fr) != 0)
            return n;
        n++;
    }
    if (nd == 0) {
        sym_frame fr = {es != NULL ? es->name : unknown_name(s, e, f, addr), NULL, "", 0, 0};
        fr.system_name = es != NULL ? es->system_name : fr.function;
        if (push_frame(s, &fr) != 0)
            return 0;
        n = 1;
    }
    return n;
}

/* The cached result for addr, computing it on first use; NULL on OOM. */
static const cached *lookup_cached(sym_ctx *s, uint64_t addr, bool is_return_address)
{
    uint64_t pc = is_return_address && addr > 0 ? addr - 1 : addr;
    uint64_t key = pc ^ (is_return_address ? (1ULL << 63) : 0);
    uint64_t idx;
    if (sym_u64map_get(&s->result_by_key, key, &idx))
        return &s->results[idx];
    if (hs_array_grow((void **)&s->results, &s->capresults, s->nresults + 1, sizeof(cached),
                      1024) != 0)
        return NULL;
    size_t first = s->nframes;
    int32_t entry = -1;
    size_t n = resolve(s, addr, pc, &entry);
    if (n == 0)
        return NULL;
    s->results[s->nresults] = (cached){(uint32_t)first, (uint32_t)n, entry};
    if (sym_u64map_put(&s->result_by_key, key, s->nresults) != 0)
        return NULL;
    return &s->results[s->nresults++];
}

size_t sym_lookup(sym_ctx *s, uint64_t addr, bool is_return_address, sym_frame *frames, size_t max)
{
    if (max == 0)
        return 0;
    const cached *c = lookup_cached(s, addr, is_return_address);
    if (c == NULL) {
        frames[0] = (sym_frame){"??", "??", "", 0, 0};
        return 1;
    }
    size_t n = c->n < max ? c->n : max;
    if (n < c->n) {
        /* Keep the outer (real) function when the caller's room is short. */
        memcpy(frames, &s->frames[c->first], (n - 1) * sizeof(sym_frame));
        frames[n - 1] = s->frames[c->first + c->n - 1];
    } else {
        memcpy(frames, &s->frames[c->first], n * sizeof(sym_frame));
    }
    return n;
}

bool sym_var_decl(sym_ctx *s, const char *path, uint64_t vaddr, const char **file, int64_t *line)
{
    for (size_t i = 0; i < s->maps->n; i++) {
        if (strcmp(s->maps->v[i].path, path) != 0)
            continue;
        sym_file *f = file_of(s, i);
        return f != NULL && sym_dwarf_var_decl(f->dwarf, vaddr, file, line);
    }
    return false;
}

sym_dwarf *sym_dwarf_of(sym_ctx *s, const char *path)
{
    for (size_t i = 0; i < s->maps->n; i++) {
        if (strcmp(s->maps->v[i].path, path) != 0)
            continue;
        sym_file *f = file_of(s, i);
        return f != NULL ? f->dwarf : NULL;
    }
    return NULL;
}

sym_dwarf *sym_dwarf_at(sym_ctx *s, uint64_t addr, uint64_t *vaddr)
{
    const procmaps_entry *e = procmaps_find(s->maps, addr);
    sym_file *f = e != NULL ? file_of(s, (size_t)(e - s->maps->v)) : NULL;
    if (f == NULL || !f->usable || f->dwarf == NULL ||
        !sym_elf_offset_to_vaddr(&f->elf, addr - e->start + e->offset, vaddr))
        return NULL;
    return f->dwarf;
}

/* ---- pprof ---- */

void sym_forget_builder(sym_ctx *s)
{
    s->b = NULL;
    s->main_added = false;
    sym_u64map_clear(&s->loc_by_pc);
    memset(s->mapping_id, 0, (s->maps->n ? s->maps->n : 1) * sizeof(uint64_t));
}

static uint64_t mapping_for(sym_ctx *s, pprof_builder *b, int32_t entry);

/* pprof tools take a profile's first mapping for the main binary (the "File:"
 * of a report): add the executable's text mapping before any other. */
static void add_main_mapping(sym_ctx *s, pprof_builder *b)
{
    s->main_added = true;
    char link[64], exe[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/%d/exe", s->pid != 0 ? (int)s->pid : (int)getpid());
    ssize_t n = readlink(link, exe, sizeof(exe) - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    for (size_t i = 0; i < s->maps->n; i++) {
        const procmaps_entry *e = &s->maps->v[i];
        if (e->x && strcmp(e->path, exe) == 0) {
            mapping_for(s, b, (int32_t)i);
            return;
        }
    }
}

static uint64_t mapping_for(sym_ctx *s, pprof_builder *b, int32_t entry)
{
    if (entry < 0)
        return 0;
    if (s->mapping_id[entry] != 0)
        return s->mapping_id[entry];
    if (!s->main_added)
        add_main_mapping(s, b);
    if (s->mapping_id[entry] != 0)
        return s->mapping_id[entry];
    const procmaps_entry *e = &s->maps->v[entry];
    sym_file *f = file_of(s, (size_t)entry);
    pprof_mapping_desc m = {
        .start = e->start,
        .limit = e->end,
        .file_offset = e->offset,
        .filename = e->path,
        .build_id = f != NULL && f->build_id[0] ? f->build_id : NULL,
        .has_functions = f != NULL && f->has_functions,
        .has_filenames = f != NULL && f->has_lines,
        .has_line_numbers = f != NULL && f->has_lines,
        .has_inline_frames = f != NULL && f->has_inlines,
    };
    s->mapping_id[entry] = pprof_add_mapping(b, &m);
    return s->mapping_id[entry];
}

uint64_t sym_location(sym_ctx *s, pprof_builder *b, uint64_t addr, bool is_return_address)
{
    if (b != s->b) {
        sym_forget_builder(s);
        s->b = b;
    }
    uint64_t pc = is_return_address && addr > 0 ? addr - 1 : addr;
    uint64_t id;
    if (sym_u64map_get(&s->loc_by_pc, pc, &id))
        return id;
    const cached *c = lookup_cached(s, addr, is_return_address);
    if (c == NULL)
        return 0;
    pprof_line_desc lines[SYM_MAX_FRAMES];
    size_t n = c->n < SYM_MAX_FRAMES ? c->n : SYM_MAX_FRAMES;
    for (size_t i = 0; i < n; i++) {
        const sym_frame *f = &s->frames[c->first + i];
        /* Function.name is what pprof would show by default (it leaves a
         * name alone when it differs from system_name), the mangled
         * system_name keeps the full signature for -symbolize=demangle=full. */
        lines[i] = (pprof_line_desc){sym_short(s->pool, f->function), f->system_name, f->file,
                                     f->start_line, f->line};
    }
    uint64_t mid = mapping_for(s, b, c->entry);
    /* A return address is recorded as pc (inside the call instruction): it
     * is what was symbolized, and it can never equal a leaf PC, which always
     * starts an instruction, so the builder's (mapping, address) key stays
     * unambiguous. */
    id = pprof_add_location(b, mid, pc, lines, n);
    if (id != 0 && sym_u64map_put(&s->loc_by_pc, pc, id) != 0)
        return id;
    return id;
}
