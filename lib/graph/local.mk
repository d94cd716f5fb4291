# lib/graph/: the heap graph over a snapshot's capture: its roots (globals,
# thread-local storage, stacks, registers, other mappings) and who holds each
# chunk (lost, or the root group that dominates it); with its tests.
lib_libhs_la_SOURCES += lib/graph/hgraph.c lib/graph/hgraph.h
# The roots unwind the threads' stacks: with thread_stacks, outside the hook's
# library (lib/sym/local.mk).
lib_libhs_tstacks_la_SOURCES += lib/graph/roots.c lib/graph/roots.h

check_PROGRAMS += tests/unit/test_hgraph
TESTS += tests/unit/test_hgraph
tests_unit_test_hgraph_SOURCES = tests/unit/test_hgraph.c
tests_unit_test_hgraph_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hgraph_LDADD = lib/libhs.la $(CMOCKA_LIBS)
