/* lib/graph/hgraph.c: the heap graph (see hgraph.h). Nodes sit in an array
 * sorted by address, so a word is tested against the heap's bounds and then
 * found by binary search; edges are one array in node order (CSR). The
 * dominators are computed per pass (strong groups, then weak ones over what
 * is left, tier by tier) on the reached subgraph, by Cooper, Harvey and Kennedy's
 * iteration over reverse postorder. */
#include "hgraph.h"

#include <stdlib.h>
#include <string.h>

#include "hs_array.h"

struct hgraph {
    uint64_t *lo, *hi; /* node bounds, sorted */
    uint32_t *tail;    /* bytes past hi that are read too */
    size_t n;
    uint64_t *off; /* edges of node i: to[off[i] .. off[i + 1]) */
    uint32_t *to;  /* node ids */
    size_t nedges;
    bool *pointed; /* some other node points at node i */
};

size_t hgraph_nodes(const hgraph *g)
{
    return g->n;
}

size_t hgraph_edges(const hgraph *g)
{
    return g->nedges;
}

size_t hgraph_succ(const hgraph *g, size_t i, const uint32_t **to)
{
    *to = g->to + g->off[i];
    return (size_t)(g->off[i + 1] - g->off[i]);
}

long hgraph_find(const hgraph *g, uint64_t p)
{
    if (g->n == 0 || p < g->lo[0] || p >= g->hi[g->n - 1])
        return -1;
    size_t a = 0, b = g->n; /* the last lo <= p lies in [a, b) */
    while (b - a > 1) {
        size_t m = a + (b - a) / 2;
        if (g->lo[m] <= p)
            a = m;
        else
            b = m;
    }
    return p < g->hi[a] ? (long)a : -1;
}

void hgraph_free(hgraph *g)
{
    if (g == NULL)
        return;
    free(g->lo);
    free(g->hi);
    free(g->tail);
    free(g->off);
    free(g->to);
    free(g->pointed);
    free(g);
}

static int hg_push(hgraph *g, size_t *cap, uint32_t v)
{
    if (hs_array_grow((void **)&g->to, cap, g->nedges + 1, sizeof(*g->to), 4096) != 0)
        return -1;
    g->to[g->nedges++] = v;
    return 0;
}

hgraph *hgraph_build(const hgraph_node *nodes, size_t n, hgraph_read_fn read, void *arg,
                     hs_err *err)
{
    hgraph *g = calloc(1, sizeof(*g));
    if (g == NULL || n >= UINT32_MAX)
        goto oom;
    g->n = n;
    g->lo = malloc((n ? n : 1) * sizeof(*g->lo));
    g->hi = malloc((n ? n : 1) * sizeof(*g->hi));
    g->tail = malloc((n ? n : 1) * sizeof(*g->tail));
    g->off = malloc((n + 1) * sizeof(*g->off));
    g->pointed = calloc(n ? n : 1, sizeof(*g->pointed));
    if (g->lo == NULL || g->hi == NULL || g->tail == NULL || g->off == NULL || g->pointed == NULL)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        g->lo[i] = nodes[i].lo;
        g->hi[i] = nodes[i].hi;
        g->tail[i] = nodes[i].tail;
    }
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        g->off[i] = g->nedges;
        uint64_t lo = (g->lo[i] + 7) & ~7ull, hi = (g->hi[i] + g->tail[i]) & ~7ull;
        const uint64_t *w;
        if (hi <= lo || read(arg, lo, hi, &w) != 0)
            continue;
        size_t nw = (size_t)((hi - lo) / 8);
        long last = -1;
        for (size_t k = 0; k < nw; k++) {
            long j = hgraph_find(g, w[k]);
            if (j < 0 || (size_t)j == i || j == last)
                continue;
            if (hg_push(g, &cap, (uint32_t)j) != 0)
                goto oom;
            g->pointed[j] = true;
            last = j;
        }
    }
    g->off[n] = g->nedges;
    return g;
oom:
    hgraph_free(g);
    hs_err_set(err, "out of memory while building the heap graph of %zu chunks.", n);
    return NULL;
}

/* ---- dominators ---- */

#define HG_NONE UINT32_MAX

/* One pass's state. Node ids: chunks 0..n-1, groups n..n+ngroups-1, the
 * virtual root n+ngroups. */
