/* tests/unit/test_glibc_heap.c: the walker on the synthetic heap of
 * synth_heap.c (exact chunk counts per class and mallinfo2), and on corrupt
 * copies of it, each pinned to its diagnostic; every walk is repeated over
 * region copies of the heaps (released early), which must not change it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "synth_heap.h"

static synth_heap *new_heap(void)
{
    synth_heap *s = malloc(sizeof(*s));
    assert_non_null(s);
    synth_build(s);
    return s;
}

/* Counts the chunk callbacks. */
static int count_chunk(const gheap_chunk *c, void *arg)
{
    (void)c;
    (*(size_t *)arg)++;
    return 0;
}

static void assert_same_report(const gheap_report *a, const gheap_report *b)
{
    assert_memory_equal(&a->total, &b->total, sizeof(a->total));
    assert_int_equal(a->narenas, b->narenas);
    for (size_t i = 0; i < a->narenas; i++)
        assert_memory_equal(&a->arenas[i], &b->arenas[i], sizeof(a->arenas[i]));
    assert_memory_equal(a->chunks, b->chunks, sizeof(a->chunks));
    assert_memory_equal(a->bytes, b->bytes, sizeof(a->bytes));
    assert_int_equal(a->inuse_bytes, b->inuse_bytes);
    assert_int_equal(a->ndiags, b->ndiags);
    for (size_t i = 0; i < a->ndiags; i++)
        assert_string_equal(a->diags[i], b->diags[i]);
}

/* Walks s over len bytes of its image; then again in two stages over copies
 * of the heaps, as a stopped process would be, which must give the same
 * report. */
static void walk(synth_heap *s, size_t len, gheap_report *rep)
{
    hs_err err = {{0}};
    memsrc *m = memsrc_open_buffer(SH_BASE, s->mem, len, &err);
    assert_non_null(m);
    int rc = gheap_walk(m, &s->target, NULL, NULL, rep, &err);
    if (rc)
        fail_msg("walk failed: %s", err.msg);
    memsrc_set_copy_limit(m, SH_SIZE);
    gheap_capture *cap;
    if (gheap_capture_take(m, &s->target, &cap, &err))
        fail_msg("capture failed: %s", err.msg);
    size_t chunks = 0;
    gheap_report copied;
    if (gheap_classify(cap, count_chunk, &chunks, &copied, &err))
        fail_msg("classifying the capture failed: %s", err.msg);
    gheap_capture_free(cap);
    assert_same_report(rep, &copied);
    gheap_report_free(&copied);
    memsrc_close(m);
}

static void assert_diag(const gheap_report *rep, const char *want)
{
    for (size_t i = 0; i < rep->ndiags; i++)
        if (strcmp(rep->diags[i], want) == 0)
            return;
    for (size_t i = 0; i < rep->ndiags; i++)
        print_message("diag: %s\n", rep->diags[i]);
    fail_msg("missing diagnostic: %s", want);
}

