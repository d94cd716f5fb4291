# snapshot/: the heapsnap command. Owned by the snapshot module; the walker's
# parts (ptrace stop/resume, --stats) are listed in snapshot/walker.mk.
bin_PROGRAMS += heapsnap
heapsnap_SOURCES =
heapsnap_LDADD = lib/libhs_tstacks.la lib/libhs.la $(LIBUNWIND_PTRACE_LIBS)
heapsnap_SOURCES += snapshot/main.c \
	snapshot/snapshot.c snapshot/snapshot.h \
	snapshot/cowmode.c snapshot/cowmode.h \
	snapshot/periodic.c snapshot/periodic.h \
	snapshot/attribute.c snapshot/attribute.h \
	snapshot/attr_labels.c snapshot/attr_labels.h \
	snapshot/holders.c snapshot/holders.h \
	snapshot/typelabels.c snapshot/typelabels.h \
	snapshot/typedwarf.c snapshot/typedwarf.h \
	snapshot/retained.c snapshot/retained.h \
	snapshot/report.c snapshot/report.h \
	snapshot/outpattern.c snapshot/outpattern.h \
	snapshot/allocator.c snapshot/allocator.h \
	snapshot/live_profile.c snapshot/live_profile.h
include snapshot/walker.mk

# Tests of the snapshot command (unit: attribution, durations, patterns;
# integration: live processes with and without the hook).
check_PROGRAMS += tests/unit/test_attribute tests/unit/test_snapcli tests/progs/snap_leaker
TESTS += tests/unit/test_attribute tests/unit/test_snapcli
tests_unit_test_attribute_SOURCES = tests/unit/test_attribute.c snapshot/attribute.c \
	snapshot/attribute.h snapshot/attr_labels.c snapshot/attr_labels.h
tests_unit_test_attribute_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/snapshot
tests_unit_test_attribute_LDADD = $(UNIT_LDADD)
tests_unit_test_snapcli_SOURCES = tests/unit/test_snapcli.c \
	snapshot/outpattern.c snapshot/outpattern.h
tests_unit_test_snapcli_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/snapshot
tests_unit_test_snapcli_LDADD = $(UNIT_LDADD)
tests_progs_snap_leaker_SOURCES = tests/progs/snap_leaker.c
tests_progs_snap_leaker_CFLAGS = -O2 -g -pthread
tests_progs_snap_leaker_LDFLAGS = -pthread
check_PROGRAMS += tests/progs/snap_static tests/progs/snap_tracer
tests_progs_snap_static_SOURCES = tests/progs/snap_static.c
tests_progs_snap_static_CFLAGS = -O2
tests_progs_snap_static_LDFLAGS = -all-static
tests_progs_snap_tracer_SOURCES = tests/progs/snap_tracer.c
tests_progs_snap_tracer_CFLAGS = -O2
TESTS += tests/integration/snap_leak.sh tests/integration/snap_census.sh \
	tests/integration/snap_periodic.sh tests/integration/snap_kill.sh \
	tests/integration/snap_errors.sh tests/integration/snap_busy.sh
EXTRA_DIST += tests/integration/snap_common.sh tests/integration/busy_lib.sh tests/integration/snap_leak.sh \
	tests/integration/snap_census.sh tests/integration/snap_periodic.sh \
	tests/integration/snap_kill.sh tests/integration/snap_errors.sh \
	tests/integration/snap_busy.sh
include snapshot/attach.mk
