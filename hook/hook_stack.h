/* hook/hook_stack.h: call-stack capture for sampled allocations with
 * libunwind's local fast path; frames inside libheapsnap (and C++ operator
 * new) are dropped so that frames[0] is the code that asked for memory. */
#ifndef HOOK_STACK_H
#define HOOK_STACK_H

#include <stdint.h>

/* Learns the address ranges to drop (this library's code, operator new).
 * Call once the program's libraries are loaded (the constructor); before
 * that, capture only drops frames of this library. */
void hook_stack_init(void);

/* Captures the calling thread's stack into frames (HEAPSNAP_MAX_FRAMES
 * entries), leaf first, return addresses. Returns the number of frames. */
uint32_t hook_stack_capture(uint64_t *frames);

#endif
