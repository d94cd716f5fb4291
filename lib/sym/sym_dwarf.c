/* lib/sym/sym_dwarf.c: source lines and inlined frames of one file's DWARF (4 and
 * 5, compressed sections included) through libdwarf's 20210528 API. Opening
 * only indexes the compilation units by address range; a unit's line table
 * and function/inline tree are decoded the first time an address falls in it
 * and kept, so thousands of lookups cost one decode per unit touched.
 * Every libdwarf result is checked and every walk is bounded: the input may
 * be any file a host process happens to have mapped. */
#include "sym_internal.h"
#include "symtypes.h"

#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_array.h"

#define MAX_CUS (1u << 20)
#define MAX_DIES_PER_CU (1u << 22)
#define MAX_DIE_DEPTH 96
#define MAX_LINE_ROWS (1u << 24)
#define MAX_RANGES_PER_DIE 65536
#define MAX_ORIGIN_HOPS 8
#define MAX_INLINE_DEPTH 64

typedef struct line_row {
    uint64_t addr;
    uint32_t line, file, order;
    uint8_t end;  /* end_sequence: the address after the sequence */
    uint8_t stmt; /* is_stmt: a recommended breakpoint, what debuggers show */
} line_row;

typedef struct origin {
    const char *name, *system_name, *file;
    int64_t decl_line;
} origin;

typedef struct fn_range {
    uint64_t lo, hi;
    uint32_t func;
} fn_range;

typedef struct cu_func {
    uint32_t origin;
    Dwarf_Off die; /* its DW_TAG_subprogram */
    uint64_t entry;
    uint32_t inl_start, inl_end; /* this function's inline records */
} cu_func;

typedef struct cu_inline {
    uint64_t lo, hi;
    uint32_t depth, origin;
    const char *call_file;
    int64_t call_line;
} cu_inline;

typedef struct dcu {
    Dwarf_Off die_off; /* global offset of the unit's DIE */
    Dwarf_Half version;
    uint64_t base; /* DW_AT_low_pc, the base of its range lists */
    bool files_done, lines_done, funcs_done, scopes_done;
    const char **files;
    size_t nfiles;
    unsigned file_base; /* DWARF < 5 numbers files from 1, DWARF 5 from 0 */
    line_row *rows;
    size_t nrows;
    fn_range *fr;
    size_t nfr;
    cu_func *funcs;
    size_t nfuncs;
    cu_inline *inl;
    size_t ninl;
} dcu;

typedef struct cu_range {
    uint64_t lo, hi;
    uint32_t cu;
} cu_range;

typedef struct rng {
    uint64_t lo, hi;
} rng;

typedef struct rvec {
    rng *v;
    size_t n, cap;
} rvec;

struct sym_dwarf {
    Dwarf_Debug dbg;
    sym_pool *pool;
    dcu *cus; /* in .debug_info order, so sorted by die_off */
    size_t ncus;
    cu_range *ranges; /* sorted by lo */
    size_t nranges;
    origin *ov;
    size_t nov, capov;
    sym_u64map origin_by_off; /* DIE offset -> index into ov */
    rvec scratch;
    bool any_lines;
    struct dvar *vars; /* variables at fixed addresses, sorted by addr */
    size_t nvars, capvars;
    bool vars_done;
    sym_tvar *tvars;         /* the same, with their names and types, for symtypes.h */
    sym_tvar *tls;           /* thread-local variables: vaddr is the offset in the TLS block */
    sym_u64map scope_by_off; /* a C++ type DIE -> its pooled scope ("std::") */
    size_t ntls, captls;
};

static void drop_err(Dwarf_Debug dbg, Dwarf_Error *e)
{
    if (*e != NULL) {
        dwarf_dealloc_error(dbg, *e);
        *e = NULL;
    }
}

static int rvec_push(rvec *r, uint64_t lo, uint64_t hi)
{
    if (hi <= lo || r->n >= MAX_RANGES_PER_DIE)
        return 0;
    if (hs_array_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(rng), 16) != 0)
        return -1;
    r->v[r->n++] = (rng){lo, hi};
    return 0;
}

/* Collapses "a/./b", "a//b" and "a/x/../b" the way Go's filepath.Clean does,
 * so the same file always gets the same name in a profile. */
static const char *clean_path(sym_pool *pool, const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 4096)
        return sym_pool_str(pool, p);
    char buf[4097];
    size_t w = 0, r = 0;
    bool rooted = p[0] == '/';
    if (rooted)
        buf[w++] = '/', r = 1;
    size_t dotdot = w; /* buf[:dotdot] cannot be backtracked */
    while (r < n) {
        if (p[r] == '/' || (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))) {
            r++; /* a separator, or "." */
        } else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && buf[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    buf[w++] = '/';
                buf[w++] = '.';
                buf[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                buf[w++] = '/';
            while (r < n && p[r] != '/')
                buf[w++] = p[r++];
        }
    }
    if (w == 0)
        buf[w++] = '.';
    return sym_pool_strn(pool, buf, w);
}

/* ---- opening and the unit index ---- */

static int cu_range_cmp(const void *pa, const void *pb)
{
    const cu_range *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    return a->cu < b->cu ? -1 : a->cu > b->cu;
}

/* The address ranges of die: low/high pc, or DW_AT_ranges (DWARF 5 rnglists
 * or DWARF 2-4 .debug_ranges relative to the unit's base). */
