/* lib/prof/pprof.h: the one place that builds, writes, reads and validates pprof
 * profiles (perftools.profiles, proto/profile.proto) on protobuf-c and zlib.
 *
 * Builder: strings, functions, mappings and locations are interned and
 * deduplicated; ids start at 1. Reader: accepts gzip or raw protobuf from any
 * producer (Go's included), checks every index and id, and bounds memory. */
#ifndef HS_PPROF_H
#define HS_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_error.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pprof_pb_profile;
typedef Perftools__Profiles__Sample pprof_pb_sample;
typedef Perftools__Profiles__Location pprof_pb_location;
typedef Perftools__Profiles__Function pprof_pb_function;
typedef Perftools__Profiles__Mapping pprof_pb_mapping;
typedef Perftools__Profiles__Line pprof_pb_line;
typedef Perftools__Profiles__Label pprof_pb_label;

/* ---- builder ---- */

typedef struct pprof_builder pprof_builder;

typedef struct pprof_mapping_desc {
    uint64_t start, limit, file_offset;
    const char *filename; /* NULL means "" */
    const char *build_id; /* hex string, NULL means "" */
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
} pprof_mapping_desc;

/* One frame of a location: lines[0] is the innermost (inlined) frame. */
typedef struct pprof_line_desc {
    const char *function;    /* human-readable (demangled) name */
    const char *system_name; /* mangled name, NULL means same as function */
    const char *filename;    /* NULL means "" */
    int64_t start_line;      /* first line of the function, 0 if unknown */
    int64_t line;            /* 0 if unknown */
} pprof_line_desc;

typedef struct pprof_label_desc {
    const char *key;
    const char *str; /* NULL for a numeric label */
    int64_t num;
    const char *num_unit; /* NULL means none */
} pprof_label_desc;

pprof_builder *pprof_builder_new(void);
void pprof_builder_free(pprof_builder *b);

/* Index of s in the string table (added if new). "" and NULL are index 0. */
int64_t pprof_intern(pprof_builder *b, const char *s);

void pprof_add_sample_type(pprof_builder *b, const char *type, const char *unit);
void pprof_set_period(pprof_builder *b, const char *type, const char *unit, int64_t period);
void pprof_set_time(pprof_builder *b, int64_t time_nanos, int64_t duration_nanos);
void pprof_set_default_sample_type(pprof_builder *b, const char *type);
void pprof_add_comment(pprof_builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Each returns the (deduplicated) id, or 0 when out of memory (the builder then
 * fails at encode time). */
uint64_t pprof_add_mapping(pprof_builder *b, const pprof_mapping_desc *m);
uint64_t pprof_add_function(pprof_builder *b, const char *name, const char *system_name,
                            const char *filename, int64_t start_line);
/* A location is keyed by (mapping_id, address) when address != 0, otherwise by
 * its lines (pseudo-frames such as "[unattributed 64-byte chunks]"). */
uint64_t pprof_add_location(pprof_builder *b, uint64_t mapping_id, uint64_t address,
                            const pprof_line_desc *lines, size_t nlines);
/* Convenience: a pseudo-frame location with just a function name. */
uint64_t pprof_add_pseudo_location(pprof_builder *b, const char *name);

/* values has one entry per sample type added so far. Locations leaf first. */
int pprof_add_sample(pprof_builder *b, const uint64_t *location_ids, size_t nlocs,
                     const int64_t *values, const pprof_label_desc *labels, size_t nlabels);

size_t pprof_builder_nsamples(const pprof_builder *b);

/* Serialises the profile; gzip or raw. *out is malloc'd (caller frees). */
int pprof_encode(pprof_builder *b, bool gzip, uint8_t **out, size_t *outlen, hs_err *err);
/* Gzip-encodes and writes atomically (see afile.h). */
int pprof_write_file(pprof_builder *b, const char *path, hs_err *err);

/* ---- reader ---- */

/* Upper bound on the decompressed size the reader accepts. */
#define PPROF_MAX_DECODED ((size_t)1 << 30)

typedef struct pprof_profile {
    pprof_pb_profile *pb; /* the decoded message; every index and id checked */
    /* id -> array index lookups (private to pprof_read.c; use the functions below) */
    size_t *loc_index, *fn_index, *map_index;
    uint64_t *loc_ids, *fn_ids, *map_ids;
    bool loc_dense, fn_dense, map_dense;
    struct pprof_arena *arena; /* every decoded message lives here; freed at once */
} pprof_profile;

/* Decodes gzip'd or raw bytes; NULL with one sentence in err when the input is
 * not a valid profile (truncated, bad index, bad value count, garbage...). */
pprof_profile *pprof_parse(const uint8_t *data, size_t len, hs_err *err);
pprof_profile *pprof_read_file(const char *path, hs_err *err);
void pprof_profile_free(pprof_profile *p);

/* The string at index i ("" when out of range, which the reader prevents). */
const char *pprof_str(const pprof_profile *p, int64_t i);
const pprof_pb_location *pprof_location(const pprof_profile *p, uint64_t id);
const pprof_pb_function *pprof_function(const pprof_profile *p, uint64_t id);
const pprof_pb_mapping *pprof_mapping(const pprof_profile *p, uint64_t id);
/* Index of the sample type named type, or -1. */
int pprof_sample_index(const pprof_profile *p, const char *type);
/* The numeric label key of sample s, or def when absent. */
int64_t pprof_sample_num_label(const pprof_profile *p, const pprof_pb_sample *s, const char *key,
                               int64_t def);

#endif
