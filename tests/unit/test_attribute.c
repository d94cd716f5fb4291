/* tests/unit/test_attribute.c: snapshot/attribute.c -- the walk is the truth,
 * the hook's live table names the stacks, the rest goes under size classes --
 * and lib/proc/registry.c's copy of the hook's tables (copied, then parsed).
 * Every expected value is worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "attribute.h"
#include "heapprof.h"

static uint64_t fake_loc(void *arg, pprof_builder *b, uint64_t pc)
{
    (void)arg;
    char name[32];
    snprintf(name, sizeof(name), "fn_%llx", (unsigned long long)pc);
    return pprof_add_pseudo_location(b, name);
}

/* Finds the sample whose leaf location is a function named leaf. */
static const pprof_pb_sample *find_sample(const pprof_profile *p, const char *leaf)
{
    for (size_t i = 0; i < p->pb->n_sample; i++) {
        const pprof_pb_sample *s = p->pb->sample[i];
        const pprof_pb_location *l = pprof_location(p, s->location_id[0]);
        const pprof_pb_function *f = pprof_function(p, l->line[0]->function_id);
        if (strcmp(pprof_str(p, f->name), leaf) == 0)
            return s;
    }
    return NULL;
}

static pprof_profile *roundtrip(pprof_builder *b)
{
    uint8_t *data;
    size_t len;
    hs_err err = {{0}};
    assert_int_equal(pprof_encode(b, false, &data, &len, &err), 0);
    pprof_profile *p = pprof_parse(data, len, &err);
    free(data);
    assert_non_null(p);
    return p;
}

static int64_t sum_of(const pprof_profile *p, int idx)
{
    int64_t s = 0;
    for (size_t i = 0; i < p->pb->n_sample; i++)
        s += p->pb->sample[i]->value[idx];
    return s;
}

static void add_stack(registry *r, uint32_t id, uint64_t ao, uint64_t ab, const uint64_t *frames,
                      uint32_t n)
{
    size_t k = r->nstacks++;
    r->stacks = realloc(r->stacks, r->nstacks * sizeof(*r->stacks));
    r->stack_ids = realloc(r->stack_ids, r->nstacks * sizeof(*r->stack_ids));
    memset(&r->stacks[k], 0, sizeof(r->stacks[k]));
    r->stacks[k].state = HEAPSNAP_STACK_READY;
    r->stacks[k].nframes = n;
    r->stacks[k].alloc_objects = ao;
    r->stacks[k].alloc_bytes = ab;
    memcpy(r->stacks[k].frames, frames, n * sizeof(uint64_t));
    r->stack_ids[k] = id;
}

static void add_live(registry *r, uint32_t stack, uint64_t addr, uint64_t size)
{
    r->live = realloc(r->live, (r->nlive + 1) * sizeof(*r->live));
    r->live[r->nlive++] = (struct heapsnap_live){HEAPSNAP_LIVE_USED, stack, addr, size};
}

static void test_rate1_exact(void **state)
{
    (void)state;
    /* Given out of address order on purpose: attribution sorts. */
    attr_chunk chunks[] = {
        {0x10490, 64, false, 0, false},    /* F: unattributed */
        {0x10000, 48, false, 0, false},    /* A: stack 3 */
        {0x10030, 48, false, 0, false},    /* B: stack 3 */
        {0x10060, 1008, false, 0, false},  /* C: stack 7 */
        {0x20000, 135168, true, 0, false}, /* D: stack 7, mmapped */
        {0x10450, 64, false, 0, false},    /* E: live entry with an unknown stack -> unattributed */
        {0x104d0, 2000, false, 0, false},  /* G: unattributed */
    };
    registry r;
    memset(&r, 0, sizeof(r));
    r.hdr.rate = 1;
    uint64_t f3[] = {0x401000, 0x402000}, f7[] = {0x403000};
    add_stack(&r, 3, 5, 200, f3, 2);
    add_stack(&r, 7, 2, 131000, f7, 1);
    add_stack(&r, 8, 4, 400, f7, 1); /* allocated, nothing live: alloc-only sample */
    add_live(&r, 3, 0x10010, 40);
    add_live(&r, 7, 0x10070, 1000);
    add_live(&r, 3, 0x10040, 40);
    add_live(&r, 7, 0x20010, 130000);
    add_live(&r, 3, 0x90010, 40); /* stale: no such chunk in use */
    add_live(&r, 3, 0x10010, 40); /* duplicate of A */
    add_live(&r, 9, 0x10460, 50); /* stack 9 was never READY */
    add_live(&r, 3, 0x10058, 40); /* inside B but not its user pointer: stale */

    pprof_builder *b = heapprof_new(1, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, 7, &r, fake_loc, NULL, &t, &err), 0);
    assert_int_equal(t.chunks, 7);
    assert_int_equal(t.bytes, 48 + 48 + 1008 + 135168 + 64 + 64 + 2000);
    assert_int_equal(t.attributed_chunks, 4);
    assert_int_equal(t.attributed_bytes, 48 + 48 + 1008 + 135168);
    assert_int_equal(t.estimated_bytes, 48 + 48 + 1008 + 135168);
    assert_int_equal(t.unattributed_chunks, 3);
    assert_int_equal(t.unattributed_bytes, 64 + 64 + 2000);
    assert_int_equal(t.stale_entries, 2);
    assert_int_equal(t.duplicate_entries, 1);
    assert_int_equal(t.unknown_stack, 1);
    assert_int_equal(t.site_samples, 3);
    assert_int_equal(t.pseudo_samples, 2);

    pprof_profile *p = roundtrip(b);
    /* The heap is the truth: inuse_space is the walked total to the byte. */
    assert_int_equal(sum_of(p, 3), 138400);
    assert_int_equal(sum_of(p, 2), 7);
    const pprof_pb_sample *s = find_sample(p, "fn_401000");
    assert_non_null(s);
    assert_int_equal(s->n_location_id, 2);
    /* alloc: 5 objects, 200 requested bytes -> chunk bytes by the live ratio 96/80 */
    assert_int_equal(s->value[0], 5);
    assert_int_equal(s->value[1], 240);
    assert_int_equal(s->value[2], 2);
    assert_int_equal(s->value[3], 96);
    assert_int_equal(pprof_sample_num_label(p, s, "bytes", -1), 48);
    /* Two samples lead with fn_403000: stack 7 (live) and stack 8 (alloc-only). */
    int seen = 0;
    for (size_t i = 0; i < p->pb->n_sample; i++) {
        const pprof_pb_sample *x = p->pb->sample[i];
        if (x->value[2] == 2 && x->value[3] == 136176) {
            assert_int_equal(x->value[0], 2);
            assert_int_equal(x->value[1], 136176);
            seen++;
        }
        if (x->value[0] == 4) {
            /* 400 requested bytes in 4 objects: 100 bytes -> 112-byte chunks */
            assert_int_equal(x->value[1], 448);
            assert_int_equal(x->value[3], 0);
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    s = find_sample(p, "[unattributed 64-byte chunks]");
    assert_non_null(s);
    assert_int_equal(s->value[2], 2);
    assert_int_equal(s->value[3], 128);
    assert_int_equal(s->value[1], 128);
    const pprof_pb_location *root = pprof_location(p, s->location_id[1]);
    assert_string_equal(pprof_str(p, pprof_function(p, root->line[0]->function_id)->name),
                        "[unattributed]");
    s = find_sample(p, "[unattributed 1-2 KiB chunks]");
    assert_non_null(s);
    assert_int_equal(s->value[3], 2000);
    pprof_profile_free(p);
    pprof_builder_free(b);
    registry_free(&r);
}

/* A memalign'd mmapped chunk: the walk reports the mapping's header, the hook
 * the aligned user pointer further in. */
static void test_memalign_mmapped(void **state)
{
    (void)state;
    attr_chunk chunks[] = {{0x7000000, 0x5a000, true, 0, false},
                           {0x8000000, 0x21000, true, 0, false}};
    registry r;
    memset(&r, 0, sizeof(r));
    r.hdr.rate = 1;
    uint64_t f[] = {0x6000};
    add_stack(&r, 1, 1, 300000, f, 1);
    add_live(&r, 1, 0x7010000, 300000); /* 64 KiB-aligned, inside the first mapping */
    add_live(&r, 1, 0x805a000, 300000); /* past the end of the second: stale */
    pprof_builder *b = heapprof_new(1, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, 2, &r, fake_loc, NULL, &t, &err), 0);
    assert_int_equal(t.attributed_chunks, 1);
    assert_int_equal(t.attributed_bytes, 0x5a000);
    assert_int_equal(t.stale_entries, 1);
    assert_int_equal(t.unattributed_bytes, 0x21000);
    pprof_builder_free(b);
    registry_free(&r);
}

