# lib/sym/: the symbolizer (ELF symbols, DWARF lines and inlined frames,
# separate debug files, C++ demangling) and remote thread stacks; their tests.
lib_libhs_la_SOURCES += lib/sym/symbolize.c lib/sym/symbolize.h lib/sym/sym_internal.h \
	lib/sym/sym_pool.c lib/sym/sym_demangle.c lib/sym/sym_elf.c lib/sym/sym_debugfile.c \
	lib/sym/sym_dwarf.c
lib_libhs_la_SOURCES += lib/sym/sym_debuginfod.c lib/sym/sym_debuginfod.h
lib_libhs_la_SOURCES += lib/sym/buildid.c lib/sym/buildid.h
lib_libhs_la_SOURCES += lib/sym/symvars.c lib/sym/symvars.h lib/sym/symtypes.h
# __cxa_demangle comes from libstdc++.
lib_libhs_la_LIBADD += -lstdc++

# Test programs: functions at known lines, built -g -O2 whatever CFLAGS says
# last (the per-target flags come first, so an explicit CFLAGS=-O0 still works:
# the tests only rely on always_inline and noinline).
check_PROGRAMS += tests/progs/symtest tests/progs/symlookup
tests_progs_symtest_SOURCES = tests/progs/symtest_main.c tests/progs/symtest.c \
	tests/progs/symtest_cxx.cc tests/progs/symtest.h
tests_progs_symtest_CFLAGS = $(AM_CFLAGS) -g -O2
tests_progs_symtest_CXXFLAGS = $(AM_CXXFLAGS) -g -O2
tests_progs_symlookup_SOURCES = tests/progs/symlookup.c
tests_progs_symlookup_LDADD = lib/libhs_tstacks.la lib/libhs.la

# Thread stacks live in their own convenience library: they need
# libunwind-ptrace, which the preloaded hook (lib/libhs_nosan.la) must not
# drag into host processes. Link it before lib/libhs.la.
noinst_LTLIBRARIES += lib/libhs_tstacks.la
lib_libhs_tstacks_la_SOURCES = lib/sym/thread_stacks.c lib/sym/thread_stacks.h
lib_libhs_tstacks_la_LIBADD = $(LIBUNWIND_PTRACE_LIBS)

# Unit tests. The symtest functions are linked in (built -g -O2) so the tests
# can symbolize their own process as well as a symtest child.
check_PROGRAMS += tests/unit/test_symbolize tests/unit/test_thread_stacks
TESTS += tests/unit/test_symbolize tests/unit/test_thread_stacks
tests_unit_test_symbolize_SOURCES = tests/unit/test_symbolize.c \
	tests/unit/symtest_child.c tests/unit/symtest_child.h \
	tests/progs/symtest.c tests/progs/symtest_cxx.cc tests/progs/symtest.h
tests_unit_test_symbolize_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -g -O2
tests_unit_test_symbolize_CXXFLAGS = $(AM_CXXFLAGS) -g -O2
tests_unit_test_symbolize_LDADD = lib/libhs.la $(CMOCKA_LIBS) -ldl
tests_unit_test_thread_stacks_SOURCES = tests/unit/test_thread_stacks.c \
	tests/unit/symtest_child.c tests/unit/symtest_child.h
tests_unit_test_thread_stacks_LDADD = lib/libhs_tstacks.la lib/libhs.la $(CMOCKA_LIBS)
# The symtest child must exist before these tests run.
EXTRA_tests_unit_test_symbolize_DEPENDENCIES = tests/progs/symtest
EXTRA_tests_unit_test_thread_stacks_DEPENDENCIES = tests/progs/symtest

# End to end: debug files by debuglink and build id, profiles read offline.
TESTS += tests/integration/symbolize.sh
EXTRA_DIST += tests/integration/symbolize.sh
# Debug files from a local debuginfod server (Debian's debuginfod).
TESTS += tests/integration/debuginfod_fetch.sh
EXTRA_DIST += tests/integration/debuginfod_fetch.sh

# symvars (the variables of an ELF file): on the test's own executable.
check_PROGRAMS += tests/unit/test_symvars
TESTS += tests/unit/test_symvars
tests_unit_test_symvars_SOURCES = tests/unit/test_symvars.c
tests_unit_test_symvars_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_symvars_LDADD = lib/libhs.la $(CMOCKA_LIBS)

# Where sym_dwarf_scopes puts local variables, on the test's own code: -O0
# (frame slots), -O2 (DWARF 5 location lists), -O2 -gdwarf-4 (.debug_loc).
check_PROGRAMS += tests/unit/test_symlocs tests/unit/test_symlocs_O2 tests/unit/test_symlocs_O2d4
TESTS += tests/unit/test_symlocs tests/unit/test_symlocs_O2 tests/unit/test_symlocs_O2d4
tests_unit_test_symlocs_CFLAGS = $(AM_CFLAGS) -g -O0
# -O0 after configure's CFLAGS too, which come after the per-target flags
tests/unit/test_symlocs-test_symlocs.$(OBJEXT): CFLAGS += -O0
tests_unit_test_symlocs_LDADD = $(UNIT_LDADD)
tests_unit_test_symlocs_O2_SOURCES = tests/unit/test_symlocs.c
tests_unit_test_symlocs_O2_CFLAGS = $(AM_CFLAGS) -g -O2
tests_unit_test_symlocs_O2_LDADD = $(UNIT_LDADD)
tests_unit_test_symlocs_O2d4_SOURCES = tests/unit/test_symlocs.c
tests_unit_test_symlocs_O2d4_CFLAGS = $(AM_CFLAGS) -g -gdwarf-4 -O2
tests_unit_test_symlocs_O2d4_LDADD = $(UNIT_LDADD)
