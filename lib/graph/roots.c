/* lib/graph/roots.c: the heap graph's roots (see roots.h): which ranges to
 * copy while the process is stopped -- every private writable mapping of a
 * file plus the anonymous one right after it (its .bss), the other anonymous
 * rw mappings, each thread's stack from its stack pointer
 * to the end of its stack block -- minus what malloc owns, and the names of
 * the groups afterwards from the files' symbols and the unwound frames. */
#include "roots.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hs_array.h"
#include "pagemap.h"
#include "symtypes.h"
#include "symvars.h"
#include "uwr.h"

#define ROOTS_PAGE 4096ull
#define ROOTS_READ (4ull << 20)
/* At most this much is copied (touched pages only): the rest of a process
 * this big is left unlabelled rather than heapsnap running out of memory. */
#define ROOTS_MAX_COPY (4ull << 30)

struct roots_vars {
    symvars **v; /* per object; NULL until read */
    bool *tried;
    /* per object: its static TLS block, tls_off below fs_base, tls_memsz
     * bytes (0: none known) */
    uint64_t *tls_off, *tls_memsz;
};

static int roots_cmp_range(const void *a, const void *b)
{
    const gheap_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int roots_cmp_block(const void *a, const void *b)
{
    const roots_block *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* One read of len bytes at a: through /proc/PID/mem when memfd is open
 * (a frozen copy-on-write child: process_vm_readv pins what it reads, and
 * the kernel copies a pinned shared page, which would make every page read
 * look written by the process), else process_vm_readv. */
static bool roots_read_one(pid_t pid, int memfd, uint8_t *out, uint64_t a, uint64_t len)
{
    if (memfd >= 0)
        return pread(memfd, out, len, (off_t)a) == (ssize_t)len;
    struct iovec l = {out, len}, r = {(void *)(uintptr_t)a, len};
    return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)len;
}

/* Copies [lo, hi) of pid into buf, large reads first, page by page where
 * they fail; unreadable pages stay 0. */
static void roots_read(pid_t pid, int memfd, uint64_t lo, uint64_t hi, uint64_t *buf)
{
    uint8_t *out = (uint8_t *)buf;
    for (uint64_t a = lo; a < hi;) {
        uint64_t len = hi - a < ROOTS_READ ? hi - a : ROOTS_READ;
        if (roots_read_one(pid, memfd, out + (a - lo), a, len)) {
            a += len;
            continue;
        }
        /* one page (or what is left of it) at a time until the next good read */
        uint64_t step = ROOTS_PAGE - (a % ROOTS_PAGE);
        if (step > hi - a)
            step = hi - a;
        if (!roots_read_one(pid, memfd, out + (a - lo), a, step))
            memset(out + (a - lo), 0, step);
        a += step;
    }
}

typedef struct roots_list {
    roots_block *v;
    size_t n, cap;
} roots_list;

/* Where copies come from and how much they took; over: ROOTS_MAX_COPY was
 * reached. */
typedef struct roots_src {
    pid_t pid;
    int memfd;        /* /proc/PID/mem, or -1 */
    pagemap *touched; /* NULL: every page is copied */
    uint64_t *bytes;
    bool over;
} roots_src;

static int roots_add(roots_list *l, roots_src *src, roots_block b)
{
    b.lo = (b.lo + 7) & ~7ull;
    b.hi &= ~7ull;
    if (b.hi <= b.lo)
        return 0;
    if (*src->bytes + (b.hi - b.lo) > ROOTS_MAX_COPY) {
        src->over = true;
        return -1;
    }
    if (hs_array_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v), 64) != 0)
        return -1;
    b.words = malloc(b.hi - b.lo);
    if (b.words == NULL)
        return -1;
    roots_read(src->pid, src->memfd, b.lo, b.hi, b.words);
    *src->bytes += b.hi - b.lo;
    l->v[l->n++] = b;
    return 0;
}

/* Adds the runs of b's pages that were ever touched (the others read as
 * zeros: no pointer there), so that a large mapping reserved and barely
 * used costs what it uses. */