static void test_no_hook_census(void **state)
{
    (void)state;
    attr_chunk chunks[] = {{0x1000, 32, false, 0, false},
                           {0x1020, 32, false, 0, false},
                           {0x1040, 656, false, 0, false},
                           {0x40000, 4096 * 40, true, 0, false}};
    pprof_builder *b = heapprof_new(1, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, 4, NULL, fake_loc, NULL, &t, &err), 0);
    assert_int_equal(t.attributed_chunks, 0);
    assert_int_equal(t.unattributed_chunks, 4);
    assert_int_equal(t.unattributed_bytes, 32 + 32 + 656 + 163840);
    assert_int_equal(t.pseudo_samples, 3);
    pprof_profile *p = roundtrip(b);
    assert_int_equal(sum_of(p, 3), 164560);
    assert_non_null(find_sample(p, "[unattributed 32-byte chunks]"));
    assert_non_null(find_sample(p, "[unattributed 656-byte chunks]"));
    assert_non_null(find_sample(p, "[unattributed mmapped 128-256 KiB chunks]"));
    pprof_profile_free(p);
    pprof_builder_free(b);
}

static void test_sampled_estimate(void **state)
{
    (void)state;
    /* 20 chunks of 48 bytes; the hook sampled one (40 requested) at rate 512.
     * scale = 1/(1-exp(-40/512)) = 13.3 -> 13 objects, 13*48 = 624 bytes;
     * the 48-byte class keeps 20-13 = 7 chunks and 960-624 = 336 bytes. */
    attr_chunk chunks[20];
    for (int i = 0; i < 20; i++)
        chunks[i] = (attr_chunk){0x1000 + 48 * (uint64_t)i, 48, false, 0, false};
    registry r;
    memset(&r, 0, sizeof(r));
    r.hdr.rate = 512;
    uint64_t f[] = {0x5000};
    add_stack(&r, 0, 1, 40, f, 1);
    add_live(&r, 0, 0x1000 + 48 * 4 + 16, 40);
    pprof_builder *b = heapprof_new(512, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, 20, &r, fake_loc, NULL, &t, &err), 0);
    assert_int_equal(t.estimated_objects, 13);
    assert_int_equal(t.estimated_bytes, 624);
    assert_int_equal(t.unattributed_chunks, 7);
    assert_int_equal(t.unattributed_bytes, 336);
    pprof_profile *p = roundtrip(b);
    assert_int_equal(sum_of(p, 3), 960);
    const pprof_pb_sample *s = find_sample(p, "fn_5000");
    assert_non_null(s);
    assert_int_equal(s->value[2], 13);
    assert_int_equal(s->value[3], 624);
    pprof_profile_free(p);
    pprof_builder_free(b);
    registry_free(&r);
}