typedef struct hg_pass {
    const hgraph *g;
    size_t n, ngroups, nv;
    const uint64_t *roff; /* roots of group k: rto[roff[k] .. roff[k + 1]) */
    const uint32_t *rto;
    const uint32_t *top; /* the root's successors: this pass's groups */
    size_t ntop;
    const int32_t *holder; /* chunks held by an earlier pass are left out */
    uint32_t *po;          /* postorder number, HG_NONE when not reached */
    uint32_t *order;       /* nodes by postorder number */
    uint32_t *idom;
    size_t nreached;
} hg_pass;

static void hg_succ(const hg_pass *p, uint32_t v, const uint32_t **s, size_t *ns)
{
    if (v < p->n) {
        *s = p->g->to + p->g->off[v];
        *ns = (size_t)(p->g->off[v + 1] - p->g->off[v]);
    } else if (v < p->n + p->ngroups) {
        size_t k = v - p->n;
        *s = p->rto + p->roff[k];
        *ns = (size_t)(p->roff[k + 1] - p->roff[k]);
    } else {
        *s = p->top;
        *ns = p->ntop;
    }
}

static bool hg_skip(const hg_pass *p, uint32_t v)
{
    return v < p->n && p->holder[v] != HGRAPH_LOST;
}

/* Iterative depth-first search from the root: postorder numbers. */
static int hg_dfs(hg_pass *p)
{
    uint32_t *stk = malloc(p->nv * sizeof(*stk));
    size_t *pos = malloc(p->nv * sizeof(*pos));
    if (stk == NULL || pos == NULL) {
        free(stk);
        free(pos);
        return -1;
    }
    uint32_t *seen = p->idom; /* borrowed: marks visited nodes (HG_NONE = not) */
    for (size_t v = 0; v < p->nv; v++)
        seen[v] = HG_NONE;
    size_t sp = 0;
    uint32_t root = (uint32_t)(p->nv - 1);
    stk[sp] = root;
    pos[sp++] = 0;
    seen[root] = 0;
    p->nreached = 0;
    while (sp > 0) {
        uint32_t v = stk[sp - 1];
        const uint32_t *s;
        size_t ns;
        hg_succ(p, v, &s, &ns);
        size_t k = pos[sp - 1];
        while (k < ns && (seen[s[k]] != HG_NONE || hg_skip(p, s[k])))
            k++;
        if (k < ns) {
            pos[sp - 1] = k + 1;
            seen[s[k]] = 0;
            stk[sp] = s[k];
            pos[sp++] = 0;
            continue;
        }
        sp--;
        p->po[v] = (uint32_t)p->nreached;
        p->order[p->nreached++] = v;
    }
    free(stk);
    free(pos);
    return 0;
}

static uint32_t hg_intersect(const hg_pass *p, uint32_t a, uint32_t b)
{
    while (a != b) {
        while (p->po[a] < p->po[b])
            a = p->idom[a];
        while (p->po[b] < p->po[a])
            b = p->idom[b];
    }
    return a;
}

/* The predecessors of the reached nodes by postorder number, in two rounds
 * over their edges: with pred NULL it counts into slot[po + 1], else it
 * fills pred at slot[po]++. */
static void hg_preds(const hg_pass *p, uint64_t *slot, uint32_t *pred)
{
    for (size_t i = 0; i < p->nreached; i++) {
        const uint32_t *s;
        size_t ns;
        hg_succ(p, p->order[i], &s, &ns);
        for (size_t k = 0; k < ns; k++) {
            if (p->po[s[k]] == HG_NONE || hg_skip(p, s[k]))
                continue;
            if (pred == NULL)
                slot[p->po[s[k]] + 1]++;
            else
                pred[slot[p->po[s[k]]]++] = p->order[i];
        }
    }
}

/* Cooper, Harvey and Kennedy, "A Simple, Fast Dominance Algorithm" (2001),
 * over the predecessors of the reached nodes. */