static int roots_add_touched(roots_list *l, roots_src *src, roots_block b)
{
    uint64_t plo = b.lo & ~(ROOTS_PAGE - 1), phi = (b.hi + ROOTS_PAGE - 1) & ~(ROOTS_PAGE - 1);
    size_t npages = (size_t)((phi - plo) / ROOTS_PAGE);
    unsigned char *t = src->touched != NULL && npages > 0 ? malloc(npages) : NULL;
    hs_err ignored;
    if (t == NULL || pagemap_touched(src->touched, plo, phi, t, &ignored) != 0) {
        free(t);
        return roots_add(l, src, b);
    }
    int rc = 0;
    for (size_t i = 0; i < npages && rc == 0;) {
        if (!t[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < npages && t[j])
            j++;
        roots_block run = b;
        run.lo = plo + i * ROOTS_PAGE > b.lo ? plo + i * ROOTS_PAGE : b.lo;
        run.hi = plo + j * ROOTS_PAGE < b.hi ? plo + j * ROOTS_PAGE : b.hi;
        rc = roots_add(l, src, run);
        i = j;
    }
    free(t);
    return rc;
}

/* Adds b less the sorted holes (which may overlap). */
static int roots_add_outside(roots_list *l, roots_src *src, roots_block b, const gheap_range *holes,
                             size_t nholes)
{
    uint64_t s = b.lo, end = b.hi;
    for (size_t k = 0; k < nholes && s < end; k++) {
        if (holes[k].end <= s || holes[k].start >= end)
            continue;
        if (holes[k].start > s) {
            roots_block piece = b;
            piece.lo = s;
            piece.hi = holes[k].start;
            if (roots_add_touched(l, src, piece) != 0)
                return -1;
        }
        if (holes[k].end > s)
            s = holes[k].end;
    }
    b.lo = s;
    b.hi = end;
    return s < end ? roots_add_touched(l, src, b) : 0;
}

/* The object that maps path, added when new: its index, or nobjs on OOM. */
static size_t roots_object_of(roots *r, const procmaps *pm, const procmaps_entry *e,
                              const char *exe)
{
    for (size_t i = 0; i < r->nobjs; i++)
        if (strcmp(r->objs[i].path, e->path) == 0)
            return i;
    roots_object *nv = realloc(r->objs, (r->nobjs + 1) * sizeof(*nv));
    if (nv == NULL)
        return r->nobjs;
    r->objs = nv;
    char buf[4096];
    roots_object *o = &r->objs[r->nobjs];
    o->path = strdup(e->path);
    o->open_path = strdup(procmaps_open_path(pm, e, buf, sizeof(buf)));
    o->base = procmaps_file_base(pm, e);
    o->is_exe = strcmp(e->path, exe) == 0;
    if (o->path == NULL || o->open_path == NULL) {
        free(o->path);
        free(o->open_path);
        return r->nobjs;
    }
    return r->nobjs++;
}

static bool roots_anon(const procmaps_entry *e)
{
    return e->inode == 0 && (e->path[0] == '\0' || strncmp(e->path, "[anon:", 6) == 0);
}

/* The objects' writable segments and the other anonymous mappings. */
static int roots_mappings(roots *r, roots_list *l, roots_src *src, const procmaps *pm,
                          const gheap_range *holes, size_t nholes, const char *exe)
{
    for (size_t i = 0; i < pm->n; i++) {
        const procmaps_entry *e = &pm->v[i];
        if (!e->r || !e->w || !e->p)
            continue;
        roots_block b = {.lo = e->start, .hi = e->end};
        const procmaps_entry *prev = i > 0 ? &pm->v[i - 1] : NULL;
        if (e->path[0] == '/') {
            b.kind = ROOTS_GLOBAL;
            b.owner = roots_object_of(r, pm, e, exe);
        } else if (roots_anon(e) && prev != NULL && prev->end == e->start && prev->path[0] == '/' &&
                   prev->w) {
            b.kind = ROOTS_GLOBAL; /* the .bss beyond the file's last page */
            b.owner = roots_object_of(r, pm, prev, exe);
        } else if (roots_anon(e)) {
            b.kind = ROOTS_MAPPING;
            if (e->path[0] != '\0')
                snprintf(b.name, sizeof(b.name), "%s", e->path);
            else
                snprintf(b.name, sizeof(b.name), "[anon 0x%llx]", (unsigned long long)e->start);
        } else {
            continue; /* [heap] is malloc's, [stack] a thread's, [vvar] and the like hold none */
        }
        if (b.kind == ROOTS_GLOBAL && b.owner == r->nobjs)
            return -1;
        if (roots_add_outside(l, src, b, holes, nholes) != 0)
            return -1;
    }
    return 0;
}

/* Each thread's registers, frames and stack from its stack pointer. */
static int roots_threads(roots *r, roots_list *l, roots_src *src, hproc *h, const procmaps *pm,
                         const gheap_thread *threads, size_t n)
{
    r->threads = calloc(n ? n : 1, sizeof(*r->threads));
    if (r->threads == NULL)
        return -1;
    r->nthreads = n;
    for (size_t i = 0; i < n; i++) {
        roots_thread *t = &r->threads[i];
        t->tid = threads[i].tid;
        t->fs_base = threads[i].fs_base;
        if (threads[i].regs == NULL)
            continue;
        const uint64_t *regs = (const uint64_t *)threads[i].regs;
        uint64_t rip = threads[i].regs->rip;
        for (size_t k = 0; k < ROOTS_NREGS; k++)
            if (regs[k] != rip)
                t->regs[t->nregs++] = regs[k];
        t->all_regs = *threads[i].regs;
        uint64_t lo, hi, sp = threads[i].regs->rsp;
        if (hproc_thread_stack(h, &threads[i], pm, &lo, &hi) != 0 || sp < lo || sp >= hi)
            continue;
        /* From the stack pointer up: below it (the ABI's red zone included)
         * lie the dead frames of earlier calls, whose stale pointers would
         * keep lost chunks alive; a thread stopped in a leaf function that
         * keeps a pointer only in its red zone is a blind spot. */
        roots_block b = {.kind = ROOTS_THREAD, .lo = sp, .hi = hi, .owner = i};
        if (roots_add(l, src, b) != 0)
            return -1;
    }
    return 0;
}

/* The mmapped chunks' user bytes: the graph reads them after the resume. */
static int roots_chunks(roots *r, roots_src *src, const gheap_capture *cap)
{
    size_t n = gheap_capture_mmapped(cap, NULL, 0);
    gheap_range *mm = calloc(n ? n : 1, sizeof(*mm));
    if (mm == NULL)
        return -1;
    gheap_capture_mmapped(cap, mm, n);
    roots_list l = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = roots_add(&l, src, (roots_block){.lo = mm[i].start + 16, .hi = mm[i].end});
    free(mm);
    if (l.n > 0)
        qsort(l.v, l.n, sizeof(*l.v), roots_cmp_block);
    r->chunks = l.v;
    r->nchunks = l.n;
    return rc;
}

/* What no root may cover: malloc's ranges, skip's, every thread's stack
 * block (scanned from its stack pointer only). Sorted; *n gets the count. */
static gheap_range *roots_holes(hproc *h, const procmaps *pm, const gheap_thread *threads,
                                size_t nt, const gheap_capture *cap, const gheap_range *skip,
                                size_t nskip, size_t *n)
{
    size_t nown = gheap_capture_owned(cap, NULL, 0);
    gheap_range *v = calloc(nown + nskip + nt + 1, sizeof(*v));
    if (v == NULL)
        return NULL;
    size_t k = gheap_capture_owned(cap, v, nown);
    for (size_t i = 0; i < nskip; i++)
        v[k++] = skip[i];
    for (size_t i = 0; i < nt; i++)
        if (hproc_thread_stack(h, &threads[i], pm, &v[k].start, &v[k].end) == 0)
            k++;
    qsort(v, k, sizeof(*v), roots_cmp_range);
    *n = k;
    return v;
}

int roots_capture(pid_t pid, hproc *h, const gheap_thread *threads, size_t n,
                  const gheap_capture *cap, const gheap_range *skip, size_t nskip, roots **out,
                  hs_err *err)
{
    *out = NULL;
    procmaps *pm = procmaps_read(pid, err);
    if (pm == NULL)
        return -1;
    char exe[4096] = "", link[64];
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
    ssize_t len = readlink(link, exe, sizeof(exe) - 1);
    exe[len > 0 ? len : 0] = '\0';
    roots *r = calloc(1, sizeof(*r));
    roots_list l = {0};
    size_t nholes = 0;
    gheap_range *holes = NULL;
    int rc = -1;
    bool too_big = false;
    if (r == NULL)
        goto out;
    hs_err ignored;
    pagemap *touched = pagemap_open(pid, &ignored); /* without it, every page is copied */
    /* Reads through /proc/PID/mem copy no page of a frozen child (see
     * roots_read_one); process_vm_readv when it cannot be opened. */
    char mempath[64];
    snprintf(mempath, sizeof(mempath), "/proc/%d/mem", (int)pid);
    int memfd = open(mempath, O_RDONLY | O_CLOEXEC);
    roots_src src = {pid, memfd, touched, &r->root_bytes, false};
    roots_src chunk_src = {pid, memfd, NULL, &r->chunk_bytes, false};
    holes = roots_holes(h, pm, threads, n, cap, skip, nskip, &nholes);
    r->ntls = hproc_static_tls(h, r->tls, ROOTS_MAX_TLS);
    int got = holes != NULL && roots_mappings(r, &l, &src, pm, holes, nholes, exe) == 0 &&
              roots_threads(r, &l, &src, h, pm, threads, n) == 0 &&
              roots_chunks(r, &chunk_src, cap) == 0;
    pagemap_close(touched);
    if (memfd >= 0)
        close(memfd);
    too_big = src.over || chunk_src.over;
    if (!got)
        goto out;
    if (l.n > 0)
        qsort(l.v, l.n, sizeof(*l.v), roots_cmp_block);
    rc = 0;
out:
    if (r != NULL) {
        r->blocks = l.v;
        r->nblocks = l.n;
    } else {
        free(l.v);
    }
    free(holes);
    procmaps_free(pm);
    if (rc != 0) {
        roots_free(r);
        if (too_big)
            return hs_err_set(err,
                              "the globals, stacks and other mappings of process %d hold more "
                              "than %llu GiB, too much to copy; use --no-holders.",
                              (int)pid, ROOTS_MAX_COPY >> 30);
        return hs_err_set(err, "out of memory while copying the roots of process %d.", (int)pid);
    }
    *out = r;
    return 0;
}

/* The copied words of [lo, hi) inside one of blocks[0..n) (sorted by lo). */
static int roots_words_in(const roots_block *blocks, size_t n, uint64_t lo, uint64_t hi,
                          const uint64_t **words)
{
    size_t a = 0, b = n; /* the last copy with lo <= lo */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (blocks[m].lo <= lo)
            a = m + 1;
        else
            b = m;
    }
    if (a == 0)
        return -1;
    const roots_block *c = &blocks[a - 1];
    if (hi > c->hi)
        return -1;
    *words = c->words + (lo - c->lo) / 8;
    return 0;
}

