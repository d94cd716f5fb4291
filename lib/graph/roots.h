/* lib/graph/roots.h: where a live process keeps pointers into its heap, other
 * than the heap itself -- the roots of the heap graph -- copied while the
 * process is stopped, and named afterwards by what a person would call them:
 * the writable segments of every loaded object (.data, .bss; "global NAME"
 * by the ELF symbol that covers the address, static ones too), each
 * thread's stack from its stack pointer ("stack TID FUNCTION", by the frame
 * libunwind finds), its static TLS ("tls NAME" for the variables of the
 * executable and of each library ld.so gave a static block: where, from
 * hproc_static_tls), its registers ("register TID"), and the other anonymous rw
 * mappings that are not malloc's ("mapping NAME"). Stack roots are weak (a
 * slot may be stale) and registers weaker still (hgraph's tiers).
 *
 * Blind spots: pointers stored xor-ed, compressed or shifted; pointers held
 * only in a file mapping, a shared mapping or another process; dynamic TLS
 * (dlopen'd modules) counts as the mapping or heap chunk that holds it.
 *
 * Link lib/libhs_tstacks.la before lib/libhs.la (frames come from
 * libunwind-ptrace). */
#ifndef HS_ROOTS_H
#define HS_ROOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "glibc_heap.h"
#include "heap_process.h"
#include "hs_error.h"
#include "procmaps.h"
#include "symbolize.h"
#include "thread_stacks.h"

typedef enum roots_kind {
    ROOTS_GLOBAL,  /* an object's writable segment */
    ROOTS_MAPPING, /* another anonymous rw mapping */
    ROOTS_THREAD,  /* a thread's stack from its stack pointer up, with its static TLS */
} roots_kind;

typedef struct roots_block {
    roots_kind kind;
    uint64_t lo, hi; /* [lo, hi), 8-aligned */
    uint64_t *words; /* the copy: (hi - lo) / 8 words, unreadable ones 0 */
    size_t owner;    /* ROOTS_GLOBAL: index in objs; ROOTS_THREAD: in threads */
    char name[80];   /* ROOTS_MAPPING: "[anon:NAME]" or "[anon 0xSTART]" */
} roots_block;

#define ROOTS_NREGS (sizeof(struct user_regs_struct) / 8)

typedef struct roots_thread {
    pid_t tid;
    uint64_t fs_base;
    uint64_t regs[ROOTS_NREGS]; /* every general register but rip */
    size_t nregs;               /* 0 when the registers are unknown */
    struct user_regs_struct all_regs;
    /* its frames, unwound from the copy when first named (after the resume,
     * so that the pause holds only the copy) */
    bool unwound;
    uint64_t pcs[TSTACKS_MAX_FRAMES], sps[TSTACKS_MAX_FRAMES], exact;
    tstacks_saved saved[TSTACKS_MAX_FRAMES];
    size_t nframes;
} roots_thread;

typedef struct roots_object {
    char *path;      /* as in the maps */
    char *open_path; /* to open it from here */
    uint64_t base;   /* its lowest mapped address */
    bool is_exe;
} roots_object;

typedef struct roots_vars roots_vars;

#define ROOTS_MAX_TLS HPROC_MAX_TLS

typedef struct roots {
    roots_block *blocks; /* sorted by lo */
    size_t nblocks;
    roots_thread *threads;
    size_t nthreads;
    roots_object *objs;
    size_t nobjs;
    roots_block *chunks; /* copies of the mmapped chunks' user bytes, sorted */
    size_t nchunks;
    uint64_t root_bytes, chunk_bytes; /* copied */
    roots_vars *vars;                 /* the objects' symbols, read when naming */
    hproc_tls tls[ROOTS_MAX_TLS];     /* ld.so's static TLS blocks, by load bias */
    size_t ntls;
} roots;

/* While stopped, or from a frozen copy-on-write child of the process (pid
 * the child's, threads the process's): copies the roots of pid's threads (registers from
 * threads[i].regs), leaving out the ranges malloc owns (cap's) and
 * skip[0..nskip) (the hook's tables), and copies cap's mmapped chunks. 0
 * with *out set, or -1 + err (out of memory, maps unreadable). */
int roots_capture(pid_t pid, hproc *h, const gheap_thread *threads, size_t n,
                  const gheap_capture *cap, const gheap_range *skip, size_t nskip, roots **out,
                  hs_err *err);
/* After: the copied words of the mmapped chunk bytes [lo, hi), for
 * hgraph_read_fn; 0, or -1 when they were not copied. */
int roots_chunk_words(const roots *r, uint64_t lo, uint64_t hi, const uint64_t **words);
/* After: the copied words of root bytes [lo, hi) (globals, TLS, stacks,
 * mappings), as roots_chunk_words; 0, or -1 when they were not copied. */
int roots_block_words(const roots *r, uint64_t lo, uint64_t hi, const uint64_t **words);
/* After: objs[obj]'s load bias (runtime minus link-time address); false
 * when its file cannot be read. */
bool roots_obj_bias(roots *r, size_t obj, uint64_t *bias);
/* After: where threads[thread]'s copy of objs[obj]'s static TLS block
 * starts (*lo) and its size (*len); false when it has none (no TLS, or a
 * block ld.so allocates on first use). */
bool roots_tls_block(roots *r, size_t thread, size_t obj, uint64_t *lo, uint64_t *len);
/* One frame of a thread, for reading its variables' DWARF locations: its pc
 * (exact: the instruction itself; else a return address, whose call is at
 * pc - 1) and its CFA (x86-64: the stack pointer before the call into it,
 * which is the next frame's stack pointer as libunwind unwinds it; 0 for
 * the outermost frame, whose caller is unknown). */
typedef struct roots_tframe {
    uint64_t pc, cfa;
    uint64_t sp; /* its slots lie in [sp, cfa) */
    bool exact;
} roots_tframe;
/* After: threads[thread]'s frames, innermost first (unwound from its stack's
 * copy on first use), up to max into out; how many (0 when its stack was
 * not copied or does not unwind). */
size_t roots_thread_frames(roots *r, size_t thread, roots_tframe *out, size_t max);
/* After roots_thread_frames: the value of DWARF register reg (x86-64
 * numbering: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15
 * r8-r15) in frame frame of threads[thread]: every register in frame 0, as
 * the thread was stopped; in an outer frame, during its call, its stack
 * pointer and the callee-saved registers the unwind tables recover (rbx,
 * rbp, r12-r15); false for the others. */
bool roots_frame_reg(const roots *r, size_t thread, size_t frame, unsigned reg, uint64_t *val);
/* The tiers of hgraph_holders. */
enum { ROOTS_TIER_STRONG, ROOTS_TIER_STACK, ROOTS_TIER_REGISTER };
/* After: the group of the root word at addr inside blocks[b]: "global
 * g_sessions", "tls t_buffer", "stack 1234 worker_wait", "mapping [anon
 * 0x7f...]", and its tier. sym names the frames. */
void roots_group(roots *r, size_t b, uint64_t addr, sym_ctx *sym, char *out, size_t len,
                 uint8_t *tier);
void roots_free(roots *r);

#endif
