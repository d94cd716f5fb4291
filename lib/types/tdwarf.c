/* lib/types/tdwarf.c: the type model of tdwarf.h, built from the
 * symbolizer's DWARF one DIE at a time, each DIE resolved once (per file)
 * and recursion bounded: a struct gets its id before its members are read,
 * so self-referential lists and trees end. */
#include "tdwarf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_array.h"
#include "hs_intern.h"
#include "symtypes.h"

#define TDW_MAX_DEPTH 48
#define TDW_MAX_MEMBERS 4096
#define TDW_MAX_TYPES (1u << 22)

struct tdw {
    tdw_type *types;
    size_t ntypes, captypes;
    tdw_member *members;
    size_t nmembers, capmembers;
    tdw_global *globals;
    size_t nglobals, capglobals;
    bool sorted;
    hs_intern by_die; /* (object, DIE offset) -> type id + 1 */
    hs_intern names;  /* interned strings, kept in strs */
    char **strs;
    size_t nstrs, capstrs;
    uint64_t object; /* the file being added: its DWARF handle, as a key */
    sym_tmember *scratch;
};

tdw *tdw_new(hs_err *err)
{
    tdw *t = calloc(1, sizeof(*t));
    if (t != NULL)
        t->scratch = malloc(TDW_MAX_MEMBERS * sizeof(*t->scratch));
    if (t == NULL || t->scratch == NULL ||
        hs_array_grow((void **)&t->types, &t->captypes, 1, sizeof(tdw_type), 256) != 0) {
        tdw_free(t);
        hs_err_set(err, "out of memory while reading the types of the globals.");
        return NULL;
    }
    t->types[0] = (tdw_type){.kind = TDW_VOID, .name = "void", .tag = ""};
    t->ntypes = 1;
    return t;
}

/* s interned: one copy per distinct string, freed with t. */
static const char *tdw_str(tdw *t, const char *s)
{
    size_t len = strlen(s);
    int added = 0;
    uint32_t id = hs_intern_get_or_put(&t->names, s, len, (uint32_t)t->nstrs + 1, &added);
    if (id == 0)
        return NULL;
    if (!added)
        return t->strs[id - 1];
    char *copy = strdup(s);
    if (copy == NULL ||
        hs_array_grow((void **)&t->strs, &t->capstrs, t->nstrs + 1, sizeof(char *), 256) != 0) {
        free(copy);
        return NULL;
    }
    t->strs[t->nstrs++] = copy;
    return copy;
}

/* A new type slot; UINT32_MAX when out of memory or past the bound. */
static uint32_t tdw_new_type(tdw *t, uint64_t off)
{
    if (t->ntypes >= TDW_MAX_TYPES ||
        hs_array_grow((void **)&t->types, &t->captypes, t->ntypes + 1, sizeof(tdw_type), 256) != 0)
        return UINT32_MAX;
    uint32_t id = (uint32_t)t->ntypes++;
    t->types[id] = (tdw_type){.kind = TDW_OTHER, .name = "?", .tag = ""};
    uint64_t key[2] = {t->object, off};
    int added = 0;
    if (hs_intern_get_or_put(&t->by_die, key, sizeof(key), id + 1, &added) == 0)
        return UINT32_MAX;
    return id;
}

static uint32_t tdw_resolve(tdw *t, sym_dwarf *d, uint64_t off, int depth);

/* A pointer's or array's name from its target's: "struct session *",
 * "char *[8]" (an array of pointers), "int[]" when the count is unknown. */
static const char *tdw_compose(tdw *t, const char *target, tdw_kind kind, uint64_t count)
{
    char buf[512];
    if (kind == TDW_POINTER)
        snprintf(buf, sizeof(buf), "%s%s*", target,
                 target[0] != '\0' && target[strlen(target) - 1] == '*' ? "" : " ");
    else if (count > 0)
        snprintf(buf, sizeof(buf), "%s[%llu]", target, (unsigned long long)count);
    else
        snprintf(buf, sizeof(buf), "%s[]", target);
    return tdw_str(t, buf);
}

