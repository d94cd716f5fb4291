/* tests/unit/test_attribute.c: snapshot/attribute.c -- the walk is the truth,
 * the hook's live table names the stacks, the rest goes under size classes.
 * Every expected value is worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        {0x10490, 64, false},    /* F: unattributed */
        {0x10000, 48, false},    /* A: stack 3 */
        {0x10030, 48, false},    /* B: stack 3 */
        {0x10060, 1008, false},  /* C: stack 7 */
        {0x20000, 135168, true}, /* D: stack 7, mmapped */
        {0x10450, 64, false},    /* E: live entry with an unknown stack -> unattributed */
        {0x104d0, 2000, false},  /* G: unattributed */
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
    attr_chunk chunks[] = {{0x7000000, 0x5a000, true}, {0x8000000, 0x21000, true}};
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
    attr_chunk chunks[] = {
        {0x1000, 32, false}, {0x1020, 32, false}, {0x1040, 656, false}, {0x40000, 4096 * 40, true}};
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
        chunks[i] = (attr_chunk){0x1000 + 48 * (uint64_t)i, 48, false};
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate1_exact),      cmocka_unit_test(test_no_hook_census),
        cmocka_unit_test(test_memalign_mmapped), cmocka_unit_test(test_sampled_estimate),
        cmocka_unit_test(test_class_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
