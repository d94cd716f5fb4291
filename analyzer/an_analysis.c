/* analyzer/an_analysis.c: runs the classifier over every allocating function
 * (sites grouped with a counting sort, so the cost is linear in the points),
 * ranks the suspects and picks each one's fastest-growing call sites. */
#include "an_analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "an_hint.h"
#include "an_trend.h"

typedef struct scratch {
    double *b, *o, *al;
} scratch;

/* Dense series of one site added into b/o/al, and of its objects of at least
 * the sampling period into bb/bo/ba when those are not NULL; analysis order. */
static void site_dense(const an_site *site, const uint32_t *order, double *b, double *o, double *al,
                       double *bb, double *bo, double *ba, double *pin)
{
    for (uint32_t k = 0; k < site->npts; k++) {
        const an_point *p = &site->pts[k];
        uint32_t i = order[p->snap];
        if (pin != NULL)
            pin[i] += p->exact_bytes;
        b[i] += (double)p->bytes;
        o[i] += (double)p->objects;
        al[i] += (double)p->alloc_bytes;
        if (bb != NULL) {
            bb[i] += (double)p->big_bytes;
            bo[i] += (double)p->big_objects;
            ba[i] += (double)p->big_alloc;
        }
    }
}

/* Mean in-use bytes of a site over the n snapshots, and their noise weight:
 * an_trend_noise_weight of its own object size, less the share of its bytes
 * pinned by exact size-class totals (a site that holds a fraction f of its
 * class, scaled to the class's exact total, varies as f (1 - f) of the
 * class: its Poisson noise times 1 - f). */
static double site_noise(const an_site *site, size_t n, double period, double *weight,
                         double *raw_weight, double *exact_bytes)
{
    double sb = 0, so = 0, exact = 0;
    for (uint32_t k = 0; k < site->npts; k++) {
        sb += (double)site->pts[k].bytes;
        so += (double)site->pts[k].objects;
        exact += site->pts[k].exact_bytes;
    }
    *raw_weight = an_trend_noise_weight(sb, so, period);
    *weight = *raw_weight;
    if (sb > 0)
        *weight *= fmax(0, 1 - exact / sb);
    *exact_bytes = exact / (double)n;
    return sb / (double)n;
}

/* A suspect that allocates more than 1/AN_RETENTION_MIN times what it keeps
 * is ranked after those that keep most of what they allocate. */
static bool high_turnover(const an_verdict *v)
{
    return v->retention < AN_RETENTION_MIN;
}

static int cmp_rate(const void *x, const void *y, void *ctx)
{
    const an_verdict *v = ctx;
    const an_verdict *a = &v[*(const size_t *)x], *b = &v[*(const size_t *)y];
    if (high_turnover(a) != high_turnover(b))
        return high_turnover(a) ? 1 : -1;
    if (a->st.bytes_per_s != b->st.bytes_per_s)
        return a->st.bytes_per_s > b->st.bytes_per_s ? -1 : 1;
    if (a->st.growth_bytes != b->st.growth_bytes)
        return a->st.growth_bytes > b->st.growth_bytes ? -1 : 1;
    return a->group < b->group ? -1 : a->group > b->group;
}

/* Fastest-growing sites of a suspect, and its representative frame. */
static void pick_sites(an_analysis *a, an_verdict *v, const uint32_t *members, size_t nmembers,
                       const uint32_t *order, scratch *sc)
{
    const size_t n = a->n;
    v->nsites = 0;
    for (size_t m = 0; m < nmembers; m++) {
        const an_site *site = an_series_site(a->series, members[m]);
        memset(sc->b, 0, n * sizeof(double));
        memset(sc->o, 0, n * sizeof(double));
        memset(sc->al, 0, n * sizeof(double));
        site_dense(site, order, sc->b, sc->o, sc->al, NULL, NULL, NULL, NULL);
        double rate;
        if (n == 2) {
            rate = sc->b[1] - sc->b[0];
        } else {
            an_fit f;
            an_trend_fit(a->t, sc->b, n, &f);
            rate = f.slope;
        }
        if (rate <= 0)
            continue;
        int pos = v->nsites;
        while (pos > 0 && v->site_rate[pos - 1] < rate)
            pos--;
        if (pos >= AN_TOP_SITES)
            continue;
        int last = v->nsites < AN_TOP_SITES ? v->nsites : AN_TOP_SITES - 1;
        for (int j = last; j > pos; j--) {
            v->sites[j] = v->sites[j - 1];
            v->site_rate[j] = v->site_rate[j - 1];
        }
        v->sites[pos] = members[m];
        v->site_rate[pos] = rate;
        if (v->nsites < AN_TOP_SITES)
            v->nsites++;
    }
    const an_group *g = an_series_group(a->series, v->group);
    v->function = an_series_str(a->series, g->function);
    v->file = an_series_str(a->series, g->file);
    v->line = 0;
    if (v->nsites > 0) {
        const an_site *site = an_series_site(a->series, v->sites[0]);
        if (site->nframes > 0) {
            const an_frame *f =
                an_series_frame(a->series, an_series_stack(a->series, site)[site->alloc_pos]);
            v->line = f->line;
        }
    }
    an_hint_write(v->hint, sizeof(v->hint), v->pattern, v->function, v->file, v->line, NULL);
}

