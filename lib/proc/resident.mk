# lib/proc/resident.mk: which pages of a process count in its RSS (pagemap,
# smaps_rollup) and its unit test. Fragment of the top-level Makefile.am.
lib_libhs_la_SOURCES += lib/proc/resident.c lib/proc/resident.h

check_PROGRAMS += tests/unit/test_resident
TESTS += tests/unit/test_resident
tests_unit_test_resident_LDADD = $(UNIT_LDADD)
