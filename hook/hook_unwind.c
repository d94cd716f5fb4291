/* hook/hook_unwind.c: the cached CFI unwinder (see hook_unwind.h). The CFI
 * interpreter follows only what a frame's CFA, return address and rbp need;
 * the other registers' rules are skipped, since nothing here restores them.
 * Formats: the Linux Standard Base's .eh_frame_hdr (version 1, its search
 * table in datarel sdata4) and the DWARF 2-4 CFA instructions that gcc and
 * clang emit for x86-64. */
#include "hook_unwind.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ehhdr.h"

/* DWARF register numbers (x86-64 psABI). */
#define REG_RBP 6
#define REG_RSP 7

/* ---- reading .eh_frame ---- */

struct cursor {
    const uint8_t *p, *end;
    bool bad;
};

static uint64_t rd_u8(struct cursor *c)
{
    if (c->p >= c->end) {
        c->bad = true;
        return 0;
    }
    return *c->p++;
}

static uint64_t rd_fixed(struct cursor *c, size_t n)
{
    if ((size_t)(c->end - c->p) < n) {
        c->bad = true;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, c->p, n); /* little-endian */
    c->p += n;
    return v;
}

static uint64_t rd_uleb(struct cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint64_t b = rd_u8(c);
        if (shift < 64)
            v |= (b & 0x7f) << shift;
        if (!(b & 0x80) || c->bad)
            return v;
    }
}

static int64_t rd_sleb(struct cursor *c)
{
    uint64_t v = 0, b;
    unsigned shift = 0;
    do {
        b = rd_u8(c);
        if (shift < 64)
            v |= (b & 0x7f) << shift;
        shift += 7;
    } while ((b & 0x80) && !c->bad);
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

/* Skips a block whose uleb128 length comes first; bad when it runs past the
 * end. */
static void skip_block(struct cursor *c)
{
    uint64_t n = rd_uleb(c);
    if (n > (uint64_t)(c->end - c->p))
        c->bad = true;
    else
        c->p += n;
}

/* DW_EH_PE pointer encodings. */
#define PE_FORMAT 0x0f
#define PE_APPL 0x70
#define PE_INDIRECT 0x80
#define PE_PCREL 0x10
#define PE_DATAREL 0x30

/* A pointer in encoding enc; datarel is relative to dbase (the header's
 * start in .eh_frame_hdr). Sets bad on what this reader does not follow. */
static uint64_t rd_ptr(struct cursor *c, uint8_t enc, uint64_t dbase)
{
    uint64_t at = (uint64_t)(uintptr_t)c->p, v;
    switch (enc & PE_FORMAT) {
    case 0x00:
        v = rd_fixed(c, 8);
        break; /* absptr */
    case 0x01:
        v = rd_uleb(c);
        break; /* uleb128 */
    case 0x02:
        v = rd_fixed(c, 2);
        break; /* udata2 */
    case 0x03:
        v = rd_fixed(c, 4);
        break; /* udata4 */
    case 0x04:
        v = rd_fixed(c, 8);
        break; /* udata8 */
    case 0x09:
        v = (uint64_t)rd_sleb(c);
        break; /* sleb128 */
    case 0x0a:
        v = (uint64_t)(int64_t)(int16_t)rd_fixed(c, 2);
        break; /* sdata2 */
    case 0x0b:
        v = (uint64_t)(int64_t)(int32_t)rd_fixed(c, 4);
        break; /* sdata4 */
    case 0x0c:
        v = rd_fixed(c, 8);
        break; /* sdata8 */
    default:
        c->bad = true;
        return 0;
    }
    switch (enc & PE_APPL) {
    case 0:
        break;
    case PE_PCREL:
        v += at;
        break;
    case PE_DATAREL:
        v += dbase;
        break;
    default:
        c->bad = true;
        return 0;
    }
    if (enc & PE_INDIRECT)
        c->bad = true; /* not in code-range fields */
    return v;
}

/* ---- the CIE, the FDE and the instructions ---- */

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint64_t ra_reg;
    uint8_t fde_enc;
    bool has_z;
    const uint8_t *insns, *end;
};

