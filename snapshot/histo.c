/* snapshot/histo.c: the live heap by type (see histo.h), as the command's
 * steps: stop, capture (the heap and the roots), resume, classify (keeping
 * each in-use chunk's first word), name the classes, spread the DWARF types,
 * count, print. */
#include "histo.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glibc_heap.h"
#include "heap_process.h"
#include "hs_array.h"
#include "hs_intern.h"
#include "hs_json.h"
#include "memsrc.h"
#include "procmaps.h"
#include "ptstop.h"
#include "quiesce.h"
#include "registry.h"
#include "roots.h"
#include "symbolize.h"
#include "tvtable.h"
#include "typedwarf.h"

/* An in-use chunk as the histogram needs it. */
typedef struct histo_chunk {
    uint64_t addr, size, word; /* word: the first 8 bytes of its user data */
    bool have_word, mmapped;
    bool sampled;            /* the hook recorded it (a live entry names it) */
    const char *name, *from; /* its type and the evidence, NULL: untyped */
} histo_chunk;

typedef struct histo_chunks {
    histo_chunk *v;
    size_t n, cap;
    memsrc *m;
    bool oom;
} histo_chunks;

/* One row: a class (name != NULL) or the untyped chunks of one size. */
typedef struct histo_row {
    const char *name, *from;
    uint64_t chunk_size; /* for untyped rows */
    uint64_t objects, bytes;
    /* For untyped rows: the hook's sampled chunks of that size, and the
     * type most of them have (likely, NULL: none) with its count. */
    uint64_t sampled, sampled_likely;
    const char *likely;
} histo_row;

/* An untyped row names the type of its size's sampled chunks when at least
 * this share of them has it: the sampler picks chunks by their bytes, not
 * their type, so the sampled ones are a fair sample of the size. */
#define HISTO_LIKELY_SHARE 0.9

static int histo_keep(const gheap_chunk *c, void *arg)
{
    histo_chunks *hc = arg;
    if (c->cls != GHEAP_INUSE && c->cls != GHEAP_MMAPPED)
        return 0;
    if (hc->n == hc->cap) {
        size_t ncap = hc->cap ? hc->cap * 2 : 4096;
        histo_chunk *v = realloc(hc->v, ncap * sizeof(*v));
        if (v == NULL) {
            hc->oom = true;
            return 1;
        }
        hc->v = v;
        hc->cap = ncap;
    }
    histo_chunk *k = &hc->v[hc->n++];
    k->addr = c->addr;
    k->size = c->size;
    k->mmapped = c->cls == GHEAP_MMAPPED;
    k->name = k->from = NULL;
    k->sampled = false;
    k->have_word = c->size >= 24 && memsrc_read(hc->m, c->addr + 16, 8, &k->word) == 0;
    return 0;
}

/* Stops, captures (the heap, and the roots for the DWARF types: *r, NULL
 * when they could not be copied), resumes and classifies; fills hc with the
 * in-use chunks and keeps the capture in *capp for the types. */
static int histo_collect(pid_t pid, hproc *h, registry *reg, histo_chunks *hc, uint64_t *pause_us,
                         roots **r, gheap_capture **capp, hs_err *err)
{
    gheap_thread *threads = NULL;
    size_t n = 0;
    unsigned retries = 0;
    *r = NULL;
    ptstop *s = quiesce_stop(pid, h, &threads, &n, &retries, err);
    if (s == NULL)
        return -1;
    gheap_capture *cap = NULL;
    int rc = hproc_capture(h, threads, n, &cap, err);
    if (rc == 0 && gheap_capture_complete(cap)) {
        hs_err ignored; /* without the roots, only the DWARF types are missing */
        if (roots_capture(pid, h, threads, n, cap, NULL, 0, r, &ignored) != 0)
            *r = NULL;
        /* and without the hook's stacks (uncopied: not parsed), the
         * allocating code's types */
        if (reg != NULL)
            (void)registry_copy(reg, &ignored);
        *pause_us = ptstop_pause_us(s);
        ptstop_detach_all(s);
        s = NULL;
    }
    if (rc == 0) {
        gheap_report rep;
        memset(&rep, 0, sizeof(rep));
        hc->m = gheap_capture_memsrc(cap);
        rc = gheap_classify(cap, histo_keep, hc, &rep, err);
        gheap_report_free(&rep);
        if (rc == 0 && hc->oom)
            rc = hs_err_set(err, "out of memory while listing the heap's chunks");
    }
    if (s != NULL) {
        *pause_us = ptstop_pause_us(s);
        ptstop_detach_all(s);
    }
    *capp = cap;
    free(threads);
    return rc;
}

