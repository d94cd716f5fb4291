# tests/cow.mk: the copy-on-write snapshot (issue 22): both modes give the
# same profile, the program never sees the child, heapsnap killed at random
# points leaves no live child and the next run reaps the zombies, and the
# fallbacks (--no-cow, a process that may not fork, a memory cgroup too small).
check_PROGRAMS += tests/progs/cow_reaper
# Not sanitized: a target program, as any other.
tests_progs_cow_reaper_SOURCES = tests/progs/cow_reaper.c
tests_progs_cow_reaper_CFLAGS = $(HS_WARN_CFLAGS)
tests_progs_cow_reaper_LDFLAGS =
TESTS += tests/integration/snap_cow.sh tests/integration/snap_cow_kill.sh \
	tests/integration/stress_cow.sh tests/integration/snap_cow_cgroup.sh
EXTRA_DIST += tests/integration/snap_cow.sh tests/integration/snap_cow_kill.sh \
	tests/integration/stress_cow.sh tests/integration/snap_cow_cgroup.sh

# snapshot/cowmode.c's choice (pure: no process needed)
check_PROGRAMS += tests/unit/test_cowmode
TESTS += tests/unit/test_cowmode
tests_unit_test_cowmode_SOURCES = tests/unit/test_cowmode.c snapshot/cowmode.c snapshot/cowmode.h
tests_unit_test_cowmode_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/snapshot
tests_unit_test_cowmode_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_cowmode_LDADD = lib/libhs.la $(CMOCKA_LIBS)

# lib/proc/memroom.c: cgroup v1/v2 limits in a tree the test builds
check_PROGRAMS += tests/unit/test_memroom
TESTS += tests/unit/test_memroom
tests_unit_test_memroom_SOURCES = tests/unit/test_memroom.c
tests_unit_test_memroom_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_memroom_LDADD = lib/libhs.la $(CMOCKA_LIBS)
