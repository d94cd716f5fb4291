/* tests/unit/synth_heap.h: builds a small glibc 2.36 heap image in a buffer
 * (libc variables, a main sbrk heap, one non-main heap, one mmapped chunk)
 * with a compact layout, for the walker's unit tests and its fuzzer. */
#ifndef HS_SYNTH_HEAP_H
#define HS_SYNTH_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "glibc_heap.h"

#define SH_BASE 0x10000000ull /* 16 KiB aligned: heap_max is 4 * 4096 here */
#define SH_SIZE 0xA000u
#define SH_MAIN_HEAP (SH_BASE + 0x1000)
#define SH_HEAP2 (SH_BASE + 0x4000)
#define SH_ARENA2 (SH_HEAP2 + 0x30)
#define SH_MMAP (SH_BASE + 0x8000)
#define SH_TCACHE_KEY 0x1234567890abcdefull

typedef struct synth_heap {
    uint8_t mem[SH_SIZE];
    glayout lay;
    uint64_t tcaches[2];
    gheap_range mmap_range;
    gheap_target target;
    /* addresses of interesting chunks, for corrupting them */
    uint64_t inuse_main, fast_main, unsorted_main, small_main, large_main, tcache_main;
    uint64_t fast_arena2, tcache_arena2;
} synth_heap;

/* The compact layout: real struct offsets, libc variables packed at SH_BASE. */
void synth_layout(glayout *l);
/* Builds the standard heap into s (see synth_heap.c for its exact content). */
void synth_build(synth_heap *s);
/* Points target at s (after s is moved or copied). */
void synth_target(synth_heap *s);

uint64_t synth_get64(const synth_heap *s, uint64_t addr);
void synth_put64(synth_heap *s, uint64_t addr, uint64_t v);

#endif
