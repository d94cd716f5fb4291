/* hook/hook_unwind.h: the sampled allocation's call stack, unwound from the
 * DWARF CFI of .eh_frame like libunwind does (no frame pointers needed), but
 * with one rule per return address kept in a process-wide cache: a frame
 * whose rule is cached costs a hash, two loads and the stack reads. A rule is
 * computed once per return address from the object's .eh_frame_hdr (found
 * with glibc's _dl_find_object, lock-free and async-signal-safe). Frames the
 * cache cannot describe (a signal frame, a CFA given by an expression, a
 * frame pointer kept in another register, code without CFI, where libunwind
 * guesses from the frame pointer) make the whole capture return -1, and the
 * caller then asks libunwind. Never allocates, never locks. */
#ifndef HOOK_UNWIND_H
#define HOOK_UNWIND_H

#include <stdint.h>

/* The rule that recovers the caller's frame at one return address (x86-64):
 * the CFA is rsp or rbp plus cfa_off, the return address lies at CFA - 8, and
 * rbp is unchanged or saved at CFA + rbp_off. */
enum hook_unwind_kind {
    HOOK_UNWIND_STEP,   /* a frame: step to its caller */
    HOOK_UNWIND_END,    /* the outermost frame (its return address is undefined) */
    HOOK_UNWIND_NOINFO, /* no object or no CFI covers the address: libunwind's case */
    HOOK_UNWIND_BAIL,   /* CFI this unwinder does not follow: ask libunwind */
};

struct hook_unwind_rule {
    enum hook_unwind_kind kind;
    int cfa_rbp;     /* CFA = rbp + cfa_off (else rsp + cfa_off) */
    int rbp_saved;   /* rbp is at CFA + rbp_off (else unchanged) */
    int64_t cfa_off; /* >= 8 */
    int64_t rbp_off; /* < 0 */
};

/* The rule in effect at pc (an instruction address: pass a return address
 * minus one) from the .eh_frame_hdr section at hdr (the object's
 * PT_GNU_EH_FRAME segment, in memory). */
struct hook_unwind_rule hook_unwind_rule_at(const uint8_t *hdr, uint64_t pc);

/* Fills buf with up to max return addresses, innermost first: buf[0] is the
 * return address into the caller of hook_unwind_backtrace, as
 * unw_backtrace's first entry is. Returns how many, or -1 when a frame
 * needs libunwind. */
int hook_unwind_backtrace(void **buf, int max);

/* Forgets every cached rule: an object was unloaded, and another may be
 * loaded at its addresses (the hook's dlclose calls it). Lock-free. */
void hook_unwind_forget(void);

/* Rules computed from the CFI since the start (a lookup the cache did not
 * answer); for tests. */
uint64_t hook_unwind_computed(void);

#endif
