/* lib/heap/glibc_layout.c: malloc's layouts from libc's DWARF (libdwarf 20210528
 * API, as Debian 12 ships it) or from the built-in table of verified builds.
 * Every malloc item is a top-level DIE of the CU named malloc.c (arena.c is
 * #included into it), so only that CU is read. */
#include "glibc_layout.h"

#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GL_UNSET UINT32_MAX

/* Where a struct member's offset goes; the array fields also take an element
 * size or a count from the member's type. */
typedef struct gl_member {
    const char *strct, *name;
    uint32_t *off;
    uint32_t *count;     /* array length, or NULL */
    uint32_t *elem_size; /* array element size, or NULL */
} gl_member;

typedef struct gl_struct {
    const char *name;
    uint32_t *size;
} gl_struct;

typedef struct gl_var {
    const char *name;
    uint64_t *addr;
    int tls; /* 1: a TLS offset (DW_OP_const8u + form_tls_address) */
} gl_var;

typedef struct gl_ctx {
    Dwarf_Debug dbg;
    glayout *out;
    gl_member members[40];
    size_t nmembers;
    gl_struct structs[8];
    size_t nstructs;
    gl_var vars[12];
    size_t nvars;
} gl_ctx;

static void gl_tables(gl_ctx *c, glayout *l)
{
    gl_member m[] = {
        {"malloc_state", "mutex", &l->ms_mutex, NULL, NULL},
        {"malloc_state", "flags", &l->ms_flags, NULL, NULL},
        {"malloc_state", "fastbinsY", &l->ms_fastbins, &l->ms_nfastbins, NULL},
        {"malloc_state", "top", &l->ms_top, NULL, NULL},
        {"malloc_state", "last_remainder", &l->ms_last_remainder, NULL, NULL},
        {"malloc_state", "bins", &l->ms_bins, &l->ms_nbins_words, NULL},
        {"malloc_state", "next", &l->ms_next, NULL, NULL},
        {"malloc_state", "next_free", &l->ms_next_free, NULL, NULL},
        {"malloc_state", "attached_threads", &l->ms_attached_threads, NULL, NULL},
        {"malloc_state", "system_mem", &l->ms_system_mem, NULL, NULL},
        {"malloc_chunk", "mchunk_prev_size", &l->mc_prev_size, NULL, NULL},
        {"malloc_chunk", "mchunk_size", &l->mc_size, NULL, NULL},
        {"malloc_chunk", "fd", &l->mc_fd, NULL, NULL},
        {"malloc_chunk", "bk", &l->mc_bk, NULL, NULL},
        {"_heap_info", "ar_ptr", &l->hi_ar_ptr, NULL, NULL},
        {"_heap_info", "prev", &l->hi_prev, NULL, NULL},
        {"_heap_info", "size", &l->hi_size, NULL, NULL},
        {"_heap_info", "mprotect_size", &l->hi_mprotect_size, NULL, NULL},
        {"malloc_par", "hp_pagesize", &l->mp_hp_pagesize, NULL, NULL},
        {"malloc_par", "n_mmaps", &l->mp_n_mmaps, NULL, NULL},
        {"malloc_par", "mmapped_mem", &l->mp_mmapped_mem, NULL, NULL},
        {"malloc_par", "sbrk_base", &l->mp_sbrk_base, NULL, NULL},
        {"malloc_par", "tcache_bins", &l->mp_tcache_bins, NULL, NULL},
        {"malloc_par", "tcache_count", &l->mp_tcache_count, NULL, NULL},
        {"tcache_perthread_struct", "counts", &l->tc_counts, NULL, &l->tc_count_size},
        {"tcache_perthread_struct", "entries", &l->tc_entries, &l->tc_nbins, NULL},
        {"tcache_entry", "next", &l->te_next, NULL, NULL},
        {"tcache_entry", "key", &l->te_key, NULL, NULL},
    };
    gl_struct s[] = {
        {"malloc_state", &l->ms_size},
        {"_heap_info", &l->hi_size_of},
        {"malloc_par", &l->mp_size_of},
        {"tcache_perthread_struct", &l->tc_size_of},
    };
    gl_var v[] = {
        {"main_arena", &l->main_arena, 0},
        {"mp_", &l->mp_, 0},
        {"narenas", &l->narenas, 0},
        {"list_lock", &l->list_lock, 0},
        {"free_list", &l->free_list, 0},
        {"free_list_lock", &l->free_list_lock, 0},
        {"global_max_fast", &l->global_max_fast, 0},
        {"tcache_key", &l->tcache_key, 0},
        {"tcache", &l->tls_tcache, 1},
        {"thread_arena", &l->tls_thread_arena, 1},
    };
    memcpy(c->members, m, sizeof(m));
    c->nmembers = sizeof(m) / sizeof(m[0]);
    memcpy(c->structs, s, sizeof(s));
    c->nstructs = sizeof(s) / sizeof(s[0]);
    memcpy(c->vars, v, sizeof(v));
    c->nvars = sizeof(v) / sizeof(v[0]);
}

