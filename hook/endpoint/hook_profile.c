/* hook/endpoint/hook_profile.c: turns the stack table into pprof (lib/heapprof scaling,
 * lib/symbolize names and lines, mappings marked as symbolized) or into Go's
 * text format. Symbolizes the process it runs in (sym_open(0)). With the
 * size-class counters, each class's exact count of live chunks is shared by
 * the sites sampled in it, in proportion to their samples' Go weights, and a
 * site's bytes are its requested bytes scaled the same way (the endpoint
 * reports requested bytes, as before; heapsnap reports chunk bytes). There is
 * no walk here, so the class comes from the requested size as glibc rounds
 * it, and the shares are rounded per site (the sum may differ from the class
 * total by one object per site). An exact class counted but not sampled is
 * shared by the sites sampled in its power-of-two range, as heapsnap does;
 * what no site can take is reported under [unsampled]; both in chunk bytes,
 * the only size the counters know. */
#include "hook_profile.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heapprof.h"
#include "symbolize.h"

/* Slack for stacks added between counting and copying. */
#define SNAP_SLACK 256
/* Calibration reads the whole live table, and a read maps even a page never
 * written (the zero page), which heapsnap then sees as touched and copies
 * during its pause (as it does the stack table, which every profile reads
 * whole). The default table (65536 entries, 1.5 MiB) is read; the
 * dense one for rates below 4096 (4M entries, 96 MiB) is not: there the
 * samples are nearly the whole heap and scaling changes little. */
#define SNAP_CALIBRATE_MAX_BYTES ((uint64_t)16 << 20)

/* glibc's request2size: the chunk a request of n bytes gets. */
static uint64_t chunk_of(uint64_t n)
{
    uint64_t c = (n + 8 + 15) & ~(uint64_t)15;
    return c < 32 ? 32 : c;
}

/* Objects one sample of a request of n bytes stands for (Go's scaling). */
static double weight(uint64_t n, uint64_t rate)
{
    if (rate <= 1)
        return 1;
    return 1.0 / -expm1(-(double)(n ? n : 1) / (double)rate);
}

/* Power-of-two ranges of the exact classes: 16 up to 1024 bytes. */
#define POOLS 7

/* The calibration's state over two passes of the live table. */
struct cal {
    const struct hook_profile_snap *snap;
    uint64_t rate;
    int pass;
    double w[HEAPSNAP_NCLASSES];   /* pass 1: sampled weights */
    uint64_t m[HEAPSNAP_NCLASSES]; /* pass 1: sampled chunks */
    double f[HEAPSNAP_NCLASSES];   /* live chunks of the class / its weights */
    /* Pools, as heapsnap's (snapshot/attribute.c): an exact class counted but
     * not sampled is shared by the sites sampled in its power-of-two range. */
    double pw[POOLS];             /* pass 1: sampled weights in the range */
    double pf[POOLS], pfb[POOLS]; /* pooled chunks and bytes / those weights */
    double *objs, *bytes;         /* pass 2: per site */
};

/* The pool of exact class i (a power of two up to 1024); -1 above. */
static int pool_of(unsigned i)
{
    if (i >= HEAPSNAP_NEXACT)
        return -1;
    int k = 0;
    while ((16u << k) < 16 * (i ? i : 1))
        k++;
    return k;
}

