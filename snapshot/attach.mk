# snapshot/attach.mk: heapsnap --attach / --detach (snapshot/attach.c) and
# their integration tests.
heapsnap_SOURCES += snapshot/attach.c snapshot/attach.h snapshot/trim.c snapshot/trim.h
heapsnap_CPPFLAGS = $(AM_CPPFLAGS) -DHS_LIBDIR='"$(libdir)"'

# Targets (never sanitized, never linked with the hook).
check_PROGRAMS += tests/progs/attach_churn
tests_progs_attach_churn_SOURCES = tests/progs/attach_churn.c
tests_progs_attach_churn_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_progs_attach_churn_LDFLAGS = -pthread
tests_progs_attach_churn_LDADD = -ldl

# Integration: attach to programs started without the hook.
ATTACH_TESTS = tests/integration/attach_leak.sh tests/integration/attach_cycles.sh \
	tests/integration/attach_blocking.sh tests/integration/attach_kill.sh \
	tests/integration/attach_trim.sh
TESTS += $(ATTACH_TESTS)
EXTRA_DIST += $(ATTACH_TESTS) tests/integration/attach_common.sh
# The issue's full counts: 200 attach/detach cycles, 100 kills (make check runs 20 and 10).
check-attach-stress: all tests/progs/attach_churn tests/progs/snap_leaker
	@$(AM_TESTS_ENVIRONMENT) ATTACH_CYCLES=200 $(SHELL) $(top_srcdir)/tests/integration/attach_cycles.sh
	@$(AM_TESTS_ENVIRONMENT) ATTACH_KILLS=100 $(SHELL) $(top_srcdir)/tests/integration/attach_kill.sh
.PHONY: check-attach-stress
EXTRA_DIST += bench/attachbench