static int die_ranges(sym_dwarf *d, Dwarf_Die die, Dwarf_Half version, uint64_t base, rvec *out)
{
    Dwarf_Error e = NULL;
    out->n = 0;
    Dwarf_Addr lo = 0, hi = 0;
    Dwarf_Half form = 0;
    enum Dwarf_Form_Class cls = DW_FORM_CLASS_UNKNOWN;
    int r = dwarf_lowpc(die, &lo, &e);
    if (r == DW_DLV_OK) {
        int r2 = dwarf_highpc_b(die, &hi, &form, &cls, &e);
        if (r2 == DW_DLV_OK) {
            if (cls == DW_FORM_CLASS_CONSTANT)
                hi += lo;
            return rvec_push(out, lo, hi);
        }
        drop_err(d->dbg, &e);
    } else {
        drop_err(d->dbg, &e);
    }
    Dwarf_Attribute attr = NULL;
    r = dwarf_attr(die, DW_AT_ranges, &attr, &e);
    if (r != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return 0;
    }
    int rc = 0;
    if (dwarf_whatform(attr, &form, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        dwarf_dealloc_attribute(attr);
        return 0;
    }
    if (version >= 5) {
        Dwarf_Unsigned val = 0;
        if (form == DW_FORM_rnglistx) {
            r = dwarf_formudata(attr, &val, &e);
        } else {
            Dwarf_Off off = 0;
            r = dwarf_global_formref(attr, &off, &e);
            val = off;
        }
        Dwarf_Rnglists_Head head = NULL;
        Dwarf_Unsigned count = 0, goff = 0;
        if (r == DW_DLV_OK)
            r = dwarf_rnglists_get_rle_head(attr, form, val, &head, &count, &goff, &e);
        if (r == DW_DLV_OK) {
            for (Dwarf_Unsigned i = 0; i < count && i < MAX_RANGES_PER_DIE; i++) {
                unsigned elen = 0, code = 0;
                Dwarf_Unsigned raw1 = 0, raw2 = 0, c1 = 0, c2 = 0;
                Dwarf_Bool unavail = 0;
                if (dwarf_get_rnglists_entry_fields_a(head, i, &elen, &code, &raw1, &raw2, &unavail,
                                                      &c1, &c2, &e) != DW_DLV_OK) {
                    drop_err(d->dbg, &e);
                    break;
                }
                if (code == DW_RLE_end_of_list)
                    break;
                if (code == DW_RLE_base_address || code == DW_RLE_base_addressx || unavail)
                    continue;
                if (rvec_push(out, c1, c2) != 0) {
                    rc = -1;
                    break;
                }
            }
            dwarf_dealloc_rnglists_head(head);
        } else {
            drop_err(d->dbg, &e);
        }
    } else {
        Dwarf_Off off = 0;
        r = dwarf_global_formref(attr, &off, &e);
        if (r != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            Dwarf_Unsigned u = 0;
            r = dwarf_formudata(attr, &u, &e);
            off = u;
        }
        Dwarf_Ranges *rb = NULL;
        Dwarf_Signed cnt = 0;
        Dwarf_Unsigned bytes = 0;
        Dwarf_Off real = 0;
        if (r == DW_DLV_OK)
            r = dwarf_get_ranges_b(d->dbg, off, die, &real, &rb, &cnt, &bytes, &e);
        if (r == DW_DLV_OK) {
            uint64_t b = base;
            for (Dwarf_Signed i = 0; i < cnt && i < MAX_RANGES_PER_DIE; i++) {
                if (rb[i].dwr_type == DW_RANGES_END)
                    break;
                if (rb[i].dwr_type == DW_RANGES_ADDRESS_SELECTION) {
                    b = rb[i].dwr_addr2;
                    continue;
                }
                if (rvec_push(out, b + rb[i].dwr_addr1, b + rb[i].dwr_addr2) != 0) {
                    rc = -1;
                    break;
                }
            }
            dwarf_ranges_dealloc(d->dbg, rb, cnt);
        } else {
            drop_err(d->dbg, &e);
        }
    }
    dwarf_dealloc_attribute(attr);
    return rc;
}

static int index_units(sym_dwarf *d)
{
    Dwarf_Error e = NULL;
    size_t capcu = 0, caprg = 0;
    for (size_t guard = 0; guard < MAX_CUS; guard++) {
        Dwarf_Unsigned hlen = 0, typeoff = 0, next = 0;
        Dwarf_Half version = 0, asize = 0, lsize = 0, esize = 0, utype = 0;
        Dwarf_Off abbrev = 0;
        Dwarf_Sig8 sig;
        int r = dwarf_next_cu_header_d(d->dbg, 1, &hlen, &version, &abbrev, &asize, &lsize, &esize,
                                       &sig, &typeoff, &next, &utype, &e);
        if (r != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            break; /* the end, or a damaged header we cannot step over */
        }
        Dwarf_Die cu_die = NULL;
        if (dwarf_siblingof_b(d->dbg, NULL, 1, &cu_die, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            continue;
        }
        Dwarf_Half tag = 0;
        Dwarf_Off off = 0;
        if (dwarf_tag(cu_die, &tag, &e) != DW_DLV_OK ||
            dwarf_dieoffset(cu_die, &off, &e) != DW_DLV_OK ||
            (tag != DW_TAG_compile_unit && tag != DW_TAG_partial_unit)) {
            drop_err(d->dbg, &e);
            dwarf_dealloc_die(cu_die);
            continue;
        }
        if (d->ncus == capcu) {
            size_t ncap = capcu ? capcu * 2 : 64;
            dcu *nv = realloc(d->cus, ncap * sizeof(dcu));
            if (nv == NULL) {
                dwarf_dealloc_die(cu_die);
                return -1;
            }
            d->cus = nv;
            capcu = ncap;
        }
        dcu *cu = &d->cus[d->ncus];
        memset(cu, 0, sizeof(*cu));
        cu->die_off = off;
        cu->version = version;
        Dwarf_Addr base = 0;
        if (dwarf_lowpc(cu_die, &base, &e) == DW_DLV_OK)
            cu->base = base;
        drop_err(d->dbg, &e);
        uint32_t idx = (uint32_t)d->ncus++;
        if (tag == DW_TAG_compile_unit &&
            die_ranges(d, cu_die, version, cu->base, &d->scratch) == 0) {
            for (size_t i = 0; i < d->scratch.n; i++) {
                if (d->nranges == caprg) {
                    size_t ncap = caprg ? caprg * 2 : 256;
                    cu_range *nv = realloc(d->ranges, ncap * sizeof(cu_range));
                    if (nv == NULL) {
                        dwarf_dealloc_die(cu_die);
                        return -1;
                    }
                    d->ranges = nv;
                    caprg = ncap;
                }
                d->ranges[d->nranges++] = (cu_range){d->scratch.v[i].lo, d->scratch.v[i].hi, idx};
            }
        }
        dwarf_dealloc_die(cu_die);
    }
    if (d->nranges > 0)
        qsort(d->ranges, d->nranges, sizeof(cu_range), cu_range_cmp);
    return 0;
}

sym_dwarf *sym_dwarf_open(const char *path, sym_pool *pool, hs_err *err)
{
    sym_dwarf *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        hs_err_set(err, "out of memory opening the DWARF of %s", path);
        return NULL;
    }
    d->pool = pool;
    Dwarf_Error e = NULL;
    /* No true-path buffer: libdwarf must not chase debug links on its own;
     * sym_debugfile.c decides which file is read. */
    int r = dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &d->dbg,
                            NULL, 0, NULL, &e);
    if (r != DW_DLV_OK) {
        if (r == DW_DLV_ERROR) {
            hs_err_set(err, "cannot read the DWARF of %s (%s)", path, dwarf_errmsg(e));
            dwarf_dealloc_error(NULL, e);
        } else {
            hs_err_set(err, "%s has no DWARF debug info", path);
        }
        free(d);
        return NULL;
    }
    if (index_units(d) != 0) {
        hs_err_set(err, "out of memory indexing the DWARF of %s", path);
        sym_dwarf_close(d);
        return NULL;
    }
    return d;
}

void sym_dwarf_close(sym_dwarf *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->ncus; i++) {
        free(d->cus[i].files);
        free(d->cus[i].rows);
        free(d->cus[i].fr);
        free(d->cus[i].funcs);
        free(d->cus[i].inl);
    }
    free(d->cus);
    free(d->ranges);
    free(d->ov);
    free(d->scratch.v);
    free(d->vars);
    free(d->tvars);
    free(d->tls);
    sym_u64map_free(&d->origin_by_off);
    sym_u64map_free(&d->scope_by_off);
    if (d->dbg != NULL) {
        Dwarf_Error e = NULL;
        if (dwarf_finish(d->dbg, &e) == DW_DLV_ERROR)
            dwarf_dealloc_error(NULL, e);
    }
    free(d);
}

bool sym_dwarf_has_functions(sym_dwarf *d)
{
    return d != NULL && d->nranges > 0;
}

/* ---- per-unit data, decoded on first use ---- */

