/* snapshot/retained.c: the ownership-path profile (see retained.h). Paths
 * are interned as a tree -- (site, parent path) to an id -- and each chunk's
 * path is its dominator's extended by its own site, found by climbing the
 * dominator chain only as far as the first chunk whose path is known, so
 * the whole heap costs one visit per chunk however deep the chains. */
#include "retained.h"

#include <stdlib.h>
#include <string.h>

#include "hgraph.h"
#include "hs_array.h"
#include "hs_intern.h"

#define RT_UNSET UINT32_MAX

typedef struct rt_path {
    uint64_t loc;
    uint32_t parent; /* RT_UNSET for a root group */
    uint32_t depth;
    int64_t objects, bytes;
} rt_path;

typedef struct rt_live {
    uint64_t user; /* the user pointer the hook recorded */
    uint32_t stack_id;
} rt_live;

typedef struct rt_ctx {
    pprof_builder *b;
    const registry *reg;
    attr_loc_fn loc_fn;
    void *loc_arg;
    rt_live *live;
    size_t nlive;
    uint64_t *stack_loc; /* per reg->stacks index: 0 = not yet */
    uint64_t unattributed;
    rt_path *paths;
    size_t npaths, cap;
    hs_intern tab;
    bool oom;
} rt_ctx;

static int rt_cmp_live(const void *a, const void *b)
{
    const rt_live *x = a, *y = b;
    return x->user < y->user ? -1 : x->user > y->user;
}

/* The location of the site that allocated the chunk at addr: its hook
 * stack's leaf, or "[unattributed]". 0 when out of memory. */
static uint64_t rt_site(rt_ctx *c, uint64_t addr)
{
    size_t a = 0, z = c->nlive;
    while (a < z) {
        size_t m = a + (z - a) / 2;
        if (c->live[m].user < addr + 16)
            a = m + 1;
        else
            z = m;
    }
    if (a < c->nlive && c->live[a].user == addr + 16) {
        uint32_t id = c->live[a].stack_id;
        size_t lo = 0, hi = c->reg->nstacks; /* stack_ids are sorted */
        while (lo < hi) {
            size_t m = lo + (hi - lo) / 2;
            if (c->reg->stack_ids[m] < id)
                lo = m + 1;
            else
                hi = m;
        }
        if (lo < c->reg->nstacks && c->reg->stack_ids[lo] == id && c->reg->stacks[lo].nframes > 0) {
            if (c->stack_loc[lo] == 0)
                c->stack_loc[lo] = c->loc_fn(c->loc_arg, c->b, c->reg->stacks[lo].frames[0]);
            return c->stack_loc[lo];
        }
    }
    if (c->unattributed == 0)
        c->unattributed = pprof_add_pseudo_location(c->b, "[unattributed]");
    return c->unattributed;
}

/* The path (loc, parent), interned; parent itself when loc repeats its
 * site or the path is as deep as allowed. RT_UNSET when out of memory. */
static uint32_t rt_extend(rt_ctx *c, uint32_t parent, uint64_t loc)
{
    if (loc == 0)
        return RT_UNSET;
    if (parent != RT_UNSET &&
        (c->paths[parent].loc == loc || c->paths[parent].depth >= RETAINED_MAX_DEPTH))
        return parent;
    uint64_t key[2] = {loc, parent};
    int added = 0;
    uint32_t got = hs_intern_get_or_put(&c->tab, key, sizeof(key), (uint32_t)c->npaths + 1, &added);
    if (got == 0)
        return RT_UNSET;
    if (added) {
        if (hs_array_grow((void **)&c->paths, &c->cap, c->npaths + 1, sizeof(*c->paths), 1024) != 0)
            return RT_UNSET;
        uint32_t depth = parent == RT_UNSET ? 1 : c->paths[parent].depth + 1;
        c->paths[c->npaths++] = (rt_path){loc, parent, depth, 0, 0};
    }
    return got - 1;
}

/* The root group's path of the chunk at the top of a dominator chain. */
static uint32_t rt_root(rt_ctx *c, const attr_chunk *ch, const char *const *labels, size_t nlabels)
{
    const char *name =
        ch->held_by < nlabels && labels[ch->held_by] ? labels[ch->held_by] : "[no holder]";
    return rt_extend(c, RT_UNSET, pprof_add_pseudo_location(c->b, name));
}