static void test_clean_heap_classes(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    for (size_t i = 0; i < rep.ndiags; i++)
        print_message("diag: %s\n", rep.diags[i]);
    assert_int_equal(rep.ndiags, 0);
    assert_int_equal(rep.narenas, 2);
    const gheap_arena_report *a = &rep.arenas[0], *b = &rep.arenas[1];
    assert_true(a->is_main);
    assert_int_equal(a->addr, SH_BASE);
    assert_int_equal(b->addr, SH_ARENA2);
    assert_int_equal(a->chunks[GHEAP_INUSE], 8);
    assert_int_equal(a->bytes[GHEAP_INUSE], 928);
    assert_int_equal(a->chunks[GHEAP_TCACHE], 1);
    assert_int_equal(a->bytes[GHEAP_TCACHE], 48);
    assert_int_equal(a->chunks[GHEAP_FASTBIN], 2);
    assert_int_equal(a->bytes[GHEAP_FASTBIN], 64);
    assert_int_equal(a->chunks[GHEAP_UNSORTED], 1);
    assert_int_equal(a->bytes[GHEAP_UNSORTED], 256);
    assert_int_equal(a->chunks[GHEAP_SMALLBIN], 1);
    assert_int_equal(a->bytes[GHEAP_SMALLBIN], 128);
    assert_int_equal(a->chunks[GHEAP_LARGEBIN], 1);
    assert_int_equal(a->bytes[GHEAP_LARGEBIN], 1280);
    assert_int_equal(a->chunks[GHEAP_TOP], 1);
    assert_int_equal(a->bytes[GHEAP_TOP], 9584);
    assert_int_equal(a->overhead_bytes, 0);
    assert_int_equal(b->chunks[GHEAP_INUSE], 5);
    assert_int_equal(b->bytes[GHEAP_INUSE], 816);
    assert_int_equal(b->chunks[GHEAP_TCACHE], 1);
    assert_int_equal(b->chunks[GHEAP_FASTBIN], 1);
    assert_int_equal(b->chunks[GHEAP_UNSORTED], 1);
    assert_int_equal(b->chunks[GHEAP_SMALLBIN], 0);
    assert_int_equal(b->bytes[GHEAP_TOP], 12672);
    assert_int_equal(b->overhead_bytes, 2256);
    assert_int_equal(b->nheaps, 1);
    assert_int_equal(rep.chunks[GHEAP_MMAPPED], 1);
    assert_int_equal(rep.bytes[GHEAP_MMAPPED], 0x2000);
    assert_int_equal(rep.inuse_bytes, 928 + 816 + 0x2000);
    assert_string_equal(rep.layout_source, "synthetic layout");
    gheap_report_free(&rep);
    free(s);
}

static void test_clean_heap_mallinfo(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    const gheap_mallinfo *mi = &rep.total;
    assert_int_equal(mi->arena, 28672);
    assert_int_equal(mi->ordblks, 6);
    assert_int_equal(mi->smblks, 3);
    assert_int_equal(mi->hblks, 1);
    assert_int_equal(mi->hblkhd, 8192);
    assert_int_equal(mi->usmblks, 0);
    assert_int_equal(mi->fsmblks, 128);
    assert_int_equal(mi->uordblks, 4112);
    assert_int_equal(mi->fordblks, 24560);
    assert_int_equal(mi->keepcost, 9584);
    gheap_report_free(&rep);
    free(s);
}

typedef struct cb_count {
    unsigned n[GHEAP_NCLASSES];
    unsigned calls, stop_after;
    uint64_t last_addr;
} cb_count;

static int count_cb(const gheap_chunk *c, void *arg)
{
    cb_count *k = arg;
    k->n[c->cls]++;
    k->calls++;
    k->last_addr = c->addr;
    return k->stop_after && k->calls >= k->stop_after;
}

static void test_callback_sees_every_chunk(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    hs_err err;
    memsrc *m = memsrc_open_buffer(SH_BASE, s->mem, SH_SIZE, &err);
    cb_count k;
    memset(&k, 0, sizeof(k));
    gheap_report rep;
    assert_int_equal(gheap_walk(m, &s->target, count_cb, &k, &rep, &err), 0);
    assert_int_equal(k.n[GHEAP_INUSE], 13);
    assert_int_equal(k.n[GHEAP_TCACHE], 2);
    assert_int_equal(k.n[GHEAP_FASTBIN], 3);
    assert_int_equal(k.n[GHEAP_UNSORTED], 2);
    assert_int_equal(k.n[GHEAP_SMALLBIN], 1);
    assert_int_equal(k.n[GHEAP_LARGEBIN], 1);
    assert_int_equal(k.n[GHEAP_TOP], 2);
    assert_int_equal(k.n[GHEAP_MMAPPED], 1);
    assert_int_equal(k.last_addr, SH_MMAP);
    gheap_report_free(&rep);
    /* a non-zero return stops the callbacks, not the census */
    cb_count j;
    memset(&j, 0, sizeof(j));
    j.stop_after = 3;
    assert_int_equal(gheap_walk(m, &s->target, count_cb, &j, &rep, &err), 0);
    assert_int_equal(j.calls, 3);
    assert_int_equal(rep.total.ordblks, 6);
    gheap_report_free(&rep);
    memsrc_close(m);
    free(s);
}

