/* tests/fuzz/fuzz_attribute.c: snapshot/attribute.c over hostile input. The
 * live and stack tables come from another process's memory, so every field is
 * untrusted; the chunk list is what a walk can report. Besides not crashing,
 * the profile's in-use bytes and objects must be the walked ones exactly
 * (stacks + unsampled + unattributed) at every rate, whatever the tables and
 * the size-class counters say; at rate 1 without counters the stacks hold
 * exactly the chunks they claimed. The
 * bytes left over become a registry image (header plus tables at fuzzed
 * places and sizes) that registry_copy and registry_parse read through a
 * buffer memory source, as they read the process's memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../snapshot/attribute.h"
#include "heapprof.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} fz_in;

static uint64_t fz_take(fz_in *in, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++) {
        v |= (uint64_t)(in->n ? *in->p : 0) << (8 * i);
        if (in->n) {
            in->p++;
            in->n--;
        }
    }
    return v;
}

/* Pseudo-locations named by the pc's low 4 bits, one per name and builder:
 * built once each, as the symbolizer's cache would. Under ASan every location
 * built costs more than the attribution it stands for (with 256 names the
 * pprof builder took 70% of the time, 2,100 inputs/s), and the builder has its
 * own target (fuzz_pprof); 16 names still give stacks that share frames and
 * stacks that do not. */
enum { FZ_NAMES = 16 };
typedef struct {
    pprof_builder *b;
    uint64_t id[FZ_NAMES];
} fz_locs;

static uint64_t fz_loc(void *arg, pprof_builder *b, uint64_t pc)
{
    fz_locs *l = arg;
    if (l->b != b) {
        memset(l, 0, sizeof(*l));
        l->b = b;
    }
    uint64_t *id = &l->id[pc % FZ_NAMES];
    if (*id == 0) {
        char name[32];
        snprintf(name, sizeof(name), "f%llx", (unsigned long long)(pc % FZ_NAMES));
        *id = pprof_add_pseudo_location(b, name);
    }
    return *id;
}

/* The registry image: copy and parse must never crash, and what they keep
 * must fit the tables (stack ids sorted, frames in range). */