int roots_chunk_words(const roots *r, uint64_t lo, uint64_t hi, const uint64_t **words)
{
    return roots_words_in(r->chunks, r->nchunks, lo, hi, words);
}

int roots_block_words(const roots *r, uint64_t lo, uint64_t hi, const uint64_t **words)
{
    return roots_words_in(r->blocks, r->nblocks, lo, hi, words);
}

static symvars *roots_obj_vars(roots *r, size_t obj);

/* objs[i]'s static TLS block, from ld.so's table (r->tls, by load bias);
 * for the executable without it, the first block below the thread pointer
 * (TLS variant II), at its size rounded up to its alignment. */
static void roots_obj_tls(roots *r, size_t i)
{
    roots_vars *v = r->vars;
    symvars *sv = roots_obj_vars(r, i);
    uint64_t memsz = 0, align = 0;
    if (sv != NULL)
        symvars_tls(sv, &memsz, &align);
    if (memsz == 0)
        return;
    uint64_t bias = r->objs[i].base - symvars_load_vaddr(sv);
    for (size_t k = 0; k < r->ntls; k++)
        if (r->tls[k].l_addr == bias) {
            v->tls_off[i] = r->tls[k].offset;
            v->tls_memsz[i] = memsz;
            return;
        }
    if (r->objs[i].is_exe) {
        if (align == 0)
            align = 1;
        v->tls_off[i] = (memsz + align - 1) / align * align;
        v->tls_memsz[i] = memsz;
    }
}

