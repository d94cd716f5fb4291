# lib/heap.mk: the glibc heap walker (memory sources, libc layout, walker, live
# process glue) and its tests. Fragment of the top-level Makefile.am.
lib_libhs_la_SOURCES += lib/memsrc.c lib/memsrc.h
lib_libhs_la_SOURCES += lib/glibc_layout.c lib/glibc_layout.h
lib_libhs_la_SOURCES += lib/glibc_heap.c lib/glibc_heap.h
lib_libhs_la_SOURCES += lib/heap_process.c lib/heap_process.h

# Target programs: built WITHOUT sanitizers, since ASan replaces glibc malloc.
check_PROGRAMS += tests/progs/varied_heap tests/progs/big_heap
tests_progs_varied_heap_SOURCES = tests/progs/varied_heap.c
tests_progs_varied_heap_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_progs_varied_heap_LDFLAGS = -pthread
tests_progs_big_heap_SOURCES = tests/progs/big_heap.c
tests_progs_big_heap_CFLAGS = $(HS_WARN_CFLAGS)
tests_progs_big_heap_LDFLAGS =

# A driver over the walker's parts of heapsnap (stop, tcache addresses, walk,
# timing), for the tests and the benchmark; never installed.
check_PROGRAMS += tests/progs/walk_probe
tests_progs_walk_probe_SOURCES = tests/progs/walk_probe.c snapshot/ptrace.c snapshot/stats.c
tests_progs_walk_probe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/snapshot
tests_progs_walk_probe_LDADD = lib/libhs.la

