/* lib/types/tspread.h: DWARF types spread over the heap, as Go's viewcore
 * does: a chunk that a typed pointer points at (at its first byte) is of
 * the pointee type, starting from the typed roots and going on through the
 * pointer members of every chunk so typed, arrays of pointers included.
 * The roots come in three rounds, each spread to its end before the next
 * begins, so that a chunk keeps the type of the strongest evidence: first
 * the globals and thread-local variables (tdwarf.h), then the threads' local
 * variables -- their stack slots (tdw globals marked stack) and the typed
 * pointers held in registers (tspread_value) -- which may be stale or not
 * yet set, then the chunks that their allocating code types (tsite.h). A chunk with room for more
 * than one pointee is an array of them (T[]: malloc(n * sizeof(T))); a char pointer's target is
 * always char[] (a string); void pointers say nothing. The first type that
 * reaches a chunk (breadth first, by rounds) wins; chunks the caller
 * already typed (vtables) are neither typed nor followed. Each chunk also
 * remembers the one member (or global) that reached it, its owner field,
 * unless several did; libstdc++'s own members (_M_...) and base classes
 * keep the owner they were reached through, so a std::string's buffer in
 * Session::user is "char[] in Session::user". Inside a libstdc++ list, map,
 * set or unordered container (_List_base, _Rb_tree, _Hashtable) pointers to
 * the node base types lead to nodes of the container's value type ("V
 * node"), whose values are typed in turn.
 * Pure: memory only through the caller's function. */
#ifndef HS_TSPREAD_H
#define HS_TSPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"
#include "tdwarf.h"

/* A chunk's user bytes [lo, hi), sorted by lo, not overlapping. */
typedef struct tspread_chunk {
    uint64_t lo, hi;
} tspread_chunk;

/* The chunk of chunks[0..n) whose user bytes start at p, or -1. */
long tspread_chunk_at(const tspread_chunk *chunks, size_t n, uint64_t p);

/* The words of [lo, hi) (8-aligned) at *words, valid until the next call;
 * 0, or -1 when unreadable. Called for chunks and for globals. */
typedef int (*tspread_read_fn)(void *arg, uint64_t lo, uint64_t hi, const uint64_t **words);

enum { TSPREAD_OWNER_NONE, TSPREAD_OWNER_ONE, TSPREAD_OWNER_MANY };

typedef struct tspread_type {
    uint32_t type;  /* tdw type id; 0: no DWARF type */
    bool array;     /* the chunk holds type[] */
    uint32_t node;  /* a libstdc++ container's node: its base type (type is its value) */
    uint32_t value; /* the container whose nodes this chunk leads to: their value type */
    uint8_t owner;  /* TSPREAD_OWNER_* */
    uint32_t owner_struct, owner_member; /* the struct type and its member (tdw_member_at), */
    const char *owner_global;            /* or the global (owner_struct 0) that reached it */
} tspread_type;

/* A typed pointer with no address: a local variable whose value a register
 * holds. type is the pointer's tdw type id; name its owner ("main::head"). */
typedef struct tspread_value {
    uint64_t value;
    uint32_t type;
    const char *name;
} tspread_value;

/* Fills out[0..n) (zeroed first). skip (may be NULL): chunks already typed.
 * values[0..nvalues) (may be NULL): pointers held in registers, spread with
 * the stack slots. seed (may be NULL): the type (and whether an array of it:
 * never for a struct with a flexible array member) their allocating code
 * gives chunks (tsite.h; type 0: none), for those the spreads from the roots
 * did not reach and whose room holds one; the spread goes on from them. 0,
 * or -1 + err when out of memory. */
int tspread_run(tdw *t, const tspread_chunk *chunks, size_t n, const bool *skip,
                const tspread_value *values, size_t nvalues, const tspread_type *seed,
                tspread_read_fn read, void *arg, tspread_type *out, hs_err *err);
/* The label of a typed chunk: "struct session", "struct session *[]",
 * "char[] in session::user", "double[] in Polygon::xs", "char[] in g_name".
 * The owner is named for arrays and scalars (what a struct is is its
 * name); a container node reads "std::pair<int const, Session> node in g_map".
 * Returns out. */
char *tspread_label(const tdw *t, const tspread_type *r, char *out, size_t len);

#endif