static int gl_udata(Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *v)
{
    Dwarf_Attribute a;
    Dwarf_Error e = NULL;
    if (dwarf_attr(die, at, &a, &e) != DW_DLV_OK)
        return -1;
    if (dwarf_formudata(a, v, &e) == DW_DLV_OK)
        return 0;
    /* DW_FORM_implicit_const (DWARF 5) is only readable as signed data here. */
    Dwarf_Signed s;
    if (dwarf_formsdata(a, &s, &e) != DW_DLV_OK || s < 0)
        return -1;
    *v = (Dwarf_Unsigned)s;
    return 0;
}

static int gl_typeref(Dwarf_Die die, Dwarf_Off *off)
{
    Dwarf_Attribute a;
    Dwarf_Error e = NULL;
    if (dwarf_attr(die, DW_AT_type, &a, &e) != DW_DLV_OK)
        return -1;
    return dwarf_global_formref(a, off, &e) == DW_DLV_OK ? 0 : -1;
}

/* Byte size of the type at off, following typedefs and qualifiers; for an
 * array also its length (upper_bound + 1) and element size. */
static int gl_type_size(Dwarf_Debug dbg, Dwarf_Off off, uint64_t *size, uint64_t *count,
                        uint64_t *elem)
{
    Dwarf_Error e = NULL;
    *count = 1;
    for (int depth = 0; depth < 16; depth++) {
        Dwarf_Die d;
        if (dwarf_offdie_b(dbg, off, 1, &d, &e) != DW_DLV_OK)
            return -1;
        Dwarf_Half tag;
        Dwarf_Unsigned v;
        if (dwarf_tag(d, &tag, &e) != DW_DLV_OK) {
            dwarf_dealloc_die(d);
            return -1;
        }
        if (tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type) {
            int rc = gl_typeref(d, &off);
            dwarf_dealloc_die(d);
            if (rc)
                return -1;
            continue;
        }
        if (tag == DW_TAG_array_type) {
            Dwarf_Die sub;
            uint64_t n = 0;
            if (dwarf_child(d, &sub, &e) == DW_DLV_OK) {
                if (gl_udata(sub, DW_AT_upper_bound, &v) == 0)
                    n = v + 1;
                else if (gl_udata(sub, DW_AT_count, &v) == 0)
                    n = v;
                dwarf_dealloc_die(sub);
            }
            Dwarf_Off eoff;
            int rc = gl_typeref(d, &eoff);
            dwarf_dealloc_die(d);
            uint64_t esz, ecount, eelem;
            if (rc || n == 0 || gl_type_size(dbg, eoff, &esz, &ecount, &eelem))
                return -1;
            *elem = esz;
            *count = n;
            *size = esz * n;
            return 0;
        }
        int rc = gl_udata(d, DW_AT_byte_size, &v);
        dwarf_dealloc_die(d);
        if (rc)
            return -1;
        *size = *elem = v;
        return 0;
    }
    return -1;
}

