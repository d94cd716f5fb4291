/* lib/types/tsite.c: allocation sites' types (see tsite.h). Each return
 * address is judged once: its frames name a type, pass the allocation on to
 * their caller, or stop the search. */
#include "tsite.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hs_array.h"
#include "hs_intern.h"

#define TSITE_MAX_FRAMES 32 /* logical frames at one address */
#define TSITE_MAX_VARS 512

enum { TSITE_STOP, TSITE_PASS, TSITE_TYPE };

typedef struct verdict {
    int kind;
    uint32_t type;
} verdict;

struct tsite {
    tdw *t;
    sym_ctx *s;
    hs_intern seen; /* return address -> index + 1 into v */
    verdict *v;
    size_t nv, capv;
    sym_tframe frames[TSITE_MAX_FRAMES];
    sym_tlocal vars[TSITE_MAX_VARS];
};

tsite *tsite_new(tdw *t, sym_ctx *s, hs_err *err)
{
    tsite *ts = calloc(1, sizeof(*ts));
    if (ts == NULL) {
        hs_err_set(err, "out of memory while reading the allocation sites' types.");
        return NULL;
    }
    ts->t = t;
    ts->s = s;
    return ts;
}

void tsite_free(tsite *ts)
{
    if (ts == NULL)
        return;
    hs_intern_free(&ts->seen);
    free(ts->v);
    free(ts);
}

/* Whether the function named (as the linker names it) is one of the
 * allocator's entry points, which hand back what they allocated. */
static bool tsite_allocator(const char *name)
{
    static const char *const entries[] = {
        "malloc",         "calloc",          "realloc", "reallocarray",  "memalign",
        "aligned_alloc",  "valloc",          "pvalloc", "strdup",        "strndup",
        "__strdup",       "__strndup",       "wcsdup",  "__libc_malloc", "__libc_calloc",
        "__libc_realloc", "__libc_memalign",
    };
    for (size_t k = 0; k < sizeof(entries) / sizeof(entries[0]); k++)
        if (strcmp(name, entries[k]) == 0)
            return true;
    /* operator new and new[], every overload */
    return strncmp(name, "_Znwm", 5) == 0 || strncmp(name, "_Znam", 5) == 0;
}

/* The pointee of a pointer type id, 0 when id is not a pointer to a
 * complete type (void, a function, an incomplete struct) or points to
 * bytes: `char *p = malloc(n)` is raw memory as often as a string (CPython
 * allocates its objects so, the object past a header). */
static uint32_t tsite_pointee(const tdw *t, uint32_t id)
{
    const tdw_type *ty = tdw_type_at(t, id);
    if (id == 0 || ty->kind != TDW_POINTER)
        return 0;
    const tdw_type *to = tdw_type_at(t, ty->target);
    if (to->kind == TDW_VOID || to->kind == TDW_OTHER || to->size <= 1)
        return 0;
    return ty->target;
}

static bool tsite_returns_void_ptr(const tdw *t, uint32_t ret)
{
    const tdw_type *ty = tdw_type_at(t, ret);
    return ret != 0 && ty->kind == TDW_POINTER && tdw_type_at(t, ty->target)->kind == TDW_VOID;
}

/* The verdict of the code at return address ra. */
static verdict tsite_judge(tsite *ts, uint64_t ra)
{
    sym_frame sf[8];
    size_t nsf = sym_lookup(ts->s, ra, true, sf, 8);
    if (nsf > 0 && tsite_allocator(sf[nsf - 1].system_name))
        return (verdict){TSITE_PASS, 0};
    uint64_t pc;
    sym_dwarf *d = sym_dwarf_at(ts->s, ra - 1, &pc);
    size_t nvars = 0;
    size_t nf = d != NULL ? sym_dwarf_scopes(d, pc, ts->frames, TSITE_MAX_FRAMES, ts->vars,
                                             TSITE_MAX_VARS, &nvars)
                          : 0;
    if (nf == 0)
        return (verdict){TSITE_STOP, 0};
    for (size_t f = 0; f < nf; f++) {
        const sym_tframe *fr = &ts->frames[f];
        uint32_t found = 0;
        bool clash = false;
        for (size_t k = fr->first; k < fr->first + fr->n && k < nvars; k++) {
            const sym_tlocal *v = &ts->vars[k];
            if (v->decl_line == 0 || v->decl_line != fr->line)
                continue;
            uint32_t id = tdw_type_in(ts->t, d, v->type);
            if (id == UINT32_MAX)
                return (verdict){TSITE_TYPE, UINT32_MAX};
            uint32_t to = tsite_pointee(ts->t, id);
            if (to == 0)
                continue;
            if (found != 0 &&
                strcmp(tdw_type_at(ts->t, found)->name, tdw_type_at(ts->t, to)->name) != 0)
                clash = true;
            found = found != 0 ? found : to;
        }
        if (clash)
            return (verdict){TSITE_STOP, 0};
        if (found != 0)
            return (verdict){TSITE_TYPE, found};
        uint32_t ret = tdw_type_in(ts->t, d, fr->ret_type);
        if (ret == UINT32_MAX)
            return (verdict){TSITE_TYPE, UINT32_MAX};
        if (!tsite_returns_void_ptr(ts->t, ret))
            return (verdict){TSITE_STOP, 0};
    }
    return (verdict){TSITE_PASS, 0};
}

uint32_t tsite_type(tsite *ts, const uint64_t *frames, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (frames[i] == 0)
            return 0;
        uint32_t idx = hs_intern_get(&ts->seen, &frames[i], sizeof(frames[i]));
        verdict v;
        if (idx != 0) {
            v = ts->v[idx - 1];
        } else {
            v = tsite_judge(ts, frames[i]);
            int added = 0;
            if (v.type == UINT32_MAX ||
                hs_array_grow((void **)&ts->v, &ts->capv, ts->nv + 1, sizeof(verdict), 64) != 0 ||
                hs_intern_get_or_put(&ts->seen, &frames[i], sizeof(frames[i]), (uint32_t)ts->nv + 1,
                                     &added) == 0)
                return UINT32_MAX;
            ts->v[ts->nv++] = v;
        }
        if (v.kind != TSITE_PASS)
            return v.kind == TSITE_TYPE ? v.type : 0;
    }
    return 0;
}
