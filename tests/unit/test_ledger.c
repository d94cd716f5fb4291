/* tests/unit/test_ledger.c: the RSS ledger's arithmetic on a synthetic
 * process: each resident page's bytes split among the chunks, headers,
 * stacks, tables and mappings that cover them, with exact sums; what
 * malloc_trim(0) would release (mtrim's page rounding, systrim's top, the
 * merging of adjacent free chunks, tcache chunks left alone); the advice's
 * thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger.h"
#include "ledger_advice.h"

static procmaps *maps_of(const char *text)
{
    hs_err err;
    procmaps *m = procmaps_parse(text, strlen(text), 1, &err);
    assert_non_null(m);
    return m;
}

static void page(resident_set *s, uint64_t addr)
{
    assert_int_equal(resident_add(s, addr, addr + 4096), 0);
}

static void chunk(ledger *l, uint64_t addr, uint64_t size, gheap_class cls, int arena)
{
    gheap_chunk c = {.addr = addr, .size = size, .cls = cls, .arena = arena};
    assert_int_equal(ledger_chunk(&c, l), 0);
}

static uint64_t named(const ledger_result *r, const char *name)
{
    for (size_t i = 0; i < r->nother; i++)
        if (strcmp(r->other[i].name, name) == 0)
            return r->other[i].bytes;
    return 0;
}

static const char *const process_maps =
    "400000-401000 r-xp 00000000 08:01 100 /bin/prog\n"
    "401000-402000 rw-p 00001000 08:01 100 /bin/prog\n"
    "402000-404000 rw-p 00000000 00:00 0 \n"
    "1000000-1021000 rw-p 00000000 00:00 0 [heap]\n"
    "7f0000000000-7f0000010000 rw-p 00000000 00:00 0 \n"
    "7f0000010000-7f0004000000 ---p 00000000 00:00 0 \n"
    "7f1000000000-7f1000003000 rw-p 00000000 00:00 0 \n"
    "7f2000000000-7f2000001000 rw-p 00000000 00:00 0 [anon:cache]\n"
    "7f3000000000-7f3000002000 rw-p 00000000 00:00 0 [stack]\n"
    "7f4000000000-7f4000004000 rw-p 00000000 00:00 0 \n"
    "7f5000000000-7f5000002000 rw-p 00000000 00:00 0 \n";

/* The whole process: 24 resident pages, every byte placed. */
static void test_parts_add_up(void **state)
{
    (void)state;
    procmaps *m = maps_of(process_maps);
    resident_set rs = {0};
    page(&rs, 0x400000);                /* code */
    page(&rs, 0x401000);                /* data */
    page(&rs, 0x402000);                /* .bss (0x403000 not resident) */
    for (uint64_t p = 0; p < 0x21; p++) /* [heap]: pages 0 1 2 4 5 6 0x20 */
        if (p <= 2 || (p >= 4 && p <= 6) || p == 0x20)
            page(&rs, 0x1000000 + p * 4096);
    for (uint64_t p = 0; p < 16; p++) /* arena 1: pages 0 1 2 3 6 7 */
        if (p <= 3 || p == 6 || p == 7)
            page(&rs, 0x7f0000000000 + p * 4096);
    page(&rs, 0x7f1000000000); /* the mmapped chunk's first page */
    page(&rs, 0x7f1000002000); /* the mapping's anonymous rest */
    page(&rs, 0x7f2000000000); /* [anon:cache] */
    page(&rs, 0x7f3000001000); /* [stack] */
    page(&rs, 0x7f4000002000); /* a thread's stack: pages 2 3 */
    page(&rs, 0x7f4000003000);
    page(&rs, 0x7f5000000000); /* hook tables 0x1800 + 0x800 anonymous */
    page(&rs, 0x7f5000001000);
    assert_int_equal(rs.bytes, 24 * 4096);

    hs_err err;
    ledger *l = ledger_new(m, &rs, &err);
    assert_non_null(l);
    ledger_label(l, 0x7f4000000000, 0x7f4000004000, LEDGER_THREAD_STACKS);
    ledger_label(l, 0x7f5000000000, 0x7f5000001800, LEDGER_HOOK_TABLES);
    /* main arena */
    chunk(l, 0x1000000, 0x290, GHEAP_INUSE, 0);
    chunk(l, 0x1000290, 0xd70, GHEAP_INUSE, 0);
    chunk(l, 0x1001000, 0x3010, GHEAP_UNSORTED, 0);
    chunk(l, 0x1004010, 0x20, GHEAP_INUSE, 0);
    chunk(l, 0x1004030, 0x20, GHEAP_FASTBIN, 0);
    chunk(l, 0x1004050, 0x1cfb0, GHEAP_TOP, 0);
    /* arena 1: heap_info + malloc_state + padding before 0x8d0 */
    chunk(l, 0x7f00000008d0, 0x730, GHEAP_INUSE, 1);
    chunk(l, 0x7f0000001000, 0x5000, GHEAP_LARGEBIN, 1);
    chunk(l, 0x7f0000006000, 0x1000, GHEAP_INUSE, 1);
    chunk(l, 0x7f0000007000, 0x9000, GHEAP_TOP, 1);
    chunk(l, 0x7f1000000000, 0x2000, GHEAP_MMAPPED, -1);
    ledger_result r;
    assert_int_equal(ledger_finish(l, 2, &r, &err), 0);

    assert_int_equal(r.parts[LEDGER_IN_USE], 4096 + 32 + 1840 + 4096);
    assert_int_equal(r.parts[LEDGER_FREE_UNSORTED], 8192 + 16);
    assert_int_equal(r.parts[LEDGER_FREE_FASTBIN], 32);
    assert_int_equal(r.parts[LEDGER_FREE_LARGEBIN], 12288);
    assert_int_equal(r.parts[LEDGER_FREE_TCACHE], 0);
    assert_int_equal(r.parts[LEDGER_FREE_SMALLBIN], 0);
    assert_int_equal(r.parts[LEDGER_TOP], 4016 + 8192 + 4096 + 4096);
    assert_int_equal(r.parts[LEDGER_ARENA_HEADERS], 0x8d0);
    assert_int_equal(r.parts[LEDGER_MMAPPED], 4096);
    assert_int_equal(r.parts[LEDGER_HOOK_TABLES], 0x1800);
    assert_int_equal(r.parts[LEDGER_THREAD_STACKS], 4096 + 8192);
    assert_int_equal(r.parts[LEDGER_FILE_CODE], 4096);
    assert_int_equal(r.parts[LEDGER_FILE_DATA], 8192);
    assert_int_equal(r.parts[LEDGER_OTHER], 4096 + 0x800 + 4096);
    assert_int_equal(named(&r, "anonymous"), 4096 + 0x800);
    assert_int_equal(named(&r, "[anon:cache]"), 4096);
    assert_string_equal(r.other[0].name, "anonymous"); /* largest first */
    uint64_t sum = 0;
    for (int k = 0; k < LEDGER_NPARTS; k++)
        sum += r.parts[k];
    assert_int_equal(sum, 24 * 4096);
    assert_int_equal(r.total, 24 * 4096);
    assert_int_equal(r.overlap_bytes, 0);

    assert_int_equal(r.narenas, 2);
    assert_int_equal(r.arenas[0].total, 7 * 4096);
    assert_int_equal(r.arenas[0].parts[LEDGER_TOP], 4016 + 8192 + 4096);
    assert_int_equal(r.arenas[0].parts[LEDGER_ARENA_HEADERS], 0);
    assert_int_equal(r.arenas[1].total, 6 * 4096);
    assert_int_equal(r.arenas[1].parts[LEDGER_ARENA_HEADERS], 2256);
    assert_int_equal(r.arenas[1].parts[LEDGER_IN_USE], 1840 + 4096);
    /* main: the unsorted chunk's pages 2 (3 is not resident), top's pages
     * 5, 6 and 0x20; arena 1: the large chunk's pages 2 3, never its top */
    assert_int_equal(r.arenas[0].reclaimable, 4096 + 3 * 4096);
    assert_int_equal(r.arenas[1].reclaimable, 2 * 4096);
    assert_int_equal(r.reclaimable, 6 * 4096);
    ledger_result_free(&r);
    ledger_free(l);
    resident_free(&rs);
    procmaps_free(m);
}

