# lib/proc/resident.mk: which pages of a process count in its RSS (pagemap,
# smaps_rollup) and its unit test. Fragment of the top-level Makefile.am.
lib_libhs_la_SOURCES += lib/proc/resident.c lib/proc/resident.h

check_PROGRAMS += tests/unit/test_resident
TESTS += tests/unit/test_resident
tests_unit_test_resident_SOURCES = tests/unit/test_resident.c
tests_unit_test_resident_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_resident_LDADD = lib/libhs.la $(CMOCKA_LIBS)
