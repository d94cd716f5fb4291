# tests/safepoint.mk: the hook's safepoint (issue 22): unit tests of both
# sides, and snapshots of busy threads under the hook, with heapsnap (or a
# stand-in, sp_poster) killed while threads are parked.
check_PROGRAMS += tests/unit/test_hook_safepoint tests/unit/test_safepoint
TESTS += tests/unit/test_hook_safepoint tests/unit/test_safepoint
tests_unit_test_hook_safepoint_SOURCES = tests/unit/test_hook_safepoint.c hook/hook_safepoint.c \
	hook/hook_safepoint.h hook/hook_thread.h
tests_unit_test_hook_safepoint_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -pthread
tests_unit_test_hook_safepoint_LDADD = $(CMOCKA_LIBS) -lpthread
tests_unit_test_safepoint_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/progs/sp_poster
tests_progs_sp_poster_SOURCES = tests/progs/sp_poster.c
tests_progs_sp_poster_LDADD = lib/libhs.la
TESTS += tests/integration/safepoint.sh
EXTRA_DIST += tests/integration/safepoint.sh