static int histo_addr_cmp(const void *a, const void *b)
{
    const histo_chunk *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Each chunk's type: its C++ class from its vtable, else its DWARF type
 * spread from the typed globals over the heap (when the roots were copied).
 * The words of chunks not in the capture's copies (mmapped ones) are read
 * from the running process through live. *td keeps the DWARF labels. 0, or
 * -1 + err (out of memory). */
/* Marks the chunks a live entry of the hook names (sorted hc). */
static void histo_mark_sampled(histo_chunks *hc, const registry *reg)
{
    for (size_t i = 0; reg != NULL && i < reg->nlive; i++) {
        uint64_t chunk = reg->live[i].addr - 16;
        size_t a =
            hs_array_upper_bound(hc->v, hc->n, sizeof(*hc->v), offsetof(histo_chunk, addr), chunk);
        if (a > 0 && hc->v[a - 1].addr == chunk)
            hc->v[a - 1].sampled = true;
    }
}

static int histo_name(pid_t pid, histo_chunks *hc, tvt *t, memsrc *live, roots *r,
                      const gheap_capture *cap, const registry *reg, tdstage **td, hs_err *err)
{
    qsort(hc->v, hc->n, sizeof(*hc->v), histo_addr_cmp);
    histo_mark_sampled(hc, reg);
    for (size_t i = 0; i < hc->n; i++) {
        histo_chunk *c = &hc->v[i];
        if (!c->have_word && c->size >= 24)
            c->have_word = memsrc_read(live, c->addr + 16, 8, &c->word) == 0;
        c->name = c->have_word ? tvt_class_of(t, c->word) : NULL;
        c->from = c->name != NULL ? "vtable" : NULL;
    }
    if (r == NULL)
        return 0;
    attr_chunk *ac = malloc((hc->n ? hc->n : 1) * sizeof(*ac));
    bool *skip = malloc((hc->n ? hc->n : 1) * sizeof(*skip));
    hs_err ignored;
    sym_ctx *sym = sym_open(pid, &ignored);
    int rc = -1;
    if (ac == NULL || skip == NULL) {
        hs_err_set(err, "out of memory while naming the types of %zu chunks.", hc->n);
    } else if (sym == NULL) {
        rc = 0; /* no symbolizer: no DWARF types */
    } else {
        for (size_t i = 0; i < hc->n; i++) {
            ac[i] = (attr_chunk){hc->v[i].addr, hc->v[i].size, hc->v[i].mmapped, 0, false};
            skip[i] = hc->v[i].name != NULL;
        }
        *td = tdstage_run(r, cap, sym, ac, hc->n, skip, reg, err);
        if (*td != NULL) {
            const char *const *labels = tdstage_labels(*td);
            for (size_t i = 0; i < hc->n; i++)
                if (hc->v[i].name == NULL && labels[i] != NULL) {
                    hc->v[i].name = labels[i];
                    hc->v[i].from = "dwarf";
                }
            rc = 0;
        }
    }
    sym_close(sym);
    free(ac);
    free(skip);
    return rc;
}

static int histo_row_cmp(const void *a, const void *b)
{
    const histo_row *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    if ((x->name == NULL) != (y->name == NULL))
        return x->name == NULL ? 1 : -1;
    if (x->name != NULL)
        return strcmp(x->name, y->name);
    return x->chunk_size < y->chunk_size ? -1 : x->chunk_size > y->chunk_size;
}

typedef struct histo_pick {
    uint64_t size;
    const char *name; /* NULL: untyped */
} histo_pick;

static int histo_pick_cmp(const void *a, const void *b)
{
    const histo_pick *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    if (x->name == NULL || y->name == NULL)
        return (x->name == NULL) - (y->name == NULL);
    return strcmp(x->name, y->name);
}

/* For each untyped row: its size's sampled chunks, and the type that
 * HISTO_LIKELY_SHARE of them have, if one does. 0, or -1 when out of
 * memory. */
static int histo_likely(const histo_chunks *hc, histo_row *rows, size_t nrows)
{
    size_t np = 0;
    for (size_t i = 0; i < hc->n; i++)
        np += hc->v[i].sampled;
    if (np == 0)
        return 0;
    histo_pick *p = malloc(np * sizeof(*p));
    if (p == NULL)
        return -1;
    np = 0;
    for (size_t i = 0; i < hc->n; i++)
        if (hc->v[i].sampled)
            p[np++] = (histo_pick){hc->v[i].size, hc->v[i].name};
    qsort(p, np, sizeof(*p), histo_pick_cmp);
    for (size_t r = 0; r < nrows; r++) {
        histo_row *row = &rows[r];
        if (row->name != NULL)
            continue;
        /* the first pick of this size */
        size_t a =
            hs_array_lower_bound(p, np, sizeof(*p), offsetof(histo_pick, size), row->chunk_size);
        uint64_t all = 0, best = 0;
        const char *best_name = NULL;
        for (size_t k = a; k < np && p[k].size == row->chunk_size;) {
            size_t z = k;
            while (z < np && histo_pick_cmp(&p[z], &p[k]) == 0)
                z++;
            all += z - k;
            if (p[k].name != NULL && z - k > best) {
                best = z - k;
                best_name = p[k].name;
            }
            k = z;
        }
        row->sampled = all;
        if (best_name != NULL && (double)best >= HISTO_LIKELY_SHARE * (double)all) {
            row->likely = best_name;
            row->sampled_likely = best;
        }
    }
    free(p);
    return 0;
}

/* Rows per type and per untyped chunk size, largest first. */
static histo_row *histo_rows(histo_chunks *hc, size_t *nrows, size_t *ntyped)
{
    hs_intern keys = {0};
    histo_row *rows = NULL;
    size_t n = 0, cap = 0;
    *ntyped = 0;
    for (size_t i = 0; i < hc->n; i++) {
        histo_chunk *c = &hc->v[i];
        const char *name = c->name;
        uint64_t key[2] = {(uint64_t)(uintptr_t)name, name ? 0 : c->size};
        int added = 0;
        uint32_t id = hs_intern_get_or_put(&keys, key, sizeof(key), (uint32_t)n + 1, &added);
        if (id == 0)
            goto oom;
        if (added) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                histo_row *v = realloc(rows, ncap * sizeof(*v));
                if (v == NULL)
                    goto oom;
                rows = v;
                cap = ncap;
            }
            rows[n++] = (histo_row){name, c->from, name ? 0 : c->size, 0, 0, 0, 0, NULL};
        }
        if (id > n || rows == NULL)
            goto oom; /* cannot happen: every id was given a row above */
        rows[id - 1].objects++;
        rows[id - 1].bytes += c->size;
        if (name != NULL)
            (*ntyped)++;
    }
    hs_intern_free(&keys);
    if (rows != NULL && histo_likely(hc, rows, n) != 0)
        goto oom;
    if (rows != NULL)
        qsort(rows, n, sizeof(*rows), histo_row_cmp);
    *nrows = n;
    return rows;
