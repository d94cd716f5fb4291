/* snapshot/holders.c: the graph stage (see holders.h): nodes from the
 * classified chunks, words from the capture's copies (heaps) and the roots'
 * (mmapped chunks), root edges grouped by name, then lib/graph's holders
 * turned into labels and totals. */
#include "holders.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hgraph.h"
#include "hs_array.h"
#include "hs_intern.h"
#include "roots.h"

#define HOLDERS_TOP 4 /* retained totals named in the comment */

struct holders {
    roots *r;
    memsrc *m;
    bool done;
    char why[160]; /* why nothing was labelled */
    char **labels; /* [0] NULL, [1] "lost", [2] "shared", then the groups' names */
    size_t nlabels;
    uint8_t *tier; /* per label: its group's tier (roots.h) */
    uint64_t *label_bytes, *label_chunks;
    uint64_t direct_chunks, direct_bytes, indirect_chunks, indirect_bytes;
    bool *shares;   /* per label: a group that reaches a shared chunk directly */
    uint32_t *idom; /* per chunk (sorted by address): its immediate dominator */
    size_t nnodes, nedges, nroots;
    uint64_t graph_us, edges_us, dom_us; /* all of it; the edges; the dominators */
};

enum { HOLDERS_NONE, HOLDERS_LOST, HOLDERS_SHARED, HOLDERS_FIRST };

holders *holders_capture(pid_t pid, hproc *h, const gheap_thread *threads, size_t n,
                         const gheap_capture *cap, const registry *reg, hs_err *err)
{
    holders *hs = calloc(1, sizeof(*hs));
    if (hs == NULL) {
        hs_err_set(err, "out of memory while copying the roots of process %d.", (int)pid);
        return NULL;
    }
    gheap_range skip[REGISTRY_MAX_TABLES];
    size_t nskip = 0;
    if (reg != NULL) {
        uint64_t ts[REGISTRY_MAX_TABLES], te[REGISTRY_MAX_TABLES];
        nskip = registry_tables(reg, ts, te);
        for (size_t k = 0; k < nskip; k++)
            skip[k] = (gheap_range){ts[k], te[k]};
    }
    if (roots_capture(pid, h, threads, n, cap, skip, nskip, &hs->r, err) != 0) {
        free(hs);
        return NULL;
    }
    return hs;
}

static int holders_read(void *arg, uint64_t lo, uint64_t hi, const uint64_t **words)
{
    holders *hs = arg;
    size_t avail;
    const uint8_t *p = memsrc_stream(hs->m, lo, (size_t)(hi - lo), &avail);
    if (p != NULL) {
        *words = (const uint64_t *)(const void *)p;
        return 0;
    }
    return roots_chunk_words(hs->r, lo, hi, words);
}

static int holders_add_label(holders *hs, hs_intern *in, const char *name, uint8_t tier,
                             uint32_t *id)
{
    int added = 0;
    uint32_t got = hs_intern_get_or_put(in, name, strlen(name), (uint32_t)hs->nlabels + 1, &added);
    if (got == 0)
        return -1;
    *id = got - 1;
    if (!added)
        return 0;
    char **nl = realloc(hs->labels, (hs->nlabels + 1) * sizeof(*nl));
    if (nl == NULL)
        return -1;
    hs->labels = nl;
    uint8_t *nt = realloc(hs->tier, (hs->nlabels + 1) * sizeof(*nt));
    if (nt == NULL)
        return -1;
    hs->tier = nt;
    hs->tier[hs->nlabels] = tier;
    hs->labels[hs->nlabels] = strdup(name);
    if (hs->labels[hs->nlabels] == NULL)
        return -1;
    hs->nlabels++;
    return 0;
}

typedef struct holders_edges {
    hgraph_root *v;
    size_t n, cap;
} holders_edges;

static int holders_edge(holders_edges *e, uint32_t label, long node)
{
    if (hs_array_grow((void **)&e->v, &e->cap, e->n + 1, sizeof(*e->v), 1024) != 0)
        return -1;
    e->v[e->n++] = (hgraph_root){label - HOLDERS_FIRST, (uint32_t)node};
    return 0;
}

/* Every root word that points into a chunk, as an edge from its group. */
static int holders_roots(holders *hs, const hgraph *g, sym_ctx *sym, hs_intern *in,
                         holders_edges *e)
{
    roots *r = hs->r;
    char name[320];
    for (size_t b = 0; b < r->nblocks; b++) {
        const roots_block *blk = &r->blocks[b];
        for (uint64_t k = 0, nw = (blk->hi - blk->lo) / 8; k < nw; k++) {
            long j = hgraph_find(g, blk->words[k]);
            if (j < 0)
                continue;
            uint8_t tier;
            uint32_t id;
            roots_group(r, b, blk->lo + 8 * k, sym, name, sizeof(name), &tier);
            if (holders_add_label(hs, in, name, tier, &id) != 0 || holders_edge(e, id, j) != 0)
                return -1;
        }
    }
    for (size_t t = 0; t < r->nthreads; t++) {
        for (size_t k = 0; k < r->threads[t].nregs; k++) {
            long j = hgraph_find(g, r->threads[t].regs[k]);
            if (j < 0)
                continue;
            uint32_t id;
            snprintf(name, sizeof(name), "register %d", (int)r->threads[t].tid);
            if (holders_add_label(hs, in, name, ROOTS_TIER_REGISTER, &id) != 0 ||
                holders_edge(e, id, j) != 0)
                return -1;
        }
    }
    return 0;
}

