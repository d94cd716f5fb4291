/* hook/hook_profile.c: turns the stack table into pprof (lib/heapprof scaling,
 * lib/symbolize names and lines, mappings marked as symbolized) or into Go's
 * text format. Symbolizes the process it runs in (sym_open(0)). */
#include "hook_profile.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heapprof.h"
#include "symbolize.h"

/* Slack for stacks added between counting and copying. */
#define SNAP_SLACK 256

int hook_profile_snap(const struct hook_tables *t, struct hook_profile_snap *out, hs_err *err)
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
    return 0;
}

void hook_profile_snap_free(struct hook_profile_snap *s)
{
    free(s->sites);
    s->sites = NULL;
    s->n = 0;
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
                       uint64_t rate, uint8_t **out, size_t *outlen, hs_err *err)
{
    hs_err local;
    pprof_builder *b = heapprof_new((int64_t)rate, now->time_ns);
    if (!b)
        return hs_err_set(err, "out of memory building a profile");
    sym_ctx *sym = sym_open(0, &local);
    if (!sym) {
        pprof_builder_free(b);
        return hs_err_set(err, "cannot symbolize this process: %s", local.msg);
    }
    if (base)
        pprof_set_time(b, now->time_ns, now->time_ns - base->time_ns);
    size_t j = 0;
    int rc = 0;
    for (size_t i = 0; i < now->n && rc == 0; i++) {
        const struct hook_site *s = &now->sites[i];
        uint64_t locs[HEAPSNAP_MAX_FRAMES];
        for (uint32_t k = 0; k < s->nframes; k++)
            locs[k] = sym_location(sym, b, s->frames[k], true);
        int64_t ao = (int64_t)s->alloc_objects, ab = (int64_t)s->alloc_bytes;
        int64_t io = ao - (int64_t)s->free_objects, ib = ab - (int64_t)s->free_bytes;
        if (!base) {
            rc = heapprof_add_site(b, locs, s->nframes, (int64_t)rate, ao, ab, io, ib);
            continue;
        }
        /* Both copies are ordered by id and ids are forever. */
        while (j < base->n && base->sites[j].id < s->id)
            j++;
        if (j < base->n && base->sites[j].id == s->id) {
            const struct hook_site *o = &base->sites[j];
            ao -= (int64_t)o->alloc_objects;
            ab -= (int64_t)o->alloc_bytes;
            io -= (int64_t)o->alloc_objects - (int64_t)o->free_objects;
            ib -= (int64_t)o->alloc_bytes - (int64_t)o->free_bytes;
        }
        rc = add_delta_site(b, locs, s->nframes, (int64_t)rate, ao, ab, io, ib);
    }
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
