/* hook/hook_stack.h: call-stack capture for sampled allocations with the
 * cached CFI unwinder (libunwind's local fast path where it bails); frames inside libheapsnap (and
 * C++ operator new) are dropped so that frames[0] is the code that asked for memory. */
#ifndef HOOK_STACK_H
#define HOOK_STACK_H

#include <stdint.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "heapsnap_registry.h"
#include "hook_unwind.h"

/* Frames captured beyond HEAPSNAP_MAX_FRAMES, so that trimming still leaves
 * a full stack. */
#define HOOK_STACK_SLACK 8

/* Learns the address ranges to drop (this library's code, operator new).
 * Call once the program's libraries are loaded (the constructor); before
 * that, capture only drops frames of this library. */
void hook_stack_init(void);

/* Drops the frames of this library and of operator new from the top of
 * buf[0..n) (a capture) and copies the rest, at most HEAPSNAP_MAX_FRAMES,
 * into frames. Returns the number copied. */
uint32_t hook_stack_trim(void *const *buf, int n, uint64_t *frames);

/* Captures the calling thread's stack into frames (HEAPSNAP_MAX_FRAMES
 * entries), leaf first, return addresses. Returns the number of frames.
 * The cached unwinder first (hook_unwind.h), libunwind for a stack it does
 * not follow. Inline: every frame of the hook costs a step to climb out of. */
static inline __attribute__((always_inline)) uint32_t hook_stack_capture(uint64_t *frames)
{
    void *buf[HEAPSNAP_MAX_FRAMES + HOOK_STACK_SLACK];
    int n = hook_unwind_backtrace(buf, HEAPSNAP_MAX_FRAMES + HOOK_STACK_SLACK);
    if (n < 0)
        n = unw_backtrace(buf, HEAPSNAP_MAX_FRAMES + HOOK_STACK_SLACK);
    return hook_stack_trim(buf, n, frames);
}

#endif