static int hg_dominators(hg_pass *p)
{
    size_t nr = p->nreached;
    uint64_t *poff = calloc(nr + 1, sizeof(*poff));
    if (poff == NULL)
        return -1;
    hg_preds(p, poff, NULL);
    for (size_t i = 0; i < nr; i++)
        poff[i + 1] += poff[i];
    uint32_t *pred = malloc((poff[nr] ? poff[nr] : 1) * sizeof(*pred));
    uint64_t *fill = malloc((nr ? nr : 1) * sizeof(*fill));
    if (pred == NULL || fill == NULL) {
        free(poff);
        free(pred);
        free(fill);
        return -1;
    }
    memcpy(fill, poff, nr * sizeof(*fill));
    hg_preds(p, fill, pred);
    free(fill);
    for (size_t v = 0; v < p->nv; v++)
        p->idom[v] = HG_NONE;
    uint32_t root = (uint32_t)(p->nv - 1);
    p->idom[root] = root;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = nr - 1; i-- > 0;) { /* reverse postorder, root excluded */
            uint32_t v = p->order[i];
            uint32_t nd = HG_NONE;
            for (uint64_t k = poff[i]; k < poff[i + 1]; k++) {
                uint32_t u = pred[k];
                if (p->idom[u] == HG_NONE)
                    continue;
                nd = nd == HG_NONE ? u : hg_intersect(p, u, nd);
            }
            if (nd != HG_NONE && p->idom[v] != nd) {
                p->idom[v] = nd;
                changed = true;
            }
        }
    }
    free(poff);
    free(pred);
    return 0;
}

/* The holder of every chunk this pass reached, in reverse postorder so that
 * a chunk's immediate dominator has its holder already. */
static void hg_assign(const hg_pass *p, int32_t *holder, uint32_t *idom)
{
    uint32_t root = (uint32_t)(p->nv - 1);
    for (size_t i = p->nreached - 1; i-- > 0;) {
        uint32_t v = p->order[i], d = p->idom[v];
        if (v >= p->n || d == HG_NONE)
            continue;
        if (idom != NULL)
            idom[v] = d < p->n ? d : HGRAPH_NONE;
        if (d == root)
            holder[v] = HGRAPH_SHARED;
        else if (d >= p->n)
            holder[v] = (int32_t)(d - p->n);
        else
            holder[v] = holder[d];
    }
}

int hgraph_holders(const hgraph *g, const hgraph_root *roots, size_t nroots, size_t ngroups,
                   const uint8_t *tier, int32_t *holder, bool *lost_direct, uint32_t *idom,
                   hs_err *err)
{
    size_t n = g->n, nv = n + ngroups + 1;
    int rc = -1;
    uint64_t *roff = calloc(ngroups + 1, sizeof(*roff));
    uint32_t *rto = malloc((nroots ? nroots : 1) * sizeof(*rto));
    uint32_t *top = malloc((ngroups ? ngroups : 1) * sizeof(*top));
    uint64_t *fill = malloc((ngroups ? ngroups : 1) * sizeof(*fill));
    hg_pass p = {.g = g,
                 .n = n,
                 .ngroups = ngroups,
                 .nv = nv,
                 .roff = roff,
                 .rto = rto,
                 .top = top,
                 .holder = holder};
    p.po = malloc(nv * sizeof(*p.po));
    p.order = malloc(nv * sizeof(*p.order));
    p.idom = malloc(nv * sizeof(*p.idom));
    if (nv >= UINT32_MAX || roff == NULL || rto == NULL || top == NULL || fill == NULL ||
        p.po == NULL || p.order == NULL || p.idom == NULL)
        goto out;
    for (size_t r = 0; r < nroots; r++)
        roff[roots[r].group + 1]++;
    for (size_t k = 0; k < ngroups; k++)
        roff[k + 1] += roff[k];
    memcpy(fill, roff, ngroups * sizeof(*fill));
    for (size_t r = 0; r < nroots; r++)
        rto[fill[roots[r].group]++] = roots[r].node;
    for (size_t i = 0; i < n; i++) {
        holder[i] = HGRAPH_LOST;
        if (idom != NULL)
            idom[i] = HGRAPH_NONE;
    }
    for (unsigned pass = 0; pass < HGRAPH_TIERS; pass++) {
        p.ntop = 0;
        for (size_t k = 0; k < ngroups; k++)
            if ((tier != NULL ? tier[k] : 0) == pass && roff[k + 1] > roff[k])
                top[p.ntop++] = (uint32_t)(n + k);
        if (p.ntop == 0)
            continue;
        for (size_t v = 0; v < nv; v++)
            p.po[v] = HG_NONE;
        if (hg_dfs(&p) != 0 || hg_dominators(&p) != 0)
            goto out;
        hg_assign(&p, holder, idom);
    }
    for (size_t i = 0; i < n; i++)
        lost_direct[i] = holder[i] == HGRAPH_LOST && !g->pointed[i];
    rc = 0;
out:
    if (rc != 0)
        hs_err_set(err, "out of memory while finding the holders of %zu chunks.", n);
    free(roff);
    free(rto);
    free(top);
    free(fill);
    free(p.po);
    free(p.order);
    free(p.idom);
    return rc;
}