static long site_index(const struct hook_profile_snap *s, uint32_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->sites[mid].id == id)
            return (long)mid;
        if (s->sites[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void cal_visit(void *arg, const struct heapsnap_live *e)
{
    struct cal *c = arg;
    long k = site_index(c->snap, e->stack_id);
    if (k < 0)
        return; /* a stack first recorded after the sites were copied */
    unsigned cls = heapsnap_size_class(chunk_of(e->size), 0);
    double w = weight(e->size, c->rate);
    int pool = pool_of(cls);
    if (c->pass == 1) {
        c->w[cls] += w;
        c->m[cls]++;
        if (pool >= 0)
            c->pw[pool] += w;
        return;
    }
    c->objs[k] += c->f[cls] * w;
    c->bytes[k] += c->f[cls] * w * (double)e->size;
    if (pool >= 0) {
        c->objs[k] += c->pf[pool] * w;
        c->bytes[k] += c->pfb[pool] * w;
    }
}

/* Fills out's calibrated fields from the counters and the live table. */
static int calibrate(const struct hook_tables *t, const struct hook_counts_table *counts,
                     uint64_t rate, struct hook_profile_snap *out, hs_err *err)
{
    uint64_t cnt[HEAPSNAP_NCLASSES], byt[HEAPSNAP_NCLASSES];
    hook_counts_sum(counts, cnt, byt);
    for (unsigned k = 0; k < HEAPSNAP_NPOW2; k++) {
        unsigned from = HEAPSNAP_NEXACT + HEAPSNAP_NPOW2 + k, to = HEAPSNAP_NEXACT + k;
        cnt[to] += cnt[from];
        byt[to] += byt[from];
        cnt[from] = byt[from] = 0;
    }
    struct cal *c = calloc(1, sizeof(*c));
    out->inuse_objects = calloc(out->n ? out->n : 1, sizeof(*out->inuse_objects));
    out->inuse_bytes = calloc(out->n ? out->n : 1, sizeof(*out->inuse_bytes));
    if (c != NULL) {
        c->objs = calloc(out->n ? out->n : 1, sizeof(*c->objs));
        c->bytes = calloc(out->n ? out->n : 1, sizeof(*c->bytes));
    }
    if (!c || !c->objs || !c->bytes || !out->inuse_objects || !out->inuse_bytes) {
        if (c) {
            free(c->objs);
            free(c->bytes);
        }
        free(c);
        return hs_err_set(err, "out of memory scaling %zu stacks", out->n);
    }
    c->snap = out;
    c->rate = rate;
    c->pass = 1;
    hook_tables_each_live(t, cal_visit, c);
    for (unsigned i = 0; i < HEAPSNAP_NCLASSES; i++) {
        /* At least what was sampled in it (counters read a moment apart). */
        int64_t sc = (int64_t)cnt[i], sb = (int64_t)byt[i];
        uint64_t tc = sc > (int64_t)c->m[i] ? (uint64_t)sc : c->m[i];
        int pool = pool_of(i);
        if (c->w[i] > 0) {
            c->f[i] = (double)tc / c->w[i];
        } else if (sc > 0 && pool >= 0 && c->pw[pool] > 0) {
            /* Pooled: in chunk bytes, the only size known for it. */
            c->pf[pool] += (double)tc / c->pw[pool];
            c->pfb[pool] += (double)tc * 16 * i / c->pw[pool];
        } else if (sc > 0) {
            out->unsampled_count[i] = tc;
            out->unsampled_bytes[i] = sb > 0 ? (uint64_t)sb : 0;
        }
    }
    c->pass = 2;
    hook_tables_each_live(t, cal_visit, c);
    for (size_t k = 0; k < out->n; k++) {
        out->inuse_objects[k] = llround(c->objs[k]);
        out->inuse_bytes[k] = llround(c->bytes[k]);
    }
    free(c->objs);
    free(c->bytes);
    free(c);
    out->calibrated = true;
    return 0;
}

int hook_profile_snap(const struct hook_tables *t, const struct hook_counts_table *counts,
                      uint64_t rate, struct hook_profile_snap *out, hs_err *err)
{
    memset(out, 0, sizeof(*out));
    size_t cap = hook_tables_read_sites(t, NULL, SIZE_MAX, NULL) + SNAP_SLACK;
    out->sites = malloc(cap * sizeof(*out->sites));
    if (!out->sites)
        return hs_err_set(err, "out of memory copying %zu stacks", cap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    out->time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    out->n = hook_tables_read_sites(t, out->sites, cap, &out->torn);
    if (counts != NULL &&
        (t->live_mask + 1) * sizeof(struct heapsnap_live) <= SNAP_CALIBRATE_MAX_BYTES &&
        calibrate(t, counts, rate, out, err) != 0) {
        hook_profile_snap_free(out);
        return -1;
    }
    return 0;
}

void hook_profile_snap_free(struct hook_profile_snap *s)
{
    free(s->sites);
    free(s->inuse_objects);
    free(s->inuse_bytes);
    s->sites = NULL;
    s->inuse_objects = s->inuse_bytes = NULL;
    s->n = 0;
}

/* "[unsampled 64-byte chunks]", "[unsampled 1-2 KiB chunks]" (as heapsnap
 * names its pseudo-frames). */
static void unsampled_name(unsigned cls, char *buf, size_t len)
{
    if (cls < HEAPSNAP_NEXACT) {
        snprintf(buf, len, "[unsampled %u-byte chunks]", cls * 16);
        return;
    }
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned k = (cls - HEAPSNAP_NEXACT) % HEAPSNAP_NPOW2, lo = k ? k - 1 : 0;
    if (lo / 10 == k / 10)
        snprintf(buf, len, "[unsampled %llu-%llu %s chunks]", 1ULL << (lo % 10), 1ULL << (k % 10),
                 units[k / 10]);
    else
        snprintf(buf, len, "[unsampled %llu %s-%llu %s chunks]", 1ULL << (lo % 10), units[lo / 10],
                 1ULL << (k % 10), units[k / 10]);
}

/* Pseudo-samples for what the counters hold that no site was sampled in;
 * with base, the change since base. */
static int add_unsampled(pprof_builder *b, const struct hook_profile_snap *now,
                         const struct hook_profile_snap *base)
{
    uint64_t root = 0;
    for (unsigned i = 0; i < HEAPSNAP_NCLASSES; i++) {
        int64_t n = (int64_t)now->unsampled_count[i], by = (int64_t)now->unsampled_bytes[i];
        if (base) {
            n -= (int64_t)base->unsampled_count[i];
            by -= (int64_t)base->unsampled_bytes[i];
        }
        if (n == 0 && by == 0)
            continue;
        if (root == 0 && (root = pprof_add_pseudo_location(b, "[unsampled]")) == 0)
            return -1;
        char name[64];
        unsampled_name(i, name, sizeof(name));
        uint64_t locs[2] = {pprof_add_pseudo_location(b, name), root};
        int64_t v[4] = {n, by, n, by};
        pprof_label_desc label = {.key = "bytes", .num = n != 0 ? by / n : 0};
        if (locs[0] == 0 || pprof_add_sample(b, locs, 2, v, &label, 1) != 0)
            return -1;
    }
    return 0;
}

/* Scales a signed (count, bytes) pair as Go does, keeping the sign: a delta
 * profile may show fewer objects in use than before. */
static void scale_signed(int64_t count, int64_t bytes, int64_t rate, int64_t *oc, int64_t *ob)
{
    int64_t sign = count < 0 || (count == 0 && bytes < 0) ? -1 : 1;
    heapprof_scale(sign * count, sign * bytes, rate, oc, ob);
    *oc *= sign;
    *ob *= sign;
}

static int add_delta_site(pprof_builder *b, const uint64_t *locs, size_t nlocs, int64_t rate,
                          int64_t ao, int64_t ab, int64_t io, int64_t ib)
{
    if (ao == 0 && ab == 0 && io == 0 && ib == 0)
        return 0;
    int64_t v[4];
    scale_signed(ao, ab, rate, &v[0], &v[1]);
    scale_signed(io, ib, rate, &v[2], &v[3]);
    int64_t objs = ao != 0 ? ao : io, bytes = ao != 0 ? ab : ib;
    pprof_label_desc label = {.key = "bytes", .num = objs != 0 ? bytes / objs : 0};
    return pprof_add_sample(b, locs, nlocs, v, &label, 1);
}

int hook_profile_pprof(const struct hook_profile_snap *now, const struct hook_profile_snap *base,
                       uint64_t rate, bool allocs, uint8_t **out, size_t *outlen, hs_err *err)
{
    hs_err local;
    pprof_builder *b = heapprof_new((int64_t)rate, now->time_ns);
    if (!b)
        return hs_err_set(err, "out of memory building a profile");
    if (allocs)
        pprof_set_default_sample_type(b, "alloc_space");
    sym_ctx *sym = sym_open(0, &local);
    if (!sym) {
        pprof_builder_free(b);
        return hs_err_set(err, "cannot symbolize this process: %s", local.msg);
    }
    if (base)
        pprof_set_time(b, now->time_ns, now->time_ns - base->time_ns);
    size_t j = 0;
    int rc = 0;
    bool cal = now->calibrated && (!base || base->calibrated);
    for (size_t i = 0; i < now->n && rc == 0; i++) {
        const struct hook_site *s = &now->sites[i];
        uint64_t locs[HEAPSNAP_MAX_FRAMES];
        for (uint32_t k = 0; k < s->nframes; k++)
            locs[k] = sym_location(sym, b, s->frames[k], true);
        int64_t ao = (int64_t)s->alloc_objects, ab = (int64_t)s->alloc_bytes;
        int64_t io = ao - (int64_t)s->free_objects, ib = ab - (int64_t)s->free_bytes;
        if (!base && !cal) {
            rc = heapprof_add_site(b, locs, s->nframes, (int64_t)rate, ao, ab, io, ib);
            continue;
        }
        if (!base) {
            int64_t v[4];
            heapprof_scale(ao, ab, (int64_t)rate, &v[0], &v[1]);
            v[2] = now->inuse_objects[i];
            v[3] = now->inuse_bytes[i];
            /* Never less allocated than in use. */
            v[0] = v[0] > v[2] ? v[0] : v[2];
            v[1] = v[1] > v[3] ? v[1] : v[3];
            if (v[0] == 0 && v[1] == 0)
                continue;
            pprof_label_desc label = {.key = "bytes", .num = ao > 0 ? ab / ao : 0};
            rc = pprof_add_sample(b, locs, s->nframes, v, &label, 1);
            continue;
        }
        /* Both copies are ordered by id and ids are forever. */
        while (j < base->n && base->sites[j].id < s->id)
            j++;
        bool in_base = j < base->n && base->sites[j].id == s->id;
        if (in_base) {
            const struct hook_site *o = &base->sites[j];
            ao -= (int64_t)o->alloc_objects;
            ab -= (int64_t)o->alloc_bytes;
            io -= (int64_t)o->alloc_objects - (int64_t)o->free_objects;
            ib -= (int64_t)o->alloc_bytes - (int64_t)o->free_bytes;
        }
        if (!cal) {
            rc = add_delta_site(b, locs, s->nframes, (int64_t)rate, ao, ab, io, ib);
            continue;
        }
        int64_t v[4];
        scale_signed(ao, ab, (int64_t)rate, &v[0], &v[1]);
        v[2] = now->inuse_objects[i] - (in_base ? base->inuse_objects[j] : 0);
        v[3] = now->inuse_bytes[i] - (in_base ? base->inuse_bytes[j] : 0);
        if (v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0)
            continue;
        int64_t objs = ao != 0 ? ao : io, bytes = ao != 0 ? ab : ib;
        pprof_label_desc label = {.key = "bytes", .num = objs != 0 ? bytes / objs : 0};
        rc = pprof_add_sample(b, locs, s->nframes, v, &label, 1);
    }
    if (rc == 0 && cal)
        rc = add_unsampled(b, now, base);
    if (rc == 0)
        rc = pprof_encode(b, true, out, outlen, err);
    else
        hs_err_set(err, "out of memory adding samples to a profile");
    sym_close(sym);
    pprof_builder_free(b);
    return rc;
}

static int64_t inuse_bytes(const struct hook_site *s)
{
    return (int64_t)s->alloc_bytes - (int64_t)s->free_bytes;
}

static int by_inuse_desc(const void *a, const void *b)
{
    int64_t x = inuse_bytes(*(const struct hook_site *const *)a);
    int64_t y = inuse_bytes(*(const struct hook_site *const *)b);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* "#\tPC\tfunction+off\tfile:line" per frame, inlined frames first, as Go's
 * printStackRecord. The offset is known when the dynamic symbol table names
 * the same function (dladdr); otherwise it is left out. */
static void print_frames(FILE *f, sym_ctx *sym, uint64_t pc)
{
    sym_frame fr[16];
    size_t n = sym_lookup(sym, pc, true, fr, 16);
    Dl_info info;
    bool have = dladdr((void *)(uintptr_t)(pc - 1), &info) && info.dli_sname && info.dli_saddr;
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "#\t%#" PRIx64 "\t%s", pc - 1, fr[i].function);
        if (i == n - 1 && have && strcmp(info.dli_sname, fr[i].system_name) == 0)
            fprintf(f, "+%#" PRIx64, pc - 1 - (uint64_t)(uintptr_t)info.dli_saddr);
        fprintf(f, "\t%s:%" PRId64 "\n", fr[i].file, fr[i].line);
    }
}

int hook_profile_text(const struct hook_profile_snap *now, const struct heapsnap_registry *reg,
                      char **out, size_t *outlen, hs_err *err)
{
    hs_err local;
    const struct hook_site **order = malloc((now->n ? now->n : 1) * sizeof(*order));
    if (!order)
        return hs_err_set(err, "out of memory sorting %zu stacks", now->n);
    sym_ctx *sym = sym_open(0, &local);
    if (!sym) {
        free(order);
        return hs_err_set(err, "cannot symbolize this process: %s", local.msg);
    }
    FILE *f = open_memstream(out, outlen);
    if (!f) {
        sym_close(sym);
        free(order);
        return hs_err_set(err, "out of memory formatting a profile");
    }
    uint64_t tot[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < now->n; i++) {
        const struct hook_site *s = &now->sites[i];
        order[i] = s;
        tot[0] += s->alloc_objects - s->free_objects;
        tot[1] += s->alloc_bytes - s->free_bytes;
        tot[2] += s->alloc_objects;
        tot[3] += s->alloc_bytes;
    }
    qsort(order, now->n, sizeof(*order), by_inuse_desc);
    /* Go writes 2*MemProfileRate: what pprof's legacy parser expects. */
    fprintf(
        f, "heap profile: %" PRIu64 ": %" PRIu64 " [%" PRIu64 ": %" PRIu64 "] @ heap/%" PRIu64 "\n",
        tot[0], tot[1], tot[2], tot[3], 2 * reg->rate);
    for (size_t i = 0; i < now->n; i++) {
        const struct hook_site *s = order[i];
        fprintf(f, "%" PRIu64 ": %" PRIu64 " [%" PRIu64 ": %" PRIu64 "] @",
                s->alloc_objects - s->free_objects, s->alloc_bytes - s->free_bytes,
                s->alloc_objects, s->alloc_bytes);
        for (uint32_t k = 0; k < s->nframes; k++)
            fprintf(f, " %#" PRIx64, s->frames[k]);
        fputc('\n', f);
        for (uint32_t k = 0; k < s->nframes; k++)
            print_frames(f, sym, s->frames[k]);
        fputc('\n', f);
    }
    fprintf(f, "\n# heapsnap\n");
    fprintf(f, "# Rate = %" PRIu64 "\n", reg->rate);
    fprintf(f, "# Stacks = %zu\n", now->n);
    fprintf(f, "# SampledAllocs = %" PRIu64 "\n", reg->sampled_allocs);
    fprintf(f, "# DroppedStacks = %" PRIu64 "\n", reg->dropped_stacks);
    fprintf(f, "# DroppedLive = %" PRIu64 "\n", reg->dropped_live);
    fprintf(f, "# TornEntries = %zu\n", now->torn);
    fprintf(f, "# Pid = %" PRIu64 "\n", reg->hook_pid);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        sym_close(sym);
        free(order);
        return hs_err_set(err, "out of memory formatting a profile");
    }
    sym_close(sym);
    free(order);
    return 0;
}