static int holders_cmp_chunk(const void *a, const void *b)
{
    const attr_chunk *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Which groups share the shared chunks: those with a root or a chunk of
 * theirs pointing at one (the report names them). */
static int holders_sharers(holders *hs, const hgraph *g, const holders_edges *e,
                           const int32_t *holder)
{
    hs->shares = calloc(hs->nlabels, sizeof(*hs->shares));
    if (hs->shares == NULL)
        return -1;
    for (size_t k = 0; k < e->n; k++)
        if (holder[e->v[k].node] == HGRAPH_SHARED)
            hs->shares[e->v[k].group + HOLDERS_FIRST] = true;
    for (size_t i = 0, n = hgraph_nodes(g); i < n; i++) {
        if (holder[i] < 0)
            continue;
        const uint32_t *to;
        size_t nt = hgraph_succ(g, i, &to);
        for (size_t k = 0; k < nt; k++)
            if (holder[to[k]] == HGRAPH_SHARED)
                hs->shares[(size_t)holder[i] + HOLDERS_FIRST] = true;
    }
    return 0;
}

/* Labels and totals from the holders of chunks (sorted, as the nodes). */
static int holders_totals(holders *hs, attr_chunk *chunks, size_t n, const int32_t *holder,
                          const bool *direct)
{
    hs->label_bytes = calloc(hs->nlabels, sizeof(*hs->label_bytes));
    hs->label_chunks = calloc(hs->nlabels, sizeof(*hs->label_chunks));
    if (hs->label_bytes == NULL || hs->label_chunks == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = holder[i] == HGRAPH_LOST     ? HOLDERS_LOST
                     : holder[i] == HGRAPH_SHARED ? HOLDERS_SHARED
                                                  : (uint32_t)holder[i] + HOLDERS_FIRST;
        chunks[i].held_by = l;
        hs->label_bytes[l] += chunks[i].size;
        hs->label_chunks[l]++;
        if (holder[i] == HGRAPH_LOST && direct[i]) {
            hs->direct_chunks++;
            hs->direct_bytes += chunks[i].size;
        } else if (holder[i] == HGRAPH_LOST) {
            hs->indirect_chunks++;
            hs->indirect_bytes += chunks[i].size;
        }
    }
    return 0;
}

static uint64_t holders_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (uint64_t)((t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000);
}

int holders_assign(holders *hs, const gheap_capture *cap, attr_chunk *chunks, size_t n,
                   sym_ctx *sym, hs_err *err)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hs_intern in = {0};
    hgraph *g = NULL;
    hgraph_node *nodes = NULL;
    int32_t *holder = NULL;
    bool *direct = NULL;
    holders_edges e = {0};
    int rc = -1;
    uint32_t id;
    if (holders_add_label(hs, &in, "", ROOTS_TIER_STRONG, &id) != 0 ||
        holders_add_label(hs, &in, "lost", ROOTS_TIER_STRONG, &id) != 0 ||
        holders_add_label(hs, &in, "shared", ROOTS_TIER_STRONG, &id) != 0)
        goto out;
    free(hs->labels[HOLDERS_NONE]);
    hs->labels[HOLDERS_NONE] = NULL;
    if (!gheap_capture_stable(cap)) {
        snprintf(hs->why, sizeof(hs->why),
                 "not computed: the heaps were too big to copy during the stop");
        rc = 0;
        goto out;
    }
    hs->m = gheap_capture_memsrc(cap);
    size_t unsorted = 0; /* the walk gives them by region, regions in any order */
    for (size_t i = 1; i < n && unsorted == 0; i++)
        unsorted = chunks[i - 1].addr > chunks[i].addr;
    if (unsorted)
        qsort(chunks, n, sizeof(*chunks), holders_cmp_chunk);
    nodes = malloc((n ? n : 1) * sizeof(*nodes));
    holder = malloc((n ? n : 1) * sizeof(*holder));
    direct = malloc((n ? n : 1) * sizeof(*direct));
    hs->idom = malloc((n ? n : 1) * sizeof(*hs->idom));
    if (nodes == NULL || holder == NULL || direct == NULL || hs->idom == NULL)
        goto out;
    /* A chunk in use owns the next chunk's prev_size field too (read, not
     * pointed into); a mmapped one ends at its mapping's end. */
    for (size_t i = 0; i < n; i++)
        nodes[i] = (hgraph_node){chunks[i].addr + 16, chunks[i].addr + chunks[i].size,
                                 chunks[i].mmapped ? 0 : 8};
    g = hgraph_build(nodes, n, holders_read, hs, err);
    hs->edges_us = holders_since(&t0);
    if (g == NULL || holders_roots(hs, g, sym, &in, &e) != 0)
        goto out;
    uint64_t before_dom = holders_since(&t0);
    if (hgraph_holders(g, e.v, e.n, hs->nlabels - HOLDERS_FIRST, hs->tier + HOLDERS_FIRST, holder,
                       direct, hs->idom, err) != 0 ||
        holders_totals(hs, chunks, n, holder, direct) != 0 ||
        holders_sharers(hs, g, &e, holder) != 0)
        goto out;
    hs->dom_us = holders_since(&t0) - before_dom;
    hs->nnodes = n;
    hs->nedges = hgraph_edges(g);
    hs->nroots = e.n;
    hs->done = true;
    rc = 0;
out:
    if (rc != 0 && g != NULL)
        hs_err_set(err, "out of memory while finding who holds %zu chunks.", n);
    hs->graph_us = holders_since(&t0);
    hgraph_free(g);
    hs_intern_free(&in);
    free(nodes);
    free(holder);
    free(direct);
    free(e.v);
    return rc;
}