/* Parses the CIE at p (its length field). */
static bool parse_cie(const uint8_t *p, struct cie *out)
{
    uint32_t len;
    memcpy(&len, p, 4);
    if (len == 0 || len == 0xffffffffu)
        return false; /* a terminator, or the 64-bit format (never on x86-64 Linux) */
    struct cursor c = {p + 4, p + 4 + len, false};
    if (rd_fixed(&c, 4) != 0)
        return false; /* a CIE's id is 0 in .eh_frame */
    uint64_t version = rd_u8(&c);
    if (version != 1 && version != 3 && version != 4)
        return false;
    const char *aug = (const char *)c.p;
    size_t auglen = strnlen(aug, (size_t)(c.end - c.p));
    if (auglen == (size_t)(c.end - c.p))
        return false;
    c.p += auglen + 1;
    if (version == 4) {
        if (rd_u8(&c) != 8 || rd_u8(&c) != 0)
            return false; /* address size, segment selector size */
    }
    out->code_align = rd_uleb(&c);
    out->data_align = rd_sleb(&c);
    out->ra_reg = version == 1 ? rd_u8(&c) : rd_uleb(&c);
    out->fde_enc = 0; /* absptr */
    out->has_z = aug[0] == 'z';
    const uint8_t *aug_end = NULL;
    if (out->has_z) {
        uint64_t n = rd_uleb(&c);
        if (c.bad || n > (uint64_t)(c.end - c.p))
            return false;
        aug_end = c.p + n;
    }
    for (size_t i = out->has_z ? 1 : 0; i < auglen; i++) {
        switch (aug[i]) {
        case 'R':
            out->fde_enc = (uint8_t)rd_u8(&c);
            break;
        case 'L':
            rd_u8(&c);
            break; /* the LSDA's encoding: unwinding needs no LSDA */
        case 'P': {
            uint8_t enc = (uint8_t)rd_u8(&c);
            rd_ptr(&c, enc & (uint8_t)~PE_INDIRECT, 0); /* the personality routine */
            break;
        }
        default:
            return false; /* 'S' (a signal frame), "eh", an unknown letter */
        }
    }
    if (aug_end)
        c.p = aug_end;
    out->insns = c.p;
    out->end = c.end;
    return !c.bad && out->code_align != 0;
}

/* What the interpreter keeps of a row: the CFA and the two registers an
 * unwind needs. */
enum reg_how { REG_SAME, REG_AT_CFA, REG_UNDEF };
struct row {
    uint64_t cfa_reg;
    int64_t cfa_off;
    enum reg_how rbp_how, ra_how;
    int64_t rbp_off, ra_off;
};

#define MAX_REMEMBER 8

struct interp {
    struct row row, initial;
    struct row stack[MAX_REMEMBER];
    int depth;
    uint64_t ra_reg;
    bool bail;
};

static void set_saved(struct interp *in, uint64_t reg, enum reg_how how, int64_t off)
{
    if (reg == REG_RBP) {
        in->row.rbp_how = how;
        in->row.rbp_off = off;
    } else if (reg == in->ra_reg) {
        in->row.ra_how = how;
        in->row.ra_off = off;
    } else if (reg == REG_RSP) {
        in->bail = true; /* the caller's rsp is the CFA, unless this says otherwise */
    }
}

static void restore_reg(struct interp *in, uint64_t reg)
{
    if (reg == REG_RBP) {
        in->row.rbp_how = in->initial.rbp_how;
        in->row.rbp_off = in->initial.rbp_off;
    } else if (reg == in->ra_reg) {
        in->row.ra_how = in->initial.ra_how;
        in->row.ra_off = in->initial.ra_off;
    }
}

/* A rule this interpreter does not follow for a register the unwind needs. */
static void other_rule(struct interp *in, uint64_t reg)
{
    if (reg == REG_RBP || reg == REG_RSP || reg == in->ra_reg)
        in->bail = true;
}

/* Runs the instructions [p, end) from location loc while the row applies
 * to target: stops before an advance past it. */