/* The capture copies the heaps; the classification reads only the copies,
 * so a target that changes after the capture (a resumed process) does not
 * reach it. Without a copy limit, or with one too small, the capture is not
 * complete: the target must stay stopped through the classification. */
static void test_capture_then_classify(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    hs_err err;
    memsrc *m = memsrc_open_buffer(SH_BASE, s->mem, SH_SIZE, &err);
    gheap_capture *cap;
    gheap_report rep;
    size_t chunks = 0;
    /* no copy limit: nothing copied */
    assert_int_equal(gheap_capture_take(m, &s->target, &cap, &err), 0);
    assert_false(gheap_capture_complete(cap));
    assert_int_equal(gheap_classify(cap, count_chunk, &chunks, &rep, &err), 0);
    assert_int_equal(chunks, 25);
    gheap_capture_free(cap);
    gheap_report_free(&rep);
    /* the heaps copied: the bytes changed after the capture do not reach
     * the classification */
    memsrc_set_copy_limit(m, SH_SIZE);
    assert_int_equal(gheap_capture_take(m, &s->target, &cap, &err), 0);
    assert_true(gheap_capture_complete(cap));
    memset(s->mem + (SH_MAIN_HEAP - SH_BASE), 0xff, SH_MMAP - SH_MAIN_HEAP);
    chunks = 0;
    assert_int_equal(gheap_classify(cap, count_chunk, &chunks, &rep, &err), 0);
    gheap_capture_free(cap);
    assert_int_equal(chunks, 25);
    assert_int_equal(rep.ndiags, 0);
    assert_int_equal(rep.chunks[GHEAP_INUSE], 13);
    gheap_report_free(&rep);
    synth_build(s);
    synth_target(s);
    /* too small a limit for the main heap: nothing copied */
    memsrc_set_copy_limit(m, 0x1000);
    assert_int_equal(gheap_capture_take(m, &s->target, &cap, &err), 0);
    assert_false(gheap_capture_complete(cap));
    chunks = 0;
    assert_int_equal(gheap_classify(cap, count_chunk, &chunks, &rep, &err), 0);
    assert_int_equal(chunks, 25);
    gheap_capture_free(cap);
    gheap_report_free(&rep);
    memsrc_close(m);
    free(s);
}

static void test_heap_of_another_arena(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    synth_put64(s, SH_HEAP2 + s->lay.hi_ar_ptr, 0xdead000);
    gheap_report rep;
    walk(s, SH_SIZE, &rep); /* also over copies: the heap chain stopped early */
    char want[256];
    snprintf(want, sizeof(want), "arena 1 (0x%llx): heap 0x%llx belongs to arena 0xdead000",
             (unsigned long long)SH_ARENA2, (unsigned long long)SH_HEAP2);
    assert_diag(&rep, want);
    assert_int_equal(rep.arenas[1].chunks[GHEAP_INUSE], 0);
    gheap_report_free(&rep);
    free(s);
}

static void test_bad_size(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    synth_put64(s, s->inuse_main + 8, 0x18 | 1);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want), "arena 0 (0x%llx): chunk at 0x%llx has a bad size 0x19",
             (unsigned long long)SH_BASE, (unsigned long long)s->inuse_main);
    assert_diag(&rep, want);
    assert_string_equal(rep.arenas[0].diag, want + strlen("arena 0 (0x10000000): "));
    assert_string_equal(rep.arenas[1].diag, "");
    /* the other arena is still walked in full */
    assert_int_equal(rep.arenas[1].chunks[GHEAP_INUSE], 5);
    /* and the totals still follow glibc's formula over the lists */
    assert_int_equal(rep.total.fordblks, 24560);
    gheap_report_free(&rep);
    free(s);
}