static void test_trim_range(void **state)
{
    (void)state;
    uint64_t lo, hi;
    ledger_trim_range(0x1001000, 0x1004010, 0, 1, &lo, &hi); /* mtrim: page after p+48 */
    assert_int_equal(lo, 0x1002000);
    assert_int_equal(hi, 0x1004000);
    ledger_trim_range(0xfd0, 0xfd0 + 4144, 0, 0, &lo, &hi); /* the smallest that gives a page */
    assert_int_equal(lo, 0x1000);
    assert_int_equal(hi, 0x2000);
    ledger_trim_range(0xfd0, 0xfd0 + 4128, 0, 0, &lo, &hi); /* not above 4095 + 48 */
    assert_int_equal(hi - lo, 0);
    ledger_trim_range(0x10, 0x10 + 4144, 0, 0, &lo, &hi); /* big enough, no whole page */
    assert_int_equal(hi - lo, 0);
    ledger_trim_range(0x1004030, 0x1021000, 1, 1, &lo, &hi); /* systrim: 28 pages of 28.98 */
    assert_int_equal(lo, 0x1005000);
    assert_int_equal(hi, 0x1021000);
    ledger_trim_range(0x10000, 0x10000 + 4144, 1, 1, &lo, &hi); /* 4144 - 33 -> 1 page */
    assert_int_equal(hi - lo, 4096);
    ledger_trim_range(0x10000, 0x10000 + 4128, 1, 1, &lo, &hi); /* 4095 -> none */
    assert_int_equal(hi - lo, 0);
    ledger_trim_range(0x10000, 0x80000, 1, 0, &lo, &hi); /* a thread arena's top: none */
    assert_int_equal(hi - lo, 0);
}

