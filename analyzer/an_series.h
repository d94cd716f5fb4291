/* analyzer/an_series.h: the time series of every call site across a set of
 * profiles. A site is a stack normalised to function+file+line per frame
 * (inlined frames expanded), so the same code matches across profiles whatever
 * its addresses or mapping ids; sites are also grouped by their allocating
 * function: the first frame of the user's own code (not the allocator, a
 * wrapper of it, a standard library or a runtime; see an_frames.h), or when
 * that frame has no symbol the first one above it that has. */
#ifndef AN_SERIES_H
#define AN_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "an_frames.h"
#include "hs_error.h"
#include "pprof.h"

typedef struct an_frame {
    uint32_t function;  /* short name, as pprof shows it (AuditLog::append) */
    uint32_t signature; /* full demangled name when known, else the same */
    uint32_t file;      /* source file, "" when unknown */
    uint32_t module;    /* the mapping's file, "" when unknown */
    int64_t line;
    uint8_t kind; /* an_frame_kind; valid after an_series_finish */
} an_frame;

/* The values of one site in one snapshot (snap = the profile's input position).
 * big_*: the part of them in objects of at least an_series_cols.big_size bytes
 * (always sampled: buffers rather than entries). exact_bytes: in a profile
 * whose sampled stacks were scaled to exact totals per size class
 * (an_series_cols.exact_classes), the bytes times the share of their class
 * the site holds: a site alone in its class holds an exact value (heapsnap's
 * [unsampled ...] none: what no sample named is the others' sampling noise). */
typedef struct an_point {
    uint32_t snap;
    int64_t bytes, objects, alloc_bytes;
    int64_t big_bytes, big_objects, big_alloc;
    double exact_bytes; /* of bytes, the part pinned by exact size-class totals */
} an_point;

typedef struct an_site {
    uint32_t stack, nframes; /* frame ids at an_series.stacks[stack..], leaf first */
    uint32_t alloc_pos;      /* position of the frame that names the site */
    uint32_t raw_pos;        /* the first frame of the user's code (alloc_pos, or the
                                frame without a symbol below it) */
    bool named;              /* the program had a frame with a symbol to name it by */
    uint32_t group;
    an_point *pts; /* in snapshot order; valid after an_series_finish */
    uint32_t npts;
} an_site;

typedef struct an_group {
    uint32_t function, signature, file; /* the allocating function */
    uint32_t nsites;
} an_group;

/* Which sample values of a profile feed the series; -1 = not available.
 * big_size: samples whose objects are at least this large count in the
 * points' big_* part too (0: none). exact_classes: the profile's values were
 * scaled to exact totals per size class (heapsnap's calibrated profiles). */
typedef struct an_series_cols {
    int bytes, objects, alloc_bytes, alloc_objects;
    double big_size;
    bool exact_classes;
} an_series_cols;

typedef struct an_series an_series;

an_series *an_series_new(const an_frames *filter, size_t nsnaps);
void an_series_free(an_series *s);

/* Adds every sample of p as snapshot snap (0 <= snap < nsnaps). */
int an_series_add_profile(an_series *s, uint32_t snap, const pprof_profile *p,
                          const an_series_cols *cols, hs_err *err);

/* Gathers each site's points and chooses every site's allocating frame and
 * group (call once, after the last profile). */
int an_series_finish(an_series *s, hs_err *err);

const char *an_series_str(const an_series *s, uint32_t id);
const an_frame *an_series_frame(const an_series *s, uint32_t id);
/* The frame ids of a site's stack, leaf first. */
const uint32_t *an_series_stack(const an_series *s, const an_site *site);

size_t an_series_nsites(const an_series *s);
const an_site *an_series_site(const an_series *s, size_t i);
size_t an_series_ngroups(const an_series *s);
/* True when function (a signature string id) was found to be an allocator
 * wrapper by what it does (see an_series.c). */
bool an_series_is_wrapper(const an_series *s, uint32_t function);
const an_group *an_series_group(const an_series *s, size_t i);

/* In-use bytes of a site in a snapshot by the profile's held_by label
 * (heapsnap's "who holds it": "lost", "global NAME", ...), one entry per
 * labelled sample, in input order. */
typedef struct an_held {
    uint32_t snap, site, holder; /* holder: a string id (an_series_str) */
    int64_t bytes;
} an_held;
const an_held *an_series_held(const an_series *s, size_t *n);
/* The same for the "type" label (heapsnap's "what it is"), one entry per
 * sample, holder "" for a sample without one; none (*n = 0) when no
 * profile has a type label. */
const an_held *an_series_typed(const an_series *s, size_t *n);

/* Totals of every sample per snapshot (indexed by snap). */
const double *an_series_total_bytes(const an_series *s);
const double *an_series_total_objects(const an_series *s);
const double *an_series_total_alloc(const an_series *s);

#endif
