# tests/stress/: the reliability suite. The stress target program, `make
# check-stress` (STRESS_SNAPSHOTS snapshots, default 1000; CI runs 100), and the
# short fault, hostile-input and endpoint tests that run in `make check`.
# The target program is built WITHOUT sanitizers: ASan would replace glibc malloc.
check_PROGRAMS += tests/stress/stress_prog
tests_stress_stress_prog_SOURCES = tests/stress/stress_prog.c
tests_stress_stress_prog_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_stress_stress_prog_LDFLAGS = -pthread

EXTRA_DIST += tests/stress/stress.sh tests/stress/stress_lib.sh

STRESS_SNAPSHOTS = 1000
check-stress: all tests/stress/stress_prog tests/pprofcheck/pprofcheck
	@$(AM_TESTS_ENVIRONMENT) STRESS_SNAPSHOTS='$(STRESS_SNAPSHOTS)'; export STRESS_SNAPSHOTS; \
	$(SHELL) $(top_srcdir)/tests/stress/stress.sh
.PHONY: check-stress
