/* tests/unit/test_symlocs.c: where sym_dwarf_scopes says a local variable is
 * (lib/sym/sym_dwarf.c), on this test's own code and DWARF, built -g at -O0,
 * at -O2 (DWARF 5 location lists) and at -O2 with -gdwarf-4 (.debug_loc).
 * sl_grab, called with a variable live, records the caller's callee-saved
 * registers and its return address; the location at the call must lead to
 * the variable's exact address (a slot at the CFA + off) or value (the
 * register it names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbolize.h"
#include "symtypes.h"

#define NOINLINE __attribute__((noinline, noclone))

struct slnode {
    struct slnode *next;
    long v;
};

/* By DWARF register number (3 rbx, 6 rbp, 12-15 r12-r15): what the caller
 * of sl_grab held in them at the call, and the call's return address. */
__attribute__((used)) uint64_t sl_regs[17];
__attribute__((used)) uint64_t sl_ra;
void sl_grab(void);
__asm__(".text\n"
        ".type sl_grab,@function\n"
        "sl_grab:\n"
        "    movq %rbx, sl_regs+24(%rip)\n"
        "    movq %rbp, sl_regs+48(%rip)\n"
        "    movq %r12, sl_regs+96(%rip)\n"
        "    movq %r13, sl_regs+104(%rip)\n"
        "    movq %r14, sl_regs+112(%rip)\n"
        "    movq %r15, sl_regs+120(%rip)\n"
        "    movq (%rsp), %rax\n"
        "    movq %rax, sl_ra(%rip)\n"
        "    ret\n"
        ".size sl_grab, .-sl_grab\n");

NOINLINE static struct slnode *sl_list(int n)
{
    struct slnode *head = NULL;
    for (int i = 0; i < n; i++) {
        struct slnode *x = calloc(1, sizeof(*x));
        x->next = head;
        x->v = i;
        head = x;
    }
    return head;
}

NOINLINE static void sl_free(struct slnode *p)
{
    while (p != NULL) {
        struct slnode *next = p->next;
        free(p);
        p = next;
    }
}

static sym_ctx *g_sym;

/* The location of the variable name in the innermost logical frame at the
 * call whose return address sl_grab recorded; *function gets that frame's
 * function. */
static sym_tloc loc_of(const char *name, const char **function)
{
    uint64_t pc = 0;
    sym_dwarf *d = sym_dwarf_at(g_sym, sl_ra - 1, &pc);
    assert_non_null(d);
    sym_tframe frames[8];
    sym_tlocal vars[64];
    size_t nvars = 0;
    size_t nf = sym_dwarf_scopes(d, pc, frames, 8, vars, 64, &nvars);
    assert_true(nf >= 1);
    *function = frames[0].function;
    for (size_t k = frames[0].first; k < frames[0].first + frames[0].n; k++)
        if (strcmp(vars[k].name, name) == 0)
            return vars[k].loc;
    fail_msg("no variable %s in scope at the call", name);
    return (sym_tloc){SYM_LOC_NONE, 0, 0};
}

__attribute__((unused)) static bool callee_saved(unsigned reg)
{
    return reg == 3 || reg == 6 || (reg >= 12 && reg <= 15);
}

/* name, in function's frame, is the slot at where: cfa + its offset, as
 * gcc places it; under AddressSanitizer, which moves a variable whose
 * address is taken into a frame of its own, the value of the callee-saved
 * register that holds that frame plus its offset at -O0, and at -O2 gcc
 * gives it no location at all (nothing to check). */
static void assert_slot(const char *name, const char *function, uint64_t cfa,
                        const volatile void *where)
{
    const char *fn = NULL;
    sym_tloc loc = loc_of(name, &fn);
    assert_string_equal(fn, function);
#ifdef __SANITIZE_ADDRESS__
    if (loc.kind == SYM_LOC_NONE) {
        print_message("# %s: no location under AddressSanitizer\n", name);
        return;
    }
    if (loc.kind == SYM_LOC_MEM) {
        assert_true(callee_saved(loc.reg));
        cfa = sl_regs[loc.reg];
        loc.kind = SYM_LOC_CFA;
    }
#endif
    assert_int_equal(loc.kind, SYM_LOC_CFA);
    assert_int_equal(cfa + (uint64_t)loc.off, (uint64_t)(uintptr_t)where);
}

/* A variable whose address is taken lives in the frame: gcc's frame base
 * is DW_OP_call_frame_cfa at every level, so DW_OP_fbreg is CFA-relative. */
NOINLINE static void test_slot_at_the_cfa(void **state)
{
    (void)state;
    struct slnode *head = sl_list(3);
    struct slnode **volatile where = &head;
    sl_grab();
    assert_slot("head", "test_slot_at_the_cfa", (uint64_t)(uintptr_t)__builtin_dwarf_cfa(), where);
    sl_free(*where);
}

/* A pointer live across a call: in the frame at -O0; at -O2 in a
 * callee-saved register, which a location list entry covering the call
 * names. */
NOINLINE static void test_value_at_the_call(void **state)
{
    (void)state;
    struct slnode *p = sl_list(2);
    sl_grab();
    uint64_t cfa = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();
    const char *fn = NULL;
    sym_tloc loc = loc_of("p", &fn);
    assert_string_equal(fn, "test_value_at_the_call");
#ifdef __OPTIMIZE__
    (void)cfa;
    assert_int_equal(loc.kind, SYM_LOC_REG);
    assert_true(callee_saved(loc.reg));
    assert_int_equal(sl_regs[loc.reg], (uint64_t)(uintptr_t)p);
#else
    assert_int_equal(loc.kind, SYM_LOC_CFA);
    uint64_t slot;
    memcpy(&slot, (const void *)(uintptr_t)(cfa + (uint64_t)loc.off), 8);
    assert_int_equal(slot, (uint64_t)(uintptr_t)p);
#endif
    sl_free(p);
}

/* A variable of an inlined function is in the frame it is inlined into,
 * relative to that frame's CFA; its logical frame is the inlined one. */
static inline __attribute__((always_inline)) long sl_inlined(int n)
{
    struct slnode *inner = sl_list(n);
    struct slnode **volatile at = &inner;
    sl_grab();
    assert_slot("inner", "sl_inlined", (uint64_t)(uintptr_t)__builtin_dwarf_cfa(), at);
    long v = (*at)->v;
    sl_free(*at);
    return v;
}

NOINLINE static void test_inlined_frame(void **state)
{
    (void)state;
    assert_int_equal(sl_inlined(4), 3);
}

static int setup(void **state)
{
    (void)state;
    hs_err err;
    g_sym = sym_open(0, &err);
    assert_non_null(g_sym);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sym_close(g_sym);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_at_the_cfa),
        cmocka_unit_test(test_value_at_the_call),
        cmocka_unit_test(test_inlined_frame),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