static const char *gl_name(Dwarf_Die d)
{
    char *name = NULL;
    Dwarf_Error e = NULL;
    if (dwarf_diename(d, &name, &e) != DW_DLV_OK)
        return NULL;
    return name;
}

static void gl_struct_die(gl_ctx *c, Dwarf_Die die, const char *sname)
{
    Dwarf_Unsigned bsize;
    if (gl_udata(die, DW_AT_byte_size, &bsize))
        return; /* a declaration */
    for (size_t i = 0; i < c->nstructs; i++)
        if (strcmp(c->structs[i].name, sname) == 0)
            *c->structs[i].size = (uint32_t)bsize;
    Dwarf_Error e = NULL;
    Dwarf_Die m;
    if (dwarf_child(die, &m, &e) != DW_DLV_OK)
        return;
    for (int guard = 0; guard < 256; guard++) {
        const char *mname = gl_name(m);
        Dwarf_Unsigned loc;
        for (size_t i = 0; mname && i < c->nmembers; i++) {
            gl_member *gm = &c->members[i];
            if (strcmp(gm->strct, sname) != 0 || strcmp(gm->name, mname) != 0)
                continue;
            if (gl_udata(m, DW_AT_data_member_location, &loc))
                continue;
            *gm->off = (uint32_t)loc;
            Dwarf_Off toff;
            uint64_t size, count, elem;
            if ((gm->count || gm->elem_size) && gl_typeref(m, &toff) == 0 &&
                gl_type_size(c->dbg, toff, &size, &count, &elem) == 0) {
                if (gm->count)
                    *gm->count = (uint32_t)count;
                if (gm->elem_size)
                    *gm->elem_size = (uint32_t)elem;
            }
        }
        Dwarf_Die next;
        int rc = dwarf_siblingof_b(c->dbg, m, 1, &next, &e);
        dwarf_dealloc_die(m);
        if (rc != DW_DLV_OK)
            return;
        m = next;
    }
    dwarf_dealloc_die(m);
}

/* DW_OP_addr A -> A; DW_OP_const8u K; DW_OP_form_tls_address -> TLS offset K. */
static void gl_var_die(gl_ctx *c, Dwarf_Die die, const char *vname)
{
    gl_var *gv = NULL;
    for (size_t i = 0; i < c->nvars; i++)
        if (strcmp(c->vars[i].name, vname) == 0)
            gv = &c->vars[i];
    if (gv == NULL)
        return;
    Dwarf_Attribute a;
    Dwarf_Error e = NULL;
    if (dwarf_attr(die, DW_AT_location, &a, &e) != DW_DLV_OK)
        return;
    Dwarf_Loc_Head_c head;
    Dwarf_Unsigned count;
    if (dwarf_get_loclist_c(a, &head, &count, &e) != DW_DLV_OK)
        return;
    Dwarf_Small lle, src;
    Dwarf_Unsigned rawlo, rawhi, nops, exproff, descoff;
    Dwarf_Bool unavail;
    Dwarf_Addr lo, hi;
    Dwarf_Locdesc_c desc;
    if (count == 1 &&
        dwarf_get_locdesc_entry_d(head, 0, &lle, &rawlo, &rawhi, &unavail, &lo, &hi, &nops, &desc,
                                  &src, &exproff, &descoff, &e) == DW_DLV_OK) {
        Dwarf_Small op0 = 0, op1 = 0;
        Dwarf_Unsigned v0 = 0, o2, o3, br;
        if (nops >= 1)
            dwarf_get_location_op_value_c(desc, 0, &op0, &v0, &o2, &o3, &br, &e);
        if (nops >= 2) {
            Dwarf_Unsigned x;
            dwarf_get_location_op_value_c(desc, 1, &op1, &x, &o2, &o3, &br, &e);
        }
        if (!gv->tls && nops == 1 && op0 == DW_OP_addr)
            *gv->addr = v0;
        if (gv->tls && nops == 2 && (op0 == DW_OP_const8u || op0 == DW_OP_const4u) &&
            (op1 == DW_OP_form_tls_address || op1 == DW_OP_GNU_push_tls_address))
            *gv->addr = v0;
    }
    dwarf_loc_head_c_dealloc(head);
}