/* The heap of the split tests: 124 chunks in eight classes. */
static size_t split_heap(attr_chunk chunks[124])
{
    size_t n = 0;
    for (uint64_t i = 0; i < 100; i++)
        chunks[n++] = (attr_chunk){0x100000 + 48 * i, 48, false, 0, false}; /* class 3 */
    for (uint64_t i = 0; i < 12; i++)
        chunks[n++] = (attr_chunk){0x200000 + 64 * i, 64, false, 0, false}; /* class 4 */
    for (uint64_t i = 0; i < 4; i++)
        chunks[n++] = (attr_chunk){0x300000 + 80 * i, 80, false, 0, false}; /* class 5 */
    for (uint64_t i = 0; i < 4; i++)
        chunks[n++] = (attr_chunk){0x400000 + 96 * i, 96, false, 0, false}; /* class 6 */
    chunks[n++] = (attr_chunk){0x600000, 3000, false, 0, false};            /* class 65 + 12 */
    chunks[n++] = (attr_chunk){0x700000, 135168, true, 0, false};           /* class 129 + 18 */
    chunks[n++] = (attr_chunk){0x500000, 2000, false, 0, false};            /* class 65 + 11 */
    chunks[n++] = (attr_chunk){0x500000 + 2000, 2000, false, 0, false};
    assert_int_equal(n, 124);
    assert_int_equal(heapsnap_size_class(2000, false), 76);
    return n;
}

/* The split tests' three stacks and five samples, at rate 512: the four
 * 48-byte samples weigh the same (40 requested bytes each). */
static void split_samples(registry *r)
{
    r->hdr.rate = 512;
    uint64_t fa[] = {0xa1}, fb[] = {0xb1}, fc[] = {0xc1};
    add_stack(r, 1, 2, 80, fa, 1);
    add_stack(r, 2, 2, 2030, fb, 1);
    add_stack(r, 3, 1, 40, fc, 1);
    add_live(r, 1, 0x100000 + 16, 40);
    add_live(r, 1, 0x100030 + 16, 40);
    add_live(r, 2, 0x100060 + 16, 40);
    add_live(r, 2, 0x500000 + 16, 1990);
    add_live(r, 3, 0x100090 + 16, 40);
}

/* Attributes the split heap with the hooked totals r gives: 80 of class 3's
 * 100 chunks, every chunk of classes 4, 6, 76, 77 and 147, none of class
 * 5's; the profile must come out the same however they were known. */
static void split_check(attr_chunk *chunks, size_t n, registry *r)
{
    pprof_builder *b = heapprof_new(512, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, n, r, fake_loc, NULL, &t, &err), 0);
    assert_true(t.calibrated);
    assert_int_equal(t.bytes, 4800 + 768 + 320 + 384 + 4000 + 3000 + 135168);
    /* class 3: 80 hooked chunks split 2:1:1 by cumulative shares 40, 60, 80;
     * class 4's 12 chunks by its pool 33-64 bytes, the same weights (6, 9,
     * 12); class 76: B's one sample takes the class's 2 chunks and 4000
     * bytes. */
    assert_int_equal(t.estimated_objects, (40 + 6) + (20 + 3 + 2) + (20 + 3));
    assert_int_equal(t.estimated_bytes, (1920 + 384) + (960 + 192 + 4000) + (960 + 192));
    /* classes 6 (4 x 96, capped at the walk; nothing sampled in 65-128), 77
     * (1 x 3000) and 147 (1 x 135168) */
    assert_int_equal(t.unsampled_chunks, 6);
    assert_int_equal(t.unsampled_bytes, 384 + 3000 + 135168);
    /* classes 3 (20 x 48) and 5 (4 x 80) */
    assert_int_equal(t.unattributed_chunks, 24);
    assert_int_equal(t.unattributed_bytes, 960 + 320);
    assert_int_equal(t.hooked_bytes, 8608 + 384 + 3000 + 135168);
    assert_int_equal(t.pseudo_samples, 5);

    pprof_profile *p = roundtrip(b);
    assert_int_equal(sum_of(p, 3), 148440);
    assert_int_equal(sum_of(p, 2), 124);
    const pprof_pb_sample *s = find_sample(p, "fn_a1");
    assert_non_null(s);
    assert_int_equal(s->value[2], 46);
    assert_int_equal(s->value[3], 2304);
    s = find_sample(p, "fn_b1");
    assert_int_equal(s->value[2], 25);
    assert_int_equal(s->value[3], 5152);
    s = find_sample(p, "fn_c1");
    assert_int_equal(s->value[2], 23);
    assert_int_equal(s->value[3], 1152);
    assert_non_null(find_sample(p, "[unsampled 96-byte chunks]"));
    assert_non_null(find_sample(p, "[unsampled 2-4 KiB chunks]"));
    s = find_sample(p, "[unsampled mmapped 128-256 KiB chunks]");
    assert_non_null(s);
    assert_int_equal(s->value[2], 1);
    assert_int_equal(s->value[3], 135168);
    const pprof_pb_location *root = pprof_location(p, s->location_id[1]);
    assert_string_equal(pprof_str(p, pprof_function(p, root->line[0]->function_id)->name),
                        "[unsampled]");
    s = find_sample(p, "[unattributed 48-byte chunks]");
    assert_non_null(s);
    assert_int_equal(s->value[3], 960);
    assert_null(find_sample(p, "[unsampled 64-byte chunks]"));
    pprof_profile_free(p);
    pprof_builder_free(b);
}

/* With the hook's counters (registry version 2) each class's hooked total is
 * split between the stacks sampled in it; a class up to 1 KiB counted but not
 * sampled goes to the stacks sampled in its power-of-two range, and stays
 * under [unsampled] when there are none (or above 1 KiB); the rest of the
 * walk (never counted) is unattributed. */
static void test_calibrated_split(void **state)
{
    (void)state;
    attr_chunk chunks[124];
    size_t n = split_heap(chunks);
    registry r;
    memset(&r, 0, sizeof(r));
    r.have_counts = true;
    r.class_count[3] = 80;           /* 20 of the 100 chunks from before the hook */
    r.class_count[4] = 12;           /* counted, not sampled: pooled with 33-64 bytes */
    r.class_count[5] = (uint64_t)-3; /* more freed than allocated: 0 */
    r.class_count[6] = 50;           /* more than the walk; nothing sampled in 65-128 */
    r.class_count[77] = 1;           /* counted, not sampled, not pooled */
    r.class_bytes[77] = 3000;
    r.class_count[147] = 1; /* the same, mmapped */
    r.class_bytes[147] = 135168;
    r.class_count[76] = 2;
    r.class_bytes[76] = 4000;
    split_samples(&r);
    split_check(chunks, n, &r);
    registry_free(&r);
}