static void test_size_past_end(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    synth_put64(s, s->inuse_main + 8, 0x100000 | 1);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want),
             "arena 0 (0x%llx): chunk at 0x%llx of size 0x100000 runs past the heap end 0x%llx",
             (unsigned long long)SH_BASE, (unsigned long long)s->inuse_main,
             (unsigned long long)(SH_MAIN_HEAP + 0x3000));
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    free(s);
}

static void test_fastbin_cycle(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    uint64_t p = s->fast_arena2;
    synth_put64(s, p + 16, ((p + 16) >> 12) ^ p); /* fd -> itself */
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want), "arena 1 (0x%llx): fastbin 2 has a cycle through chunk 0x%llx",
             (unsigned long long)SH_ARENA2, (unsigned long long)p);
    assert_diag(&rep, want);
    /* the broken list is dropped: its chunk counts as in use */
    assert_int_equal(rep.arenas[1].chunks[GHEAP_FASTBIN], 0);
    assert_int_equal(rep.arenas[1].chunks[GHEAP_INUSE], 6);
    gheap_report_free(&rep);
    free(s);
}

static void test_bin_cycle(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    /* bin entry whose bk leads back to itself, with fd agreeing */
    uint64_t p = s->small_main;
    synth_put64(s, p + 24, p);
    synth_put64(s, p + 16, p);
    uint64_t off = s->lay.ms_bins + (gheap_bin_index(0x80) - 1) * 16;
    synth_put64(s, SH_BASE + off + 8, p);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want),
             "arena 0 (0x%llx): bin 8 entry 0x%llx: fd 0x%llx does not point "
             "back to 0x%llx",
             (unsigned long long)SH_BASE, (unsigned long long)p, (unsigned long long)p,
             (unsigned long long)(SH_BASE + off - 16));
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    free(s);
}

static void test_pointer_out_of_range(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    uint64_t off = s->lay.ms_bins + (gheap_bin_index(0x500) - 1) * 16;
    synth_put64(s, SH_BASE + off + 8, 0xdead0000);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want),
             "arena 0 (0x%llx): bin 68 entry 0xdead0000 is out of range (unreadable)",
             (unsigned long long)SH_BASE);
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    free(s);
}

static void test_tcache_pointer_out_of_range(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    uint64_t tc = s->tcaches[1];
    synth_put64(s, tc + s->lay.tc_entries + 8 * 2, 0x7777000);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want), "tcache 0x%llx bin 2 entry 0x7777000 is out of range (unreadable)",
             (unsigned long long)tc);
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    free(s);
}

static void test_truncated_read(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    gheap_report rep;
    /* the image ends in the middle of the main heap, before its top */
    size_t len = (size_t)(s->large_main - SH_BASE) + 8;
    hs_err err = {{0}};
    memsrc *m = memsrc_open_buffer(SH_BASE, s->mem, len, &err);
    assert_int_equal(gheap_walk(m, &s->target, NULL, NULL, &rep, &err), 0);
    char want[256];
    snprintf(want, sizeof(want),
             "arena 0 (0x%llx): bin 68 entry 0x%llx is out of range (unreadable)",
             (unsigned long long)SH_BASE, (unsigned long long)s->large_main);
    assert_diag(&rep, want);
    snprintf(want, sizeof(want),
             "arena 0 (0x%llx): cannot read the chunk header at 0x%llx (truncated heap)",
             (unsigned long long)SH_BASE, (unsigned long long)s->large_main);
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    memsrc_close(m);
    /* not even main_arena: an error, not a report */
    m = memsrc_open_buffer(SH_BASE, s->mem, 0x100, &err);
    assert_int_equal(gheap_walk(m, &s->target, NULL, NULL, &rep, &err), -1);
    assert_non_null(strstr(err.msg, "cannot read"));
    memsrc_close(m);
    free(s);
}

static void test_free_chunk_on_no_list(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    /* clear PREV_INUSE after an in-use chunk: it looks free but no list has it */
    uint64_t next = s->inuse_main + 0x20;
    synth_put64(s, next + 8, synth_get64(s, next + 8) & ~1ull);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want),
             "arena 0 (0x%llx): chunk 0x%llx is free (PREV_INUSE clear at 0x%llx) but on no list",
             (unsigned long long)SH_BASE, (unsigned long long)s->inuse_main,
             (unsigned long long)next);
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    free(s);
}

