/* snapshot/typedwarf.h: the DWARF half of the type stage. The globals'
 * types come from the DWARF of every object the roots list (the executable
 * and its libraries), their words from the roots' copies, the chunks' words
 * from the capture; lib/types/tspread names the chunks typed pointers reach,
 * from the globals, then from the threads' local variables (their frames'
 * DWARF locations: stack slots, and registers the unwind recovers), then
 * from the chunks that lib/types/tsite types by the code that allocated
 * them.
 * Runs after the resume, with the graph. */
#ifndef HS_SNAPSHOT_TYPEDWARF_H
#define HS_SNAPSHOT_TYPEDWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "glibc_heap.h"
#include "hs_error.h"
#include "registry.h"
#include "roots.h"
#include "symbolize.h"

typedef struct tdstage tdstage;

/* chunks sorted by address; skip[i] (may be NULL): already typed by its
 * vtable; reg (may be NULL): the hook's registry, parsed, whose recorded
 * stacks type the chunks their code declares a pointer for (tsite.h), where
 * the spread from the globals does not reach. NULL + err when out of
 * memory. */
tdstage *tdstage_run(roots *r, const gheap_capture *cap, sym_ctx *sym, const attr_chunk *chunks,
                     size_t n, const bool *skip, const registry *reg, hs_err *err);
/* Each chunk's label ("struct session", "char[] in session::user"), NULL
 * when untyped; valid until tdstage_free. */
const char *const *tdstage_labels(const tdstage *s);
/* Chunks typed, their bytes, and the stage's time in microseconds. */
void tdstage_totals(const tdstage *s, uint64_t *chunks, uint64_t *bytes, uint64_t *us);
/* The threads' local variables typed roots came from: slots in their
 * stacks and pointers in registers. */
void tdstage_stack_roots(const tdstage *s, uint64_t *slots, uint64_t *values);
void tdstage_free(tdstage *s);

#endif
