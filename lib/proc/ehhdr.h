/* lib/proc/ehhdr.h: the header of an object's .eh_frame_hdr section (the
 * Linux Standard Base's format), which leads to the binary-search table of its
 * FDEs: version 1, the encodings of .eh_frame's address, of the count and of
 * the table, then the address and the count. Pure: the caller has the bytes,
 * copied out of another process (lib/proc/uwr.c) or in its own memory (the
 * hook's unwinder, hook/hook_unwind.c). */
#ifndef HS_EHHDR_H
#define HS_EHHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most bytes of the header before its table: 4 + two 8-byte values. */
#define EHHDR_HEAD_MAX 20

/* The table: count pairs of 4-byte offsets from the header's start (an FDE's
 * initial location, the FDE), sorted by location, from byte table_off on. */
struct ehhdr {
    uint64_t count;
    size_t table_off;
};

/* Reads the header from its first n bytes h. True when it has a table as
 * above with at least one pair; false for another version, no table, a table
 * of another encoding, a count given in an encoding this does not read (a
 * 4- or 8-byte absolute one only) or that does not fit in n bytes. */
bool ehhdr_parse(const uint8_t *h, size_t n, struct ehhdr *out);

#endif
