/* lib/types/tspread.c: the breadth-first spread of tspread.h. Each chunk is
 * read once; the pointers its layout says it holds are gathered first (the
 * read buffer lasts until the next read) and then followed. */
#include "tspread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_array.h"

#define TSPREAD_MAX_DEPTH 32
#define TSPREAD_MAX_STEPS (1u << 20) /* layout steps per chunk or global */

typedef struct owner {
    uint32_t st, member;
    const char *global;
} owner;

typedef struct edge {
    uint64_t value;
    uint32_t pointee;
    owner o;
} edge;

typedef struct spread {
    tdw *t;
    const tspread_chunk *chunks;
    size_t n;
    const bool *skip;
    tspread_type *out;
    edge *edges;
    size_t nedges, capedges;
    uint32_t *queue;
    size_t qhead, qtail;
    size_t steps;
    bool oom;
} spread;

/* The user bytes malloc gives a request of s bytes: a chunk with more room
 * than that was asked for more than one object. */
static uint64_t tspread_usable_for(uint64_t s)
{
    uint64_t chunk = (s + 8 + 15) & ~(uint64_t)15;
    return (chunk < 32 ? 32 : chunk) - 8;
}

static long tspread_find(const spread *sp, uint64_t p)
{
    size_t a = 0, b = sp->n; /* first lo > p */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (sp->chunks[m].lo <= p)
            a = m + 1;
        else
            b = m;
    }
    return a > 0 && sp->chunks[a - 1].lo == p ? (long)(a - 1) : -1;
}

/* Gathers the pointers that type, laid at byte off of w[0..nw), holds. */
static void tspread_walk(spread *sp, uint32_t type, uint64_t off, const uint64_t *w, size_t nw,
                         owner o, int depth)
{
    const tdw_type *ty = tdw_type_at(sp->t, type);
    if (depth > TSPREAD_MAX_DEPTH || sp->oom || ++sp->steps > TSPREAD_MAX_STEPS)
        return;
    switch (ty->kind) {
    case TDW_POINTER: {
        if (off % 8 != 0 || off / 8 >= nw || w[off / 8] == 0)
            return;
        const tdw_type *to = tdw_type_at(sp->t, ty->target);
        if (to->kind == TDW_VOID || to->kind == TDW_OTHER)
            return; /* void *: nothing said; function pointers: code */
        if (hs_array_grow((void **)&sp->edges, &sp->capedges, sp->nedges + 1, sizeof(edge), 64) !=
            0) {
            sp->oom = true;
            return;
        }
        sp->edges[sp->nedges++] = (edge){w[off / 8], ty->target, o};
        return;
    }
    case TDW_STRUCT:
        for (uint32_t k = 0; k < ty->nmembers; k++) {
            const tdw_member *m = tdw_member_at(sp->t, ty->first + k);
            tspread_walk(sp, m->type, off + m->offset, w, nw, (owner){type, ty->first + k, NULL},
                         depth + 1);
            ty = tdw_type_at(sp->t, type);
        }
        return;
    case TDW_ARRAY: {
        const tdw_type *el = tdw_type_at(sp->t, ty->target);
        if (el->size == 0 ||
            (el->kind != TDW_POINTER && el->kind != TDW_STRUCT && el->kind != TDW_ARRAY))
            return;
        for (uint64_t i = 0; i < ty->count && off + i * el->size < nw * 8; i++)
            tspread_walk(sp, ty->target, off + i * el->size, w, nw, o, depth + 1);
        return;
    }
    default:
        return; /* scalars hold no pointers; a union's members are a guess */
    }
}

static bool tspread_same_owner(const tspread_type *r, owner o)
{
    return r->owner_struct == o.st && r->owner_member == o.member && r->owner_global == o.global;
}

/* The chunk at e->value is of e->pointee (or an array of it). */
static void tspread_reach(spread *sp, const edge *e)
{
    long c = tspread_find(sp, e->value);
    if (c < 0 || (sp->skip != NULL && sp->skip[c]))
        return;
    const tdw_type *p = tdw_type_at(sp->t, e->pointee);
    uint64_t room = sp->chunks[c].hi - sp->chunks[c].lo;
    bool array = false;
    if (p->kind == TDW_SCALAR && p->size == 1)
        array = true; /* char *: a string */
    else if (p->size > 0)
        array = room > tspread_usable_for(p->size);
    tspread_type *r = &sp->out[c];
    if (r->type == 0) {
        *r =
            (tspread_type){e->pointee, array, TSPREAD_OWNER_ONE, e->o.st, e->o.member, e->o.global};
        sp->queue[sp->qtail++] = (uint32_t)c;
    } else if (r->type == e->pointee && r->owner == TSPREAD_OWNER_ONE &&
               !tspread_same_owner(r, e->o)) {
        r->owner = TSPREAD_OWNER_MANY;
    }
}

