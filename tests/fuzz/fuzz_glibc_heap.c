/* tests/fuzz/fuzz_glibc_heap.c: the heap walker on mutated heap images. The
 * input is the memory image of tests/unit/synth_heap.c (libc variables at
 * SH_BASE, a main heap, one non-main heap, one mmapped chunk), read through
 * the buffer memory source; a short input is a truncated image. Each image is
 * walked twice: directly, and over region copies of its heaps with the early
 * release (reads outside the copies then fail). The walker must end every
 * walk with a report (diagnostics allowed): no crash, hang or unbounded
 * memory, and exactly one release. */
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../unit/synth_heap.h"

static int fz_touch(const gheap_chunk *c, void *arg)
{
    uint64_t *sum = arg;
    *sum += c->addr ^ c->size ^ (uint64_t)c->cls;
    return 0;
}

static void fz_release(void *arg)
{
    (*(int *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static glayout lay;
    static int init;
    if (!init) {
        synth_layout(&lay);
        init = 1;
    }
    if (size > SH_SIZE)
        size = SH_SIZE;
    /* the tcache pointers the live glue would find through TLS */
    uint64_t tcaches[2] = {SH_MAIN_HEAP + 16, ((SH_ARENA2 + lay.ms_size + 15) & ~15ull) + 16};
    gheap_range mm = {SH_MMAP, SH_MMAP + 0x2000};
    gheap_target t = {.lay = &lay,
                      .libc_base = SH_BASE,
                      .tcaches = tcaches,
                      .ntcaches = 2,
                      .mmap_ranges = &mm,
                      .nmmap_ranges = 1};
    hs_err err;
    memsrc *m = memsrc_open_buffer(SH_BASE, data, size, &err);
    if (m == NULL)
        return 0;
    gheap_report rep;
    uint64_t sum = 0;
    int released = 0;
    for (int copy = 0; copy < 2; copy++) {
        if (copy) {
            memsrc_set_copy_limit(m, SH_SIZE);
            t.release = fz_release;
            t.release_arg = &released;
        }
        if (gheap_walk(m, &t, fz_touch, &sum, &rep, &err) == 0) {
            for (size_t i = 0; i < rep.ndiags; i++)
                sum += strlen(rep.diags[i]);
            gheap_report_free(&rep);
        }
    }
    memsrc_close(m);
    if (released != 1)
        abort();
    return sum == 1; /* keeps sum alive; libFuzzer ignores the value */
}