/* True when y[0..n) holds something at some point. */
static bool any_positive(const double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] > 0)
            return true;
    return false;
}

/* A function that allocates both objects smaller than the sampling period
 * (sampled, accumulating like entries) and ones at least that large (always
 * sampled, reallocated like buffers) -- a Go map's entries and its bucket
 * arrays -- has two series of different noise and shape in one: when the
 * whole is no leak, each part is judged on its own, and a part that leaks
 * gives the verdict -- unless the whole grew and then allocated less than two
 * periods in its second half: a function that no longer allocates has
 * stopped in every part (a map whose entries stopped has stopped its bucket
 * arrays), whatever the shape of one part's single jump. big holds the large
 * part's bytes, objects and alloc (3 n values) followed by 3 n of scratch for
 * the small part. */
static void classify_parts(an_verdict *v, const an_series_in *whole, double *big,
                           const an_limits *lim, bool two_point)
{
    const size_t n = whole->n;
    double *small = big + 3 * n;
    if (!any_positive(big, n))
        return;
    if (v->status == AN_STATUS_PLATEAU && !isnan(v->st.late_alloc) &&
        v->st.late_alloc < fmax(AN_MIN_GROWTH_BYTES, 2 * lim->period))
        return;
    for (size_t i = 0; i < n; i++) {
        small[i] = whole->bytes[i] - big[i];
        small[n + i] = whole->objects ? whole->objects[i] - big[n + i] : 0;
        small[2 * n + i] = whole->alloc ? whole->alloc[i] - big[2 * n + i] : 0;
    }
    if (!any_positive(small, n))
        return;
    const double *parts[2] = {small, big};
    for (int k = 0; k < 2; k++) {
        an_series_in in = *whole;
        in.bytes = parts[k];
        in.objects = whole->objects ? parts[k] + n : NULL;
        in.alloc = whole->alloc ? parts[k] + 2 * n : NULL;
        in.weight = 0; /* the part's own object size */
        in.alloc_weight = 0;
        in.pinned = NULL; /* the whole's share */
        an_stats st;
        an_classify_stats(&in, &st);
        an_status status = an_classify_status(&st, lim, two_point);
        bool better = v->part == AN_PART_ALL || st.growth_bytes > v->st.growth_bytes;
        if ((status == AN_STATUS_LEAK || status == AN_STATUS_GREW) && better) {
            v->st = st;
            v->status = status;
            v->part = k == 0 ? AN_PART_SMALL : AN_PART_LARGE;
        }
    }
}

static int cmp_growth(const void *x, const void *y, void *ctx)
{
    const an_verdict *v = ctx;
    const an_verdict *a = &v[*(const size_t *)x], *b = &v[*(const size_t *)y];
    if (a->st.growth_bytes != b->st.growth_bytes)
        return a->st.growth_bytes > b->st.growth_bytes ? -1 : 1;
    return a->group < b->group ? -1 : a->group > b->group;
}

/* The non-suspects that grew by at least floor bytes and min_z deviations,
 * largest growth first, at most AN_TOP_SITES of them into out; a plateau (it
 * stopped) only when any growth counts (min_z = -INFINITY). */
static size_t top_growers(const an_analysis *a, double floor, double min_z, size_t *out)
{
    size_t *cand = calloc(a->nverdicts ? a->nverdicts : 1, sizeof(size_t));
    if (cand == NULL)
        return 0;
    size_t k = 0;
    for (size_t g = 0; g < a->nverdicts; g++) {
        const an_verdict *v = &a->verdicts[g];
        if (v->status != AN_STATUS_LEAK && v->status != AN_STATUS_GREW &&
            (v->status != AN_STATUS_PLATEAU || min_z == -INFINITY) && v->st.growth_bytes >= floor &&
            v->st.z >= min_z)
            cand[k++] = g;
    }
    qsort_r(cand, k, sizeof(size_t), cmp_growth, a->verdicts);
    size_t m = k < AN_TOP_SITES ? k : AN_TOP_SITES;
    memcpy(out, cand, m * sizeof(size_t));
    free(cand);
    return m;
}

