/* tests/unit/test_live_profile.c: snapshot/live_profile.c (the profile of a
 * process whose malloc is not glibc's, from the hook's live table) and
 * snapshot/allocator.c (which object's malloc a process uses, and the walk's
 * test). Every expected value is worked out in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allocator.h"
#include "heapprof.h"
#include "live_profile.h"

static uint64_t fake_loc(void *arg, pprof_builder *b, uint64_t pc)
{
    (void)arg;
    char name[32];
    snprintf(name, sizeof(name), "fn_%llx", (unsigned long long)pc);
    return pprof_add_pseudo_location(b, name);
}

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

static void add_stack(registry *r, uint32_t id, uint64_t ao, uint64_t ab, uint64_t frame)
{
    size_t k = r->nstacks++;
    r->stacks = realloc(r->stacks, r->nstacks * sizeof(*r->stacks));
    r->stack_ids = realloc(r->stack_ids, r->nstacks * sizeof(*r->stack_ids));
    memset(&r->stacks[k], 0, sizeof(r->stacks[k]));
    r->stacks[k].state = HEAPSNAP_STACK_READY;
    r->stacks[k].nframes = 1;
    r->stacks[k].alloc_objects = ao;
    r->stacks[k].alloc_bytes = ab;
    r->stacks[k].frames[0] = frame;
    r->stack_ids[k] = id;
}

static void add_live(registry *r, uint32_t stack, uint64_t addr, uint64_t size)
{
    r->live = realloc(r->live, (r->nlive + 1) * sizeof(*r->live));
    memset(&r->live[r->nlive], 0, sizeof(r->live[0]));
    r->live[r->nlive].state = HEAPSNAP_LIVE_USED;
    r->live[r->nlive].stack_id = stack;
    r->live[r->nlive].addr = addr;
    r->live[r->nlive].size = size;
    r->nlive++;
}

static void free_reg(registry *r)
{
    free(r->stacks);
    free(r->stack_ids);
    free(r->live);
}

/* Stack 1 (fn_a): live 2 x 1000 and 1 x 3000 bytes (and the 1000-byte block
 * at 0x1000 listed twice); 5 allocations of 7000 bytes in all. Stack 2 (fn_b):
 * 4 allocations of 400 bytes, none live. Stack 3: nothing. One entry names a
 * stack that is not in the table. */
static void build_registry(registry *r, uint64_t rate)
{
    memset(r, 0, sizeof(*r));
    r->hdr.rate = rate;
    add_stack(r, 1, 5, 7000, 0xa);
    add_stack(r, 2, 4, 1600, 0xb);
    add_stack(r, 3, 0, 0, 0xc);
    add_live(r, 1, 0x1000, 1000);
    add_live(r, 1, 0x2000, 1000);
    add_live(r, 1, 0x3000, 3000);
    add_live(r, 1, 0x1000, 1000);
    add_live(r, 99, 0x4000, 64);
}

static void test_rate1_exact(void **state)
{
    (void)state;
    registry r;
    build_registry(&r, 1);
    pprof_builder *b = heapprof_new(1, 0);
    liveprof_totals t;
    hs_err err = {{0}};
    assert_int_equal(liveprof_build(b, &r, fake_loc, NULL, &t, &err), 0);
    assert_int_equal(t.entries, 3);
    assert_int_equal(t.bytes, 5000);
    assert_int_equal(t.estimated_objects, 3);
    assert_int_equal(t.estimated_bytes, 5000);
    assert_int_equal(t.duplicate_entries, 1);
    assert_int_equal(t.unknown_stack, 1);
    assert_int_equal(t.samples, 2); /* stack 3 allocated nothing */
    pprof_profile *p = roundtrip(b);
    const pprof_pb_sample *a = find_sample(p, "fn_a");
    assert_non_null(a);
    assert_int_equal(a->value[0], 5); /* alloc_objects */
    assert_int_equal(a->value[1], 7000);
    assert_int_equal(a->value[2], 3); /* inuse_objects */
    assert_int_equal(a->value[3], 5000);
    const pprof_pb_sample *s2 = find_sample(p, "fn_b");
    assert_non_null(s2);
    assert_int_equal(s2->value[0], 4);
    assert_int_equal(s2->value[1], 1600);
    assert_int_equal(s2->value[2], 0);
    assert_int_equal(s2->value[3], 0);
    assert_null(find_sample(p, "fn_c"));
    pprof_profile_free(p);
    pprof_builder_free(b);
    free_reg(&r);
}