/* malloc_consolidate merges a fastbin chunk with the free chunk after it,
 * which makes a whole page trimmable; a tcache chunk there stays in use. */
static void merged_run(gheap_class middle, uint64_t want)
{
    procmaps *m = maps_of("1000000-1008000 rw-p 00000000 00:00 0 [heap]\n");
    resident_set rs = {0};
    for (uint64_t p = 0; p < 8; p++)
        page(&rs, 0x1000000 + p * 4096);
    hs_err err;
    ledger *l = ledger_new(m, &rs, &err);
    assert_non_null(l);
    chunk(l, 0x1000000, 0xfa0, GHEAP_INUSE, 0);
    chunk(l, 0x1000fa0, 0x80, middle, 0);
    chunk(l, 0x1001020, 0x1000, GHEAP_UNSORTED, 0);
    chunk(l, 0x1002020, 0x5fc0, GHEAP_INUSE, 0);
    chunk(l, 0x1007fe0, 0x20, GHEAP_TOP, 0);
    ledger_result r;
    assert_int_equal(ledger_finish(l, 1, &r, &err), 0);
    assert_int_equal(r.reclaimable, want);
    assert_int_equal(r.total, 8 * 4096);
    assert_int_equal(r.parts[LEDGER_ARENA_HEADERS], 0);
    ledger_result_free(&r);
    ledger_free(l);
    resident_free(&rs);
    procmaps_free(m);
}

static void test_trim_merges_fastbins(void **state)
{
    (void)state;
    merged_run(GHEAP_FASTBIN, 4096);
    merged_run(GHEAP_TCACHE, 0);
}

static void test_resident_bytes(void **state)
{
    (void)state;
    resident_set rs = {0};
    page(&rs, 0x1000);
    page(&rs, 0x2000); /* merged with the first */
    page(&rs, 0x5000);
    assert_int_equal(rs.n, 2);
    assert_int_equal(resident_bytes(&rs, 0x1800, 0x5010), 0x1800 + 0x10);
    assert_int_equal(resident_bytes(&rs, 0x3000, 0x5000), 0);
    assert_int_equal(resident_bytes(&rs, 0, 0x10000), 3 * 4096);
    resident_free(&rs);
}