/* Where the growth went. Functions that rose beyond AN_Z_STEP deviations
 * without a verdict of their own are named as rising; and when the heap grew
 * beyond the noise of all its functions together while the suspects hold less
 * than half of that growth, the functions that grew most are named with the
 * bytes no suspect explains. */
static void account_growth(an_analysis *a, const an_limits *lim, double noise)
{
    double floor = fmax(AN_MIN_GROWTH_BYTES, AN_MIN_HEAP_SHARE * lim->heap_max);
    a->nrising = top_growers(a, floor, AN_Z_STEP, a->rising);
    double growth = a->total.growth_bytes;
    a->total_grew = growth >= fmax(floor, AN_Z * noise);
    if (!a->total_grew)
        return;
    double explained = 0;
    for (size_t i = 0; i < a->nsuspects; i++)
        explained += fmax(a->verdicts[a->suspects[i]].st.growth_bytes, 0);
    for (size_t i = 0; i < a->nuncoded; i++)
        explained += fmax(a->verdicts[a->uncoded[i]].st.growth_bytes, 0);
    if (explained >= AN_EXPLAINED_SHARE * growth)
        return;
    a->unexplained_bytes = growth - explained;
    a->ngrowers = top_growers(a, floor, -INFINITY, a->growers);
}

/* What malloc keeps (an_analysis.h): from the first and last snapshots'
 * comments, when both carry malloc's figures. */
static void malloc_memory(an_analysis *a)
{
    const an_snapshot *s0 = &a->in->snaps[0], *s1 = &a->in->snaps[a->n - 1];
    if (isnan(s0->sys_bytes) || isnan(s1->sys_bytes))
        return;
    a->has_malloc = true;
    a->sys_start = s0->sys_bytes;
    a->sys_end = s1->sys_bytes;
    a->free_start = s0->free_bytes;
    a->free_end = s1->free_bytes;
    a->malloc_keeps = a->free_end >= AN_KEPT_MIN && a->free_end >= AN_KEPT_SHARE * a->sys_end;
    double grew = a->sys_end - a->sys_start;
    a->malloc_grew = grew >= AN_KEPT_MIN && grew >= AN_SYS_GROWTH * a->sys_start &&
                     a->total.end_bytes - a->total.start_bytes < 0.5 * grew;
    if (isnan(s0->rss_bytes) || isnan(s1->rss_bytes))
        return;
    a->has_rss = true;
    a->rss_start = s0->rss_bytes;
    a->rss_end = s1->rss_bytes;
    double rss_grew = a->rss_end - a->rss_start;
    a->rss_kept = rss_grew >= AN_KEPT_MIN && rss_grew >= AN_SYS_GROWTH * a->rss_start &&
                  a->total.end_bytes - a->total.start_bytes < 0.5 * rss_grew &&
                  a->free_end >= 0.5 * rss_grew;
    if (isnan(s0->mmapped_bytes) || isnan(s1->mmapped_bytes))
        return;
    /* RSS is read, not sampled: the bound is exact. malloc's resident bytes
     * grew by at most what it holds at the end (arenas and mmapped chunks)
     * less what was surely resident at the start (the heap in use, which was
     * written). */
    double malloc_end = a->sys_end + s1->mmapped_bytes;
    double outside = rss_grew - (malloc_end - fmin(a->total.start_bytes, malloc_end));
    a->rss_outside_bytes = outside > 0 ? outside : 0;
    a->rss_outside = outside >= AN_KEPT_MIN && outside >= AN_SYS_GROWTH * a->rss_start &&
                     outside >= 0.5 * rss_grew;
}

