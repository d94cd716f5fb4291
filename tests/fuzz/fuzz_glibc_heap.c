/* tests/fuzz/fuzz_glibc_heap.c: the heap walker on mutated heap images. The
 * image is the standard synthetic heap of tests/unit/synth_heap.c (libc
 * variables at SH_BASE, a main heap, one non-main heap, one mmapped chunk),
 * cut short and overwritten as the input says, read through the buffer memory
 * source. Each image is walked twice: directly, and over region copies of its
 * heaps with the early release (reads outside the copies then fail). The
 * walker must end every walk with a report (diagnostics allowed): no crash,
 * hang or unbounded memory, and exactly one release.
 *
 * Input: a little-endian u16 N, the image length in 8-byte words (N >=
 * SH_SIZE / 8, or an input shorter than 2 bytes: the whole image), then
 * records of 10 bytes, each a u16 word index (taken modulo SH_SIZE / 8) and
 * the u64 written there; a trailing partial record is ignored. Any image can
 * be written this way, and a corruption of a few words -- where the walker's
 * checks are -- takes a few dozen bytes instead of 40 KiB: libFuzzer copies,
 * hashes and mutates each input, and at 40 KiB that cost more than the walks
 * (860 runs/s then). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/synth_heap.h"

#define FZ_WORDS (SH_SIZE / 8u)

static int fz_touch(const gheap_chunk *c, void *arg)
{
    uint64_t *sum = arg;
    *sum += c->addr ^ c->size ^ (uint64_t)c->cls;
    return 0;
}

static uint16_t fz_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* built once; every run starts from a copy in img, never allocated */
    static synth_heap std;
    static uint8_t img[SH_SIZE];
    static int init;
    if (!init) {
        synth_build(&std);
        init = 1;
    }
    size_t len = SH_SIZE;
    if (size >= 2 && fz_u16(data) < FZ_WORDS)
        len = (size_t)fz_u16(data) * 8;
    memcpy(img, std.mem, len);
    for (size_t off = 2; off + 10 <= size; off += 10) {
        size_t w = fz_u16(data + off) % FZ_WORDS;
        if (w * 8 < len)
            memcpy(img + w * 8, data + off + 2, 8);
    }

    /* the tcache pointers the live glue would find through TLS */
    const glayout *lay = &std.lay;
    uint64_t tcaches[2] = {SH_MAIN_HEAP + 16, ((SH_ARENA2 + lay->ms_size + 15) & ~15ull) + 16};
    gheap_range mm = {SH_MMAP, SH_MMAP + 0x2000};
    gheap_target t = {.lay = lay,
                      .libc_base = SH_BASE,
                      .tcaches = tcaches,
                      .ntcaches = 2,
                      .mmap_ranges = &mm,
                      .nmmap_ranges = 1};
    hs_err err;
    memsrc *m = memsrc_open_buffer(SH_BASE, img, len, &err);
    if (m == NULL)
        return 0;
    gheap_report rep;
    uint64_t sum = 0;
    /* live reads, then the two stages over copies of the heaps */
    for (int copy = 0; copy < 2; copy++) {
        if (copy)
            memsrc_set_copy_limit(m, SH_SIZE);
        gheap_capture *cap;
        if (gheap_capture_take(m, &t, &cap, &err) != 0)
            continue;
        if (gheap_classify(cap, fz_touch, &sum, &rep, &err) == 0) {
            for (size_t i = 0; i < rep.ndiags; i++)
                sum += strlen(rep.diags[i]);
            gheap_report_free(&rep);
        }
        gheap_capture_free(cap);
    }
    memsrc_close(m);
    return sum == 1; /* keeps sum alive; libFuzzer ignores the value */
}