static void test_advice(void **state)
{
    (void)state;
    ledger_arena ar[3];
    memset(ar, 0, sizeof(ar));
    ledger_result r;
    memset(&r, 0, sizeof(r));
    r.arenas = ar;
    r.narenas = 3;
    r.total = 100ull << 20;
    ladvice_ctx ctx = {.ncpus = 2, .nthreads = 3, .arenas_used = 3};
    ladvice out[LADVICE_NKINDS];
    /* 24 MiB free: under a quarter of 100 MiB */
    r.parts[LEDGER_FREE_UNSORTED] = 24ull << 20;
    assert_int_equal(ladvice_compute(&r, &ctx, out), 0);
    r.parts[LEDGER_TOP] = 1ull << 20; /* 25 MiB: exactly a quarter */
    r.reclaimable = 20ull << 20;
    assert_int_equal(ladvice_compute(&r, &ctx, out), 1);
    assert_int_equal(out[0].kind, LADVICE_TRIM);
    assert_int_equal(out[0].bytes, 25ull << 20);
    assert_string_equal(out[0].text, "25.0 MiB (25% of RSS) is free inside malloc and still "
                                     "resident; malloc_trim(0) would give back 20.0 MiB of it");
    ar[0].parts[LEDGER_TOP] = 4ull << 20; /* the main arena's top: the threshold helps */
    assert_int_equal(ladvice_compute(&r, &ctx, out), 1);
    assert_non_null(strstr(out[0].text, "of it; a lower MALLOC_TRIM_THRESHOLD_ makes free() "
                                        "return a top by itself"));
    r.reclaimable = 12ull << 20; /* under half: fragmentation */
    assert_int_equal(ladvice_compute(&r, &ctx, out), 1);
    assert_non_null(strstr(out[0].text, "12.0 MiB of it (the rest is in pieces smaller"));
    ar[0].parts[LEDGER_TOP] = 0;
    /* a thread arena's top: what malloc_trim leaves, not fragmentation */
    ar[1].parts[LEDGER_TOP] = 13ull << 20;
    r.parts[LEDGER_TOP] = 13ull << 20;
    assert_int_equal(ladvice_compute(&r, &ctx, out), 2); /* and the arena line */
    assert_int_equal(out[1].kind, LADVICE_ARENAS);
    assert_string_equal(out[0].text,
                        "37.0 MiB (37% of RSS) is free inside malloc and still resident; "
                        "malloc_trim(0) would give back 12.0 MiB of it; 13.0 MiB is the top of "
                        "thread arenas, which malloc_trim leaves as it is; a lower "
                        "MALLOC_TRIM_THRESHOLD_ makes free() return a top by itself");
    ar[1].parts[LEDGER_TOP] = 0;
    r.parts[LEDGER_TOP] = 1ull << 20;
    /* 3 arenas on 2 CPUs, the thread arenas keep 10 MiB: a tenth */
    ar[1].parts[LEDGER_TOP] = 6ull << 20;
    ar[2].parts[LEDGER_FREE_TCACHE] = 4ull << 20;
    r.parts[LEDGER_FREE_TCACHE] = 4ull << 20; /* under a tenth: no tcache line */
    size_t n = ladvice_compute(&r, &ctx, out);
    assert_int_equal(n, 2);
    assert_int_equal(out[1].kind, LADVICE_ARENAS);
    assert_int_equal(out[1].bytes, 10ull << 20);
    assert_string_equal(out[1].text,
                        "3 arenas for 3 threads on 2 CPUs: the 2 thread arenas keep 10.0 MiB (10% "
                        "of RSS) free and resident; MALLOC_ARENA_MAX=2 caps them, so threads "
                        "share arenas and their free memory");
    ctx.ncpus = 3; /* as many CPUs and threads as arenas */
    assert_int_equal(ladvice_compute(&r, &ctx, out), 1);
    ctx.nthreads = 2; /* an arena left by an exited thread */
    ctx.arenas_used = 2;
    assert_int_equal(ladvice_compute(&r, &ctx, out), 2);
    assert_non_null(strstr(out[1].text, "3 arenas for 2 threads on 3 CPUs, 1 of them used by no "
                                        "live thread: "));
    assert_non_null(strstr(out[1].text, "MALLOC_ARENA_MAX=2 caps"));
    ctx.nthreads = 3;
    /* large chunks and tcache, small process: the 4 MiB floor */
    memset(&r.parts, 0, sizeof(r.parts));
    r.total = 8ull << 20;
    r.large_inuse_bytes = (4ull << 20) - 1;
    r.large_free_bytes = 8ull << 20; /* free ones are the trim rule's */
    assert_int_equal(ladvice_compute(&r, &ctx, out), 0);
    r.large_inuse_bytes = 4ull << 20;
    r.large_inuse_chunks = 8;
    r.parts[LEDGER_FREE_TCACHE] = 4ull << 20;
    n = ladvice_compute(&r, &ctx, out);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].kind, LADVICE_MMAP);
    assert_non_null(strstr(out[0].text, "8 blocks of 128 KiB or more in use (4.0 MiB"));
    assert_int_equal(out[1].kind, LADVICE_TCACHE);
    assert_string_equal(ladvice_kind_name(LADVICE_MMAP), "mmap_threshold");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_add_up),
        cmocka_unit_test(test_trim_range),
        cmocka_unit_test(test_trim_merges_fastbins),
        cmocka_unit_test(test_resident_bytes),
        cmocka_unit_test(test_advice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
