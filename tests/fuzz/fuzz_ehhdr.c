/* tests/fuzz/fuzz_ehhdr.c: .eh_frame_hdr's header (lib/proc/ehhdr.c), which
 * heapsnap copies out of the examined process, on arbitrary bytes: a table it
 * reports must lie beyond the header's bytes it read, with one entry at least. */
#include <stdint.h>
#include <stdlib.h>

#include "ehhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ehhdr eh;
    if (ehhdr_parse(data, size, &eh) && (eh.table_off > size || eh.table_off < 4 || eh.count == 0))
        abort();
    return 0;
}