/* Registry version 5 without counters: the same totals from the walk, minus
 * the blocks the hook lists as unseen and glibc's own chunks. Class 3 loses
 * 18 unseen chunks and 2 of glibc's (one of them also listed as unseen:
 * counted once), class 5 all four; an unseen address the walk does not have
 * (freed behind the hook's back) changes nothing. */
static void test_unseen_split(void **state)
{
    (void)state;
    attr_chunk chunks[124];
    size_t n = split_heap(chunks);
    registry r;
    memset(&r, 0, sizeof(r));
    r.unseen_tracked = true;
    r.nunseen = 0;
    r.unseen = malloc(32 * sizeof(*r.unseen));
    for (uint64_t i = 0; i < 18; i++)
        r.unseen[r.nunseen++] = 0x100000 + 48 * (80 + i) + 16;
    chunks[98].glibc_own = chunks[99].glibc_own = true;
    r.unseen[r.nunseen++] = 0x100000 + 48 * 99 + 16;
    for (uint64_t i = 0; i < 4; i++)
        r.unseen[r.nunseen++] = 0x300000 + 80 * i + 16;
    r.unseen[r.nunseen++] = 0x900000 + 16;
    split_samples(&r);
    split_check(chunks, n, &r);
    /* Without the flag the same registry is not calibrated. */
    r.unseen_tracked = false;
    pprof_builder *b = heapprof_new(512, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, n, &r, fake_loc, NULL, &t, &err), 0);
    assert_false(t.calibrated);
    pprof_builder_free(b);
    registry_free(&r);
}

/* Three stacks with one equal sample each share 10 chunks 3, 4, 3: the
 * cumulative targets are round(10/3) = 3, round(20/3) = 7 and 10. */
static void test_calibrated_rounding(void **state)
{
    (void)state;
    attr_chunk chunks[12];
    for (uint64_t i = 0; i < 12; i++)
        chunks[i] = (attr_chunk){0x1000 + 32 * i, 32, false, 0, false};
    registry r;
    memset(&r, 0, sizeof(r));
    r.hdr.rate = 524288;
    r.have_counts = true;
    r.class_count[2] = 10;
    uint64_t f1[] = {0x11}, f2[] = {0x12}, f3[] = {0x13};
    add_stack(&r, 1, 1, 24, f1, 1);
    add_stack(&r, 2, 1, 24, f2, 1);
    add_stack(&r, 3, 1, 24, f3, 1);
    add_live(&r, 1, 0x1000 + 16, 24);
    add_live(&r, 2, 0x1020 + 16, 24);
    add_live(&r, 3, 0x1040 + 16, 24);
    pprof_builder *b = heapprof_new(524288, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, 12, &r, fake_loc, NULL, &t, &err), 0);
    pprof_profile *p = roundtrip(b);
    assert_int_equal(find_sample(p, "fn_11")->value[2], 3);
    assert_int_equal(find_sample(p, "fn_12")->value[2], 4);
    assert_int_equal(find_sample(p, "fn_13")->value[3], 96);
    assert_int_equal(t.unattributed_chunks, 2);
    assert_int_equal(t.unsampled_chunks, 0);
    pprof_profile_free(p);
    pprof_builder_free(b);
    registry_free(&r);
}

/* Counters from another process are untrusted: absurd ones end in values
 * capped at 2^62 (alloc side) and at the walk (in-use side), never in an
 * overflow. At rate 1 the stacks keep what they sampled even when the
 * counters say less (blocks from before the hook freed since). */
static void test_hostile_counters(void **state)
{
    (void)state;
    attr_chunk chunks[] = {{0x1000, 32, false, 0, false}, {0x1020, 32, false, 0, false}};
    registry r;
    memset(&r, 0, sizeof(r));
    r.hdr.rate = (uint64_t)1 << 60;
    r.have_counts = true;
    r.class_count[2] = (uint64_t)INT64_MAX;
    uint64_t f[] = {0x77};
    add_stack(&r, 4, UINT64_MAX, 1, f, 1);
    add_live(&r, 4, 0x1000 + 16, 0);
    pprof_builder *b = heapprof_new(1, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build(b, chunks, 2, &r, fake_loc, NULL, &t, &err), 0);
    pprof_profile *p = roundtrip(b);
    const pprof_pb_sample *s = find_sample(p, "fn_77");
    assert_int_equal(s->value[0], (int64_t)1 << 62);
    assert_int_equal(s->value[1], (int64_t)1 << 62);
    assert_int_equal(s->value[2], 2);
    assert_int_equal(s->value[3], 64);
    pprof_profile_free(p);
    pprof_builder_free(b);

    r.hdr.rate = 1;
    r.class_count[2] = 0;
    b = heapprof_new(1, 1);
    assert_int_equal(attr_build(b, chunks, 2, &r, fake_loc, NULL, &t, &err), 0);
    assert_int_equal(t.estimated_bytes, 32);
    assert_int_equal(t.unattributed_bytes, 32);
    pprof_builder_free(b);
    registry_free(&r);
}