/* Every chunk's path into pid[]. 0, or -1 when out of memory. */
static int rt_paths(rt_ctx *c, const attr_chunk *chunks, size_t n, const uint32_t *idom,
                    const char *const *labels, size_t nlabels, uint32_t *pid)
{
    uint32_t *climb = NULL;
    size_t cap = 0;
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        size_t depth = 0;
        uint32_t v = (uint32_t)i;
        while (v != HGRAPH_NONE && pid[v] == RT_UNSET) {
            if (hs_array_grow((void **)&climb, &cap, depth + 1, sizeof(*climb), 1024) != 0)
                goto out;
            climb[depth++] = v;
            v = idom[v];
        }
        uint32_t base = v != HGRAPH_NONE ? pid[v] : RT_UNSET;
        while (depth-- > 0) {
            uint32_t u = climb[depth];
            if (base == RT_UNSET)
                base = rt_root(c, &chunks[u], labels, nlabels);
            uint32_t p =
                base == RT_UNSET ? RT_UNSET : rt_extend(c, base, rt_site(c, chunks[u].addr));
            if (p == RT_UNSET)
                goto out;
            pid[u] = p;
            base = p;
        }
    }
    rc = 0;
out:
    free(climb);
    return rc;
}

pprof_builder *retained_build(const attr_chunk *chunks, size_t n, const uint32_t *idom,
                              const char *const *labels, size_t nlabels, const registry *reg,
                              attr_loc_fn loc_fn, void *loc_arg, int64_t time_nanos, hs_err *err)
{
    rt_ctx c = {.reg = reg, .loc_fn = loc_fn, .loc_arg = loc_arg};
    uint32_t *pid = malloc((n ? n : 1) * sizeof(*pid));
    c.b = pprof_builder_new();
    size_t nlive = reg != NULL ? reg->nlive : 0, nstacks = reg != NULL ? reg->nstacks : 0;
    c.live = malloc((nlive ? nlive : 1) * sizeof(*c.live));
    c.stack_loc = calloc(nstacks ? nstacks : 1, sizeof(*c.stack_loc));
    bool ok = false;
    if (pid == NULL || c.b == NULL || c.live == NULL || c.stack_loc == NULL)
        goto out;
    pprof_add_sample_type(c.b, "retained_objects", "count");
    pprof_add_sample_type(c.b, "retained_space", "bytes");
    pprof_set_default_sample_type(c.b, "retained_space");
    pprof_set_time(c.b, time_nanos, 0);
    for (size_t i = 0; i < nlive; i++)
        if (reg->live[i].state == HEAPSNAP_LIVE_USED)
            c.live[c.nlive++] = (rt_live){reg->live[i].addr, reg->live[i].stack_id};
    if (c.nlive > 0)
        qsort(c.live, c.nlive, sizeof(*c.live), rt_cmp_live);
    for (size_t i = 0; i < n; i++)
        pid[i] = RT_UNSET;
    if (rt_paths(&c, chunks, n, idom, labels, nlabels, pid) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        c.paths[pid[i]].objects++;
        c.paths[pid[i]].bytes += (int64_t)chunks[i].size;
    }
    ok = true;
    for (size_t p = 0; p < c.npaths && ok; p++) {
        if (c.paths[p].objects == 0)
            continue;
        uint64_t locs[RETAINED_MAX_DEPTH + 1];
        size_t nl = 0;
        for (uint32_t q = (uint32_t)p; q != RT_UNSET && nl < RETAINED_MAX_DEPTH + 1;
             q = c.paths[q].parent)
            locs[nl++] = c.paths[q].loc;
        int64_t v[2] = {c.paths[p].objects, c.paths[p].bytes};
        ok = pprof_add_sample(c.b, locs, nl, v, NULL, 0) == 0;
    }
out:
    free(pid);
    free(c.live);
    free(c.stack_loc);
    free(c.paths);
    hs_intern_free(&c.tab);
    if (!ok) {
        pprof_builder_free(c.b);
        hs_err_set(err, "out of memory while building the retained profile of %zu chunks.", n);
        return NULL;
    }
    return c.b;
}