oom:
    hs_intern_free(&keys);
    free(rows);
    return NULL;
}

/* Text rows beyond this are summed up in one line (--json has them all). */
#define HISTO_TEXT_ROWS 40

static void histo_print_text(FILE *out, pid_t pid, const histo_row *rows, size_t nrows,
                             uint64_t objects, uint64_t bytes, size_t ntyped)
{
    fprintf(out,
            "heapsnap: process %d, %" PRIu64 " chunks in use, %" PRIu64 " bytes; %zu typed (C++ "
            "classes by their vtables, the rest by DWARF), the other chunks by size\n",
            (int)pid, objects, bytes, ntyped);
    fprintf(out, "%5s %12s %14s %10s  %s\n", "num", "#objects", "#bytes", "avg", "type");
    size_t shown = nrows < HISTO_TEXT_ROWS ? nrows : HISTO_TEXT_ROWS;
    uint64_t rest_o = 0, rest_b = 0;
    for (size_t i = 0; i < nrows; i++) {
        const histo_row *r = &rows[i];
        if (i >= shown) {
            rest_o += r->objects;
            rest_b += r->bytes;
            continue;
        }
        char untyped[512];
        if (r->likely != NULL)
            snprintf(untyped, sizeof(untyped),
                     "[unknown %" PRIu64 "-byte chunks; the sampled ones: %" PRIu64 " of %" PRIu64
                     " %s]",
                     r->chunk_size, r->sampled_likely, r->sampled, r->likely);
        else
            snprintf(untyped, sizeof(untyped), "[unknown %" PRIu64 "-byte chunks]", r->chunk_size);
        fprintf(out, "%5zu %12" PRIu64 " %14" PRIu64 " %10" PRIu64 "  %s\n", i + 1, r->objects,
                r->bytes, r->bytes / r->objects, r->name ? r->name : untyped);
    }
    if (shown < nrows)
        fprintf(out, "%5s %12" PRIu64 " %14" PRIu64 " %10s  (%zu more rows; --json lists all)\n",
                "...", rest_o, rest_b, "", nrows - shown);
    fprintf(out, "%5s %12" PRIu64 " %14" PRIu64 "\n", "Total", objects, bytes);
}