static void gl_cu(gl_ctx *c, Dwarf_Die cu)
{
    Dwarf_Error e = NULL;
    Dwarf_Addr lo, hi;
    Dwarf_Half form;
    enum Dwarf_Form_Class cls;
    if (dwarf_lowpc(cu, &lo, &e) == DW_DLV_OK &&
        dwarf_highpc_b(cu, &hi, &form, &cls, &e) == DW_DLV_OK) {
        c->out->text_lo = lo;
        c->out->text_hi = cls == DW_FORM_CLASS_CONSTANT ? lo + hi : hi;
    }
    Dwarf_Die d;
    if (dwarf_child(cu, &d, &e) != DW_DLV_OK)
        return;
    for (long guard = 0; guard < 1000000; guard++) {
        Dwarf_Half tag;
        const char *name = gl_name(d);
        if (name && dwarf_tag(d, &tag, &e) == DW_DLV_OK) {
            if (tag == DW_TAG_structure_type)
                gl_struct_die(c, d, name);
            else if (tag == DW_TAG_variable)
                gl_var_die(c, d, name);
        }
        Dwarf_Die next;
        int rc = dwarf_siblingof_b(c->dbg, d, 1, &next, &e);
        dwarf_dealloc_die(d);
        if (rc != DW_DLV_OK)
            return;
        d = next;
    }
    dwarf_dealloc_die(d);
}

static int gl_name_is_malloc_c(const char *name)
{
    size_t n = strlen(name);
    return n >= 8 && strcmp(name + n - 8, "malloc.c") == 0 && (n == 8 || name[n - 9] == '/');
}

static void gl_init(glayout *l)
{
    memset(l, 0, sizeof(*l));
    uint32_t *u = &l->ms_size;
    uint32_t *end = &l->te_key + 1;
    for (; u < end; u++)
        *u = GL_UNSET;
}

/* Which field is still missing, or NULL when the layout is complete. */
static const char *gl_missing(const gl_ctx *c)
{
    for (size_t i = 0; i < c->nmembers; i++) {
        if (*c->members[i].off == GL_UNSET)
            return c->members[i].name;
        if (c->members[i].count && *c->members[i].count == GL_UNSET)
            return c->members[i].name;
        if (c->members[i].elem_size && *c->members[i].elem_size == GL_UNSET)
            return c->members[i].name;
    }
    for (size_t i = 0; i < c->nstructs; i++)
        if (*c->structs[i].size == GL_UNSET)
            return c->structs[i].name;
    for (size_t i = 0; i < c->nvars; i++)
        if (*c->vars[i].addr == 0)
            return c->vars[i].name;
    if (c->out->text_hi <= c->out->text_lo)
        return "malloc.c text range";
    return NULL;
}

int glayout_from_dwarf(const char *path, glayout *out, hs_err *err)
{
    if (access(path, R_OK) != 0)
        return hs_err_set(err, "%s cannot be read", path);
    gl_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return hs_err_set(err, "out of memory reading %s", path);
    gl_init(out);
    c->out = out;
    gl_tables(c, out);
    Dwarf_Error e = NULL;
    if (dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &c->dbg, NULL,
                        0, NULL, &e) != DW_DLV_OK) {
        free(c);
        return hs_err_set(err, "libdwarf cannot read %s", path);
    }
    int found = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        Dwarf_Unsigned hlen, abbrev_off, typeoff, next;
        Dwarf_Half ver, asize, lsize, xsize, cutype;
        Dwarf_Sig8 sig;
        Dwarf_Off aoff;
        (void)abbrev_off;
        int rc = dwarf_next_cu_header_d(c->dbg, 1, &hlen, &ver, &aoff, &asize, &lsize, &xsize, &sig,
                                        &typeoff, &next, &cutype, &e);
        if (rc != DW_DLV_OK)
            break;
        if (found)
            continue; /* drain the iterator */
        Dwarf_Die cu;
        if (dwarf_siblingof_b(c->dbg, NULL, 1, &cu, &e) != DW_DLV_OK)
            continue;
        const char *name = gl_name(cu);
        if (name && gl_name_is_malloc_c(name)) {
            gl_cu(c, cu);
            found = 1;
        }
        dwarf_dealloc_die(cu);
    }
    const char *missing = found ? gl_missing(c) : "the malloc.c compile unit";
    dwarf_finish(c->dbg, &e);
    free(c);
    if (missing)
        return hs_err_set(err, "%s has no DWARF for %s", path, missing);
    snprintf(out->source, sizeof(out->source), "DWARF of %s", path);
    return 0;
}

