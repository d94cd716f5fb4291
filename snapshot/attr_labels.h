/* snapshot/attr_labels.h: one heap-profile sample split by the string
 * labels of its chunks (held_by, and type): the weights (chunks and bytes) each label value
 * has in the sample are gathered, then the sample's values are shared out
 * by them -- object counts by chunks, byte values by bytes, largest
 * remainder first, so the pieces add up to the sample exactly -- as one
 * sample per value. */
#ifndef HS_SNAPSHOT_ATTR_LABELS_H
#define HS_SNAPSHOT_ATTR_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "pprof.h"

typedef struct attr_labels {
    const char *key;           /* "held_by" */
    const char *const *values; /* values[0] is NULL: no label */
    const char *const *types;  /* NULL, or each value's "type" label (NULL: none) */
    const char *const *froms;  /* NULL ("vtable"), or each value's "type_from" label */
    size_t nvalues;
    uint64_t *count, *bytes; /* per value, for the sample being split */
    uint32_t *used;          /* values with a weight */
    size_t nused;
} attr_labels;

/* 0, or -1 when out of memory; values may be NULL (nvalues 0): every
 * sample then goes out whole and unlabelled. types, when not NULL, gives
 * value v a second label, "type" = types[v] (with "type_from" = froms[v],
 * "vtable" when froms is NULL), where not NULL; values[v] may then be NULL
 * for a value with a type only. */
int attr_labels_init(attr_labels *l, const char *key, const char *const *values,
                     const char *const *types, const char *const *froms, size_t nvalues);
void attr_labels_free(attr_labels *l);
/* Adds a chunk of value `value` to the sample's weights. */
void attr_labels_add(attr_labels *l, uint32_t value, uint64_t bytes);
/* Adds the sample (values {alloc_objects, alloc_space, inuse_objects,
 * inuse_space}, numeric label bytes = bytes_num) split by the weights
 * gathered since the last call, or whole when there are none; clears them.
 * 0, or -1 when out of memory. */
int attr_labels_emit(attr_labels *l, pprof_builder *b, const uint64_t *locs, size_t nlocs,
                     const int64_t v[4], int64_t bytes_num);

#endif