static void run(struct interp *in, const uint8_t *p, const uint8_t *end, uint64_t loc,
                uint64_t target, const struct cie *cie)
{
    struct cursor c = {p, end, false};
    while (c.p < c.end && !c.bad && !in->bail) {
        uint8_t op = (uint8_t)rd_u8(&c);
        uint64_t delta = 0, reg;
        bool advance = (op >> 6) == 1; /* advance_loc; else an extended op may advance */
        switch (op >> 6) {
        case 1:
            delta = op & 0x3f;
            break;
        case 2:
            set_saved(in, op & 0x3f, REG_AT_CFA, (int64_t)rd_uleb(&c) * cie->data_align);
            continue;
        case 3:
            restore_reg(in, op & 0x3f);
            continue;
        default:
            break;
        }
        if (!advance) {
            switch (op) {
            case 0x00:
                continue; /* nop */
            case 0x02:
                delta = rd_fixed(&c, 1);
                break;
            case 0x03:
                delta = rd_fixed(&c, 2);
                break;
            case 0x04:
                delta = rd_fixed(&c, 4);
                break;
            case 0x05: /* offset_extended */
                reg = rd_uleb(&c);
                set_saved(in, reg, REG_AT_CFA, (int64_t)rd_uleb(&c) * cie->data_align);
                continue;
            case 0x06:
                restore_reg(in, rd_uleb(&c));
                continue;
            case 0x07:
                set_saved(in, rd_uleb(&c), REG_UNDEF, 0);
                continue;
            case 0x08:
                set_saved(in, rd_uleb(&c), REG_SAME, 0);
                continue;
            case 0x09: /* register: reg1 in reg2 */
                other_rule(in, rd_uleb(&c));
                rd_uleb(&c);
                continue;
            case 0x0a:
                if (in->depth == MAX_REMEMBER) {
                    in->bail = true;
                    return;
                }
                in->stack[in->depth++] = in->row;
                continue;
            case 0x0b: {
                if (in->depth == 0) {
                    in->bail = true;
                    return;
                }
                /* The CFA is not part of the remembered state in DWARF, but
                 * gcc and libunwind restore it with the rest; so do we. */
                in->row = in->stack[--in->depth];
                continue;
            }
            case 0x0c: /* def_cfa */
                in->row.cfa_reg = rd_uleb(&c);
                in->row.cfa_off = (int64_t)rd_uleb(&c);
                continue;
            case 0x0d:
                in->row.cfa_reg = rd_uleb(&c);
                continue;
            case 0x0e:
                in->row.cfa_off = (int64_t)rd_uleb(&c);
                continue;
            case 0x0f:
                in->bail = true;
                return; /* def_cfa_expression */
            case 0x10:  /* expression: reg, block */
            case 0x16:  /* val_expression: the same operands */
                other_rule(in, rd_uleb(&c));
                skip_block(&c);
                continue;
            case 0x11: /* offset_extended_sf */
                reg = rd_uleb(&c);
                set_saved(in, reg, REG_AT_CFA, rd_sleb(&c) * cie->data_align);
                continue;
            case 0x12: /* def_cfa_sf */
                in->row.cfa_reg = rd_uleb(&c);
                in->row.cfa_off = rd_sleb(&c) * cie->data_align;
                continue;
            case 0x13:
                in->row.cfa_off = rd_sleb(&c) * cie->data_align;
                continue;
            case 0x14: /* val_offset */
            case 0x15: /* val_offset_sf */
                other_rule(in, rd_uleb(&c));
                rd_uleb(&c);
                continue;
            case 0x2e:
                rd_uleb(&c);
                continue; /* GNU_args_size */
            case 0x2f:    /* GNU_negative_offset_extended */
                reg = rd_uleb(&c);
                set_saved(in, reg, REG_AT_CFA, -(int64_t)rd_uleb(&c) * cie->data_align);
                continue;
            default:
                in->bail = true;
                return; /* set_loc, vendor extensions */
            }
        }
        uint64_t next = loc + delta * cie->code_align;
        if (next > target)
            return;
        loc = next;
    }
    if (c.bad)
        in->bail = true;
}