static void test_class_names(void **state)
{
    (void)state;
    char buf[96];
    assert_string_equal(attr_class_name(48, false, buf, sizeof(buf)),
                        "[unattributed 48-byte chunks]");
    assert_string_equal(attr_class_name(1024, false, buf, sizeof(buf)),
                        "[unattributed 1024-byte chunks]");
    assert_string_equal(attr_class_name(1040, false, buf, sizeof(buf)),
                        "[unattributed 1-2 KiB chunks]");
    assert_string_equal(attr_class_name(2000, false, buf, sizeof(buf)),
                        "[unattributed 1-2 KiB chunks]");
    assert_string_equal(attr_class_name(600000, false, buf, sizeof(buf)),
                        "[unattributed 512 KiB-1 MiB chunks]");
    assert_string_equal(attr_class_name(135168, true, buf, sizeof(buf)),
                        "[unattributed mmapped 128-256 KiB chunks]");
    /* The classes the hook counts in (libheapsnap(3)). */
    assert_int_equal(heapsnap_size_class(32, false), 2);
    assert_int_equal(heapsnap_size_class(1024, false), 64);
    assert_int_equal(heapsnap_size_class(1040, false), 65 + 11);
    assert_int_equal(heapsnap_size_class(2048, false), 65 + 11);
    assert_int_equal(heapsnap_size_class(2064, false), 65 + 12);
    assert_int_equal(heapsnap_size_class(135168, true), 129 + 18);
    assert_int_equal(heapsnap_size_class(UINT64_MAX, true), 192);
}

/* ---- the registry copy: tables copied (registry_copy), then parsed ---- */

/* A registry image (version 4): header at IMG_BASE, a live table of IMG_LIVE
 * entries at +0x1000, a stack table of IMG_STACKS entries at +0x3000. */
#define IMG_BASE 0x10000u
#define IMG_LIVE 200u
#define IMG_STACKS 8u
typedef struct img {
    unsigned char b[0x3000 + IMG_STACKS * sizeof(struct heapsnap_stack_entry)];
} img;

static struct heapsnap_registry *img_hdr(img *m)
{
    return (struct heapsnap_registry *)m->b;
}
static struct heapsnap_live *img_live(img *m, uint64_t table)
{
    return (struct heapsnap_live *)(m->b + (table - IMG_BASE));
}
static struct heapsnap_stack_entry *img_stacks(img *m)
{
    return (struct heapsnap_stack_entry *)(m->b + 0x3000);
}

static void img_fill(img *m)
{
    memset(m, 0, sizeof(*m));
    struct heapsnap_registry *h = img_hdr(m);
    h->magic = HEAPSNAP_REGISTRY_MAGIC;
    h->version = 4;
    h->header_size = sizeof(*h);
    h->rate = 1;
    h->live_addr = IMG_BASE + 0x1000;
    h->live_capacity = IMG_LIVE;
    h->live_entry_size = sizeof(struct heapsnap_live);
    h->stacks_addr = IMG_BASE + 0x3000;
    h->stacks_capacity = IMG_STACKS;
    h->stack_entry_size = sizeof(struct heapsnap_stack_entry);
    struct heapsnap_live *l = img_live(m, h->live_addr);
    l[3] = (struct heapsnap_live){HEAPSNAP_LIVE_USED, 1, 0x5000, 40};
    l[7] = (struct heapsnap_live){HEAPSNAP_LIVE_BUSY, 1, 0x5100, 8};
    l[10] = (struct heapsnap_live){HEAPSNAP_LIVE_DELETED, 1, 0x5200, 8};
    l[150] = (struct heapsnap_live){HEAPSNAP_LIVE_BUSY, 5, 0x5300, 8};
    l[199] = (struct heapsnap_live){HEAPSNAP_LIVE_USED, 5, 0x6000, 100};
    struct heapsnap_stack_entry *s = img_stacks(m);
    s[1].stack = (struct heapsnap_stack){
        .state = HEAPSNAP_STACK_READY, .nframes = 2, .frames = {0x401000, 0x402000}};
    s[2].stack = (struct heapsnap_stack){.state = HEAPSNAP_STACK_BUSY, .nframes = 1};
    s[3].stack = (struct heapsnap_stack){.state = HEAPSNAP_STACK_READY, .nframes = 0};
    s[4].stack = (struct heapsnap_stack){.state = HEAPSNAP_STACK_READY, .nframes = 65};
    /* Stack 5's counters: the entry's own words and every stripe add up. */
    s[5].stack = (struct heapsnap_stack){
        .state = HEAPSNAP_STACK_READY, .nframes = 1, .alloc_objects = 1, .frames = {0x403000}};
    s[5].stripes[1] = (struct heapsnap_stack_stripe){.alloc_objects = 2, .alloc_bytes = 96};
    s[5].stripes[3] =
        (struct heapsnap_stack_stripe){.alloc_bytes = 4, .free_objects = 1, .free_bytes = 64};
    s[4].stripes[0].alloc_objects = 7; /* a torn entry's stripes are not read */
}

/* A filled image, and r as registry_locate then registry_reserve leave it,
 * reading through a buffer source. */
static void img_registry(registry *r, img *m)
{
    img_fill(m);
    memset(r, 0, sizeof(*r));
    r->addr = IMG_BASE;
    r->hdr = *img_hdr(m);
    snprintf(r->path, sizeof(r->path), "libheapsnap.so");
    hs_err err = {{0}};
    r->src = memsrc_open_buffer(IMG_BASE, m->b, sizeof(m->b), &err);
    assert_non_null(r->src);
    assert_int_equal(registry_reserve(r, &err), 0);
}

static void img_registry_free(registry *r)
{
    memsrc *src = r->src;
    registry_free(r); /* does not close a source it did not open */
    memsrc_close(src);
}

