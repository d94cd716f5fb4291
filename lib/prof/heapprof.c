/* lib/prof/heapprof.c: Go-convention heap profiles (see heapprof.h). The scaling is
 * the one Go's runtime/pprof applies (scaleHeapSample), so our profiles and Go's
 * mean the same thing to every pprof tool. */
#include "heapprof.h"

#include <math.h>

pprof_builder *heapprof_new(int64_t rate, int64_t time_nanos)
{
    pprof_builder *b = pprof_builder_new();
    if (b == NULL)
        return NULL;
    pprof_add_sample_type(b, "alloc_objects", "count");
    pprof_add_sample_type(b, "alloc_space", "bytes");
    pprof_add_sample_type(b, "inuse_objects", "count");
    pprof_add_sample_type(b, "inuse_space", "bytes");
    pprof_set_period(b, "space", "bytes", rate > 0 ? rate : 1);
    pprof_set_default_sample_type(b, "inuse_space");
    pprof_set_time(b, time_nanos, 0);
    return b;
}

void heapprof_scale(int64_t count, int64_t bytes, int64_t rate, int64_t *out_count,
                    int64_t *out_bytes)
{
    if (count <= 0 || bytes <= 0) {
        *out_count = 0;
        *out_bytes = 0;
        return;
    }
    if (rate <= 1) {
        *out_count = count;
        *out_bytes = bytes;
        return;
    }
    double avg = (double)bytes / (double)count;
    double scale = 1.0 / (1.0 - exp(-avg / (double)rate));
    *out_count = (int64_t)((double)count * scale);
    *out_bytes = (int64_t)((double)bytes * scale);
}

int heapprof_add_site(pprof_builder *b, const uint64_t *locs, size_t nlocs, int64_t rate,
                      int64_t alloc_objects, int64_t alloc_bytes, int64_t inuse_objects,
                      int64_t inuse_bytes)
{
    if (alloc_objects <= 0 && inuse_objects <= 0)
        return 0;
    int64_t v[4];
    heapprof_scale(alloc_objects, alloc_bytes, rate, &v[0], &v[1]);
    heapprof_scale(inuse_objects, inuse_bytes, rate, &v[2], &v[3]);
    /* Like Go: the label is the average object size of the site. */
    int64_t objs = alloc_objects > 0 ? alloc_objects : inuse_objects;
    int64_t bytes = alloc_objects > 0 ? alloc_bytes : inuse_bytes;
    pprof_label_desc label = {.key = "bytes", .num = objs > 0 ? bytes / objs : 0};
    return pprof_add_sample(b, locs, nlocs, v, &label, 1);
}