static void test_chunk_on_two_lists(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    /* the main tcache's chunk also put at the head of fastbin 1 (size 0x30) */
    uint64_t p = s->tcache_main;
    synth_put64(s, SH_BASE + s->lay.ms_fastbins + 8, p);
    synth_put64(s, p + 16, ((p + 16) >> 12) ^ 0);
    uint64_t key = SH_TCACHE_KEY; /* keep the tcache entry valid: key at +8 of the user ptr */
    synth_put64(s, p + 24, key);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want),
             "arena 0 (0x%llx): chunk 0x%llx is on two free lists (tcache "
             "and fastbin)",
             (unsigned long long)SH_BASE, (unsigned long long)p);
    (void)want;
    snprintf(want, sizeof(want), "arena 0 (0x%llx): chunk 0x%llx is on two free lists (%s and %s)",
             (unsigned long long)SH_BASE, (unsigned long long)p, "tcache", "fastbin");
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    free(s);
}

static void test_tcache_count_mismatch(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    uint64_t tc = s->tcaches[0];
    uint16_t three = 3;
    memcpy(s->mem + (tc + s->lay.tc_counts + 2 - SH_BASE), &three, 2);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    char want[256];
    snprintf(want, sizeof(want), "tcache 0x%llx bin 1 lists 1 entries but counts 3",
             (unsigned long long)tc);
    assert_diag(&rep, want);
    gheap_report_free(&rep);
    free(s);
}

static void test_arena_ring_out_of_range(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    synth_put64(s, SH_ARENA2 + s->lay.ms_next, 0x4000000);
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    assert_diag(&rep, "arena 0x4000000 (next of arena 1) is out of range (unreadable)");
    assert_int_equal(rep.narenas, 2);
    gheap_report_free(&rep);
    free(s);
}

static void test_mmapped_mismatch(void **state)
{
    (void)state;
    synth_heap *s = new_heap();
    synth_put64(s, SH_MMAP + 8, 0x1000 | 2); /* header says one page, mp_ says two */
    gheap_report rep;
    walk(s, SH_SIZE, &rep);
    assert_diag(&rep, "found 1 mmapped chunks of 0x1000 bytes, but mp_ counts 1 of 0x2000 bytes");
    gheap_report_free(&rep);
    free(s);
}

static void test_bin_index(void **state)
{
    (void)state;
    assert_int_equal(gheap_bin_index(32), 2);
    assert_int_equal(gheap_bin_index(1008), 63);
    assert_int_equal(gheap_bin_index(1024), 64);
    assert_int_equal(gheap_bin_index(0x500), 68);
    assert_int_equal(gheap_bin_index(3072), 96);
    assert_int_equal(gheap_bin_index(1u << 20), 126);
    assert_string_equal(gheap_class_name(GHEAP_LARGEBIN), "largebin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_heap_classes),
        cmocka_unit_test(test_clean_heap_mallinfo),
        cmocka_unit_test(test_callback_sees_every_chunk),
        cmocka_unit_test(test_capture_then_classify),
        cmocka_unit_test(test_heap_of_another_arena),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_size_past_end),
        cmocka_unit_test(test_fastbin_cycle),
        cmocka_unit_test(test_bin_cycle),
        cmocka_unit_test(test_pointer_out_of_range),
        cmocka_unit_test(test_tcache_pointer_out_of_range),
        cmocka_unit_test(test_truncated_read),
        cmocka_unit_test(test_free_chunk_on_no_list),
        cmocka_unit_test(test_chunk_on_two_lists),
        cmocka_unit_test(test_tcache_count_mismatch),
        cmocka_unit_test(test_arena_ring_out_of_range),
        cmocka_unit_test(test_mmapped_mismatch),
        cmocka_unit_test(test_bin_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