static void test_registry_copy_parse(void **state)
{
    (void)state;
    static img m;
    registry r;
    img_registry(&r, &m);
    hs_err err = {{0}};
    assert_int_equal(registry_copy(&r, &err), 0);
    /* No pagemap for a buffer: each table is one span. */
    assert_int_equal(r.nspans, 2);
    assert_int_equal(r.nspans_live, 1);
    /* The process runs on after the copy: the parse must not see this. */
    img_live(&m, IMG_BASE + 0x1000)[3].state = HEAPSNAP_LIVE_DELETED;
    img_stacks(&m)[6].stack.state = HEAPSNAP_STACK_READY;
    assert_int_equal(registry_parse(&r, &err), 0);
    /* USED 3 and 199; BUSY 7 and 150 torn; DELETED and EMPTY skipped. */
    assert_int_equal(r.nlive, 2);
    assert_int_equal(r.live[0].addr, 0x5000);
    assert_int_equal(r.live[0].size, 40);
    assert_int_equal(r.live[0].stack_id, 1);
    assert_int_equal(r.live[1].addr, 0x6000);
    assert_int_equal(r.live[1].size, 100);
    assert_int_equal(r.torn_live, 2);
    /* READY 1 and 5; BUSY 2, nframes 0 (3) and 65 (4) torn. */
    assert_int_equal(r.nstacks, 2);
    assert_int_equal(r.stack_ids[0], 1);
    assert_int_equal(r.stack_ids[1], 5);
    assert_int_equal(r.torn_stacks, 3);
    assert_int_equal(registry_stack(&r, 5)->alloc_objects, 3);
    assert_int_equal(registry_stack(&r, 5)->alloc_bytes, 100);
    assert_int_equal(registry_stack(&r, 5)->free_objects, 1);
    assert_int_equal(registry_stack(&r, 5)->free_bytes, 64);
    assert_int_equal(registry_stack(&r, 1)->frames[1], 0x402000);
    assert_null(registry_stack(&r, 2));
    assert_null(registry_stack(&r, 6));
    /* A second parse of the same copy gives the same counts. */
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_int_equal(r.nlive, 2);
    assert_int_equal(r.torn_live, 2);
    assert_int_equal(r.nstacks, 2);
    assert_int_equal(r.torn_stacks, 3);
    img_registry_free(&r);
}

/* The header is checked again inside the stop: a version change is one clear
 * error; tables that moved are followed. */
static void test_registry_recheck(void **state)
{
    (void)state;
    static img m;
    registry r;
    img_registry(&r, &m);
    hs_err err = {{0}};
    img_hdr(&m)->version = 6;
    assert_int_equal(registry_copy(&r, &err), -1);
    assert_string_equal(err.msg, "libheapsnap.so in process 0 uses registry version 6 but this "
                                 "heapsnap reads versions 1 to 5; use the heapsnap built together "
                                 "with that libheapsnap.so.");
    assert_int_equal(registry_parse(&r, &err), -1);
    img_registry_free(&r);

    /* The live table now starts 150 entries further on and holds 50. */
    img_registry(&r, &m);
    img_hdr(&m)->live_addr = IMG_BASE + 0x1000 + 150 * sizeof(struct heapsnap_live);
    img_hdr(&m)->live_capacity = 50;
    assert_int_equal(registry_copy(&r, &err), 0);
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_int_equal(r.nlive, 1);
    assert_int_equal(r.live[0].addr, 0x6000);
    assert_int_equal(r.torn_live, 1);
    assert_int_equal(r.hdr.live_capacity, 50);
    img_registry_free(&r);
}

/* Version 5: UNSEEN entries are kept apart (their user pointers), and with
 * the flag, a rate and no counters the hooked totals come from the walk. A
 * version-4 header ends before the flag: whatever follows it is not read as
 * one, and an UNSEEN state there is not an entry; a version-5 header must be
 * whole. */
static void test_registry_unseen(void **state)
{
    (void)state;
    static img m;
    registry r;
    hs_err err = {{0}};
    img_registry(&r, &m);
    struct heapsnap_registry *h = img_hdr(&m);
    img_live(&m, h->live_addr)[20] = (struct heapsnap_live){HEAPSNAP_LIVE_UNSEEN, 0, 0x7010, 0};
    h->header_size = HEAPSNAP_REGISTRY_V4_SIZE;
    h->flags = HEAPSNAP_FLAG_UNSEEN; /* past a version-4 header: not its */
    h->unseen_lost = 3;
    assert_int_equal(registry_copy(&r, &err), 0);
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_int_equal(r.hdr.flags, 0);
    assert_int_equal(r.hdr.unseen_lost, 0);
    assert_int_equal(r.nlive, 2);
    assert_int_equal(r.nunseen, 0);
    assert_false(r.unseen_tracked);
    assert_false(r.have_counts);

    h->version = 5;
    assert_int_equal(registry_copy(&r, &err), -1);
    assert_string_equal(err.msg, "the heapsnap registry in process 0 has impossible table sizes; "
                                 "the hook's memory was overwritten, restart the program.");
    h->header_size = sizeof(*h);
    assert_int_equal(registry_copy(&r, &err), 0);
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_int_equal(r.hdr.unseen_lost, 3);
    assert_int_equal(r.nlive, 2);
    assert_int_equal(r.nunseen, 1);
    assert_int_equal(r.unseen[0], 0x7010);
    assert_true(r.unseen_tracked);
    /* Sampling off: no samples to scale, nothing tracked. */
    h->rate = 0;
    assert_int_equal(registry_copy(&r, &err), 0);
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_false(r.unseen_tracked);
    h->rate = 1;
    h->flags = 0;
    assert_int_equal(registry_copy(&r, &err), 0);
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_int_equal(r.nunseen, 1);
    assert_false(r.unseen_tracked);
    img_registry_free(&r);
}

/* Version 2: the counters' slots are copied and summed (modulo 2^64: a
 * thread that freed another's blocks has a "negative" slot); a version-1
 * header reads as one without counters; impossible counter fields and an
 * impossible rate are refused. */
