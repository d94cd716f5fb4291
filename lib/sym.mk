# lib/sym.mk: the symbolizer (ELF symbols, DWARF lines and inlined frames,
# separate debug files, C++ demangling) and remote thread stacks; their tests.
lib_libhs_la_SOURCES += lib/symbolize.c lib/symbolize.h lib/sym_internal.h \
	lib/sym_pool.c lib/sym_demangle.c lib/sym_elf.c lib/sym_debugfile.c lib/sym_dwarf.c
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
tests_progs_symlookup_LDADD = lib/libhs.la