/* ---- finding the FDE ---- */

/* The FDE covering pc from .eh_frame_hdr's binary-search table, or NULL. */
static const uint8_t *find_fde(const uint8_t *hdr, uint64_t pc, bool *bail)
{
    struct ehhdr eh;
    if (!ehhdr_parse(hdr, EHHDR_HEAD_MAX, &eh)) {
        *bail = true; /* no table: a linear search is libunwind's job */
        return NULL;
    }
    uint64_t dbase = (uint64_t)(uintptr_t)hdr, count = eh.count;
    const int32_t *table = (const int32_t *)(const void *)(hdr + eh.table_off); /* (pc, FDE) */
    uint64_t lo = 0, hi = count;
    while (hi - lo > 1) { /* the last entry whose initial pc <= pc */
        uint64_t mid = lo + (hi - lo) / 2;
        int32_t start;
        memcpy(&start, &table[2 * mid], 4);
        if (dbase + (uint64_t)(int64_t)start <= pc)
            lo = mid;
        else
            hi = mid;
    }
    int32_t start, fde;
    memcpy(&start, &table[2 * lo], 4);
    memcpy(&fde, &table[2 * lo + 1], 4);
    if (dbase + (uint64_t)(int64_t)start > pc)
        return NULL;
    return hdr + fde;
}

struct hook_unwind_rule hook_unwind_rule_at(const uint8_t *hdr, uint64_t pc)
{
    struct hook_unwind_rule bail = {HOOK_UNWIND_BAIL, 0, 0, 0, 0};
    struct hook_unwind_rule noinfo = {HOOK_UNWIND_NOINFO, 0, 0, 0, 0};
    bool bad = false;
    const uint8_t *fde = find_fde(hdr, pc, &bad);
    if (bad)
        return bail;
    if (!fde)
        return noinfo;
    uint32_t len, cie_off;
    memcpy(&len, fde, 4);
    if (len == 0 || len == 0xffffffffu)
        return bail;
    memcpy(&cie_off, fde + 4, 4);
    struct cie cie;
    if (cie_off == 0 || !parse_cie(fde + 4 - cie_off, &cie))
        return bail;
    struct cursor c = {fde + 8, fde + 4 + len, false};
    uint64_t begin = rd_ptr(&c, cie.fde_enc, 0);
    uint64_t range = rd_ptr(&c, cie.fde_enc & PE_FORMAT, 0);
    if (cie.has_z)
        skip_block(&c); /* the LSDA's pointer */
    if (c.bad)
        return bail;
    if (pc < begin || pc - begin >= range)
        return noinfo;
    struct interp in;
    memset(&in, 0, sizeof(in));
    in.ra_reg = cie.ra_reg;
    in.row.cfa_reg = REG_RSP;
    in.row.rbp_how = REG_SAME;
    in.row.ra_how = REG_SAME;
    run(&in, cie.insns, cie.end, 0, 0, &cie); /* no advance is expected here */
    in.initial = in.row;
    in.depth = 0;
    run(&in, c.p, c.end, begin, pc, &cie);
    if (in.bail)
        return bail;
    if (in.row.ra_how == REG_UNDEF)
        return (struct hook_unwind_rule){HOOK_UNWIND_END, 0, 0, 0, 0};
    if (in.row.ra_how != REG_AT_CFA || in.row.ra_off != -8 || in.row.rbp_how == REG_UNDEF ||
        (in.row.cfa_reg != REG_RSP && in.row.cfa_reg != REG_RBP) || in.row.cfa_off < 8)
        return bail;
    return (struct hook_unwind_rule){HOOK_UNWIND_STEP, in.row.cfa_reg == REG_RBP,
                                     in.row.rbp_how == REG_AT_CFA, in.row.cfa_off, in.row.rbp_off};
}

/* ---- the cache ---- */