static void fz_registry_image(fz_in *in)
{
    enum { BASE = 0x40000, HDR = sizeof(struct heapsnap_registry) };
    uint8_t buf[HDR + 8192];
    memset(buf, 0, sizeof(buf));
    struct heapsnap_registry h = {.magic = HEAPSNAP_REGISTRY_MAGIC,
                                  .version = HEAPSNAP_REGISTRY_VERSION,
                                  .header_size = HDR,
                                  .rate = 1};
    uint64_t flags = fz_take(in, 1);
    if (flags & 1)
        h.version++;
    /* Version 5's unseen blocks listed, or a version-4 header (ending
     * before the flag's word) whose flag must not be read. */
    h.flags = flags >> 6 & 1;
    if (flags >> 7 & 1)
        h.version = 4;
    h.live_addr = BASE + HDR + fz_take(in, 2) % 4200;
    h.live_capacity = fz_take(in, 1);
    h.live_entry_size = sizeof(struct heapsnap_live) + (flags >> 1 & 3) * 8;
    h.stacks_addr = BASE + HDR + fz_take(in, 2) % 4200;
    h.stacks_capacity = fz_take(in, 1) % 8;
    /* Version 4's entry with its stripes, or a version-3 entry (refused as
     * too small for version 4). */
    h.stack_entry_size =
        (flags >> 5 & 1 ? sizeof(struct heapsnap_stack) : sizeof(struct heapsnap_stack_entry)) +
        (flags >> 3 & 1) * 8;
    memcpy(buf, &h, sizeof(h));
    size_t n = in->n < sizeof(buf) - HDR ? in->n : sizeof(buf) - HDR;
    memcpy(buf + HDR, in->p, n);
    hs_err err = {{0}};
    registry r;
    memset(&r, 0, sizeof(r));
    r.addr = BASE;
    r.hdr = h;
    r.src = memsrc_open_buffer(BASE, buf, sizeof(buf), &err);
    if (r.src == NULL)
        abort();
    memsrc *src = r.src;
    /* The header may change between the locate and the stop. */
    if (flags & 16)
        buf[HDR - 1 - fz_take(in, 1) % HDR] ^= (uint8_t)fz_take(in, 1);
    if (registry_copy(&r, &err) == 0 && registry_parse(&r, &err) == 0) {
        if (r.nlive + r.nunseen + r.torn_live > r.hdr.live_capacity ||
            (r.unseen_tracked && (r.hdr.version < 5 || r.have_counts)) ||
            r.nstacks + r.torn_stacks > r.hdr.stacks_capacity)
            abort();
        for (size_t i = 0; i < r.nstacks; i++)
            if ((i > 0 && r.stack_ids[i] <= r.stack_ids[i - 1]) || r.stacks[i].nframes == 0 ||
                r.stacks[i].nframes > HEAPSNAP_MAX_FRAMES ||
                registry_stack(&r, r.stack_ids[i]) != &r.stacks[i])
                abort();
        attr_chunk c = {0x100000, 64, false, 0, false};
        pprof_builder *b = heapprof_new(1, 1);
        attr_totals t;
        fz_locs locs = {0};
        if (attr_build(b, &c, 1, &r, fz_loc, &locs, &t, &err) == 0 && t.bytes != 64)
            abort();
        pprof_builder_free(b);
    }
    registry_free(&r);
    memsrc_close(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    size_t nchunks = fz_take(&in, 1) % 65, nlive = fz_take(&in, 1) % 65,
           nstacks = fz_take(&in, 1) % 9;
    static const uint64_t rates[] = {1, 0, 512, 524288};
    uint64_t rsel = fz_take(&in, 1);
    uint64_t rate = rates[rsel % 4];

    attr_chunk *chunks = calloc(nchunks ? nchunks : 1, sizeof(*chunks));
    registry r;
    memset(&r, 0, sizeof(r));
    r.hdr.rate = rate;
    r.have_counts = (rsel >> 2) & 1;
    r.live = calloc(nlive ? nlive : 1, sizeof(*r.live));
    r.stacks = calloc(nstacks ? nstacks : 1, sizeof(*r.stacks));
    r.stack_ids = calloc(nstacks ? nstacks : 1, sizeof(*r.stack_ids));
    uint64_t addr = 0x100000;
    for (size_t i = 0; i < nchunks; i++) {
        uint64_t w = fz_take(&in, 4);
        addr += (w & 0xff) * 16; /* may repeat an address: a corrupt walk */
        chunks[i].addr = addr;
        chunks[i].size = 32 + ((w >> 8) & 0xffff) * 16;
        chunks[i].mmapped = (w >> 24) & 1;
        /* The hook's counters: -2..5 chunks of this class per walked chunk,
         * so that classes come out under, at, over and below zero. */
        unsigned cls = heapsnap_size_class(chunks[i].size, chunks[i].mmapped);
        uint64_t d = ((w >> 25) & 7) - 2;
        r.class_count[cls] += d;
        r.class_bytes[cls] += d * chunks[i].size;
    }
    /* Stack ids strictly increasing, as registry_read_stacks leaves them. */
    uint32_t id = 0;
    for (size_t i = 0; i < nstacks; i++) {
        id += 1 + (uint32_t)fz_take(&in, 1) % 4;
        r.stack_ids[i] = id;
        r.stacks[i].state = HEAPSNAP_STACK_READY;
        r.stacks[i].nframes = 1 + (uint32_t)fz_take(&in, 1) % HEAPSNAP_MAX_FRAMES;
        r.stacks[i].alloc_objects = fz_take(&in, 2);
        r.stacks[i].alloc_bytes = fz_take(&in, 4);
        for (uint32_t f = 0; f < r.stacks[i].nframes; f++)
            r.stacks[i].frames[f] = 0x400000 + (uint64_t)f * 7 + id;
    }
    r.nstacks = nstacks;
    for (size_t i = 0; i < nlive; i++) {
        uint64_t w = fz_take(&in, 8);
        size_t k = nchunks ? (size_t)(w % nchunks) : 0;
        uint64_t base = nchunks ? chunks[k].addr + 16 : 0x200000;
        r.live[i].state = HEAPSNAP_LIVE_USED;
        r.live[i].stack_id = (uint32_t)((w >> 8) % 40);
        r.live[i].addr = base + (((w >> 16) & 3) == 0 ? ((w >> 18) & 0xfff) : 0);
        r.live[i].size = (w >> 32) & 0xfffff;
    }
    r.nlive = nlive;
    uint64_t walked = 0;
    for (size_t i = 0; i < nchunks; i++)
        walked += chunks[i].size;

    pprof_builder *b = heapprof_new(rate ? (int64_t)rate : 1, 1);
    attr_totals t;
    hs_err err = {{0}};
    static fz_locs locs;
    locs.b = NULL;
    if (attr_build(b, chunks, nchunks, &r, fz_loc, &locs, &t, &err) == 0) {
        if (t.bytes != walked || t.chunks != nchunks)
            abort();
        if ((uint64_t)t.estimated_bytes + t.unsampled_bytes + t.unattributed_bytes != walked ||
            (uint64_t)t.estimated_objects + t.unsampled_chunks + t.unattributed_chunks != nchunks)
            abort();
        if (rate <= 1 && !r.have_counts && (uint64_t)t.estimated_bytes != t.attributed_bytes)
            abort();
        if (t.attributed_chunks > nchunks || t.attributed_bytes > walked)
            abort();
        uint8_t *out;
        size_t outlen;
        if (pprof_encode(b, false, &out, &outlen, &err) == 0)
            free(out);
    }
    pprof_builder_free(b);
    registry_free(&r);
    free(chunks);
    fz_registry_image(&in);
    return 0;
}