int an_analyze(an_analysis *a, const an_input *in, const an_series *series, hs_err *err)
{
    memset(a, 0, sizeof(*a));
    a->in = in;
    a->series = series;
    a->n = in->n;
    a->two_point = in->n == 2;
    const size_t n = a->n;
    const size_t nsites = an_series_nsites(series), ngroups = an_series_ngroups(series);
    uint32_t *order = calloc(n, sizeof(uint32_t));
    size_t *start = calloc(ngroups + 1, sizeof(size_t));
    uint32_t *members = calloc(nsites ? nsites : 1, sizeof(uint32_t));
    scratch sc = {calloc(n, sizeof(double)), calloc(n, sizeof(double)), calloc(n, sizeof(double))};
    a->t = calloc(n, sizeof(double));
    a->total_bytes = calloc(n, sizeof(double));
    a->verdicts = calloc(ngroups ? ngroups : 1, sizeof(an_verdict));
    a->suspects = calloc(ngroups ? ngroups : 1, sizeof(size_t));
    int rc = -1;
    if (!order || !start || !members || !sc.b || !sc.o || !sc.al || !a->t || !a->total_bytes ||
        !a->verdicts || !a->suspects) {
        hs_err_set(err, "out of memory while analysing: analyze fewer profiles");
        goto out;
    }

    const double *tb = an_series_total_bytes(series), *to = an_series_total_objects(series);
    const double *ta = an_series_total_alloc(series);
    double *tot_o = calloc(n, sizeof(double)), *tot_a = calloc(n, sizeof(double));
    if (tot_o == NULL || tot_a == NULL) {
        free(tot_o);
        free(tot_a);
        hs_err_set(err, "out of memory while analysing: analyze fewer profiles");
        goto out;
    }
    double heap_max = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t pos = in->snaps[i].pos;
        order[pos] = (uint32_t)i;
        a->t[i] = in->snaps[i].t;
        a->total_bytes[i] = tb[pos];
        tot_o[i] = to[pos];
        tot_a[i] = ta[pos];
        heap_max = fmax(heap_max, tb[pos]);
    }
    if (a->two_point && a->t[1] < 0)
        a->t[1] = 0; /* a "new" profile older than its base: no rate, growth as given */
    an_series_in total_in = {
        a->t, a->total_bytes, tot_o, in->cols.alloc_bytes >= 0 ? tot_a : NULL, n, 0, 0, 0,
        0,    NULL,           false};
    an_classify_stats(&total_in, &a->total);
    free(tot_o);
    free(tot_a);

    /* Group the sites: counting sort by group. */
    for (size_t s = 0; s < nsites; s++)
        start[an_series_site(series, s)->group + 1]++;
    for (size_t g = 0; g < ngroups; g++)
        start[g + 1] += start[g];
    {
        size_t *fill = calloc(ngroups ? ngroups : 1, sizeof(size_t));
        if (fill == NULL) {
            hs_err_set(err, "out of memory while analysing: analyze fewer profiles");
            goto out;
        }
        for (size_t s = 0; s < nsites; s++) {
            uint32_t g = an_series_site(series, s)->group;
            members[start[g] + fill[g]++] = (uint32_t)s;
        }
        free(fill);
    }

    an_limits lim = {in->sampled ? (double)in->period : 0, heap_max};
    double *gbuf = calloc(10 * n, sizeof(double));
    if (gbuf == NULL) {
        hs_err_set(err, "out of memory while analysing: analyze fewer profiles");
        goto out;
    }
    double *gb = gbuf, *go = gbuf + n, *ga = gbuf + 2 * n, *gpin = gbuf + 9 * n;
    double noise2 = 0;
    for (size_t g = 0; g < ngroups; g++) {
        an_verdict *v = &a->verdicts[g];
        memset(gbuf, 0, 10 * n * sizeof(double));
        double wsum = 0, rawsum = 0, level = 0, exact = 0;
        for (size_t m = start[g]; m < start[g + 1]; m++) {
            const an_site *site = an_series_site(series, members[m]);
            site_dense(site, order, gb, go, ga, gbuf + 3 * n, gbuf + 4 * n, gbuf + 5 * n, gpin);
            if (lim.period > 1) {
                double w, raw, e;
                double mean = site_noise(site, n, lim.period, &w, &raw, &e);
                wsum += mean * w;
                rawsum += mean * raw;
                level += mean;
                exact += e;
            }
        }
        an_series_in sin = {a->t,
                            gb,
                            in->cols.objects >= 0 ? go : NULL,
                            in->cols.alloc_bytes >= 0 ? ga : NULL,
                            n,
                            lim.period,
                            level > 0 ? wsum / level : 0,
                            level > 0 ? exact / level : 0,
                            level > 0 ? rawsum / level : 0,
                            in->sampled ? gpin : NULL,
                            an_hint_is_go(an_series_str(series, an_series_group(series, g)->file))};
        v->group = (uint32_t)g;
        an_classify_stats(&sin, &v->st);
        v->status = an_classify_status(&v->st, &lim, a->two_point);
        if (v->status != AN_STATUS_LEAK && v->status != AN_STATUS_GREW && lim.period > 1)
            classify_parts(v, &sin, gbuf + 3 * n, &lim, a->two_point);
        a->count[v->status]++;
        noise2 += v->st.noise_growth * v->st.noise_growth;
        v->retention = 1;
        if (in->cols.alloc_bytes >= 0 && v->st.growth_alloc > 0 && v->st.growth_bytes > 0)
            v->retention = v->st.growth_bytes / v->st.growth_alloc;
        v->rel_start = v->st.start_bytes > 0 ? v->st.growth_bytes / v->st.start_bytes : -1;
        double end_total = a->total_bytes[n - 1];
        v->rel_heap = end_total > 0 ? v->st.growth_bytes / end_total : 0;
        const an_group *grp = an_series_group(series, g);
        v->function = an_series_str(series, grp->function);
        v->file = an_series_str(series, grp->file);
        bool grows = v->status == AN_STATUS_LEAK || v->status == AN_STATUS_GREW;
        if (grows && v->function[0] == '[') {
            /* heapsnap's pseudo-sites ([unattributed ...], [unsampled ...])
             * name no code to fix: where the growth went, not a suspect */
            if (a->nuncoded < AN_TOP_SITES)
                a->uncoded[a->nuncoded++] = g;
        } else if (grows) {
            v->pattern = an_classify_pattern(&v->st);
            v->confidence = an_classify_confidence(&v->st, n, a->two_point);
            a->suspects[a->nsuspects++] = g;
            pick_sites(a, v, members + start[g], start[g + 1] - start[g], order, &sc);
        }
    }
    free(gbuf);
    a->nverdicts = ngroups;
    qsort_r(a->suspects, a->nsuspects, sizeof(size_t), cmp_rate, a->verdicts);
    account_growth(a, &lim, sqrt(noise2));
    malloc_memory(a);
    rc = 0;
