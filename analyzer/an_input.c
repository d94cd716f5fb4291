/* analyzer/an_input.c: loading and checking a set of profiles, choosing the
 * sample columns, and ordering the snapshots in time. */
#include "an_input.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_prefetch.h"
#include "pprof.h"

static void add_note(an_input *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(an_input *in, const char *fmt, ...)
{
    if (in->nnotes >= AN_INPUT_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->notes[in->nnotes++], sizeof(in->notes[0]), fmt, ap);
    va_end(ap);
}

/* "type/unit, type/unit, ..." for messages. */
static void describe_types(const pprof_profile *p, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->pb->n_sample_type && off < len; i++) {
        const pprof_pb_profile *pb = p->pb;
        int w = snprintf(buf + off, len - off, "%s%s/%s", i ? ", " : "",
                         pprof_str(p, pb->sample_type[i]->type),
                         pprof_str(p, pb->sample_type[i]->unit));
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

static bool same_kind(const pprof_profile *a, const pprof_profile *b)
{
    if (a->pb->n_sample_type != b->pb->n_sample_type)
        return false;
    for (size_t i = 0; i < a->pb->n_sample_type; i++) {
        if (strcmp(pprof_str(a, a->pb->sample_type[i]->type),
                   pprof_str(b, b->pb->sample_type[i]->type)) != 0 ||
            strcmp(pprof_str(a, a->pb->sample_type[i]->unit),
                   pprof_str(b, b->pb->sample_type[i]->unit)) != 0)
            return false;
    }
    return true;
}

static void period_of(const pprof_profile *p, char *type, char *unit, size_t len)
{
    const char *t = "", *u = "";
    if (p->pb->period_type != NULL) {
        t = pprof_str(p, p->pb->period_type->type);
        u = pprof_str(p, p->pb->period_type->unit);
    }
    snprintf(type, len, "%s", t);
    snprintf(unit, len, "%s", u);
}

static int type_index(const pprof_profile *p, const char *name)
{
    return pprof_sample_index(p, name);
}

/* Chooses the columns from the first profile. */
static int choose_columns(an_input *in, const pprof_profile *p, const char *path,
                          const char *sample_index, hs_err *err)
{
    const pprof_pb_profile *pb = p->pb;
    int idx = -1;
    if (pb->n_sample_type == 0)
        return hs_err_set(err, "%s has no sample types, so it holds no values: give heap profiles",
                          path);
    if (sample_index != NULL) {
        bool numeric = sample_index[0] != '\0';
        for (const char *c = sample_index; *c; c++)
            numeric = numeric && isdigit((unsigned char)*c);
        idx = numeric ? atoi(sample_index) : type_index(p, sample_index);
        if (idx < 0 || (size_t)idx >= pb->n_sample_type) {
            char types[512];
            describe_types(p, types, sizeof(types));
            return hs_err_set(err, "--sample-index %s is not a sample type of %s: choose one of %s",
                              sample_index, path, types);
        }
    } else {
        idx = type_index(p, "inuse_space");
        if (idx < 0) {
            const char *def = pprof_str(p, pb->default_sample_type);
            idx = def[0] ? type_index(p, def) : -1;
            if (idx < 0)
                idx = (int)pb->n_sample_type - 1; /* pprof's own default */
            add_note(in, "no inuse_space sample type: following %s (choose with --sample-index)",
                     pprof_str(p, pb->sample_type[idx]->type));
        }
    }

    const char *type = pprof_str(p, pb->sample_type[idx]->type);
    const char *unit = pprof_str(p, pb->sample_type[idx]->unit);
    in->cols = (an_series_cols){idx, -1, -1, -1, 0, false};
    in->objects_type[0] = '\0';
    /* Heap families come in pairs: X_space (bytes) and X_objects (count). */
    size_t tl = strlen(type);
    char family[64];
    if (tl > 6 && strcmp(type + tl - 6, "_space") == 0)
        snprintf(family, sizeof(family), "%.*s", (int)(tl - 6), type);
    else if (tl > 8 && strcmp(type + tl - 8, "_objects") == 0)
        snprintf(family, sizeof(family), "%.*s", (int)(tl - 8), type);
    else
        family[0] = '\0';
    if (family[0]) {
        char name[96];
        snprintf(name, sizeof(name), "%s_space", family);
        int b = type_index(p, name);
        snprintf(name, sizeof(name), "%s_objects", family);
        int o = type_index(p, name);
        if (b >= 0)
            in->cols.bytes = b;
        if (o >= 0) {
            in->cols.objects = o;
            snprintf(in->objects_type, sizeof(in->objects_type), "%s", name);
        }
        if (b >= 0 && b != idx)
            add_note(in, "%s selects the %s family: suspects are ranked by %s_space", type, family,
                     family);
        if (strcmp(family, "inuse") == 0) {
            in->cols.alloc_bytes = type_index(p, "alloc_space");
            in->cols.alloc_objects = type_index(p, "alloc_objects");
        }
        type = pprof_str(p, pb->sample_type[in->cols.bytes]->type);
        unit = pprof_str(p, pb->sample_type[in->cols.bytes]->unit);
        if (strcmp(family, "alloc") == 0)
            add_note(in, "alloc_* values only ever grow (they count what was allocated, freed "
                         "or not): a suspect here allocates fast, it does not necessarily leak");
    }
    snprintf(in->sample_type, sizeof(in->sample_type), "%s", type);
    snprintf(in->sample_unit, sizeof(in->sample_unit), "%s", unit);
    period_of(p, in->period_type, in->period_unit, sizeof(in->period_type));
    in->period = pb->period;
    in->sampled = in->period > 1 && strcmp(in->period_unit, "bytes") == 0;
    /* Objects as large as the period are always sampled: buffers, judged
     * apart from the sampled entries of the same function (an_analysis). */
    if (in->sampled)
        in->cols.big_size = (double)in->period;
    return 0;
}

/* heapsnap scales its sampled stacks to the hook's exact live totals per size
 * class and says so in the profile's comments ("scaled to the hook's exact
 * size-class totals", snapshot/report): a site alone in its class then holds
 * an exact value (an_series_cols.exact_classes). */
#define AN_EXACT_MARK "exact size-class totals"

static bool exact_classes(const pprof_profile *p)
{
    for (size_t i = 0; i < p->pb->n_comment; i++)
        if (strstr(pprof_str(p, p->pb->comment[i]), AN_EXACT_MARK) != NULL)
            return true;
    return false;
}

/* heapsnap's "heap: N arenas, system_mem S; ... free F (tcache ..." comment
 * (snapshot/snapshot.c): malloc's memory from the system and what of it is
 * free, for the report's word on memory malloc keeps. */
static void malloc_figures(const pprof_profile *p, an_snapshot *s)
{
    for (size_t i = 0; i < p->pb->n_comment; i++) {
        const char *c = pprof_str(p, p->pb->comment[i]);
        if (strncmp(c, "heap: ", 6) != 0)
            continue;
        const char *sys = strstr(c, "system_mem "), *fr = strstr(c, "; free ");
        const char *rss = strstr(c, "; rss "), *mm = strstr(c, "(mmapped ");
        unsigned long long a, b, r;
        if (rss != NULL && sscanf(rss, "; rss %llu", &r) == 1 && r > 0)
            s->rss_bytes = (double)r;
        if (mm != NULL && sscanf(mm, "(mmapped %llu", &r) == 1)
            s->mmapped_bytes = (double)r;
        if (sys != NULL && fr != NULL && sscanf(sys, "system_mem %llu", &a) == 1 &&
            sscanf(fr, "; free %llu", &b) == 1) {
            s->sys_bytes = (double)a;
            s->free_bytes = (double)b;
        }
        return;
    }
}

static int cmp_time(const void *a, const void *b)
{
    const an_snapshot *x = a, *y = b;
    if (x->time_nanos != y->time_nanos)
        return x->time_nanos < y->time_nanos ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int an_input_load(an_input *in, char *const *paths, size_t n, const char *sample_index,
                  bool keep_order, const an_frames *filter, an_series **series, hs_err *err)
{
    memset(in, 0, sizeof(*in));
    *series = NULL;
    in->snaps = calloc(n ? n : 1, sizeof(*in->snaps));
    an_series *s = an_series_new(filter, n);
    if (in->snaps == NULL || s == NULL) {
        an_series_free(s);
        return hs_err_set(err, "out of memory");
    }
    in->n = n;
    /* Decoding is most of the work: worker threads read ahead, this thread
     * folds the profiles in order, so results do not depend on scheduling. */
    an_prefetch *pf = an_prefetch_start(paths, n, 0, err);
    if (pf == NULL) {
        an_series_free(s);
        return -1;
    }
    pprof_profile *first = NULL;
    const char *first_path = NULL;
    for (size_t i = 0; i < n; i++) {
        pprof_profile *p = an_prefetch_take(pf, i, err);
        if (p == NULL) {
            an_prefetch_stop(pf);
            pprof_profile_free(first);
            an_series_free(s);
            return -1;
        }
        if (first == NULL) {
            if (choose_columns(in, p, paths[i], sample_index, err) != 0) {
                an_prefetch_stop(pf);
                pprof_profile_free(p);
                an_series_free(s);
                return -1;
            }
        } else {
            char ta[64], ua[64], tb[64], ub[64];
            period_of(first, ta, ua, sizeof(ta));
            period_of(p, tb, ub, sizeof(tb));
            if (!same_kind(first, p)) {
                char a[512], b[512];
                describe_types(first, a, sizeof(a));
                describe_types(p, b, sizeof(b));
                hs_err_set(err,
                           "%s has sample types (%s) but %s has (%s): analyze profiles of "
                           "one kind from one program together",
                           paths[i], b, first_path, a);
                goto mismatch;
            }
            if (strcmp(ta, tb) != 0 || strcmp(ua, ub) != 0 || first->pb->period != p->pb->period) {
                hs_err_set(err,
                           "%s was sampled every %lld %s but %s every %lld %s: take every "
                           "snapshot with the same sampling rate (HEAPSNAP_RATE or "
                           "runtime.MemProfileRate) so their values compare",
                           paths[i], (long long)p->pb->period, ub[0] ? ub : "units", first_path,
                           (long long)first->pb->period, ua[0] ? ua : "units");
                goto mismatch;
            }
        }
        in->snaps[i] =
            (an_snapshot){paths[i], p->pb->time_nanos, (uint32_t)i, 0, NAN, NAN, NAN, NAN};
        malloc_figures(p, &in->snaps[i]);
        an_series_cols cols = in->cols;
        cols.exact_classes = in->sampled && exact_classes(p);
        in->nexact += cols.exact_classes;
        if (an_series_add_profile(s, (uint32_t)i, p, &cols, err) != 0) {
            hs_err_prefix(err, "%s", paths[i]);
            an_prefetch_stop(pf);
            pprof_profile_free(p);
            pprof_profile_free(first);
            an_series_free(s);
            return -1;
        }
        if (first == NULL) {
            /* Keep the first profile's header to compare the others with; its
             * samples are no longer needed. */
            first = p;
            first_path = paths[i];
        } else {
            pprof_profile_free(p);
        }
        continue;
    mismatch:
        an_prefetch_stop(pf);
        pprof_profile_free(p);
        pprof_profile_free(first);
        an_series_free(s);
        return -1;
    }
    an_prefetch_stop(pf);
    pprof_profile_free(first);
    if (an_series_finish(s, err) != 0) {
        an_series_free(s);
        return -1;
    }

    bool all_times = n > 0;
    for (size_t i = 0; i < n; i++)
        all_times = all_times && in->snaps[i].time_nanos > 0;
    if (all_times && !keep_order)
        qsort(in->snaps, n, sizeof(*in->snaps), cmp_time);
    if (all_times && n > 1 && in->snaps[n - 1].time_nanos == in->snaps[0].time_nanos)
        all_times = false;
    in->has_time = all_times;
    if (all_times) {
        for (size_t i = 0; i < n; i++)
            in->snaps[i].t = (double)(in->snaps[i].time_nanos - in->snaps[0].time_nanos) / 1e9;
        if (keep_order && n == 2 && in->snaps[1].time_nanos < in->snaps[0].time_nanos)
            add_note(in,
                     "the new profile (%s) is older than the base (%s): growth is measured "
                     "from base to new as given",
                     in->snaps[1].path, in->snaps[0].path);
    } else {
        for (size_t i = 0; i < n; i++)
            in->snaps[i].t = (double)i;
        if (n > 1)
            add_note(in, "the profiles carry no distinct time_nanos: they are taken in the order "
                         "given and rates are per snapshot, not per second");
    }
    *series = s;
    return 0;
}

void an_input_free(an_input *in)
{
    free(in->snaps);
    in->snaps = NULL;
}
