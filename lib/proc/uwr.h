/* lib/proc/uwr.h: call stacks of another process's stopped threads,
 * unwound by libunwind from DWARF CFI with everything slow done before the
 * stop: each loaded object's .eh_frame_hdr search table is located up front,
 * stack and unwind tables are read through a memory source, and the first
 * registers come from the caller (no ptrace call per frame or per thread).
 * libunwind is loaded on first use (lib/ is also linked into the preloaded
 * hook and the fuzzers, which must not depend on it). */
#ifndef HS_UNWIND_REMOTE_H
#define HS_UNWIND_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "memsrc.h"
#include "procmaps.h"

typedef struct uwr uwr;

/* Prepares unwinding in process pid, whose map is pm; memory is read through
 * m (kept, not owned). Reads every executable object's ELF and .eh_frame_hdr
 * headers now, while the process may still run. NULL when libunwind cannot
 * be loaded. */
uwr *uwr_open(pid_t pid, const procmaps *pm, memsrc *m);
void uwr_close(uwr *u);
/* The value of the register libunwind numbers reg (x86-64: UNW_X86_64_RAX
 * .. UNW_X86_64_RIP) in r: 0, or -1 when it numbers none of them. */
int uwr_reg(const struct user_regs_struct *r, int reg, uint64_t *val);

/* The return addresses of the stopped thread whose registers are regs,
 * innermost first (pcs[0] is regs->rip itself), at most max. Returns how
 * many, or -1 when the unwind cannot start. */
int uwr_frames(uwr *u, const struct user_regs_struct *regs, uint64_t *pcs, int max);

/* How procedure lookups were served since uwr_open: from the search tables
 * found up front, or by libunwind-ptrace's own lookup (reads /proc/PID/maps
 * and maps the object's file each time). For tests and benchmarks. */
typedef struct uwr_stats {
    uint64_t table_lookups, fallback_lookups, objects, objects_with_table;
} uwr_stats;
uwr_stats uwr_get_stats(const uwr *u);

#endif
