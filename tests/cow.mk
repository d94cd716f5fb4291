# tests/cow.mk: the copy-on-write snapshot (issue 22): both modes give the
# same profile, the program never sees the child, heapsnap killed at random
# points leaves no live child and the next run reaps the zombies, and the
# fallbacks (--no-cow, a process that may not fork).
check_PROGRAMS += tests/progs/cow_reaper
# Not sanitized: a target program, as any other.
tests_progs_cow_reaper_SOURCES = tests/progs/cow_reaper.c
tests_progs_cow_reaper_CFLAGS = $(HS_WARN_CFLAGS)
TESTS += tests/integration/snap_cow.sh tests/integration/snap_cow_kill.sh \
	tests/integration/stress_cow.sh
EXTRA_DIST += tests/integration/snap_cow.sh tests/integration/snap_cow_kill.sh \
	tests/integration/stress_cow.sh
