/* lib/proc/ehhdr.c: .eh_frame_hdr's header (see ehhdr.h). */
#include "ehhdr.h"

#include <string.h>

#define EHHDR_PE_OMIT 0xff
#define EHHDR_PE_DATAREL_SDATA4 0x3b
#define EHHDR_PE_SIGNED 0x08
#define EHHDR_PE_APPLICATION 0x70

/* The bytes of a value in encoding enc (its low four bits); 0 for a format
 * this does not read (uleb128, sleb128, omitted). */
static size_t ehhdr_enc_size(uint8_t enc)
{
    switch (enc & 0x0f) {
    case 0x00: /* absptr */
    case 0x04: /* udata8 */
    case 0x0c: /* sdata8 */
        return 8;
    case 0x03: /* udata4 */
    case 0x0b: /* sdata4 */
        return 4;
    case 0x02: /* udata2 */
    case 0x0a: /* sdata2 */
        return 2;
    default:
        return 0;
    }
}

bool ehhdr_parse(const uint8_t *h, size_t n, struct ehhdr *out)
{
    if (n < 4 || h[0] != 1 || h[1] == EHHDR_PE_OMIT || h[3] != EHHDR_PE_DATAREL_SDATA4)
        return false;
    size_t ptr = ehhdr_enc_size(h[1]), cnt = ehhdr_enc_size(h[2]);
    if (ptr == 0 || (cnt != 4 && cnt != 8) || (h[2] & EHHDR_PE_APPLICATION) != 0 ||
        4 + ptr + cnt > n)
        return false;
    uint64_t count = 0;
    memcpy(&count, h + 4 + ptr, cnt);
    if (cnt == 4 && (h[2] & EHHDR_PE_SIGNED)) /* sdata4: a negative count is no table */
        count = (uint64_t)(int64_t)(int32_t)count;
    if (count == 0 || count > ((uint64_t)1 << 32))
        return false;
    out->count = count;
    out->table_off = 4 + ptr + cnt;
    return true;
}