static Dwarf_Die cu_die_of(sym_dwarf *d, const dcu *cu)
{
    Dwarf_Error e = NULL;
    Dwarf_Die die = NULL;
    if (dwarf_offdie_b(d->dbg, cu->die_off, 1, &die, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return NULL;
    }
    return die;
}

static const char *attr_string(sym_dwarf *d, Dwarf_Die die, Dwarf_Half at);

/* libdwarf joins DW_AT_comp_dir before a DWARF 5 line-table directory even
 * for directory 0, which already is the compilation directory: with a
 * relative comp_dir (Debian's -fdebug-prefix-map gives "./malloc") that reads
 * "./malloc/./malloc/malloc.c". Drop the duplicate. */
static const char *undouble(const char *name, const char *comp_dir, const dcu *cu)
{
    if (cu->version < 5 || comp_dir == NULL || comp_dir[0] == '\0' || comp_dir[0] == '/')
        return name;
    size_t l = strlen(comp_dir);
    if (strncmp(name, comp_dir, l) == 0 && name[l] == '/' &&
        strncmp(name + l + 1, comp_dir, l) == 0 && name[2 * l + 1] == '/')
        return name + l + 1;
    return name;
}

static void load_files(sym_dwarf *d, dcu *cu)
{
    if (cu->files_done)
        return;
    cu->files_done = true;
    cu->file_base = cu->version >= 5 ? 0 : 1;
    Dwarf_Die die = cu_die_of(d, cu);
    if (die == NULL)
        return;
    Dwarf_Error e = NULL;
    const char *comp_dir = attr_string(d, die, DW_AT_comp_dir);
    char **names = NULL;
    Dwarf_Signed n = 0;
    if (dwarf_srcfiles(die, &names, &n, &e) == DW_DLV_OK) {
        if (n > 0 && n < (1 << 20))
            cu->files = calloc((size_t)n, sizeof(char *));
        for (Dwarf_Signed i = 0; i < n; i++) {
            if (cu->files != NULL && names[i] != NULL)
                cu->files[cu->nfiles] = clean_path(d->pool, undouble(names[i], comp_dir, cu));
            if (cu->files != NULL)
                cu->nfiles++;
            dwarf_dealloc(d->dbg, names[i], DW_DLA_STRING);
        }
        dwarf_dealloc(d->dbg, names, DW_DLA_LIST);
    } else {
        drop_err(d->dbg, &e);
    }
    dwarf_dealloc_die(die);
}

static const char *file_name(sym_dwarf *d, dcu *cu, uint64_t num)
{
    load_files(d, cu);
    if (num < cu->file_base || num - cu->file_base >= cu->nfiles)
        return "";
    const char *f = cu->files[num - cu->file_base];
    return f != NULL ? f : "";
}

static int row_cmp(const void *pa, const void *pb)
{
    const line_row *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->end != b->end) /* a sequence's end sorts before a new one starting there */
        return a->end ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static void load_lines(sym_dwarf *d, dcu *cu)
{
    if (cu->lines_done)
        return;
    cu->lines_done = true;
    Dwarf_Die die = cu_die_of(d, cu);
    if (die == NULL)
        return;
    Dwarf_Error e = NULL;
    Dwarf_Unsigned lversion = 0;
    Dwarf_Small tcount = 0;
    Dwarf_Line_Context lc = NULL;
    if (dwarf_srclines_b(die, &lversion, &tcount, &lc, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        dwarf_dealloc_die(die);
        return;
    }
    Dwarf_Line *lines = NULL;
    Dwarf_Signed n = 0;
    if (dwarf_srclines_from_linecontext(lc, &lines, &n, &e) == DW_DLV_OK && n > 0) {
        size_t cap = (size_t)n < MAX_LINE_ROWS ? (size_t)n : MAX_LINE_ROWS;
        cu->rows = malloc(cap * sizeof(line_row));
        for (size_t i = 0; cu->rows != NULL && i < cap; i++) {
            Dwarf_Addr a = 0;
            Dwarf_Unsigned ln = 0, fno = 0;
            Dwarf_Bool end = 0, stmt = 0;
            if (dwarf_linebeginstatement(lines[i], &stmt, &e) != DW_DLV_OK) {
                drop_err(d->dbg, &e);
                stmt = 1;
            }
            if (dwarf_lineaddr(lines[i], &a, &e) != DW_DLV_OK ||
                dwarf_lineno(lines[i], &ln, &e) != DW_DLV_OK ||
                dwarf_line_srcfileno(lines[i], &fno, &e) != DW_DLV_OK ||
                dwarf_lineendsequence(lines[i], &end, &e) != DW_DLV_OK) {
                drop_err(d->dbg, &e);
                continue;
            }
            cu->rows[cu->nrows] =
                (line_row){a, (uint32_t)ln, (uint32_t)fno, (uint32_t)i, end != 0, stmt != 0};
            cu->nrows++;
        }
        if (cu->rows != NULL && cu->nrows > 0) {
            qsort(cu->rows, cu->nrows, sizeof(line_row), row_cmp);
            d->any_lines = true;
        }
    } else {
        drop_err(d->dbg, &e);
    }
    dwarf_srclines_dealloc_b(lc);
    dwarf_dealloc_die(die);
}

/* Index of the unit whose DIE starts at off (the unit of any DIE, for its
 * file table). */
static dcu *cu_by_offset(sym_dwarf *d, Dwarf_Off off)
{
    size_t lo = 0, hi = d->ncus;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->cus[mid].die_off == off)
            return &d->cus[mid];
        if (d->cus[mid].die_off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const char *attr_string(sym_dwarf *d, Dwarf_Die die, Dwarf_Half at)
{
    Dwarf_Error e = NULL;
    Dwarf_Attribute a = NULL;
    if (dwarf_attr(die, at, &a, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return NULL;
    }
    char *s = NULL;
    const char *r = NULL;
    if (dwarf_formstring(a, &s, &e) == DW_DLV_OK && s != NULL)
        r = s; /* points into the string section: valid until dwarf_finish */
    drop_err(d->dbg, &e);
    dwarf_dealloc_attribute(a);
    return r;
}

static bool attr_udata(sym_dwarf *d, Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *v)
{
    Dwarf_Error e = NULL;
    Dwarf_Attribute a = NULL;
    if (dwarf_attr(die, at, &a, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return false;
    }
    bool ok = dwarf_formudata(a, v, &e) == DW_DLV_OK;
    drop_err(d->dbg, &e);
    if (!ok) {
        /* DW_FORM_implicit_const (DWARF 5's shared decl_file of a run of
         * DIEs) is a signed constant this libdwarf gives only as sdata. */
        Dwarf_Signed sv = 0;
        ok = dwarf_formsdata(a, &sv, &e) == DW_DLV_OK && sv >= 0;
        drop_err(d->dbg, &e);
        if (ok)
            *v = (Dwarf_Unsigned)sv;
    }
    dwarf_dealloc_attribute(a);
    return ok;
}

static bool attr_ref(sym_dwarf *d, Dwarf_Die die, Dwarf_Half at, Dwarf_Off *off)
{
    Dwarf_Error e = NULL;
    Dwarf_Attribute a = NULL;
    if (dwarf_attr(die, at, &a, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return false;
    }
    bool ok = dwarf_global_formref(a, off, &e) == DW_DLV_OK;
    drop_err(d->dbg, &e);
    dwarf_dealloc_attribute(a);
    return ok;
}

/* Name, linkage name, declaration file and line of the function whose DIE is
 * at off, following DW_AT_abstract_origin / DW_AT_specification. Returns the
 * index into d->ov, or UINT32_MAX when out of memory. */
static uint32_t origin_at(sym_dwarf *d, Dwarf_Off off)
{
    uint64_t idx;
    if (sym_u64map_get(&d->origin_by_off, off, &idx))
        return (uint32_t)idx;
    const char *name = NULL, *linkage = NULL, *file = NULL;
    int64_t decl_line = 0;
    Dwarf_Off cur = off;
    for (int hop = 0; hop < MAX_ORIGIN_HOPS; hop++) {
        Dwarf_Error e = NULL;
        Dwarf_Die die = NULL;
        if (dwarf_offdie_b(d->dbg, cur, 1, &die, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            break;
        }
        if (linkage == NULL)
            linkage = attr_string(d, die, DW_AT_linkage_name);
        if (linkage == NULL)
            linkage = attr_string(d, die, DW_AT_MIPS_linkage_name);
        if (name == NULL)
            name = attr_string(d, die, DW_AT_name);
        Dwarf_Unsigned u = 0;
        if (decl_line == 0 && attr_udata(d, die, DW_AT_decl_line, &u))
            decl_line = (int64_t)u;
        if (file == NULL && attr_udata(d, die, DW_AT_decl_file, &u)) {
            Dwarf_Off cu_off = 0;
            if (dwarf_CU_dieoffset_given_die(die, &cu_off, &e) == DW_DLV_OK) {
                dcu *cu = cu_by_offset(d, cu_off);
                if (cu != NULL)
                    file = file_name(d, cu, u);
            }
            drop_err(d->dbg, &e);
        }
        Dwarf_Off next = 0;
        bool more = attr_ref(d, die, DW_AT_abstract_origin, &next) ||
                    attr_ref(d, die, DW_AT_specification, &next);
        dwarf_dealloc_die(die);
        if (!more || next == cur ||
            (name != NULL && linkage != NULL && decl_line != 0 && file != NULL))
            break;
        cur = next;
    }
    if (hs_array_grow((void **)&d->ov, &d->capov, d->nov + 1, sizeof(origin), 256) != 0)
        return UINT32_MAX;
    origin o = {"", "", file != NULL ? file : "", decl_line};
    const char *sys = linkage != NULL ? linkage : name;
    if (sys != NULL) {
        o.system_name = sym_pool_str(d->pool, sys);
        if (o.system_name == NULL)
            return UINT32_MAX;
        o.name = linkage != NULL ? sym_demangle(d->pool, o.system_name) : o.system_name;
    }
    d->ov[d->nov] = o;
    if (sym_u64map_put(&d->origin_by_off, off, d->nov) != 0)
        return UINT32_MAX;
    return (uint32_t)d->nov++;
}

/* Walk state of one unit's DIE tree. */
typedef struct walk {
    sym_dwarf *d;
    dcu *cu;
    size_t dies;
    size_t capfr, capfuncs, capinl;
    int failed;
} walk;

static int add_func(walk *w, Dwarf_Die die, Dwarf_Off off, uint32_t *fidx)
{
    dcu *cu = w->cu;
    sym_dwarf *d = w->d;
    Dwarf_Off org = off;
    attr_ref(d, die, DW_AT_abstract_origin, &org);
    uint32_t o = origin_at(d, org);
    if (o == UINT32_MAX)
        return -1;
    if (cu->nfuncs == w->capfuncs) {
        size_t ncap = w->capfuncs ? w->capfuncs * 2 : 64;
        cu_func *nv = realloc(cu->funcs, ncap * sizeof(cu_func));
        if (nv == NULL)
            return -1;
        cu->funcs = nv;
        w->capfuncs = ncap;
    }
    uint64_t entry = UINT64_MAX;
    for (size_t i = 0; i < d->scratch.n; i++) {
        if (d->scratch.v[i].lo < entry)
            entry = d->scratch.v[i].lo;
    }
    Dwarf_Addr lowpc = 0;
    Dwarf_Error e = NULL;
    if (dwarf_lowpc(die, &lowpc, &e) == DW_DLV_OK)
        entry = lowpc; /* DW_AT_entry_pc would be rarer still; low_pc is the entry */
    drop_err(d->dbg, &e);
    *fidx = (uint32_t)cu->nfuncs;
    cu->funcs[cu->nfuncs++] = (cu_func){o, off, entry, (uint32_t)cu->ninl, (uint32_t)cu->ninl};
    for (size_t i = 0; i < d->scratch.n; i++) {
        if (cu->nfr == w->capfr) {
            size_t ncap = w->capfr ? w->capfr * 2 : 64;
            fn_range *nv = realloc(cu->fr, ncap * sizeof(fn_range));
            if (nv == NULL)
                return -1;
            cu->fr = nv;
            w->capfr = ncap;
        }
        cu->fr[cu->nfr++] = (fn_range){d->scratch.v[i].lo, d->scratch.v[i].hi, *fidx};
    }
    return 0;
}

static int add_inline(walk *w, Dwarf_Die die, uint32_t depth)
{
    dcu *cu = w->cu;
    sym_dwarf *d = w->d;
    Dwarf_Off org = 0;
    if (!attr_ref(d, die, DW_AT_abstract_origin, &org))
        return 0;
    uint32_t o = origin_at(d, org);
    if (o == UINT32_MAX)
        return -1;
    Dwarf_Unsigned cf = 0, cl = 0;
    const char *call_file = "";
    if (attr_udata(d, die, DW_AT_call_file, &cf))
        call_file = file_name(d, cu, cf);
    attr_udata(d, die, DW_AT_call_line, &cl);
    for (size_t i = 0; i < d->scratch.n; i++) {
        if (cu->ninl == w->capinl) {
            size_t ncap = w->capinl ? w->capinl * 2 : 64;
            cu_inline *nv = realloc(cu->inl, ncap * sizeof(cu_inline));
            if (nv == NULL)
                return -1;
            cu->inl = nv;
            w->capinl = ncap;
        }
        cu->inl[cu->ninl++] =
            (cu_inline){d->scratch.v[i].lo, d->scratch.v[i].hi, depth, o, call_file, (int64_t)cl};
    }
    return 0;
}

/* The DIE after die among its siblings (NULL at the end, or on an error);
 * next_sibling also deallocates die: the step of every walk over a DIE's
 * children. */
static Dwarf_Die next_sibling_keep(sym_dwarf *d, Dwarf_Die die)
{
    Dwarf_Error e = NULL;
    Dwarf_Die sib = NULL;
    if (dwarf_siblingof_b(d->dbg, die, 1, &sib, &e) == DW_DLV_OK)
        return sib;
    drop_err(d->dbg, &e);
    return NULL;
}

static Dwarf_Die next_sibling(sym_dwarf *d, Dwarf_Die die)
{
    Dwarf_Die sib = next_sibling_keep(d, die);
    dwarf_dealloc_die(die);
    return sib;
}

/* Visits the children of parent. func is the enclosing concrete function
 * (UINT32_MAX outside any), depth the inline nesting below it. */
static void walk_children(walk *w, Dwarf_Die parent, int level, uint32_t func, uint32_t depth)
{
    sym_dwarf *d = w->d;
    if (level >= MAX_DIE_DEPTH || w->failed)
        return;
    Dwarf_Error e = NULL;
    Dwarf_Die child = NULL;
    int r = dwarf_child(parent, &child, &e);
    if (r != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return;
    }
    while (child != NULL && !w->failed && w->dies++ < MAX_DIES_PER_CU) {
        Dwarf_Half tag = 0;
        if (dwarf_tag(child, &tag, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            tag = 0;
        }
        switch (tag) {
        case DW_TAG_subprogram: {
            Dwarf_Off off = 0;
            if (dwarf_dieoffset(child, &off, &e) != DW_DLV_OK) {
                drop_err(d->dbg, &e);
                break;
            }
            if (die_ranges(d, child, w->cu->version, w->cu->base, &d->scratch) != 0) {
                w->failed = 1;
                break;
            }
            if (d->scratch.n == 0)
                break; /* a declaration or an abstract instance: no code here */
            uint32_t f = 0;
            if (add_func(w, child, off, &f) != 0) {
                w->failed = 1;
                break;
            }
            walk_children(w, child, level + 1, f, 0);
            w->cu->funcs[f].inl_end = (uint32_t)w->cu->ninl;
            break;
        }
        case DW_TAG_inlined_subroutine:
            if (func == UINT32_MAX || depth >= MAX_INLINE_DEPTH)
                break;
            if (die_ranges(d, child, w->cu->version, w->cu->base, &d->scratch) != 0) {
                w->failed = 1;
                break;
            }
            if (d->scratch.n > 0 && add_inline(w, child, depth) != 0) {
                w->failed = 1;
                break;
            }
            walk_children(w, child, level + 1, func, depth + 1);
            break;
        case DW_TAG_lexical_block:
        case DW_TAG_try_block:
        case DW_TAG_catch_block:
        case DW_TAG_namespace:
        case DW_TAG_module:
            walk_children(w, child, level + 1, func, depth);
            break;
        default:
            break; /* types, variables, parameters: nothing with code */
        }
        child = next_sibling(d, child);
    }
    if (child != NULL)
        dwarf_dealloc_die(child);
}

static int fn_range_cmp(const void *pa, const void *pb)
{
    const fn_range *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    /* Larger first at the same start, so the innermost sorts last. */
    return a->hi > b->hi ? -1 : a->hi < b->hi;
}

static void load_funcs(sym_dwarf *d, dcu *cu)
{
    if (cu->funcs_done)
        return;
    cu->funcs_done = true;
    Dwarf_Die die = cu_die_of(d, cu);
    if (die == NULL)
        return;
    walk w = {.d = d, .cu = cu};
    walk_children(&w, die, 0, UINT32_MAX, 0);
    dwarf_dealloc_die(die);
    if (cu->nfr > 0)
        qsort(cu->fr, cu->nfr, sizeof(fn_range), fn_range_cmp);
}

bool sym_dwarf_has_lines(sym_dwarf *d)
{
    if (d == NULL)
        return false;
    /* Decide from the first unit with code; decoding one table is cheap. */
    for (size_t i = 0; i < d->nranges && i < 4; i++) {
        dcu *cu = &d->cus[d->ranges[i].cu];
        load_lines(d, cu);
        if (cu->nrows > 0)
            return true;
    }
    return d->any_lines;
}

/* ---- lookup ---- */

static dcu *cu_for(sym_dwarf *d, uint64_t pc)
{
    size_t lo =
        hs_array_upper_bound(d->ranges, d->nranges, sizeof(*d->ranges), offsetof(cu_range, lo), pc);
    for (size_t k = 0; k < 16 && lo > 0; k++, lo--) {
        const cu_range *r = &d->ranges[lo - 1];
        if (pc < r->hi)
            return &d->cus[r->cu];
    }
    return NULL;
}

static const line_row *row_for(const dcu *cu, uint64_t pc)
{
    size_t lo =
        hs_array_upper_bound(cu->rows, cu->nrows, sizeof(*cu->rows), offsetof(line_row, addr), pc);
    if (lo == 0 || cu->rows[lo - 1].end)
        return NULL;
    /* Of several rows at one address the last is_stmt one, as gdb shows it:
     * gcc ends a run of views with a non-statement row of the opening line. */
    const line_row *last = &cu->rows[lo - 1];
    for (size_t k = lo; k > 0 && lo - k < 64; k--) {
        const line_row *r = &cu->rows[k - 1];
        if (r->addr != last->addr || r->end)
            break;
        if (r->stmt)
            return r;
    }
    return last;
}

static const cu_func *func_for(const dcu *cu, uint64_t pc)
{
    size_t lo = 0, hi = cu->nfr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cu->fr[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = 0; k < 16 && lo > 0; k++, lo--) {
        const fn_range *r = &cu->fr[lo - 1];
        if (pc < r->hi)
            return &cu->funcs[r->func];
    }
    return NULL;
}

/* The unit covering pc with its lines and functions decoded, or NULL. */
static dcu *cu_loaded_for(sym_dwarf *d, uint64_t pc)
{
    dcu *cu = d != NULL ? cu_for(d, pc) : NULL;
    if (cu != NULL) {
        load_lines(d, cu);
        load_funcs(d, cu);
    }
    return cu;
}

size_t sym_dwarf_lookup(sym_dwarf *d, uint64_t pc, sym_dwarf_frame *frames, size_t max)
{
    dcu *cu = max > 0 ? cu_loaded_for(d, pc) : NULL;
    if (cu == NULL)
        return 0;
    const line_row *row = row_for(cu, pc);
    const cu_func *fn = func_for(cu, pc);
    if (row == NULL && fn == NULL)
        return 0;
    /* The inline records covering pc, one per depth, outermost first. */
    const cu_inline *chain[MAX_INLINE_DEPTH];
    size_t k = 0;
    if (fn != NULL) {
        for (uint32_t i = fn->inl_start; i < fn->inl_end && i < cu->ninl; i++) {
            const cu_inline *in = &cu->inl[i];
            if (pc < in->lo || pc >= in->hi || in->depth >= MAX_INLINE_DEPTH)
                continue;
            if (in->depth == k) {
                chain[k++] = in;
            } else if (in->depth < k) {
                chain[in->depth] = in; /* overlapping siblings: keep the last */
                k = in->depth + 1;
            }
        }
    }
    size_t n = 0;
    for (size_t j = 0; j <= k && n < max; j++) {
        /* Frame j: innermost first. Its function is the inline at depth
         * k-1-j (or the concrete function); its position is the line row for
         * j == 0, else the call site recorded by the next-inner inline. */
        const origin *o = NULL;
        if (j < k)
            o = &d->ov[chain[k - 1 - j]->origin];
        else if (fn != NULL)
            o = &d->ov[fn->origin];
        sym_dwarf_frame *f = &frames[n++];
        f->name = o != NULL ? o->name : "";
        f->system_name = o != NULL ? o->system_name : "";
        f->start_line = o != NULL ? o->decl_line : 0;
        f->func_lo = fn != NULL ? fn->entry : 0;
        if (j == 0) {
            f->file = row != NULL ? file_name(d, cu, row->file) : "";
            f->line = row != NULL ? row->line : 0;
        } else {
            const cu_inline *callee = chain[k - j];
            f->file = callee->call_file;
            f->line = callee->call_line;
        }
    }
    return n;
}

/* ---- variables: where each one at a fixed address is declared ---- */

typedef struct dvar {
    uint64_t addr;
    const char *file; /* "" when the DWARF does not say */
    int64_t line;
    const char *name;
    uint64_t type;
} dvar;

/* The address of a location that is a single DW_OP_addr, as globals and
 * static variables have. */
static bool var_addr(sym_dwarf *d, Dwarf_Die die, uint64_t *addr)
{
    Dwarf_Error e = NULL;
    Dwarf_Attribute a = NULL;
    if (dwarf_attr(die, DW_AT_location, &a, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return false;
    }
    Dwarf_Unsigned len = 0;
    Dwarf_Ptr p = NULL;
    bool ok = dwarf_formexprloc(a, &len, &p, &e) == DW_DLV_OK && len == 9 && p != NULL &&
              ((const unsigned char *)p)[0] == DW_OP_addr;
    if (ok)
        memcpy(addr, (const unsigned char *)p + 1, 8);
    drop_err(d->dbg, &e);
    dwarf_dealloc_attribute(a);
    return ok;
}

/* Records the variable die (at addr): where it is declared, its name and
 * its type, on the DIE or, for a C++ namespace member or static data member
 * defined outside its declaration, on the declaration its
 * DW_AT_specification names. */
static void vars_add(sym_dwarf *d, dcu *cu, Dwarf_Die die, uint64_t addr)
{
    Dwarf_Unsigned fnum = 0, line = 0;
    Dwarf_Die spec = NULL;
    Dwarf_Off off = 0, type = 0;
    Dwarf_Error e = NULL;
    const char *name = attr_string(d, die, DW_AT_name);
    bool typed = attr_ref(d, die, DW_AT_type, &type);
    if (attr_ref(d, die, DW_AT_specification, &off)) {
        if (dwarf_offdie_b(d->dbg, off, 1, &spec, &e) == DW_DLV_OK) {
            if (!attr_udata(d, die, DW_AT_decl_file, &fnum))
                die = spec;
            if (name == NULL)
                name = attr_string(d, spec, DW_AT_name);
            if (!typed)
                typed = attr_ref(d, spec, DW_AT_type, &type);
        } else {
            drop_err(d->dbg, &e);
        }
    }
    const char *file = "";
    if (attr_udata(d, die, DW_AT_decl_file, &fnum) && attr_udata(d, die, DW_AT_decl_line, &line))
        file = file_name(d, cu, fnum);
    else
        line = 0;
    const char *pname = sym_pool_str(d->pool, name != NULL ? name : "");
    if (pname != NULL &&
        hs_array_grow((void **)&d->vars, &d->capvars, d->nvars + 1, sizeof(dvar), 256) == 0)
        d->vars[d->nvars++] = (dvar){addr, file, (int64_t)line, pname, typed ? type : 0};
    if (spec != NULL)
        dwarf_dealloc_die(spec);
}

/* The offset in its module's TLS block of a thread-local variable: its
 * location DW_OP_const4u/const8u OFF, DW_OP_GNU_push_tls_address (or
 * DW_OP_form_tls_address), as GCC writes it. */
static bool var_tls_offset(sym_dwarf *d, Dwarf_Die die, uint64_t *off)
{
    Dwarf_Error e = NULL;
    Dwarf_Attribute a = NULL;
    if (dwarf_attr(die, DW_AT_location, &a, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return false;
    }
    Dwarf_Unsigned len = 0;
    Dwarf_Ptr p = NULL;
    bool ok = false;
    if (dwarf_formexprloc(a, &len, &p, &e) == DW_DLV_OK && p != NULL) {
        const unsigned char *x = p;
        unsigned char last = len > 0 ? x[len - 1] : 0;
        bool tls_op = last == DW_OP_GNU_push_tls_address || last == DW_OP_form_tls_address;
        if (tls_op && len == 10 && x[0] == DW_OP_const8u) {
            memcpy(off, x + 1, 8);
            ok = true;
        } else if (tls_op && len == 6 && x[0] == DW_OP_const4u) {
            uint32_t v;
            memcpy(&v, x + 1, 4);
            *off = v;
            ok = true;
        }
    }
    drop_err(d->dbg, &e);
    dwarf_dealloc_attribute(a);
    return ok;
}

/* Records the thread-local variable die at offset off of the TLS block. */
static void vars_add_tls(sym_dwarf *d, Dwarf_Die die, uint64_t off)
{
    const char *name = attr_string(d, die, DW_AT_name);
    Dwarf_Off type = 0;
    if (name == NULL || !attr_ref(d, die, DW_AT_type, &type))
        return;
    const char *pname = sym_pool_str(d->pool, name);
    if (pname != NULL &&
        hs_array_grow((void **)&d->tls, &d->captls, d->ntls + 1, sizeof(sym_tvar), 16) == 0)
        d->tls[d->ntls++] = (sym_tvar){off, pname, type};
}

static void vars_walk(sym_dwarf *d, dcu *cu, Dwarf_Die parent, int level, size_t *dies)
{
    if (level >= MAX_DIE_DEPTH)
        return;
    Dwarf_Error e = NULL;
    Dwarf_Die child = NULL;
    if (dwarf_child(parent, &child, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return;
    }
    while (child != NULL && (*dies)++ < MAX_DIES_PER_CU) {
        Dwarf_Half tag = 0;
        if (dwarf_tag(child, &tag, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            tag = 0;
        }
        uint64_t addr = 0;
        if (tag == DW_TAG_variable && var_addr(d, child, &addr))
            vars_add(d, cu, child, addr);
        else if (tag == DW_TAG_variable && var_tls_offset(d, child, &addr))
            vars_add_tls(d, child, addr);
        else if (tag == DW_TAG_namespace || tag == DW_TAG_subprogram ||
                 tag == DW_TAG_lexical_block || tag == DW_TAG_module)
            vars_walk(d, cu, child, level + 1, dies); /* namespaces, function statics */
        child = next_sibling(d, child);
    }
    if (child != NULL)
        dwarf_dealloc_die(child);
}

static int dvar_cmp(const void *pa, const void *pb)
{
    const dvar *a = pa, *b = pb;
    return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Indexes the variables at fixed addresses on first use. */
static void vars_load(sym_dwarf *d)
{
    if (d->vars_done)
        return;
    d->vars_done = true;
    for (size_t i = 0; i < d->ncus; i++) {
        Dwarf_Die die = cu_die_of(d, &d->cus[i]);
        if (die == NULL)
            continue;
        size_t dies = 0;
        vars_walk(d, &d->cus[i], die, 0, &dies);
        dwarf_dealloc_die(die);
    }
    if (d->nvars > 0)
        qsort(d->vars, d->nvars, sizeof(dvar), dvar_cmp);
}

bool sym_dwarf_var_decl(sym_dwarf *d, uint64_t vaddr, const char **file, int64_t *line)
{
    if (d == NULL)
        return false;
    vars_load(d);
    size_t a = 0, b = d->nvars; /* first addr >= vaddr */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (d->vars[m].addr < vaddr)
            a = m + 1;
        else
            b = m;
    }
    if (a == d->nvars || d->vars[a].addr != vaddr || d->vars[a].file[0] == '\0')
        return false;
    *file = d->vars[a].file;
    *line = d->vars[a].line;
    return true;
}

/* ---- types, one DIE at a time (symtypes.h) ---- */

size_t sym_dwarf_globals(sym_dwarf *d, const sym_tvar **out)
{
    *out = NULL;
    if (d == NULL)
        return 0;
    vars_load(d);
    if (d->tvars == NULL && d->nvars > 0) {
        d->tvars = malloc(d->nvars * sizeof(*d->tvars));
        if (d->tvars == NULL)
            return 0;
        for (size_t i = 0; i < d->nvars; i++)
            d->tvars[i] = (sym_tvar){d->vars[i].addr, d->vars[i].name, d->vars[i].type};
    }
    *out = d->tvars;
    return d->tvars != NULL ? d->nvars : 0;
}

/* The unit holding the DIE at off (units are in offset order: the last one
 * starting at or before off), or NULL. */
static dcu *unit_of(sym_dwarf *d, uint64_t off)
{
    size_t a = 0, b = d->ncus; /* first die_off > off */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (d->cus[m].die_off <= off)
            a = m + 1;
        else
            b = m;
    }
    return a > 0 ? &d->cus[a - 1] : NULL;
}

/* Records the scope of the types among parent's children (prefix: the
 * enclosing namespaces and classes, "" at the top) and goes down into
 * namespaces and classes, not into functions. */
static void scopes_walk(sym_dwarf *d, Dwarf_Die parent, const char *prefix, int level, size_t *dies)
{
    if (level >= MAX_DIE_DEPTH)
        return;
    Dwarf_Error e = NULL;
    Dwarf_Die child = NULL;
    if (dwarf_child(parent, &child, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return;
    }
    while (child != NULL && (*dies)++ < MAX_DIES_PER_CU) {
        Dwarf_Half tag = 0;
        Dwarf_Off off = 0;
        if (dwarf_tag(child, &tag, &e) != DW_DLV_OK ||
            dwarf_dieoffset(child, &off, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            tag = 0;
        }
        bool type = tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
                    tag == DW_TAG_union_type || tag == DW_TAG_enumeration_type;
        if (type && prefix[0] != '\0')
            (void)sym_u64map_put(&d->scope_by_off, off, (uint64_t)(uintptr_t)prefix);
        if (type || tag == DW_TAG_namespace) {
            const char *name = attr_string(d, child, DW_AT_name);
            char buf[1024];
            snprintf(buf, sizeof(buf), "%s%s::", prefix,
                     name != NULL              ? name
                     : tag == DW_TAG_namespace ? "(anonymous namespace)"
                                               : "");
            const char *inner =
                name != NULL || tag == DW_TAG_namespace ? sym_pool_str(d->pool, buf) : NULL;
            if (inner != NULL)
                scopes_walk(d, child, inner, level + 1, dies);
        }
        child = next_sibling(d, child);
    }
    if (child != NULL)
        dwarf_dealloc_die(child);
}

/* The scope of the C++ type DIE at off ("std::", "" at the top level); the
 * unit's scopes are indexed on first use. */
static const char *type_scope(sym_dwarf *d, uint64_t off)
{
    dcu *cu = unit_of(d, off);
    if (cu == NULL)
        return "";
    if (!cu->scopes_done) {
        cu->scopes_done = true;
        Dwarf_Die die = cu_die_of(d, cu);
        size_t dies = 0;
        if (die != NULL) {
            scopes_walk(d, die, "", 0, &dies);
            dwarf_dealloc_die(die);
        }
    }
    uint64_t v;
    return sym_u64map_get(&d->scope_by_off, off, &v) ? (const char *)(uintptr_t)v : "";
}

/* Whether the unit holding the DIE at off is C++. */
static bool unit_is_cplus(sym_dwarf *d, uint64_t off)
{
    dcu *cu = unit_of(d, off);
    if (cu == NULL)
        return false;
    Dwarf_Die die = cu_die_of(d, cu);
    if (die == NULL)
        return false;
    Dwarf_Unsigned lang = 0;
    bool cplus = attr_udata(d, die, DW_AT_language, &lang) &&
                 (lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
                  lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14);
    dwarf_dealloc_die(die);
    return cplus;
}

/* The element count of an array DIE's first subrange (0 when unknown). */
static uint64_t array_count(sym_dwarf *d, Dwarf_Die arr)
{
    Dwarf_Error e = NULL;
    Dwarf_Die sub = NULL;
    if (dwarf_child(arr, &sub, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return 0;
    }
    Dwarf_Unsigned v = 0;
    uint64_t n = 0;
    if (attr_udata(d, sub, DW_AT_count, &v))
        n = v;
    else if (attr_udata(d, sub, DW_AT_upper_bound, &v) && v < UINT64_MAX)
        n = v + 1;
    dwarf_dealloc_die(sub);
    return n;
}

bool sym_dwarf_tdie(sym_dwarf *d, uint64_t off, sym_tdie *out)
{
    memset(out, 0, sizeof(*out));
    out->name = "";
    Dwarf_Error e = NULL;
    Dwarf_Die die = NULL;
    if (d == NULL || off == 0 || dwarf_offdie_b(d->dbg, off, 1, &die, &e) != DW_DLV_OK) {
        if (d != NULL)
            drop_err(d->dbg, &e);
        return false;
    }
    Dwarf_Half tag = 0;
    if (dwarf_tag(die, &tag, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        dwarf_dealloc_die(die);
        return false;
    }
    switch (tag) {
    case DW_TAG_base_type:
        out->kind = SYM_T_BASE;
        break;
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
        out->kind = SYM_T_STRUCT;
        break;
    case DW_TAG_union_type:
        out->kind = SYM_T_UNION;
        break;
    case DW_TAG_enumeration_type:
        out->kind = SYM_T_ENUM;
        break;
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
        out->kind = SYM_T_POINTER;
        break;
    case DW_TAG_array_type:
        out->kind = SYM_T_ARRAY;
        break;
    case DW_TAG_typedef:
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
    case DW_TAG_restrict_type:
    case DW_TAG_atomic_type:
        out->kind = SYM_T_ALIAS;
        break;
    default:
        out->kind = SYM_T_OTHER;
        break;
    }
    const char *name = attr_string(d, die, DW_AT_name);
    if (name != NULL)
        out->name = name;
    Dwarf_Unsigned v = 0;
    if (attr_udata(d, die, DW_AT_byte_size, &v))
        out->size = v;
    Dwarf_Off ref = 0;
    if (attr_ref(d, die, DW_AT_type, &ref))
        out->ref = ref;
    if (out->kind == SYM_T_ARRAY)
        out->count = array_count(d, die);
    Dwarf_Bool decl = 0;
    if (dwarf_hasattr(die, DW_AT_declaration, &decl, &e) == DW_DLV_OK)
        out->declaration = decl != 0;
    drop_err(d->dbg, &e);
    if (out->kind == SYM_T_STRUCT || out->kind == SYM_T_UNION || out->kind == SYM_T_ENUM)
        out->cplus = unit_is_cplus(d, off);
    /* C++ names are written qualified, as the vtables' names are
     * ("shop::Session", "std::pair<int const, Session>") */
    const char *scope = out->cplus && name != NULL ? type_scope(d, off) : "";
    if (scope[0] != '\0') {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s%s", scope, name);
        const char *q = sym_pool_str(d->pool, buf);
        if (q != NULL)
            out->name = q;
    }
    dwarf_dealloc_die(die);
    return true;
}

/* The DIE at off and its first child (NULL when it has none); false, with
 * nothing to free, when off names no DIE. die_children_end frees both. */
static bool die_children(sym_dwarf *d, uint64_t off, Dwarf_Die *die, Dwarf_Die *child)
{
    Dwarf_Error e = NULL;
    *die = NULL;
    *child = NULL;
    if (d == NULL)
        return false;
    if (dwarf_offdie_b(d->dbg, off, 1, die, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return false;
    }
    if (dwarf_child(*die, child, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        *child = NULL;
    }
    return true;
}

/* Frees die_children's DIE and the child a walk stopped at, if any. */
static void die_children_end(Dwarf_Die die, Dwarf_Die child)
{
    if (child != NULL)
        dwarf_dealloc_die(child);
    dwarf_dealloc_die(die);
}

/* The DIE's tag, 0 when unreadable. */
static Dwarf_Half die_tag(sym_dwarf *d, Dwarf_Die die)
{
    Dwarf_Error e = NULL;
    Dwarf_Half tag = 0;
    if (dwarf_tag(die, &tag, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        tag = 0;
    }
    return tag;
}

size_t sym_dwarf_tmembers(sym_dwarf *d, uint64_t off, sym_tmember *out, size_t max)
{
    Dwarf_Error e = NULL;
    Dwarf_Die die, child;
    if (!die_children(d, off, &die, &child))
        return 0;
    size_t n = 0;
    for (size_t guard = 0; child != NULL && n < max && guard < MAX_DIES_PER_CU; guard++) {
        Dwarf_Half tag = die_tag(d, child);
        Dwarf_Unsigned loc = 0;
        Dwarf_Off type = 0;
        Dwarf_Bool ext = 0;
        bool is_static = dwarf_hasattr(child, DW_AT_external, &ext, &e) == DW_DLV_OK && ext;
        drop_err(d->dbg, &e);
        if ((tag == DW_TAG_member || tag == DW_TAG_inheritance) && !is_static &&
            attr_ref(d, child, DW_AT_type, &type)) {
            /* a union's members and a first member may have no location: 0 */
            if (!attr_udata(d, child, DW_AT_data_member_location, &loc))
                loc = 0;
            const char *name = attr_string(d, child, DW_AT_name);
            out[n++] = (sym_tmember){name != NULL ? name : "", loc, type};
        }
        child = next_sibling(d, child);
    }
    die_children_end(die, child);
    return n;
}

size_t sym_dwarf_tparams(sym_dwarf *d, uint64_t off, uint64_t *out, size_t max)
{
    Dwarf_Die die, child;
    if (!die_children(d, off, &die, &child))
        return 0;
    size_t n = 0;
    for (size_t guard = 0; child != NULL && n < max && guard < MAX_DIES_PER_CU; guard++) {
        Dwarf_Off type = 0;
        if (die_tag(d, child) == DW_TAG_template_type_parameter &&
            attr_ref(d, child, DW_AT_type, &type))
            out[n++] = type;
        child = next_sibling(d, child);
    }
    die_children_end(die, child);
    return n;
}

size_t sym_dwarf_tls_globals(sym_dwarf *d, const sym_tvar **out)
{
    *out = NULL;
    if (d == NULL)
        return 0;
    vars_load(d);
    *out = d->tls;
    return d->ntls;
}

/* ---- locations: where a local variable is at a pc ---- */

#define MAX_LOC_ENTRIES 4096

/* The location of one location description (ops[0..n) of desc), given the
 * frame base fb (kind SYM_LOC_NONE when the function has none we read):
 * what a one-operation description says, SYM_LOC_NONE for anything else. */
static sym_tloc loc_of_desc(sym_dwarf *d, Dwarf_Locdesc_c desc, Dwarf_Unsigned n,
                            const sym_tloc *fb)
{
    sym_tloc none = {SYM_LOC_NONE, 0, 0};
    if (n != 1)
        return none; /* pieces, computed values, DW_OP_entry_value: not read */
    Dwarf_Error e = NULL;
    Dwarf_Small op = 0;
    Dwarf_Unsigned o1 = 0, o2 = 0, o3 = 0, r1 = 0, r2 = 0, r3 = 0, branch = 0;
    if (dwarf_get_location_op_value_d(desc, 0, &op, &o1, &o2, &o3, &r1, &r2, &r3, &branch, &e) !=
        DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return none;
    }
    if (op >= DW_OP_reg0 && op <= DW_OP_reg31)
        return (sym_tloc){SYM_LOC_REG, (uint16_t)(op - DW_OP_reg0), 0};
    if (op == DW_OP_regx && o1 < 128)
        return (sym_tloc){SYM_LOC_REG, (uint16_t)o1, 0};
    if (op >= DW_OP_breg0 && op <= DW_OP_breg31)
        return (sym_tloc){SYM_LOC_MEM, (uint16_t)(op - DW_OP_breg0), (int64_t)o1};
    if (op == DW_OP_bregx && o1 < 128)
        return (sym_tloc){SYM_LOC_MEM, (uint16_t)o1, (int64_t)o2};
    if (op == DW_OP_call_frame_cfa)
        return (sym_tloc){SYM_LOC_CFA, 0, 0}; /* as a frame base: the CFA itself */
    if (op == DW_OP_fbreg && fb != NULL && fb->kind == SYM_LOC_CFA)
        return (sym_tloc){SYM_LOC_CFA, 0, fb->off + (int64_t)o1};
    /* a register frame base (clang's DW_OP_reg6 at -O0): its value is the
     * base, as a DW_OP_bregN base's value plus its offset is */
    if (op == DW_OP_fbreg && fb != NULL && (fb->kind == SYM_LOC_REG || fb->kind == SYM_LOC_MEM))
        return (sym_tloc){SYM_LOC_MEM, fb->reg, fb->off + (int64_t)o1};
    return none;
}

/* Where die's attribute at (DW_AT_location, DW_AT_frame_base) says it is at
 * pc: the expression, or the entry of its location list (DWARF 5
 * .debug_loclists or DWARF 2-4 .debug_loc, libdwarf giving the entries'
 * bounds with the unit's base applied) whose range holds pc. */
static sym_tloc loc_at(sym_dwarf *d, Dwarf_Die die, Dwarf_Half at, uint64_t pc, const sym_tloc *fb)
{
    sym_tloc got = {SYM_LOC_NONE, 0, 0};
    Dwarf_Error e = NULL;
    Dwarf_Attribute a = NULL;
    if (dwarf_attr(die, at, &a, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return got;
    }
    Dwarf_Loc_Head_c head = NULL;
    Dwarf_Unsigned count = 0;
    unsigned kind = DW_LKIND_unknown;
    if (dwarf_get_loclist_c(a, &head, &count, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        dwarf_dealloc_attribute(a);
        return got;
    }
    if (dwarf_get_loclist_head_kind(head, &kind, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        kind = DW_LKIND_unknown;
    }
    for (Dwarf_Unsigned i = 0; i < count && i < MAX_LOC_ENTRIES && kind != DW_LKIND_unknown; i++) {
        Dwarf_Small lle = 0, source = 0;
        Dwarf_Unsigned rawlo = 0, rawhi = 0, nops = 0, exproff = 0, descoff = 0;
        Dwarf_Bool unavail = 0;
        Dwarf_Addr lo = 0, hi = 0;
        Dwarf_Locdesc_c desc = NULL;
        if (dwarf_get_locdesc_entry_d(head, i, &lle, &rawlo, &rawhi, &unavail, &lo, &hi, &nops,
                                      &desc, &source, &exproff, &descoff, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            break;
        }
        if (kind == DW_LKIND_expression) {
            got = loc_of_desc(d, desc, nops, fb);
            break;
        }
        /* base-address entries carry no description: they only move the
         * base, which libdwarf has applied to lo and hi */
        if (unavail || nops == 0 || pc < lo || pc >= hi)
            continue;
        got = loc_of_desc(d, desc, nops, fb);
        break;
    }
    dwarf_loc_head_c_dealloc(head);
    dwarf_dealloc_attribute(a);
    return got;
}

/* ---- scopes: the local variables in scope at a pc ---- */

typedef struct scope_walk {
    sym_dwarf *d;
    dcu *cu;
    uint64_t pc;
    sym_tloc fb;        /* the concrete function's frame base at pc */
    sym_tframe *frames; /* outermost first while walking */
    size_t maxf, nf;
    sym_tlocal *vars;
    size_t maxv, nv;
} scope_walk;

/* The name, declaration line and type of a variable DIE, following
 * DW_AT_abstract_origin (an inlined or out-of-line copy names none). */
static void local_of(sym_dwarf *d, Dwarf_Die die, sym_tlocal *out)
{
    Dwarf_Die cur = die;
    for (int hop = 0; hop < MAX_ORIGIN_HOPS && cur != NULL; hop++) {
        Dwarf_Unsigned u = 0;
        Dwarf_Off off = 0;
        if (out->name[0] == '\0') {
            const char *n = attr_string(d, cur, DW_AT_name);
            out->name = n != NULL ? n : "";
        }
        if (out->decl_line == 0 && attr_udata(d, cur, DW_AT_decl_line, &u))
            out->decl_line = (int64_t)u;
        if (out->type == 0 && attr_ref(d, cur, DW_AT_type, &off))
            out->type = off;
        Dwarf_Off next = 0;
        bool more = attr_ref(d, cur, DW_AT_abstract_origin, &next);
        if (cur != die)
            dwarf_dealloc_die(cur);
        cur = NULL;
        Dwarf_Error e = NULL;
        if (!more || dwarf_offdie_b(d->dbg, next, 1, &cur, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            cur = NULL;
        }
    }
    if (cur != NULL && cur != die)
        dwarf_dealloc_die(cur);
}

/* The return type DIE of the function DIE at off (0: void or unknown),
 * through DW_AT_abstract_origin and DW_AT_specification. */
static uint64_t return_type_of(sym_dwarf *d, Dwarf_Off off)
{
    for (int hop = 0; hop < MAX_ORIGIN_HOPS; hop++) {
        Dwarf_Error e = NULL;
        Dwarf_Die die = NULL;
        if (dwarf_offdie_b(d->dbg, off, 1, &die, &e) != DW_DLV_OK) {
            drop_err(d->dbg, &e);
            return 0;
        }
        Dwarf_Off type = 0, next = 0;
        bool typed = attr_ref(d, die, DW_AT_type, &type);
        bool more = !typed && (attr_ref(d, die, DW_AT_abstract_origin, &next) ||
                               attr_ref(d, die, DW_AT_specification, &next));
        dwarf_dealloc_die(die);
        if (typed)
            return type;
        if (!more || next == off)
            return 0;
        off = next;
    }
    return 0;
}

static bool scope_has_pc(scope_walk *w, Dwarf_Die die)
{
    if (die_ranges(w->d, die, w->cu->version, w->cu->base, &w->d->scratch) != 0)
        return false;
    for (size_t i = 0; i < w->d->scratch.n; i++)
        if (w->pc >= w->d->scratch.v[i].lo && w->pc < w->d->scratch.v[i].hi)
            return true;
    return false;
}

/* Starts a logical frame for the function DIE at off (a subprogram, or an
 * inlined subroutine's). false when there is no room. */
static bool scope_push_frame(scope_walk *w, Dwarf_Off off)
{
    if (w->nf == w->maxf)
        return false;
    uint32_t o = origin_at(w->d, off);
    const char *name = o != UINT32_MAX ? w->d->ov[o].name : "";
    w->frames[w->nf++] = (sym_tframe){0, return_type_of(w->d, off), w->nv, 0, name};
    return true;
}

/* The variables of parent's scope (a function's or an inlined call's
 * parameters too), then the scopes inside it that hold pc:
 * lexical blocks in the same frame, an inlined subroutine in a new one. */
static void scope_children(scope_walk *w, Dwarf_Die parent, int level)
{
    sym_dwarf *d = w->d;
    Dwarf_Error e = NULL;
    Dwarf_Die child = NULL;
    if (level >= MAX_DIE_DEPTH || dwarf_child(parent, &child, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return;
    }
    Dwarf_Die inner = NULL; /* the block or inline holding pc, walked last */
    for (size_t guard = 0; child != NULL && guard < MAX_DIES_PER_CU; guard++) {
        Dwarf_Half tag = die_tag(d, child);
        if ((tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) && w->nv < w->maxv) {
            sym_tlocal v = {"", 0, 0, (uint32_t)(w->nf - 1), {SYM_LOC_NONE, 0, 0}};
            local_of(d, child, &v);
            /* on the concrete DIE: an abstract origin has no location */
            if (v.type != 0)
                v.loc = loc_at(d, child, DW_AT_location, w->pc, &w->fb);
            if (v.type != 0)
                w->vars[w->nv++] = v;
        } else if (inner == NULL &&
                   (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine ||
                    tag == DW_TAG_try_block || tag == DW_TAG_catch_block) &&
                   scope_has_pc(w, child)) {
            Dwarf_Die keep = child;
            child = next_sibling_keep(d, child);
            inner = keep;
            continue;
        }
        child = next_sibling(d, child);
    }
    if (child != NULL)
        dwarf_dealloc_die(child);
    if (inner == NULL)
        return;
    w->frames[w->nf - 1].n = w->nv - w->frames[w->nf - 1].first;
    bool go_in = true;
    if (die_tag(d, inner) == DW_TAG_inlined_subroutine) {
        Dwarf_Unsigned line = 0;
        Dwarf_Off org = 0;
        attr_udata(d, inner, DW_AT_call_line, &line);
        /* too deep, or no origin: the outer frames stand */
        go_in = attr_ref(d, inner, DW_AT_abstract_origin, &org) && scope_push_frame(w, org);
        if (go_in)
            w->frames[w->nf - 2].line = (int64_t)line;
    }
    if (go_in)
        scope_children(w, inner, level + 1);
    dwarf_dealloc_die(inner);
}

size_t sym_dwarf_scopes(sym_dwarf *d, uint64_t pc, sym_tframe *frames, size_t maxf,
                        sym_tlocal *vars, size_t maxv, size_t *nvars)
{
    *nvars = 0;
    dcu *cu = maxf > 0 ? cu_loaded_for(d, pc) : NULL;
    const cu_func *fn = cu != NULL ? func_for(cu, pc) : NULL;
    if (fn == NULL)
        return 0;
    Dwarf_Error e = NULL;
    Dwarf_Die die = NULL;
    if (dwarf_offdie_b(d->dbg, fn->die, 1, &die, &e) != DW_DLV_OK) {
        drop_err(d->dbg, &e);
        return 0;
    }
    scope_walk w = {d, cu, pc, {SYM_LOC_NONE, 0, 0}, frames, maxf, 0, vars, maxv, 0};
    w.fb = loc_at(d, die, DW_AT_frame_base, pc, NULL);
    scope_push_frame(&w, fn->die);
    scope_children(&w, die, 0);
    dwarf_dealloc_die(die);
    w.frames[w.nf - 1].n = w.nv - w.frames[w.nf - 1].first;
    const line_row *row = row_for(cu, pc);
    w.frames[w.nf - 1].line = row != NULL ? row->line : 0;
    /* innermost first, as sym_dwarf_lookup's frames */
    for (size_t i = 0; i < w.nf / 2; i++) {
        sym_tframe t = frames[i];
        frames[i] = frames[w.nf - 1 - i];
        frames[w.nf - 1 - i] = t;
    }
    for (size_t i = 0; i < w.nv; i++)
        vars[i].frame = (uint32_t)(w.nf - 1 - vars[i].frame);
    *nvars = w.nv;
    return w.nf;
}