static void test_registry_counts(void **state)
{
    (void)state;
    enum { BASE = 0x20000, SLOTS = 3 };
    static unsigned char buf[0x1000 + SLOTS * sizeof(struct heapsnap_counts)];
    memset(buf, 0, sizeof(buf));
    struct heapsnap_registry *h = (struct heapsnap_registry *)buf;
    struct heapsnap_counts *c = (struct heapsnap_counts *)(buf + 0x1000);
    *h = (struct heapsnap_registry){.magic = HEAPSNAP_REGISTRY_MAGIC,
                                    .version = HEAPSNAP_REGISTRY_VERSION,
                                    .header_size = sizeof(*h),
                                    .rate = 524288,
                                    .live_entry_size = sizeof(struct heapsnap_live),
                                    .stack_entry_size = sizeof(struct heapsnap_stack_entry),
                                    .counts_addr = BASE + 0x1000,
                                    .counts_slots = SLOTS,
                                    .counts_slot_size = sizeof(struct heapsnap_counts),
                                    .counts_nclasses = HEAPSNAP_NCLASSES};
    c[0].count[3] = 5;
    c[1].count[3] = (uint64_t)-2;
    c[2].count[76] = 2;
    c[2].bytes[76] = 4000;
    c[0].count[76] = (uint64_t)-1;
    c[0].bytes[76] = (uint64_t)-1500;
    hs_err err = {{0}};
    registry r;
    memset(&r, 0, sizeof(r));
    r.addr = BASE;
    r.hdr = *h;
    memsrc *src = memsrc_open_buffer(BASE, buf, sizeof(buf), &err);
    assert_non_null(src);
    r.src = src;
    assert_int_equal(registry_copy(&r, &err), 0);
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_true(r.have_counts);
    assert_int_equal(r.class_count[3], 3);
    assert_int_equal(r.class_bytes[3], 3 * 48);
    assert_int_equal(r.class_count[76], 1);
    assert_int_equal(r.class_bytes[76], 2500);
    assert_int_equal(r.class_count[4], 0);

    h->version = 1; /* the same words were reserved (zero) in version 1 */
    assert_int_equal(registry_copy(&r, &err), 0);
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_false(r.have_counts);
    assert_int_equal(r.class_count[3], 0);

    h->version = 2;
    h->counts_nclasses = 192;
    assert_int_equal(registry_copy(&r, &err), -1);
    assert_string_equal(err.msg, "the heapsnap registry in process 0 has impossible table sizes; "
                                 "the hook's memory was overwritten, restart the program.");
    h->counts_nclasses = HEAPSNAP_NCLASSES;
    h->counts_addr = UINT64_MAX - 3 * sizeof(struct heapsnap_counts) + 1; /* wraps */
    assert_int_equal(registry_copy(&r, &err), -1);
    h->counts_addr = BASE + 0x1000;
    h->rate = ((uint64_t)1 << 40) + 1;
    assert_int_equal(registry_copy(&r, &err), -1);
    registry_free(&r);
    memsrc_close(src);
}

static void test_registry_touched_spans(void **state)
{
    (void)state;
    memsrc_range out[8];
    /* 1000 entries of 24 bytes at 0x100010: pages 0x100000-0x105fff. */
    const unsigned char t1[] = {1, 0, 1, 1, 0, 1};
    assert_int_equal(registry_touched_spans(0x100010, 1000, 24, t1, out), 3);
    /* page 0: entries [0, 170) end exactly at 0x101000 */
    assert_int_equal(out[0].start, 0x100010);
    assert_int_equal(out[0].end, 0x101000);
    /* pages 2-3: entry 340 (0x101ff0) straddles into page 2; [340, 682) */
    assert_int_equal(out[1].start, 0x101ff0);
    assert_int_equal(out[1].end, 0x104000);
    /* page 5: [852, 1000), the end of the table at 0x105dd0 */
    assert_int_equal(out[2].start, 0x104ff0);
    assert_int_equal(out[2].end, 0x105dd0);
    /* 4 entries of 3000 bytes at 0x100000, pages 0 and 2 touched: page 0
     * needs entries 0-1, page 2 entries 2-3; the spans touch and merge. */
    const unsigned char t2[] = {1, 0, 1};
    assert_int_equal(registry_touched_spans(0x100000, 4, 3000, t2, out), 1);
    assert_int_equal(out[0].start, 0x100000);
    assert_int_equal(out[0].end, 0x100000 + 12000);
    /* Nothing touched; no pagemap (everything). */
    const unsigned char t3[] = {0, 0, 0};
    assert_int_equal(registry_touched_spans(0x100000, 4, 3000, t3, out), 0);
    assert_int_equal(registry_touched_spans(0x100000, 4, 3000, NULL, out), 1);
    assert_int_equal(out[0].end, 0x100000 + 12000);
}

/* This process as the target: only the tables' touched pages are copied,
 * in one read for all of them (plus one for the header). A version-3 header:
 * stack entries without stripes. */