static void histo_print_json(FILE *out, pid_t pid, const histo_row *rows, size_t nrows,
                             uint64_t objects, uint64_t bytes, uint64_t pause_us)
{
    fprintf(out,
            "{\"pid\":%d,\"objects\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"pause_us\":%" PRIu64
            ",\"types\":[",
            (int)pid, objects, bytes, pause_us);
    for (size_t i = 0; i < nrows; i++) {
        const histo_row *r = &rows[i];
        fputs(i ? ",{" : "{", out);
        if (r->name != NULL) {
            fputs("\"type\":", out);
            hs_json_fput_str(out, r->name);
            fprintf(out, ",\"from\":\"%s\"", r->from);
        } else {
            fprintf(out, "\"type\":null,\"chunk_size\":%" PRIu64 ",\"sampled\":%" PRIu64,
                    r->chunk_size, r->sampled);
            if (r->likely != NULL) {
                fputs(",\"sampled_type\":", out);
                hs_json_fput_str(out, r->likely);
                fprintf(out, ",\"sampled_typed\":%" PRIu64, r->sampled_likely);
            }
        }
        fprintf(out, ",\"objects\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", r->objects, r->bytes);
    }
    fputs("]}\n", out);
}

int histo_run(pid_t pid, bool json, FILE *out, hs_err *err)
{
    hproc *h = hproc_open(pid, err);
    if (h == NULL)
        return -1;
    histo_chunks hc = {0};
    uint64_t pause_us = 0;
    roots *r = NULL;
    gheap_capture *cap = NULL;
    procmaps *pm = procmaps_read(pid, err);
    memsrc *live = NULL;
    tvt *t = NULL;
    tdstage *td = NULL;
    histo_row *rows = NULL;
    size_t nrows = 0, ntyped = 0;
    /* The hook, when it is loaded: its tables are no chunks, and its stacks
     * name the types their code declares (a registry that cannot be read
     * costs those types, not the histogram). */
    registry reg;
    memset(&reg, 0, sizeof(reg));
    hs_err ignored;
    bool hook = pm != NULL && registry_locate(pid, pm, &reg, &ignored) == 1 &&
                registry_reserve(&reg, &ignored) == 0;
    if (hook) {
        uint64_t ts[REGISTRY_MAX_TABLES], te[REGISTRY_MAX_TABLES];
        for (size_t k = 0, n = registry_tables(&reg, ts, te); k < n; k++)
            hproc_exclude(h, ts[k], te[k]);
    }
    /* h stays open: the capture reads through its memory source */
    int rc =
        pm != NULL ? histo_collect(pid, h, hook ? &reg : NULL, &hc, &pause_us, &r, &cap, err) : -1;
    if (hook && rc == 0 && registry_parse(&reg, &ignored) != 0)
        hook = false;
    if (rc == 0 &&
        ((live = memsrc_open_pid(pid, 0, err)) == NULL || (t = tvt_open(live, pm, err)) == NULL))
        rc = -1;
    if (rc == 0)
        rc = histo_name(pid, &hc, t, live, r, cap, hook ? &reg : NULL, &td, err);
    if (rc == 0 && (rows = histo_rows(&hc, &nrows, &ntyped)) == NULL && hc.n > 0)
        rc = hs_err_set(err, "out of memory while counting the heap's types");
    if (rc == 0) {
        uint64_t objects = hc.n, bytes = 0;
        for (size_t i = 0; i < hc.n; i++)
            bytes += hc.v[i].size;
        if (json)
            histo_print_json(out, pid, rows, nrows, objects, bytes, pause_us);
        else
            histo_print_text(out, pid, rows, nrows, objects, bytes, ntyped);
        if (fflush(out) != 0)
            rc = hs_err_set(err, "cannot write the histogram to the output");
    }
    free(rows);
    tdstage_free(td);
    tvt_close(t);
    memsrc_close(live);
    procmaps_free(pm);
    registry_free(&reg);
    roots_free(r);
    gheap_capture_free(cap);
    hproc_close(h);
    free(hc.v);
    return rc;
}