/* The objects' symbols, read on first use; their static TLS blocks (the
 * symbols of those that have one). */
static roots_vars *roots_vars_get(roots *r)
{
    if (r->vars != NULL)
        return r->vars;
    roots_vars *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return NULL;
    size_t n = r->nobjs ? r->nobjs : 1;
    v->v = calloc(n, sizeof(*v->v));
    v->tried = calloc(n, sizeof(*v->tried));
    v->tls_off = calloc(n, sizeof(*v->tls_off));
    v->tls_memsz = calloc(n, sizeof(*v->tls_memsz));
    if (v->v == NULL || v->tried == NULL || v->tls_off == NULL || v->tls_memsz == NULL) {
        free(v->v);
        free(v->tried);
        free(v->tls_off);
        free(v->tls_memsz);
        free(v);
        return NULL;
    }
    r->vars = v;
    for (size_t i = 0; i < r->nobjs; i++) {
        /* a library's file is read only when ld.so gave a static block to
         * an object loaded there (a library's first segment is at 0: its
         * bias is its base) */
        bool has_block = r->objs[i].is_exe;
        for (size_t k = 0; k < r->ntls && !has_block; k++)
            has_block = r->tls[k].l_addr == r->objs[i].base;
        if (has_block)
            roots_obj_tls(r, i);
    }
    return v;
}