static void test_registry_self_pagemap(void **state)
{
    (void)state;
    size_t live_len = 64 * 4096, stack_len = 8 * sizeof(struct heapsnap_stack);
    uint8_t *mem = mmap(NULL, live_len + 2 * 4096, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(mem != MAP_FAILED);
    struct heapsnap_live *live = (struct heapsnap_live *)mem;
    struct heapsnap_stack *stacks = (struct heapsnap_stack *)(mem + live_len);
    static struct heapsnap_registry h __attribute__((aligned(256))); /* one page: one read */
    memset(&h, 0, sizeof(h));
    h.magic = HEAPSNAP_REGISTRY_MAGIC;
    h.version = 3;
    h.header_size = sizeof(h);
    h.rate = 1;
    h.live_addr = (uint64_t)(uintptr_t)live;
    h.live_capacity = live_len / sizeof(*live); /* 10922 */
    h.live_entry_size = sizeof(*live);
    h.stacks_addr = (uint64_t)(uintptr_t)stacks;
    h.stacks_capacity = stack_len / sizeof(*stacks);
    h.stack_entry_size = sizeof(*stacks);
    live[0] = (struct heapsnap_live){HEAPSNAP_LIVE_USED, 1, 0x7000, 16};
    live[5000] = (struct heapsnap_live){HEAPSNAP_LIVE_USED, 1, 0x8000, 32}; /* page 29 */
    live[5001] = (struct heapsnap_live){HEAPSNAP_LIVE_BUSY, 1, 0x8100, 32};
    stacks[1] =
        (struct heapsnap_stack){.state = HEAPSNAP_STACK_READY, .nframes = 1, .alloc_objects = 4};
    stacks[2].alloc_objects = 9; /* where a version-4 entry's stripes would be */

    registry r;
    memset(&r, 0, sizeof(r));
    r.pid = getpid();
    r.addr = (uint64_t)(uintptr_t)&h;
    r.hdr = h;
    hs_err err = {{0}};
    assert_int_equal(registry_reserve(&r, &err), 0);
    assert_int_equal(registry_copy(&r, &err), 0);
    /* live: page 0 -> entries [0, 171), page 29 -> [4949, 5120); stacks:
     * page 0 -> all 8 entries. */
    assert_int_equal(r.nspans, 3);
    assert_int_equal(r.nspans_live, 2);
    assert_int_equal(r.spans[1].start, h.live_addr + 4949 * sizeof(*live));
    assert_int_equal(r.spans[1].end, h.live_addr + 5120 * sizeof(*live));
    assert_int_equal(memsrc_syscalls(r.src), 2);
    live[0].state = HEAPSNAP_LIVE_DELETED; /* after the copy: not seen */
    assert_int_equal(registry_parse(&r, &err), 0);
    assert_int_equal(r.nlive, 2);
    assert_int_equal(r.live[0].addr, 0x7000);
    assert_int_equal(r.live[1].addr, 0x8000);
    assert_int_equal(r.torn_live, 1);
    assert_int_equal(r.nstacks, 1);
    assert_int_equal(r.stack_ids[0], 1);
    assert_int_equal(registry_stack(&r, 1)->alloc_objects, 4);
    assert_int_equal(r.torn_stacks, 0);
    registry_free(&r);
    munmap(mem, live_len + 2 * 4096);
}

/* The held_by label of sample s, or NULL. */
static const char *held_by_of(const pprof_profile *p, const pprof_pb_sample *s)
{
    for (size_t i = 0; i < s->n_label; i++)
        if (strcmp(pprof_str(p, s->label[i]->key), "held_by") == 0)
            return pprof_str(p, s->label[i]->str);
    return NULL;
}

/* attr_build_labelled: a stack's sample split by its chunks' held_by (two
 * 48-byte chunks, one lost, one in a global: in use one each, the
 * allocated totals shared out whole), the [unattributed] ones too (two
 * 64-byte chunks lost, one 2000-byte in the global), and a chunk without a
 * label left unlabelled. */
static void test_labelled(void **state)
{
    (void)state;
    attr_chunk chunks[] = {
        {0x10000, 48, false, 1, false},   {0x10030, 48, false, 2, false},
        {0x10450, 64, false, 1, false},   {0x10490, 64, false, 1, false},
        {0x104d0, 2000, false, 2, false}, {0x10ca0, 1008, false, 0, false},
    };
    registry r;
    memset(&r, 0, sizeof(r));
    r.hdr.rate = 1;
    uint64_t f3[] = {0x401000};
    add_stack(&r, 3, 5, 200, f3, 1);
    add_live(&r, 3, 0x10010, 40);
    add_live(&r, 3, 0x10040, 40);
    const char *const labels[] = {NULL, "lost", "global g_sessions"};
    pprof_builder *b = heapprof_new(1, 1);
    attr_totals t;
    hs_err err = {{0}};
    assert_int_equal(attr_build_labelled(b, chunks, 6, &r, labels, 3, fake_loc, NULL, &t, &err), 0);
    pprof_profile *p = roundtrip(b);
    assert_int_equal(sum_of(p, 3), 48 + 48 + 64 + 64 + 2000 + 1008);
    int64_t alloc_objects = 0;
    int site = 0, lost64 = 0, global2000 = 0, none1008 = 0;
    for (size_t i = 0; i < p->pb->n_sample; i++) {
        const pprof_pb_sample *x = p->pb->sample[i];
        const char *h = held_by_of(p, x);
        const pprof_pb_location *l = pprof_location(p, x->location_id[0]);
        const char *leaf = pprof_str(p, pprof_function(p, l->line[0]->function_id)->name);
        if (strcmp(leaf, "fn_401000") == 0) {
            assert_non_null(h);
            assert_true(strcmp(h, "lost") == 0 || strcmp(h, "global g_sessions") == 0);
            assert_int_equal(x->value[2], 1);
            assert_int_equal(x->value[3], 48);
            assert_int_equal(x->value[1], 120); /* 240 allocated bytes, half each */
            alloc_objects += x->value[0];
            site++;
        } else if (strcmp(leaf, "[unattributed 64-byte chunks]") == 0) {
            assert_string_equal(h, "lost");
            assert_int_equal(x->value[2], 2);
            lost64++;
        } else if (strcmp(leaf, "[unattributed 1-2 KiB chunks]") == 0 && x->value[3] == 2000) {
            assert_string_equal(h, "global g_sessions");
            global2000++;
        } else if (x->value[3] == 1008) {
            assert_null(h);
            none1008++;
        }
    }
    assert_int_equal(site, 2);
    assert_int_equal(alloc_objects, 5);
    assert_int_equal(lost64, 1);
    assert_int_equal(global2000, 1);
    assert_int_equal(none1008, 1);
    pprof_profile_free(p);
    pprof_builder_free(b);
    registry_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate1_exact),           cmocka_unit_test(test_no_hook_census),
        cmocka_unit_test(test_memalign_mmapped),      cmocka_unit_test(test_sampled_estimate),
        cmocka_unit_test(test_class_names),           cmocka_unit_test(test_registry_copy_parse),
        cmocka_unit_test(test_registry_recheck),      cmocka_unit_test(test_registry_touched_spans),
        cmocka_unit_test(test_registry_self_pagemap), cmocka_unit_test(test_calibrated_split),
        cmocka_unit_test(test_unseen_split),          cmocka_unit_test(test_registry_unseen),
        cmocka_unit_test(test_calibrated_rounding),   cmocka_unit_test(test_hostile_counters),
        cmocka_unit_test(test_registry_counts),       cmocka_unit_test(test_labelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