int glayout_builtin(const char *hexid, glayout *out, hs_err *err)
{
    if (hexid == NULL || strcmp(hexid, GLAYOUT_DEBIAN12_BUILDID) != 0)
        return hs_err_set(err, "no built-in layout for libc build id %s", hexid ? hexid : "(none)");
    /* Read from this build's DWARF and checked against the live heap
     * (docs/glibc-malloc.md §1). */
    *out = (glayout){
        .ms_size = 2200,
        .ms_mutex = 0,
        .ms_flags = 4,
        .ms_fastbins = 16,
        .ms_nfastbins = 10,
        .ms_top = 96,
        .ms_last_remainder = 104,
        .ms_bins = 112,
        .ms_nbins_words = 254,
        .ms_next = 2160,
        .ms_next_free = 2168,
        .ms_attached_threads = 2176,
        .ms_system_mem = 2184,
        .mc_prev_size = 0,
        .mc_size = 8,
        .mc_fd = 16,
        .mc_bk = 24,
        .hi_size_of = 48,
        .hi_ar_ptr = 0,
        .hi_prev = 8,
        .hi_size = 16,
        .hi_mprotect_size = 24,
        .mp_size_of = 136,
        .mp_hp_pagesize = 48,
        .mp_n_mmaps = 60,
        .mp_mmapped_mem = 80,
        .mp_sbrk_base = 96,
        .mp_tcache_bins = 104,
        .mp_tcache_count = 120,
        .tc_size_of = 640,
        .tc_counts = 0,
        .tc_count_size = 2,
        .tc_entries = 128,
        .tc_nbins = 64,
        .te_next = 0,
        .te_key = 8,
        .main_arena = 0x1d3c60,
        .mp_ = 0x1d3340,
        .narenas = 0x1d3328,
        .list_lock = 0x1da48c,
        .free_list = 0x1da490,
        .free_list_lock = 0x1da498,
        .global_max_fast = 0x1da4a0,
        .tcache_key = 0x1da478,
        .tls_tcache = 0x48,
        .tls_thread_arena = 0x58,
        .text_lo = 0x94700,
        .text_hi = 0x9a336,
    };
    snprintf(out->source, sizeof(out->source),
             "built-in table for Debian 12 glibc 2.36 (build id %s)", hexid);
    return 0;
}

int glayout_load(const char *hexid, const char *debug_dir, glayout *out, hs_err *err)
{
    if (debug_dir == NULL)
        debug_dir = getenv("HEAPSNAP_DEBUG_DIR");
    if (debug_dir == NULL || *debug_dir == '\0')
        debug_dir = "/usr/lib/debug";
    char path[2048];
    hs_err derr = {{0}};
    if (hexid && strlen(hexid) > 2) {
        snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", debug_dir, hexid, hexid + 2);
        if (glayout_from_dwarf(path, out, &derr) == 0)
            return 0;
    } else {
        hs_err_set(&derr, "libc has no build id");
    }
    if (glayout_builtin(hexid, out, NULL) == 0) {
        size_t used = strlen(out->source);
        snprintf(out->source + used, sizeof(out->source) - used, "; no usable debug file: %.100s",
                 derr.msg);
        return 0;
    }
    return hs_err_set(err,
                      "cannot learn this libc's malloc layout (build id %s): %s and no built-in "
                      "table matches; install the debug symbols with `apt-get install libc6-dbg`",
                      hexid ? hexid : "none", derr.msg);
}
