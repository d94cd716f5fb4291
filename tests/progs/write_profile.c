/* tests/progs/write_profile.c: writes a small Go-convention heap profile with
 * lib/pprof so the tests can hand it to google's validator and go tool pprof.
 * Usage: write_profile OUT.pb.gz [growth]  (growth multiplies the leak site). */
#include <stdio.h>
#include <stdlib.h>

#include "heapprof.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: write_profile OUT.pb.gz [growth]\n");
        return 2;
    }
    int64_t growth = argc > 2 ? atoll(argv[2]) : 1;
    pprof_builder *b = heapprof_new(1, 1700000000000000000LL + growth * 1000000000LL);
    pprof_mapping_desc m = {.start = 0x400000,
                            .limit = 0x500000,
                            .filename = "/usr/bin/leaky",
                            .build_id = "0123456789abcdef",
                            .has_functions = true,
                            .has_filenames = true,
                            .has_line_numbers = true,
                            .has_inline_frames = true};
    uint64_t mid = pprof_add_mapping(b, &m);
    pprof_line_desc main_l = {
        .function = "main", .filename = "leaky.c", .start_line = 50, .line = 60};
    pprof_line_desc leak_l[2] = {
        {.function = "append_record", .filename = "leaky.c", .start_line = 10, .line = 14},
        {.function = "handle_request", .filename = "leaky.c", .start_line = 20, .line = 31},
    };
    pprof_line_desc tmp_l = {
        .function = "format_reply", .filename = "leaky.c", .start_line = 35, .line = 38};
    uint64_t lmain = pprof_add_location(b, mid, 0x401100, &main_l, 1);
    uint64_t lleak = pprof_add_location(b, mid, 0x401010, leak_l, 2);
    uint64_t ltmp = pprof_add_location(b, mid, 0x401020, &tmp_l, 1);
    uint64_t s1[2] = {lleak, lmain};
    uint64_t s2[2] = {ltmp, lmain};
    heapprof_add_site(b, s1, 2, 1, 1000 * growth, 64000 * growth, 1000 * growth, 64000 * growth);
    heapprof_add_site(b, s2, 2, 1, 5000, 5000 * 32, 10, 320);
    pprof_add_comment(b, "written by tests/progs/write_profile");
    hs_err err;
    if (pprof_write_file(b, argv[1], &err) != 0) {
        fprintf(stderr, "write_profile: %s\n", err.msg);
        return 1;
    }
    pprof_builder_free(b);
    return 0;
}