static int tdw_struct_members(tdw *t, sym_dwarf *d, uint64_t off, uint32_t id, int depth)
{
    size_t n = sym_dwarf_tmembers(d, off, t->scratch, TDW_MAX_MEMBERS);
    /* copy out of scratch first: resolving a member reuses it */
    sym_tmember *mine = malloc((n ? n : 1) * sizeof(*mine));
    if (mine == NULL)
        return -1;
    memcpy(mine, t->scratch, n * sizeof(*mine));
    uint32_t *types = malloc((n ? n : 1) * sizeof(*types));
    if (types == NULL) {
        free(mine);
        return -1;
    }
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++)
        if ((types[k] = tdw_resolve(t, d, mine[k].type, depth + 1)) == UINT32_MAX)
            rc = -1;
    if (rc == 0 && hs_array_grow((void **)&t->members, &t->capmembers, t->nmembers + n,
                                 sizeof(tdw_member), 256) != 0)
        rc = -1;
    if (rc == 0) {
        t->types[id].first = (uint32_t)t->nmembers;
        t->types[id].nmembers = (uint32_t)n;
        for (size_t k = 0; k < n && rc == 0; k++) {
            const char *name = tdw_str(t, mine[k].name);
            if (name == NULL)
                rc = -1;
            else
                t->members[t->nmembers++] = (tdw_member){name, mine[k].offset, types[k]};
        }
    }
    free(types);
    free(mine);
    return rc;
}

/* Replaces every from in buf (of size len) by to. */
static void tdw_replace_all(char *buf, size_t len, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to);
    char *p = buf;
    while ((p = strstr(p, from)) != NULL) {
        size_t tail = strlen(p + nf);
        if ((size_t)(p - buf) + nt + tail + 1 > len)
            return;
        memmove(p + nt, p + nf, tail + 1); /* the tail and its terminator */
        memcpy(p, to, nt); /* NOLINT(bugprone-not-null-terminated-result): inside the string */
        p += nt;
    }
}

/* A libstdc++ name as a person writes it: std::string for basic_string<char,
 * ...>, no default arguments (allocators, traits, comparators, hashes), no
 * __cxx11 ABI namespace -- "std::pair<const std::string, Session>", not two
 * lines of template arguments. */
static void tdw_cxx_simplify(char *buf, size_t len)
{
    tdw_replace_all(buf, len,
                    "std::__cxx11::basic_string<char, std::char_traits<char>, "
                    "std::allocator<char> >",
                    "std::string");
    static const char *const defaults[] = {", std::allocator<", ", std::char_traits<",
                                           ", std::less<",      ", std::hash<",
                                           ", std::equal_to<",  ", std::default_delete<"};
    for (size_t k = 0; k < sizeof(defaults) / sizeof(defaults[0]); k++) {
        char *p;
        while ((p = strstr(buf, defaults[k])) != NULL) {
            char *q = p + strlen(defaults[k]);
            int depth = 1; /* inside the argument's own <...> */
            while (*q != '\0' && depth > 0) {
                depth += *q == '<' ? 1 : *q == '>' ? -1 : 0;
                q++;
            }
            if (depth != 0)
                break;
            memmove(p, q, strlen(q) + 1);
        }
    }
    tdw_replace_all(buf, len, "std::__cxx11::", "std::");
    tdw_replace_all(buf, len, " >", ">");
}

/* The type id of the DIE at off (0 for void or an unreadable DIE),
 * UINT32_MAX when out of memory. */