static symvars *roots_obj_vars(roots *r, size_t obj)
{
    roots_vars *v = roots_vars_get(r);
    if (v == NULL || obj >= r->nobjs)
        return NULL;
    if (!v->tried[obj]) {
        hs_err ignored;
        v->v[obj] = symvars_open(r->objs[obj].open_path, &ignored);
        v->tried[obj] = true;
    }
    return v->v[obj];
}

bool roots_obj_bias(roots *r, size_t obj, uint64_t *bias)
{
    symvars *v = roots_obj_vars(r, obj);
    if (v == NULL)
        return false;
    *bias = r->objs[obj].base - symvars_load_vaddr(v);
    return true;
}

static const char *roots_base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The name of the thread-local variable at offset off of objs[o]'s block
 * from its DWARF (a library's symbol table seldom keeps its TLS symbols:
 * libc's tcache is only in libc6-dbg's debug file): the last one starting
 * at or below off, and how far into it off is. NULL when none. */
static const char *roots_tls_dwarf(roots *r, size_t o, uint64_t off, sym_ctx *sym, uint64_t *into)
{
    const sym_tvar *tv = NULL;
    size_t nt = sym != NULL ? sym_dwarf_tls_globals(sym_dwarf_of(sym, r->objs[o].path), &tv) : 0;
    const sym_tvar *best = NULL;
    for (size_t k = 0; k < nt; k++)
        if (tv[k].vaddr <= off && tv[k].name[0] != '\0' &&
            (best == NULL || tv[k].vaddr > best->vaddr))
            best = &tv[k];
    if (best != NULL)
        *into = off - best->vaddr;
    return best != NULL ? best->name : NULL;
}

/* "tls NAME" when addr lies in some thread's static TLS block of some
 * object, named by its symbol table or else its DWARF. */
static bool roots_tls(roots *r, uint64_t addr, sym_ctx *sym, char *out, size_t len)
{
    roots_vars *v = roots_vars_get(r);
    for (size_t o = 0; v != NULL && o < r->nobjs; o++) {
        for (size_t i = 0; v->tls_memsz[o] > 0 && i < r->nthreads; i++) {
            uint64_t lo = r->threads[i].fs_base - v->tls_off[o];
            if (addr < lo || addr >= lo + v->tls_memsz[o])
                continue;
            const char *name = symvars_lookup(v->v[o], addr - lo, 1);
            uint64_t into = 0;
            const char *dw = name == NULL ? roots_tls_dwarf(r, o, addr - lo, sym, &into) : NULL;
            if (name != NULL)
                snprintf(out, len, "tls %s", name);
            else if (dw != NULL && into == 0)
                snprintf(out, len, "tls %s", dw);
            else if (dw != NULL)
                snprintf(out, len, "tls %s+0x%llx", dw, (unsigned long long)into);
            else
                snprintf(out, len, "tls %s+0x%llx", roots_base_name(r->objs[o].path),
                         (unsigned long long)(addr - lo));
            return true;
        }
    }
    return false;
}

