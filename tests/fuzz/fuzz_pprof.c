/* tests/fuzz/fuzz_pprof.c: libFuzzer target for the pprof reader (gzip and raw
 * protobuf from untrusted files): it must reject, never crash or loop; a
 * profile it accepts must be safe to walk through every lookup. */
#include <stddef.h>
#include <stdint.h>

#include "pprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_err err;
    pprof_profile *p = pprof_parse(data, size, &err);
    if (p == NULL)
        return 0;
    const pprof_pb_profile *pb = p->pb;
    volatile size_t sink = 0;
    for (size_t i = 0; i < pb->n_sample; i++) {
        const pprof_pb_sample *s = pb->sample[i];
        for (size_t j = 0; j < s->n_location_id; j++) {
            const pprof_pb_location *l = pprof_location(p, s->location_id[j]);
            if (l->mapping_id)
                sink += pprof_str(p, pprof_mapping(p, l->mapping_id)->filename)[0];
            for (size_t k = 0; k < l->n_line; k++) {
                const pprof_pb_function *f = pprof_function(p, l->line[k]->function_id);
                if (f)
                    sink += pprof_str(p, f->name)[0];
            }
        }
        sink += (size_t)pprof_sample_num_label(p, s, "bytes", 0);
    }
    (void)sink;
    pprof_profile_free(p);
    return 0;
}
