/* lib/types/tspread.c: the breadth-first spread of tspread.h. Each chunk is
 * read once; the pointers its layout says it holds are gathered first (the
 * read buffer lasts until the next read) and then followed. */
#include "tspread.h"

#include <stddef.h>
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
    uint32_t ctx; /* the enclosing container's value type, 0 outside one */
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

long tspread_chunk_at(const tspread_chunk *chunks, size_t n, uint64_t p)
{
    size_t a = hs_array_lower_bound(chunks, n, sizeof(*chunks), offsetof(tspread_chunk, lo), p);
    return a < n && chunks[a].lo == p ? (long)a : -1;
}

/* A C++ name without its scope: "_Rb_tree<...>" for "std::_Rb_tree<...>"
 * (the last "::" before the template arguments). */
static const char *tspread_unscoped(const char *name)
{
    const char *end = strchr(name, '<'), *last = name;
    for (const char *p = name; *p != '\0' && (end == NULL || p < end); p++)
        if (p[0] == ':' && p[1] == ':')
            last = p + 2;
    return last;
}

/* The value type of the libstdc++ container implementation ty (its nodes'
 * payload), 0 when ty is none. */
static uint32_t tspread_container_value(const tdw_type *ty)
{
    const char *n = tspread_unscoped(ty->tag);
    if (strncmp(n, "_Rb_tree<", 9) == 0 || strncmp(n, "_Hashtable<", 11) == 0)
        return ty->tparam[1];
    if (strncmp(n, "_List_base<", 11) == 0 || strncmp(n, "_Fwd_list_base<", 15) == 0)
        return ty->tparam[0];
    return 0;
}

static bool tspread_is_node_base(const tdw_type *ty)
{
    const char *n = tspread_unscoped(ty->tag);
    return ty->kind == TDW_STRUCT &&
           (strcmp(n, "_List_node_base") == 0 || strcmp(n, "_Rb_tree_node_base") == 0 ||
            strcmp(n, "_Hash_node_base") == 0 || strcmp(n, "_Fwd_list_node_base") == 0);
}

/* A struct whose last member is an array of unknown length (a flexible array
 * member, or GNU's [0]): one object with its tail, whatever the chunk's size. */
static bool tspread_flexible(const tdw *t, const tdw_type *ty)
{
    if (ty->kind != TDW_STRUCT || ty->nmembers == 0)
        return false;
    const tdw_member *m = tdw_member_at(t, ty->first + ty->nmembers - 1);
    const tdw_type *last = tdw_type_at(t, m->type);
    return last->kind == TDW_ARRAY && last->count == 0 && m->offset <= ty->size;
}