bool roots_tls_block(roots *r, size_t thread, size_t obj, uint64_t *lo, uint64_t *len)
{
    roots_vars *v = roots_vars_get(r);
    if (v == NULL || obj >= r->nobjs || v->tls_memsz[obj] == 0 || thread >= r->nthreads)
        return false;
    *lo = r->threads[thread].fs_base - v->tls_off[obj];
    *len = v->tls_memsz[obj];
    return true;
}

/* Thread t's frames, from its registers and its stack's copy (blk). */
static void roots_unwind(roots_thread *t, const roots_block *blk)
{
    if (t->unwound)
        return;
    t->unwound = true;
    tstacks_copy c = {t->tid, t->all_regs, blk->lo, blk->words, (size_t)((blk->hi - blk->lo) / 8)};
    hs_err ignored;
    int nf =
        tstacks_unwind_copy(&c, t->pcs, t->sps, t->saved, TSTACKS_MAX_FRAMES, &t->exact, &ignored);
    t->nframes = nf > 0 ? (size_t)nf : 0;
}

/* The copy of threads[thread]'s stack, or NULL when none was taken. */
static const roots_block *roots_stack_of(const roots *r, size_t thread)
{
    for (size_t b = 0; b < r->nblocks; b++)
        if (r->blocks[b].kind == ROOTS_THREAD && r->blocks[b].owner == thread)
            return &r->blocks[b];
    return NULL;
}

size_t roots_thread_frames(roots *r, size_t thread, roots_tframe *out, size_t max)
{
    const roots_block *blk = thread < r->nthreads ? roots_stack_of(r, thread) : NULL;
    if (blk == NULL)
        return 0;
    roots_thread *t = &r->threads[thread];
    roots_unwind(t, blk);
    size_t n = 0;
    for (size_t f = 0; f < t->nframes && n < max; f++) {
        uint64_t cfa = f + 1 < t->nframes ? t->sps[f + 1] : 0;
        out[n++] = (roots_tframe){t->pcs[f], cfa, t->sps[f], (t->exact & (1ull << f)) != 0};
    }
    return n;
}

bool roots_frame_reg(const roots *r, size_t thread, size_t frame, unsigned reg, uint64_t *val)
{
    if (thread >= r->nthreads || reg >= 16)
        return false;
    const roots_thread *t = &r->threads[thread];
    /* DWARF's x86-64 register numbers are libunwind's */
    if (frame == 0)
        return t->nregs != 0 && uwr_reg(&t->all_regs, (int)reg, val) == 0;
    if (frame >= t->nframes)
        return false;
    if (reg == 7) {
        *val = t->sps[frame];
        return true;
    }
    for (int k = 0; k < TSTACKS_NSAVED; k++)
        if (tstacks_saved_regs[k] == (int)reg && (t->saved[frame].known & (1u << k)) != 0) {
            *val = t->saved[frame].v[k];
            return true;
        }
    return false;
}

static void roots_frame(roots *r, const roots_thread *t, uint64_t addr, sym_ctx *sym, char *out,
                        size_t len)
{
    if (t->nframes == 0) {
        snprintf(out, len, "stack %d ?", (int)t->tid);
        return;
    }
    size_t f = 0;
    while (f + 1 < t->nframes && t->sps[f + 1] <= addr)
        f++;
    bool ret = f > 0 && (t->exact & (1ull << f)) == 0;
    sym_frame fr[8];
    size_t nf = sym_lookup(sym, t->pcs[f], ret, fr, 8);
    char name[256];
    sym_short_name(fr[nf - 1].function, name, sizeof(name));
    snprintf(out, len, "stack %d %s", (int)t->tid, name);
    (void)r;
}

