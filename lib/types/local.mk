# lib/types/: what a heap object is -- its dynamic C++ class from its vtable
# pointer, the DWARF types of the globals -- and their tests.
lib_libhs_la_SOURCES += lib/types/tvtable.c lib/types/tvtable.h \
	lib/types/tdwarf.c lib/types/tdwarf.h lib/types/tspread.c lib/types/tspread.h \
	lib/types/tsite.c lib/types/tsite.h
TESTS += tests/unit/test_tvtable tests/unit/test_tdwarf tests/unit/test_tspread tests/unit/test_tsite \
	tests/unit/test_tsite_O2 tests/integration/histo.sh
EXTRA_DIST += tests/integration/histo.sh
check_PROGRAMS += tests/unit/test_tvtable tests/unit/test_tdwarf tests/unit/test_tspread tests/unit/test_tsite \
	tests/unit/test_tsite_O2 tests/progs/types_prog
tests_unit_test_tvtable_LDADD = $(UNIT_LDADD)
# Their own DWARF is the fixture: -g -O0 whatever CFLAGS says.
tests_unit_test_tdwarf_CFLAGS = $(AM_CFLAGS) -g -O0
tests_unit_test_tdwarf_LDADD = $(UNIT_LDADD)
tests_unit_test_tspread_CFLAGS = $(AM_CFLAGS) -g -O0
tests_unit_test_tspread_LDADD = $(UNIT_LDADD)
# The allocating code's own lines and DWARF, unoptimized and optimized.
tests_unit_test_tsite_CFLAGS = $(AM_CFLAGS) -g -O0
tests_unit_test_tsite_LDADD = $(UNIT_LDADD)
# -O0 after configure's "-g -O2", which comes after per-target flags (the
# last -O wins): the fixtures that say -O0 are built so.
tests/unit/test_tsite-test_tsite.$(OBJEXT): CFLAGS += -O0
tests/unit/test_tdwarf-test_tdwarf.$(OBJEXT): CFLAGS += -O0
tests/unit/test_tspread-test_tspread.$(OBJEXT): CFLAGS += -O0
tests/progs/dwtypes_O0-dwtypes_prog.$(OBJEXT): CFLAGS += -O0
tests_unit_test_tsite_O2_SOURCES = tests/unit/test_tsite.c
tests_unit_test_tsite_O2_CFLAGS = $(AM_CFLAGS) -g -O2
tests_unit_test_tsite_O2_LDADD = $(UNIT_LDADD)
# A C++ heap of known classes for heapsnap --histo (no sanitizers: ASan
# replaces glibc's malloc), run as built and stripped.
tests_progs_types_prog_SOURCES = tests/progs/types_prog.cc
tests_progs_types_prog_CXXFLAGS = -Wall -Wextra -g -O2
tests_progs_types_prog_LDFLAGS =
# C structures behind typed globals for the DWARF types (dwtypes.sh), built
# at -O0 and -O2 (and stripped of debug info by the test). Not sanitized.
check_PROGRAMS += tests/progs/dwtypes_O0 tests/progs/dwtypes_O2
tests_progs_dwtypes_O0_SOURCES = tests/progs/dwtypes_prog.c tests/progs/status_line.h
tests_progs_dwtypes_O0_CFLAGS = $(HS_WARN_CFLAGS) -g -O0
tests_progs_dwtypes_O0_LDFLAGS =
tests_progs_dwtypes_O2_SOURCES = tests/progs/dwtypes_prog.c tests/progs/status_line.h
tests_progs_dwtypes_O2_CFLAGS = $(HS_WARN_CFLAGS) -g -O2
tests_progs_dwtypes_O2_LDFLAGS =
TESTS += tests/integration/dwtypes.sh tests/integration/dwtypes_analyze.sh
EXTRA_DIST += tests/integration/dwtypes.sh tests/integration/dwtypes_analyze.sh
# libstdc++ containers behind typed globals (dwtypes.sh). Not sanitized.
check_PROGRAMS += tests/progs/dwtypes_cxx
tests_progs_dwtypes_cxx_SOURCES = tests/progs/dwtypes_cxx.cc
tests_progs_dwtypes_cxx_CXXFLAGS = -Wall -Wextra -g -O2
tests_progs_dwtypes_cxx_LDFLAGS =
# Records only their allocating line types (histo.sh, at the hook's default
# rate). Not sanitized.
check_PROGRAMS += tests/progs/sampled_types
tests_progs_sampled_types_SOURCES = tests/progs/sampled_types.c tests/progs/status_line.h
tests_progs_sampled_types_CFLAGS = $(HS_WARN_CFLAGS) -g -O2
tests_progs_sampled_types_LDFLAGS =
# Heap data held only by blocked threads' local variables, for the stack
# roots of the type spread (stacktypes.sh), at -O0 and -O2. Not sanitized.
check_PROGRAMS += tests/progs/stacktypes_O0 tests/progs/stacktypes_O2
tests_progs_stacktypes_O0_SOURCES = tests/progs/stacktypes_prog.c tests/progs/status_line.h
tests_progs_stacktypes_O0_CFLAGS = $(HS_WARN_CFLAGS) -g -O0
tests_progs_stacktypes_O0_LDFLAGS =
tests_progs_stacktypes_O2_SOURCES = tests/progs/stacktypes_prog.c tests/progs/status_line.h
tests_progs_stacktypes_O2_CFLAGS = $(HS_WARN_CFLAGS) -g -O2
tests_progs_stacktypes_O2_LDFLAGS =
# -O0 after the user's CFLAGS (configure's "-g -O2" comes after per-target
# flags, and the last -O wins): the objects' own setting.
tests/progs/stacktypes_O0-stacktypes_prog.$(OBJEXT): CFLAGS += -O0
TESTS += tests/integration/stacktypes.sh
EXTRA_DIST += tests/integration/stacktypes.sh tests/integration/types_common.sh