/* Gathers the pointers that type, laid at byte off of w[0..nw), holds. */
static void tspread_walk(spread *sp, uint32_t type, uint64_t off, const uint64_t *w, size_t nw,
                         owner o, uint32_t ctx, int depth)
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
        sp->edges[sp->nedges++] = (edge){w[off / 8], ty->target, ctx, o};
        return;
    }
    case TDW_STRUCT: {
        uint32_t inner = tspread_container_value(ty);
        if (inner != 0)
            ctx = inner;
        for (uint32_t k = 0; k < ty->nmembers; k++) {
            const tdw_member *m = tdw_member_at(sp->t, ty->first + k);
            /* a base or a libstdc++ member: the owner is whoever holds it */
            bool internal = m->name[0] == '\0' || strncmp(m->name, "_M_", 3) == 0;
            owner mo = internal && (o.st != 0 || o.global != NULL)
                           ? o
                           : (owner){type, ty->first + k, NULL};
            tspread_walk(sp, m->type, off + m->offset, w, nw, mo, ctx, depth + 1);
        }
        return;
    }
    case TDW_ARRAY: {
        const tdw_type *el = tdw_type_at(sp->t, ty->target);
        if (el->size == 0 ||
            (el->kind != TDW_POINTER && el->kind != TDW_STRUCT && el->kind != TDW_ARRAY))
            return;
        for (uint64_t i = 0; i < ty->count && off + i * el->size < nw * 8; i++)
            tspread_walk(sp, ty->target, off + i * el->size, w, nw, o, ctx, depth + 1);
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

/* Whether chunk c, of type p, holds p[]: a char is a string; a chunk with
 * room for more than one p is an array of them, unless p ends in a flexible
 * array member. */
static bool tspread_is_array(const spread *sp, long c, const tdw_type *p)
{
    uint64_t room = sp->chunks[c].hi - sp->chunks[c].lo;
    if (p->kind == TDW_SCALAR && p->size == 1)
        return true;
    return p->size > 0 && !tspread_flexible(sp->t, p) && room > tspread_usable_for(p->size);
}

/* The chunk at e->value is of e->pointee (or an array of it), or a node of
 * the container e->ctx names the value of. */
static void tspread_reach(spread *sp, const edge *e)
{
    long c = tspread_chunk_at(sp->chunks, sp->n, e->value);
    if (c < 0 || (sp->skip != NULL && sp->skip[c]))
        return;
    const tdw_type *p = tdw_type_at(sp->t, e->pointee);
    tspread_type want = {e->pointee,        false,   0,           0,
                         TSPREAD_OWNER_ONE, e->o.st, e->o.member, e->o.global};
    if (e->ctx != 0 && tspread_is_node_base(p)) {
        want.type = e->ctx;
        want.node = e->pointee;
        want.value = e->ctx;
    } else {
        want.array = tspread_is_array(sp, c, p);
        if (e->ctx != 0 && p->kind == TDW_POINTER) /* a bucket array */
            want.value = e->ctx;
    }
    tspread_type *r = &sp->out[c];
    if (r->type == 0) {
        *r = want;
        sp->queue[sp->qtail++] = (uint32_t)c;
    } else if (r->type == want.type && r->node == want.node && r->owner == TSPREAD_OWNER_ONE &&
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

/* Reads [addr, addr + size) and walks r's type over it: one object, an
 * array of them, or a container node (its base, then its value). */
static void tspread_scan(spread *sp, tspread_read_fn read, void *arg, uint64_t addr, uint64_t size,
                         const tspread_type *r, owner o)
{
    uint64_t lo = addr & ~(uint64_t)7, hi = (addr + size + 7) & ~(uint64_t)7;
    const uint64_t *w = NULL;
    if (hi <= lo || read(arg, lo, hi, &w) != 0)
        return;
    size_t nw = (size_t)((hi - lo) / 8);
    sp->steps = 0;
    uint64_t at = addr - lo;
    const tdw_type *ty = tdw_type_at(sp->t, r->type);
    if (r->node != 0) {
        uint64_t base = tdw_type_at(sp->t, r->node)->size;
        tspread_walk(sp, r->node, at, w, nw, o, r->value, 0);
        tspread_walk(sp, r->type, at + ((base + 7) & ~(uint64_t)7), w, nw, o, 0, 0);
    } else if (!r->array) {
        tspread_walk(sp, r->type, at, w, nw, o, r->value, 0);
    } else if (ty->size > 0 &&
               (ty->kind == TDW_POINTER || ty->kind == TDW_STRUCT || ty->kind == TDW_ARRAY)) {
        for (uint64_t i = 0; i < size / ty->size; i++)
            tspread_walk(sp, r->type, at + i * ty->size, w, nw, o, r->value, 0);
    }
    tspread_follow(sp);
}

static int tspread_cmp_index(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Breadth first, a level at a time, each level in address order (the
 * chunks are sorted): read from a process -- a frozen child -- a level
 * streams through the heap instead of seeking a page per chunk (a million
 * map nodes: 22 s in discovery order). */
static void tspread_drain(spread *sp, tspread_read_fn read, void *arg)
{
    while (sp->qhead < sp->qtail && !sp->oom) {
        size_t level_end = sp->qtail;
        qsort(sp->queue + sp->qhead, level_end - sp->qhead, sizeof(*sp->queue), tspread_cmp_index);
        while (sp->qhead < level_end && !sp->oom) {
            uint32_t c = sp->queue[sp->qhead++];
            const tspread_type *r = &sp->out[c];
            /* an array or a node passes its owner on to what it points at */
            owner o = {0, 0, NULL};
            if ((r->array || r->node != 0) && r->owner == TSPREAD_OWNER_ONE)
                o = (owner){r->owner_struct, r->owner_member, r->owner_global};
            tspread_type copy = *r;
            tspread_scan(sp, read, arg, sp->chunks[c].lo, sp->chunks[c].hi - sp->chunks[c].lo,
                         &copy, o);
        }
    }
}

/* Spreads from the globals that are (stack) or are not (!stack) local
 * variables' slots. */
static void tspread_globals(spread *sp, tspread_read_fn read, void *arg, bool stack)
{
    const tdw_global *g;
    size_t ng = tdw_globals(sp->t, &g);
    for (size_t i = 0; i < ng && !sp->oom; i++) {
        const tdw_type *ty = tdw_type_at(sp->t, g[i].type);
        tspread_type as = {.type = g[i].type};
        if (g[i].stack == stack && ty->size > 0 && ty->size < (1u << 26) &&
            (ty->kind == TDW_POINTER || ty->kind == TDW_STRUCT || ty->kind == TDW_ARRAY))
            tspread_scan(sp, read, arg, g[i].addr, ty->size, &as, (owner){0, 0, g[i].name});
    }
}

/* A pointer held in a register: walked as a one-word object of its type. */
static void tspread_value_walk(spread *sp, const tspread_value *v)
{
    if (tdw_type_at(sp->t, v->type)->kind != TDW_POINTER)
        return;
    sp->steps = 0;
    tspread_walk(sp, v->type, 0, &v->value, 1, (owner){0, 0, v->name}, 0, 0);
    tspread_follow(sp);
}

int tspread_run(tdw *t, const tspread_chunk *chunks, size_t n, const bool *skip,
                const tspread_value *values, size_t nvalues, const tspread_type *seed,
                tspread_read_fn read, void *arg, tspread_type *out, hs_err *err)
{
    memset(out, 0, n * sizeof(*out));
    spread sp = {.t = t, .chunks = chunks, .n = n, .skip = skip, .out = out};
    sp.queue = malloc((n ? n : 1) * sizeof(*sp.queue));
    if (sp.queue == NULL) {
        hs_err_set(err, "out of memory while spreading the DWARF types over %zu chunks.", n);
        return -1;
    }
    tspread_globals(&sp, read, arg, false);
    tspread_drain(&sp, read, arg);
    /* Then the threads' local variables: in their stack slots, in registers. */
    tspread_globals(&sp, read, arg, true);
    for (size_t i = 0; values != NULL && i < nvalues && !sp.oom; i++)
        tspread_value_walk(&sp, &values[i]);
    tspread_drain(&sp, read, arg);
    /* Then the chunks that their allocating code typed and nothing above
     * reached, and what they lead to. */
    for (size_t c = 0; seed != NULL && c < n && !sp.oom; c++) {
        const tdw_type *p = tdw_type_at(t, seed[c].type);
        if (seed[c].type == 0 || out[c].type != 0 || (skip != NULL && skip[c]) ||
            p->size > chunks[c].hi - chunks[c].lo)
            continue;
        out[c] =
            (tspread_type){.type = seed[c].type, .array = seed[c].array && !tspread_flexible(t, p)};
        sp.queue[sp.qtail++] = (uint32_t)c;
    }
    tspread_drain(&sp, read, arg);
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
    bool named_owner =
        r->owner == TSPREAD_OWNER_ONE &&
        (r->array || r->node != 0 || (ty->kind != TDW_STRUCT && ty->kind != TDW_UNION));
    char own[256] = "";
    if (named_owner && r->owner_struct != 0)
        snprintf(own, sizeof(own), " in %s::%s", tdw_type_at(t, r->owner_struct)->tag,
                 tdw_member_at(t, r->owner_member)->name);
    else if (named_owner && r->owner_global != NULL)
        snprintf(own, sizeof(own), " in %s", r->owner_global);
    snprintf(out, len, "%s%s%s", name, r->array ? "[]" : r->node != 0 ? " node" : "", own);
    return out;
}
