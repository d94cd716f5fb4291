# lib/heap/: glibc's malloc: libc's layout, the heap's capture and
# classification, the heap of a live process, and the wait for a quiet heap;
# with the tests of lib/heap and lib/proc.
lib_libhs_la_SOURCES += lib/heap/glibc_layout.c lib/heap/glibc_layout.h
lib_libhs_la_SOURCES += lib/heap/glibc_heap.c lib/heap/glibc_heap.h lib/heap/gheap_internal.h \
	lib/heap/gheap_capture.c lib/heap/gheap_lists.c lib/heap/gheap_chunks.c
lib_libhs_la_SOURCES += lib/heap/heap_process.c lib/heap/heap_process.h lib/heap/hproc_internal.h \
	lib/heap/heap_busy.c
lib_libhs_la_SOURCES += lib/heap/quiesce.c lib/heap/quiesce.h

# The busy check's unwinder against libunwind-ptrace's own, on a blocked child.
check_PROGRAMS += tests/unit/test_unwind_remote
TESTS += tests/unit/test_unwind_remote
tests_unit_test_unwind_remote_SOURCES = tests/unit/test_unwind_remote.c \
	tests/unit/symtest_child.c tests/unit/symtest_child.h
tests_unit_test_unwind_remote_LDADD = lib/libhs_tstacks.la lib/libhs.la $(CMOCKA_LIBS)
EXTRA_tests_unit_test_unwind_remote_DEPENDENCIES = tests/progs/symtest

# Unit tests: synthetic and corrupt heaps in a buffer, layouts, memory sources.
check_PROGRAMS += tests/unit/test_glibc_heap tests/unit/test_memsrc tests/unit/test_glibc_layout
TESTS += tests/unit/test_glibc_heap tests/unit/test_memsrc tests/unit/test_glibc_layout
tests_unit_test_glibc_heap_SOURCES = tests/unit/test_glibc_heap.c tests/unit/synth_heap.c \
	tests/unit/synth_heap.h
tests_unit_test_glibc_heap_LDADD = $(UNIT_LDADD)
tests_unit_test_memsrc_LDADD = $(UNIT_LDADD)
tests_unit_test_glibc_layout_LDADD = $(UNIT_LDADD)

# Target programs: built WITHOUT sanitizers, since ASan replaces glibc malloc.
check_PROGRAMS += tests/progs/varied_heap tests/progs/stuck_malloc tests/progs/asleep_prog
tests_progs_asleep_prog_SOURCES = tests/progs/asleep_prog.c tests/progs/full_stderr.h
tests_progs_asleep_prog_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_progs_asleep_prog_LDFLAGS = -pthread
tests_progs_varied_heap_SOURCES = tests/progs/varied_heap.c
tests_progs_varied_heap_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_progs_varied_heap_LDFLAGS = -pthread
tests_progs_stuck_malloc_SOURCES = tests/progs/stuck_malloc.c tests/progs/full_stderr.h
tests_progs_stuck_malloc_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_progs_stuck_malloc_LDFLAGS = -pthread

# A driver over the walker's parts of heapsnap (stop, tcache addresses, walk,
# timing), for the tests and the benchmark; never installed.
check_PROGRAMS += tests/progs/walk_probe
tests_progs_walk_probe_SOURCES = tests/progs/walk_probe.c snapshot/stats.c snapshot/allocator.c
tests_progs_walk_probe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/snapshot
tests_progs_walk_probe_LDADD = lib/libhs.la

TESTS += tests/integration/stats_mallinfo.sh tests/integration/tcache_tls.sh tests/integration/walk_exclude.sh \
	tests/integration/stats_errors.sh tests/integration/busy_heap.sh tests/integration/exec_race.sh
EXTRA_DIST += tests/integration/stats_mallinfo.sh tests/integration/tcache_tls.sh tests/integration/walk_exclude.sh tests/integration/walk_common.sh \
	tests/integration/stats_errors.sh tests/integration/busy_heap.sh tests/integration/exec_race.sh
# the fuzz target (tests/fuzz/targets.mk) and its seeds
EXTRA_DIST += tests/fuzz/fuzz_glibc_heap.c
include lib/heap/ledger.mk