/* glibc's thread descriptor (struct pthread, at the thread pointer) keeps
 * the start routine and, in the next word, its argument: a slot above the
 * thread pointer whose word before is the address of a function on the
 * thread's own frames is that argument. The function's name goes to fn. */
static bool roots_start_arg(const roots_thread *t, const roots_block *blk, uint64_t addr,
                            sym_ctx *sym, char *fn, size_t len)
{
    if (sym == NULL || addr < t->fs_base + 8 || addr - 8 < blk->lo)
        return false;
    uint64_t routine = blk->words[(addr - 8 - blk->lo) / 8];
    sym_frame fr[8];
    size_t nf = sym_lookup(sym, routine, false, fr, 8);
    if (nf == 0 || strncmp(fr[nf - 1].function, "0x", 2) == 0)
        return false;
    const char *name = fr[nf - 1].function;
    for (size_t f = 0; f < t->nframes; f++) {
        bool ret = f > 0 && (t->exact & (1ull << f)) == 0;
        sym_frame ff[8];
        size_t n = sym_lookup(sym, t->pcs[f], ret, ff, 8);
        if (n > 0 && strcmp(ff[n - 1].function, name) == 0) {
            sym_short_name(name, fn, len);
            return true;
        }
    }
    return false;
}

void roots_group(roots *r, size_t b, uint64_t addr, sym_ctx *sym, char *out, size_t len,
                 uint8_t *tier)
{
    const roots_block *blk = &r->blocks[b];
    *tier = ROOTS_TIER_STRONG;
    if (roots_tls(r, addr, sym, out, len))
        return;
    if (blk->kind == ROOTS_GLOBAL) {
        const roots_object *o = &r->objs[blk->owner];
        symvars *v = roots_obj_vars(r, blk->owner);
        uint64_t vaddr = addr - o->base + (v ? symvars_load_vaddr(v) : 0);
        const char *name = v ? symvars_lookup(v, vaddr, 0) : NULL;
        const char *file = NULL;
        int64_t line = 0;
        if (name != NULL && sym != NULL &&
            sym_var_decl(sym, o->path, symvars_start(v, vaddr, 0), &file, &line)) {
            const char *base = strrchr(file, '/');
            snprintf(out, len, "global %s (%s:%lld)", name, base ? base + 1 : file,
                     (long long)line);
        } else if (name != NULL)
            snprintf(out, len, "global %s", name);
        else
            snprintf(out, len, "global %s+0x%llx", roots_base_name(o->path),
                     (unsigned long long)vaddr);
        return;
    }
    if (blk->kind == ROOTS_MAPPING) {
        snprintf(out, len, "mapping %s", blk->name);
        return;
    }
    roots_thread *t = &r->threads[blk->owner];
    roots_unwind(t, blk);
    /* Above the outermost frame of a thread whose stack block holds its
     * thread pointer: its static TLS and struct pthread. */
    if (t->fs_base >= blk->lo && t->fs_base < blk->hi && t->nframes > 0 &&
        addr >= t->sps[t->nframes - 1]) {
        char fn[128];
        if (roots_start_arg(t, blk, addr, sym, fn, sizeof(fn)))
            snprintf(out, len, "thread %d start argument (%s)", (int)t->tid, fn);
        else
            snprintf(out, len, "tls [thread %d]", (int)t->tid);
        return;
    }
    *tier = ROOTS_TIER_STACK;
    roots_frame(r, t, addr, sym, out, len);
}

void roots_free(roots *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nblocks; i++)
        free(r->blocks[i].words);
    for (size_t i = 0; i < r->nchunks; i++)
        free(r->chunks[i].words);
    for (size_t i = 0; i < r->nobjs; i++) {
        free(r->objs[i].path);
        free(r->objs[i].open_path);
    }
    if (r->vars != NULL) {
        for (size_t i = 0; i < r->nobjs; i++)
            symvars_close(r->vars->v[i]);
        free(r->vars->v);
        free(r->vars->tried);
        free(r->vars->tls_off);
        free(r->vars->tls_memsz);
        free(r->vars);
    }
    free(r->blocks);
    free(r->threads);
    free(r->objs);
    free(r->chunks);
    free(r);
}