/* One entry per return address, in sets of two (one half cache line): the
 * address, and its rule packed with a fingerprint of the address. 8192 sets:
 * a program's hot return addresses, a few hundred, rarely put three in one
 * set, which would make them evict each other. Threads write entries without
 * a lock; a reader that sees the address of one write and the rule of
 * another finds the fingerprint wrong and computes the rule itself. */
#define CACHE_SET_BITS 13
struct centry {
    uint64_t pc, rule;
};
static struct centry cache[2u << CACHE_SET_BITS] __attribute__((aligned(64)));
static uint64_t computed;
/* Raised by hook_unwind_forget and mixed into every fingerprint, so that no
 * rule cached before matches after: the cache empties without a write. */
static uint64_t generation;

/* The packed rule, laid out for the walk to use without unpacking:
 * bits 0-1 the kind, bit 2 "CFA from rbp", bit 3 "rbp saved", bits 8-31 the
 * CFA's offset, bits 32-39 rbp's slot below the CFA in words, bits 40-63 the
 * fingerprint. A rule that does not fit is BAIL: libunwind follows it. */
#define PK_KIND 3u
#define PK_CFA_RBP 4u
#define PK_RBP_SAVED 8u
#define PK_CFA_SHIFT 8
#define PK_CFA_MAX 0xffffffu
#define PK_RBP_SHIFT 32
#define PK_RBP_MAX 0xffu
#define PK_FP_SHIFT 40

static uint64_t pack(const struct hook_unwind_rule *r)
{
    if (r->kind != HOOK_UNWIND_STEP)
        return (uint64_t)r->kind;
    int64_t rbp = r->rbp_saved ? -r->rbp_off : 0;
    if (r->cfa_off > (int64_t)PK_CFA_MAX || rbp < 0 || rbp % 8 != 0 || rbp / 8 > PK_RBP_MAX)
        return HOOK_UNWIND_BAIL;
    return (uint64_t)HOOK_UNWIND_STEP | (r->cfa_rbp ? PK_CFA_RBP : 0) |
           (r->rbp_saved ? PK_RBP_SAVED : 0) | (uint64_t)r->cfa_off << PK_CFA_SHIFT |
           (uint64_t)(rbp / 8) << PK_RBP_SHIFT;
}

/* The fingerprint of return address ra's rule in generation gen (see
 * generation_mix): 24 bits of its hash, changed by every forget. */
static inline uint64_t fingerprint(uint64_t ra, uint64_t gen)
{
    return (((ra * 0x9E3779B97F4A7C15ULL) >> 16) ^ gen) & 0xffffff;
}

/* A rule the cache did not have: computed from the CFI and stored. Out of
 * line, so that the walk's loop keeps its state in registers. */
static __attribute__((noinline)) uint64_t rule_compute(uint64_t ra, struct centry *set, uint64_t fp,
                                                       uint64_t gen)
{
    __atomic_fetch_add(&computed, 1, __ATOMIC_RELAXED);
    struct dl_find_object obj;
    struct hook_unwind_rule r;
    if (_dl_find_object((void *)(uintptr_t)(ra - 1), &obj) != 0)
        r = (struct hook_unwind_rule){HOOK_UNWIND_NOINFO, 0, 0, 0, 0};
    else if (obj.dlfo_eh_frame == NULL)
        r = (struct hook_unwind_rule){HOOK_UNWIND_BAIL, 0, 0, 0, 0};
    else
        r = hook_unwind_rule_at(obj.dlfo_eh_frame, ra - 1);
    uint64_t w = pack(&r) | fp << PK_FP_SHIFT;
    /* The first way when it is empty or holds a rule of an earlier
     * generation, else the second: the first address of a set stays, later
     * ones take turns in the other way. The rule before the address: a reader
     * pairing the new address with the old rule sees the old fingerprint. */
    uint64_t pc0 = __atomic_load_n(&set[0].pc, __ATOMIC_RELAXED);
    bool stale0 =
        __atomic_load_n(&set[0].rule, __ATOMIC_RELAXED) >> PK_FP_SHIFT != fingerprint(pc0, gen);
    struct centry *e = pc0 == 0 || stale0 ? &set[0] : &set[1];
    __atomic_store_n(&e->rule, w, __ATOMIC_RELAXED);
    __atomic_store_n(&e->pc, ra, __ATOMIC_RELAXED);
    return w;
}

