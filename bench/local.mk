# bench/: reproducible benchmarks (bench/run, results in bench/README.md). The
# programs are built without sanitizers, whatever configure says: they measure
# allocator and copy speed, which ASan would dominate.
noinst_PROGRAMS += bench/allocbench bench/heapbuild bench/rawcopy bench/leakbias

bench_allocbench_SOURCES = bench/allocbench.c
bench_allocbench_CFLAGS = -O2 $(HS_WARN_CFLAGS)
bench_allocbench_LDFLAGS =
bench_allocbench_LDADD = -lpthread

bench_leakbias_SOURCES = bench/leakbias.c
bench_leakbias_CFLAGS = -O2 $(HS_WARN_CFLAGS)
bench_leakbias_LDFLAGS =

bench_heapbuild_SOURCES = bench/heapbuild.c
bench_heapbuild_CFLAGS = -O2 $(HS_WARN_CFLAGS)
bench_heapbuild_LDFLAGS =
bench_heapbuild_LDADD = -lpthread

# rawcopy reads /proc/PID/maps through lib/procmaps, from the unsanitized lib/.
bench_rawcopy_SOURCES = bench/rawcopy.c
bench_rawcopy_CFLAGS = -O2 $(HS_WARN_CFLAGS) -pthread
bench_rawcopy_LDFLAGS = -pthread
bench_rawcopy_LDADD = lib/libhs_nosan.la

EXTRA_DIST += bench/run bench/bias bench/hookcost bench/hookinsns bench/README.md bench/results.md bench/results-raw.tsv
EXTRA_DIST += bench/pausebench bench/cowbench bench/hookparts bench/hookparts.c

# Behaviour of the programs above (no timing asserted).
TESTS += bench/bench_smoke.sh
EXTRA_DIST += bench/bench_smoke.sh