const uint32_t *holders_idom(const holders *hs)
{
    return hs->done ? hs->idom : NULL;
}

roots *holders_root_copies(const holders *hs)
{
    return hs->done ? hs->r : NULL;
}

const char *const *holders_labels(const holders *hs, size_t *n)
{
    *n = hs->done ? hs->nlabels : 0;
    return (const char *const *)hs->labels;
}

/* " [by A, B, C ...]": the groups that share the shared chunks (brackets:
 * a global's name carries its "(file:line)"); the length written. */
static size_t holders_sharers_text(const holders *hs, char *out, size_t outlen)
{
    size_t len = 0, named = 0;
    for (size_t l = HOLDERS_FIRST; hs->shares != NULL && l < hs->nlabels; l++) {
        if (!hs->shares[l])
            continue;
        const char *sep = named == 0 ? " [by " : ", ";
        int w = named < 4 ? snprintf(out + len, outlen - len, "%s%s", sep, hs->labels[l])
                          : snprintf(out + len, outlen - len, " ...");
        if (w < 0 || (size_t)w >= outlen - len)
            return len;
        len += (size_t)w;
        if (named++ == 4)
            break;
    }
    int w = named > 0 ? snprintf(out + len, outlen - len, "]") : 0;
    if (w > 0 && (size_t)w < outlen - len)
        len += (size_t)w;
    return len;
}

void holders_summary(const holders *hs, char *out, size_t outlen)
{
    if (!hs->done) {
        snprintf(out, outlen, "held_by: %s", hs->why[0] ? hs->why : "not computed");
        return;
    }
    char top[512] = "";
    size_t len = 0;
    bool *used = calloc(hs->nlabels, sizeof(*used));
    for (int k = 0; used != NULL && k < HOLDERS_TOP; k++) {
        size_t best = 0;
        for (size_t l = HOLDERS_SHARED; l < hs->nlabels; l++)
            if (!used[l] && hs->label_bytes[l] > 0 &&
                (best == 0 || hs->label_bytes[l] > hs->label_bytes[best]))
                best = l;
        if (best == 0)
            break;
        used[best] = true;
        int w = snprintf(top + len, sizeof(top) - len, "%s%s %" PRIu64, k ? ", " : "",
                         hs->labels[best], hs->label_bytes[best]);
        if (w < 0 || (size_t)w >= sizeof(top) - len)
            break;
        len += (size_t)w;
        if (best == HOLDERS_SHARED)
            len += holders_sharers_text(hs, top + len, sizeof(top) - len);
    }
    free(used);
    snprintf(out, outlen,
             "held_by: lost %" PRIu64 " bytes in %" PRIu64 " chunks (direct %" PRIu64 " in %" PRIu64
             ", indirect %" PRIu64 " in %" PRIu64 "); retained: %s; graph: %zu "
             "chunks, %zu edges, %zu root words in %zu groups (roots %" PRIu64
             " bytes, mmapped chunks %" PRIu64 " bytes copied), %.3f ms (edges %.3f, "
             "dominators %.3f)",
             hs->direct_bytes + hs->indirect_bytes, hs->direct_chunks + hs->indirect_chunks,
             hs->direct_bytes, hs->direct_chunks, hs->indirect_bytes, hs->indirect_chunks,
             top[0] ? top : "nothing", hs->nnodes, hs->nedges, hs->nroots,
             hs->nlabels - HOLDERS_FIRST, hs->r->root_bytes, hs->r->chunk_bytes,
             (double)hs->graph_us / 1000.0, (double)hs->edges_us / 1000.0,
             (double)hs->dom_us / 1000.0);
}

void holders_free(holders *hs)
{
    if (hs == NULL)
        return;
    roots_free(hs->r);
    for (size_t i = 0; i < hs->nlabels; i++)
        free(hs->labels[i]);
    free(hs->labels);
    free(hs->tier);
    free(hs->label_bytes);
    free(hs->label_chunks);
    free(hs->shares);
    free(hs->idom);
    free(hs);
}