/* Rate 1000, scaled per size as Go scales, truncated:
 *   2 x 1000: 1/(1-e^-1) = 1.58198 -> 3 objects, 3163 bytes
 *   1 x 3000: 1/(1-e^-3) = 1.05240 -> 1 object,  3157 bytes
 * in use 4 objects, 6320 bytes; allocated 5 x 1400 on average:
 *   1/(1-e^-1.4) = 1.32731 -> 6 objects, 9291 bytes.
 * Stack 2: 4 x 400: 1/(1-e^-0.4) = 3.03331 -> 12 objects, 4853 bytes. */
static void test_scaled(void **state)
{
    (void)state;
    registry r;
    build_registry(&r, 1000);
    pprof_builder *b = heapprof_new(1000, 0);
    liveprof_totals t;
    hs_err err = {{0}};
    assert_int_equal(liveprof_build(b, &r, fake_loc, NULL, &t, &err), 0);
    assert_int_equal(t.estimated_objects, 4);
    assert_int_equal(t.estimated_bytes, 6320);
    pprof_profile *p = roundtrip(b);
    const pprof_pb_sample *a = find_sample(p, "fn_a");
    assert_non_null(a);
    assert_int_equal(a->value[0], 6);
    assert_int_equal(a->value[1], 9291);
    assert_int_equal(a->value[2], 4);
    assert_int_equal(a->value[3], 6320);
    const pprof_pb_sample *s2 = find_sample(p, "fn_b");
    assert_non_null(s2);
    assert_int_equal(s2->value[0], 12);
    assert_int_equal(s2->value[1], 4853);
    assert_int_equal(s2->value[3], 0);
    pprof_profile_free(p);
    pprof_builder_free(b);
    free_reg(&r);
}

/* More stale than found and than threads: another heap. Each thread can be
 * stopped once between glibc's free and the hook's bookkeeping. */
static void test_walk_rule(void **state)
{
    (void)state;
    assert_true(alloc_walk_says_foreign(0, 5, 4));
    assert_false(alloc_walk_says_foreign(0, 4, 4)); /* every thread mid-free */
    assert_false(alloc_walk_says_foreign(10, 10, 1));
    assert_true(alloc_walk_says_foreign(10, 11, 1));
    assert_false(alloc_walk_says_foreign(1000, 3, 1));
    assert_false(alloc_walk_says_foreign(0, 0, 1)); /* nothing recorded yet */
}

/* Debian's libc and libjemalloc (libjemalloc-dev, which configure requires). */
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define JEM "/lib/x86_64-linux-gnu/libjemalloc.so.2"

static bool find_in(const char *maps_text, char *name, size_t len)
{
    hs_err err = {{0}};
    procmaps *m = procmaps_parse(maps_text, strlen(maps_text), 0, &err);
    assert_non_null(m);
    bool found = alloc_find_foreign(m, name, len);
    procmaps_free(m);
    return found;
}

static void test_find_foreign(void **state)
{
    (void)state;
    char name[64] = "";
    assert_true(find_in("7f0000000000-7f0000100000 r-xp 00028000 08:01 11 " LIBC "\n"
                        "7f1000000000-7f1000100000 r-xp 0000a000 08:01 12 " JEM "\n",
                        name, sizeof(name)));
    assert_string_equal(name, "libjemalloc.so.2");
    /* glibc alone; a device and an anonymous mapping are never opened. */
    assert_false(find_in("7f0000000000-7f0000100000 r-xp 00028000 08:01 11 " LIBC "\n"
                         "7f2000000000-7f2000001000 r-xs 00000000 00:05 9 /dev/zero\n"
                         "7f3000000000-7f3000001000 r-xp 00000000 00:00 0 \n",
                         name, sizeof(name)));
    /* Only code counts: jemalloc mapped without execute permission is data. */
    assert_false(
        find_in("7f1000000000-7f1000100000 r--p 00000000 08:01 12 " JEM "\n", name, sizeof(name)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate1_exact),
        cmocka_unit_test(test_scaled),
        cmocka_unit_test(test_walk_rule),
        cmocka_unit_test(test_find_foreign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