out:
    free(order);
    free(start);
    free(members);
    free(sc.b);
    free(sc.o);
    free(sc.al);
    return rc;
}

void an_analysis_group_bytes(const an_analysis *a, const an_verdict *v, double *out)
{
    memset(out, 0, a->n * sizeof(double));
    uint32_t *order = calloc(a->n, sizeof(uint32_t));
    if (order == NULL)
        return;
    for (size_t i = 0; i < a->n; i++)
        order[a->in->snaps[i].pos] = (uint32_t)i;
    for (size_t s = 0; s < an_series_nsites(a->series); s++) {
        const an_site *site = an_series_site(a->series, s);
        if (site->group != v->group)
            continue;
        for (uint32_t k = 0; k < site->npts; k++)
            out[order[site->pts[k].snap]] += (double)site->pts[k].bytes;
    }
    free(order);
}

static const an_analysis *sort_ctx;
static int cmp_peak(const void *x, const void *y)
{
    const an_verdict *a = &sort_ctx->verdicts[*(const size_t *)x];
    const an_verdict *b = &sort_ctx->verdicts[*(const size_t *)y];
    double pa = a->status == AN_STATUS_CHURN ? a->st.alloc_per_s : a->st.peak_bytes;
    double pb = b->status == AN_STATUS_CHURN ? b->st.alloc_per_s : b->st.peak_bytes;
    if (pa != pb)
        return pa > pb ? -1 : 1;
    return a->group < b->group ? -1 : a->group > b->group;
}

const an_status an_not_leaking[AN_NOT_LEAKING_N] = {
    AN_STATUS_PLATEAU, AN_STATUS_UNSTEADY, AN_STATUS_CHURN, AN_STATUS_SHRINKING, AN_STATUS_FLAT};

size_t an_analysis_by_status(const an_analysis *a, an_status s, size_t *out, size_t max)
{
    size_t cnt = a->count[s];
    size_t *all = calloc(cnt ? cnt : 1, sizeof(size_t));
    if (all == NULL)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < a->nverdicts && k < cnt; i++)
        if (a->verdicts[i].status == s)
            all[k++] = i;
    sort_ctx = a;
    qsort(all, k, sizeof(size_t), cmp_peak);
    size_t m = k < max ? k : max;
    memcpy(out, all, m * sizeof(size_t));
    free(all);
    return m;
}

void an_analysis_free(an_analysis *a)
{
    free(a->t);
    free(a->total_bytes);
    free(a->verdicts);
    free(a->suspects);
    memset(a, 0, sizeof(*a));
}