/* The packed rule at return address ra; gen is generation_mix()'s. */
static inline uint64_t rule_for(uint64_t ra, uint64_t gen)
{
    uint64_t h = ra * 0x9E3779B97F4A7C15ULL;
    struct centry *set = &cache[(h >> (64 - CACHE_SET_BITS)) * 2];
    uint64_t fp = fingerprint(ra, gen);
    for (int way = 0; way < 2; way++) {
        uint64_t pc = __atomic_load_n(&set[way].pc, __ATOMIC_RELAXED);
        uint64_t w = __atomic_load_n(&set[way].rule, __ATOMIC_RELAXED);
        if (__builtin_expect(pc == ra && w >> PK_FP_SHIFT == fp, 1))
            return w;
    }
    return rule_compute(ra, set, fp, gen);
}

/* The generation spread over a fingerprint's 24 bits, so that consecutive
 * generations differ in many of them. */
static uint64_t generation_mix(void)
{
    return (__atomic_load_n(&generation, __ATOMIC_ACQUIRE) * 0x9E3779B97F4A7C15ULL) >> 40;
}

void hook_unwind_forget(void)
{
    __atomic_fetch_add(&generation, 1, __ATOMIC_RELEASE);
}

uint64_t hook_unwind_computed(void)
{
    return __atomic_load_n(&computed, __ATOMIC_RELAXED);
}

/* ---- the walk ---- */

/* How far above the first frame the stack may reach: a guard against a rule
 * gone stale (an object unloaded and another loaded at its address). */
#define STACK_SPAN (64ull << 20)

/* Reads the stack's return-address and saved-rbp slots, which a sanitizer
 * would take for another frame's memory. */
int hook_unwind_from(void **buf, int max, uint64_t ra, uint64_t sp, uint64_t bp)
    __attribute__((visibility("hidden"), used, no_sanitize_address));

int hook_unwind_from(void **buf, int max, uint64_t ra, uint64_t sp, uint64_t bp)
{
    uint64_t top = sp + STACK_SPAN, gen = generation_mix();
    int n = 0;
    while (n < max && ra != 0) {
        buf[n++] = (void *)(uintptr_t)ra;
        uint64_t w = rule_for(ra, gen);
        if ((w & PK_KIND) != HOOK_UNWIND_STEP)
            /* Only an undefined return address ends the stack here: where
             * no CFI covers an address, libunwind may still go on (its
             * frame-pointer guess), so it gets the stack. */
            return (w & PK_KIND) == HOOK_UNWIND_END ? n : -1;
        uint64_t cfa = ((w & PK_CFA_RBP) ? bp : sp) + ((w >> PK_CFA_SHIFT) & PK_CFA_MAX);
        if (cfa - sp - 1 >= top - sp)
            break; /* not a caller's frame: the stack is not what the CFI says */
        memcpy(&ra, (const void *)(uintptr_t)(cfa - 8), 8);
        if (w & PK_RBP_SAVED)
            memcpy(&bp, (const void *)(uintptr_t)(cfa - ((w >> PK_RBP_SHIFT) & PK_RBP_MAX) * 8), 8);
        sp = cfa;
    }
    return n;
}

/* The entry: the caller's return address, its stack pointer after the
 * return, and its rbp, as they are at the call. */
__asm__(".text\n"
        ".globl hook_unwind_backtrace\n"
        ".hidden hook_unwind_backtrace\n"
        ".type hook_unwind_backtrace, @function\n"
        "hook_unwind_backtrace:\n"
        "  .cfi_startproc\n"
        "  movq (%rsp), %rdx\n"
        "  leaq 8(%rsp), %rcx\n"
        "  movq %rbp, %r8\n"
        "  jmp hook_unwind_from\n"
        "  .cfi_endproc\n"
        ".size hook_unwind_backtrace, .-hook_unwind_backtrace\n");