static uint32_t tdw_resolve(tdw *t, sym_dwarf *d, uint64_t off, int depth)
{
    if (off == 0 || depth > TDW_MAX_DEPTH)
        return 0;
    uint64_t key[2] = {t->object, off};
    uint32_t got = hs_intern_get(&t->by_die, key, sizeof(key));
    if (got != 0)
        return got - 1;
    sym_tdie die;
    if (!sym_dwarf_tdie(d, off, &die))
        return 0;
    if (die.kind == SYM_T_ALIAS) {
        /* typedefs and qualifiers name what they alias (memoized under
         * their own offset too, so a chain is walked once) */
        uint32_t id = tdw_resolve(t, d, die.ref, depth + 1);
        int added = 0;
        if (id != UINT32_MAX &&
            hs_intern_get_or_put(&t->by_die, key, sizeof(key), id + 1, &added) == 0)
            return UINT32_MAX;
        return id;
    }
    uint32_t id = tdw_new_type(t, off);
    if (id == UINT32_MAX)
        return UINT32_MAX;
    tdw_type *ty = &t->types[id];
    ty->size = die.size;
    const char *name = NULL;
    char buf[512];
    switch (die.kind) {
    case SYM_T_BASE:
    case SYM_T_ENUM:
        ty->kind = TDW_SCALAR;
        if (die.kind == SYM_T_ENUM && !die.cplus && die.name[0] != '\0') {
            snprintf(buf, sizeof(buf), "enum %s", die.name);
            name = tdw_str(t, buf);
        } else {
            name = tdw_str(t, die.name[0] != '\0' ? die.name : "enum");
        }
        break;
    case SYM_T_STRUCT:
    case SYM_T_UNION: {
        bool is_struct = die.kind == SYM_T_STRUCT;
        ty->kind = is_struct ? TDW_STRUCT : TDW_UNION;
        char bare[400];
        snprintf(bare, sizeof(bare), "%s", die.name[0] != '\0' ? die.name : "(anonymous)");
        if (die.cplus)
            tdw_cxx_simplify(bare, sizeof(bare));
        if (die.cplus)
            snprintf(buf, sizeof(buf), "%s", bare);
        else
            snprintf(buf, sizeof(buf), "%s %s", is_struct ? "struct" : "union", bare);
        name = tdw_str(t, buf);
        const char *tag = tdw_str(t, bare);
        if (name == NULL || tag == NULL)
            return UINT32_MAX;
        t->types[id].name = name;
        t->types[id].tag = tag;
        if (!die.declaration && tdw_struct_members(t, d, off, id, depth) != 0)
            return UINT32_MAX;
        /* a libstdc++ container's value type, for its nodes (tspread.c) */
        uint64_t tp[2];
        size_t ntp = strchr(bare, '<') != NULL ? sym_dwarf_tparams(d, off, tp, 2) : 0;
        for (size_t k = 0; k < ntp; k++) {
            uint32_t p = tdw_resolve(t, d, tp[k], depth + 1);
            if (p == UINT32_MAX)
                return UINT32_MAX;
            t->types[id].tparam[k] = p;
        }
        return id;
    }
    case SYM_T_POINTER:
    case SYM_T_ARRAY: {
        bool ptr = die.kind == SYM_T_POINTER;
        ty->kind = ptr ? TDW_POINTER : TDW_ARRAY;
        if (ptr && ty->size == 0)
            ty->size = 8;
        ty->count = die.count;
        uint32_t target = tdw_resolve(t, d, die.ref, depth + 1);
        if (target == UINT32_MAX)
            return UINT32_MAX;
        ty = &t->types[id]; /* the array may have moved */
        ty->target = target;
        if (!ptr && ty->size == 0)
            ty->size = die.count * t->types[target].size;
        name = tdw_compose(t, t->types[target].name, ty->kind, die.count);
        break;
    }
    default:
        ty->kind = TDW_OTHER;
        name = tdw_str(t, die.name[0] != '\0' ? die.name : "function");
        break;
    }
    if (name == NULL)
        return UINT32_MAX;
    t->types[id].name = name;
    return id;
}

