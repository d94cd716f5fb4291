# tests/stress/: the reliability suite. The stress target program, `make
# check-stress` (STRESS_SNAPSHOTS snapshots, default 1000; CI runs 100 without
# the slow rate-1 mode: STRESS_MODES), and the
# short fault, hostile-input and endpoint tests that run in `make check`.
# The target program is built WITHOUT sanitizers: ASan would replace glibc malloc.
check_PROGRAMS += tests/stress/stress_prog
tests_stress_stress_prog_SOURCES = tests/stress/stress_prog.c
tests_stress_stress_prog_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_stress_stress_prog_LDFLAGS = -pthread
# A badly behaved HTTP client for the endpoint abuse test (no curl needed).
check_PROGRAMS += tests/stress/http_client
tests_stress_http_client_SOURCES = tests/stress/http_client.c

EXTRA_DIST += tests/stress/stress.sh tests/stress/stress_lib.sh
# Seeds for the pprof reader's fuzz target: small real profiles (lib/pprof's
# write_profile, Go's runtime, heapsnap at rate 1 and without hook, --threads,
# the hook's endpoint and its ?seconds= delta), gzipped and raw.

# Short versions in `make check` (about 3 minutes together on an idle 2-CPU box).
RELIABILITY_TESTS = tests/integration/stress_short.sh tests/integration/faults_kill.sh \
	tests/integration/faults_exit.sh tests/integration/faults_output.sh \
	tests/integration/faults_threads.sh tests/integration/hostile_cli.sh \
	tests/integration/endpoint_abuse.sh tests/integration/endpoint_many.sh \
	tests/integration/hook_memcheck.sh
TESTS += $(RELIABILITY_TESTS)
EXTRA_DIST += $(RELIABILITY_TESTS)

STRESS_SNAPSHOTS = 1000
# the runs to make, any of: rate1 default-rate no-hook (CI: the last two)
STRESS_MODES = rate1 default-rate no-hook
check-stress: all tests/stress/stress_prog tests/pprofcheck/pprofcheck
	@$(AM_TESTS_ENVIRONMENT) STRESS_SNAPSHOTS='$(STRESS_SNAPSHOTS)'; export STRESS_SNAPSHOTS; \
	STRESS_MODES='$(STRESS_MODES)'; export STRESS_MODES; \
	$(SHELL) $(top_srcdir)/tests/stress/stress.sh
.PHONY: check-stress