static void tspread_follow(spread *sp)
{
    for (size_t k = 0; k < sp->nedges; k++)
        tspread_reach(sp, &sp->edges[k]);
    sp->nedges = 0;
}

/* Reads [addr, addr + size) and walks type over it. */
static void tspread_scan(spread *sp, tspread_read_fn read, void *arg, uint64_t addr, uint64_t size,
                         uint32_t type, bool array, owner o)
{
    uint64_t lo = addr & ~(uint64_t)7, hi = (addr + size + 7) & ~(uint64_t)7;
    const uint64_t *w = NULL;
    if (hi <= lo || read(arg, lo, hi, &w) != 0)
        return;
    size_t nw = (size_t)((hi - lo) / 8);
    sp->steps = 0;
    const tdw_type *ty = tdw_type_at(sp->t, type);
    if (!array) {
        tspread_walk(sp, type, addr - lo, w, nw, o, 0);
    } else if (ty->size > 0 &&
               (ty->kind == TDW_POINTER || ty->kind == TDW_STRUCT || ty->kind == TDW_ARRAY)) {
        for (uint64_t i = 0; i < size / ty->size; i++)
            tspread_walk(sp, type, addr - lo + i * ty->size, w, nw, o, 0);
    }
    tspread_follow(sp);
}

int tspread_run(tdw *t, const tspread_chunk *chunks, size_t n, const bool *skip,
                tspread_read_fn read, void *arg, tspread_type *out, hs_err *err)
{
    memset(out, 0, n * sizeof(*out));
    spread sp = {.t = t, .chunks = chunks, .n = n, .skip = skip, .out = out};
    sp.queue = malloc((n ? n : 1) * sizeof(*sp.queue));
    if (sp.queue == NULL) {
        hs_err_set(err, "out of memory while spreading the DWARF types over %zu chunks.", n);
        return -1;
    }
    const tdw_global *g;
    size_t ng = tdw_globals(t, &g);
    for (size_t i = 0; i < ng && !sp.oom; i++) {
        const tdw_type *ty = tdw_type_at(t, g[i].type);
        if (ty->size > 0 && ty->size < (1u << 26) &&
            (ty->kind == TDW_POINTER || ty->kind == TDW_STRUCT || ty->kind == TDW_ARRAY))
            tspread_scan(&sp, read, arg, g[i].addr, ty->size, g[i].type, false,
                         (owner){0, 0, g[i].name});
    }
    while (sp.qhead < sp.qtail && !sp.oom) {
        uint32_t c = sp.queue[sp.qhead++];
        const tspread_type *r = &out[c];
        /* an array of pointers passes its owner on to what it points at */
        owner o = {0, 0, NULL};
        if (r->array && r->owner == TSPREAD_OWNER_ONE)
            o = (owner){r->owner_struct, r->owner_member, r->owner_global};
        tspread_scan(&sp, read, arg, chunks[c].lo, chunks[c].hi - chunks[c].lo, r->type, r->array,
                     o);
    }
    free(sp.edges);
    free(sp.queue);
    if (sp.oom) {
        hs_err_set(err, "out of memory while spreading the DWARF types over %zu chunks.", n);
        return -1;
    }
    return 0;
}

char *tspread_label(const tdw *t, const tspread_type *r, char *out, size_t len)
{
    const tdw_type *ty = tdw_type_at(t, r->type);
    const char *name = ty->name;
    bool named_owner = r->owner == TSPREAD_OWNER_ONE &&
                       (r->array || (ty->kind != TDW_STRUCT && ty->kind != TDW_UNION));
    char own[256] = "";
    if (named_owner && r->owner_struct != 0)
        snprintf(own, sizeof(own), " in %s::%s", tdw_type_at(t, r->owner_struct)->tag,
                 tdw_member_at(t, r->owner_member)->name);
    else if (named_owner && r->owner_global != NULL)
        snprintf(own, sizeof(own), " in %s", r->owner_global);
    snprintf(out, len, "%s%s%s", name, r->array ? "[]" : "", own);
    return out;
}