/* Adds vars[0..n) of d at base + their vaddr. */
static long tdw_add_vars(tdw *t, sym_dwarf *d, const sym_tvar *vars, size_t n, uint64_t base,
                         const char *path, hs_err *err)
{
    long added = 0;
    for (size_t i = 0; i < n; i++) {
        if (vars[i].type == 0 || vars[i].name[0] == '\0')
            continue;
        uint32_t type = tdw_resolve(t, d, vars[i].type, 0);
        const char *name = type != UINT32_MAX ? tdw_str(t, vars[i].name) : NULL;
        if (name == NULL || hs_array_grow((void **)&t->globals, &t->capglobals, t->nglobals + 1,
                                          sizeof(tdw_global), 256) != 0) {
            hs_err_set(err, "out of memory while reading the types of the globals of %s.", path);
            return -1;
        }
        t->globals[t->nglobals++] = (tdw_global){vars[i].vaddr + base, name, type, false};
        t->sorted = false;
        added++;
    }
    return added;
}

long tdw_add_object(tdw *t, sym_ctx *s, const char *path, uint64_t bias, hs_err *err)
{
    sym_dwarf *d = sym_dwarf_of(s, path);
    const sym_tvar *vars = NULL;
    size_t n = sym_dwarf_globals(d, &vars);
    t->object = (uint64_t)(uintptr_t)d;
    return tdw_add_vars(t, d, vars, n, bias, path, err);
}

uint32_t tdw_type_in(tdw *t, sym_dwarf *d, uint64_t die)
{
    if (d == NULL)
        return 0;
    t->object = (uint64_t)(uintptr_t)d;
    return tdw_resolve(t, d, die, 0);
}

long tdw_add_tls(tdw *t, sym_ctx *s, const char *path, const uint64_t *blocks, size_t nblocks,
                 hs_err *err)
{
    sym_dwarf *d = sym_dwarf_of(s, path);
    const sym_tvar *vars = NULL;
    size_t n = sym_dwarf_tls_globals(d, &vars);
    t->object = (uint64_t)(uintptr_t)d;
    long added = 0;
    for (size_t k = 0; k < nblocks; k++) {
        long got = tdw_add_vars(t, d, vars, n, blocks[k], path, err);
        if (got < 0)
            return -1;
        added += got;
    }
    return added;
}

const char *tdw_intern(tdw *t, const char *s)
{
    return tdw_str(t, s);
}

int tdw_add_local(tdw *t, uint64_t addr, const char *name, uint32_t type, hs_err *err)
{
    const char *n = tdw_str(t, name);
    if (n == NULL || hs_array_grow((void **)&t->globals, &t->capglobals, t->nglobals + 1,
                                   sizeof(tdw_global), 256) != 0)
        return hs_err_set(err, "out of memory while reading the types of the stack's variables.");
    t->globals[t->nglobals++] = (tdw_global){addr, n, type, true};
    t->sorted = false;
    return 0;
}

size_t tdw_ntypes(const tdw *t)
{
    return t->ntypes;
}

const tdw_type *tdw_type_at(const tdw *t, uint32_t id)
{
    return id < t->ntypes ? &t->types[id] : &t->types[0];
}

const tdw_member *tdw_member_at(const tdw *t, uint32_t idx)
{
    return &t->members[idx];
}

static int tdw_global_cmp(const void *a, const void *b)
{
    const tdw_global *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

size_t tdw_globals(tdw *t, const tdw_global **out)
{
    if (!t->sorted && t->nglobals > 0)
        qsort(t->globals, t->nglobals, sizeof(tdw_global), tdw_global_cmp);
    t->sorted = true;
    *out = t->globals;
    return t->nglobals;
}

const tdw_global *tdw_global_at(tdw *t, uint64_t addr)
{
    const tdw_global *g;
    size_t n = tdw_globals(t, &g);
    size_t a = 0, b = n; /* first addr >= addr */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (g[m].addr < addr)
            a = m + 1;
        else
            b = m;
    }
    return a < n && g[a].addr == addr ? &g[a] : NULL;
}

void tdw_free(tdw *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nstrs; i++)
        free(t->strs[i]);
    free(t->strs);
    hs_intern_free(&t->names);
    hs_intern_free(&t->by_die);
    free(t->types);
    free(t->members);
    free(t->globals);
    free(t->scratch);
    free(t);
}
