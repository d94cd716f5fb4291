# tests/: the harness every suite shares. Every test speaks TAP (cmocka with
# CMOCKA_MESSAGE_OUTPUT=TAP, shell tests through tests/tap.sh); `make check`
# ends with the line "N passed, N failed" summed over all suites.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
TEST_EXTENSIONS = .sh
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	GO='$(GO)'; export GO; \
	PPROFCHECK='$(abs_top_builddir)/tests/pprofcheck/pprofcheck'; export PPROFCHECK; \
	GOCACHE='$(abs_top_builddir)/tests/.gocache'; export GOCACHE; \
	GOFLAGS=-mod=mod; export GOFLAGS; GO111MODULE=off; export GO111MODULE; \
	GOPATH=/usr/share/gocode; export GOPATH; \
	MANDOC='$(MANDOC)'; export MANDOC;

EXTRA_DIST += tests/tap.sh tests/summary.sh tests/pprofcheck/main.go

# google/pprof's own validator (Debian's golang-github-google-pprof-dev), built
# offline from GOPATH: `pprofcheck [-heap] FILE...`.
check_SCRIPTS += tests/pprofcheck/pprofcheck
CLEANFILES += tests/pprofcheck/pprofcheck
tests/pprofcheck/pprofcheck: $(srcdir)/tests/pprofcheck/main.go
	$(AM_V_GEN)$(MKDIR_P) tests/pprofcheck tests/.gocache && \
	cd tests/pprofcheck && GO111MODULE=off GOPATH=/usr/share/gocode \
	GOCACHE='$(abs_top_builddir)/tests/.gocache' \
	$(GO) build -o pprofcheck '$(abs_top_srcdir)/tests/pprofcheck/main.go'

clean-local: clean-gocache
clean-gocache:
	-chmod -R u+w tests/.gocache 2>/dev/null; rm -rf tests/.gocache

# Unit tests of lib/pprof and lib/heapprof.
check_PROGRAMS += tests/unit/test_pprof tests/unit/test_heapprof
TESTS += tests/unit/test_pprof tests/unit/test_heapprof
tests_unit_test_pprof_LDADD = $(UNIT_LDADD)
tests_unit_test_heapprof_LDADD = $(UNIT_LDADD)

# Profiles written by lib/pprof, read by google's validator and go tool pprof.
check_PROGRAMS += tests/progs/write_profile
tests_progs_write_profile_SOURCES = tests/progs/write_profile.c
tests_progs_write_profile_LDADD = lib/libhs.la
TESTS += tests/integration/pprof_google.sh
EXTRA_DIST += tests/integration/pprof_google.sh

# Naming the user's code in real programs (issue 16): a C++ -O2 build leaking
# through STL containers, and Debian's stripped perl and sqlite3, each under
# the hook at the default rate, snapshotted and analyzed.
check_PROGRAMS += tests/progs/cxx_leak
tests_progs_cxx_leak_SOURCES = tests/progs/cxx_leak.cc
tests_progs_cxx_leak_CXXFLAGS = -Wall -Wextra -g -O2
tests_progs_cxx_leak_LDFLAGS =
NAME_TESTS = tests/integration/name_cxx.sh tests/integration/name_debian.sh
TESTS += $(NAME_TESTS)
EXTRA_DIST += $(NAME_TESTS) tests/integration/name_demangle.go

# Programs whose malloc is not glibc's (issue 16): a jemalloc-linked leaker,
# Debian's redis-server (jemalloc), tcmalloc and mimalloc preloaded (all
# installed by scripts/install-deps).
check_PROGRAMS += tests/progs/alloc_jemalloc
tests_progs_alloc_jemalloc_SOURCES = tests/progs/alloc_jemalloc.c
tests_progs_alloc_jemalloc_CFLAGS = -O2 -g
tests_progs_alloc_jemalloc_LDADD = -ljemalloc
TESTS += tests/integration/alloc_jemalloc.sh tests/integration/alloc_redis.sh \
	tests/integration/alloc_preload.sh
EXTRA_DIST += tests/integration/alloc_jemalloc.sh tests/integration/alloc_redis.sh \
	tests/integration/alloc_preload.sh
check_PROGRAMS += tests/unit/test_live_profile
TESTS += tests/unit/test_live_profile
tests_unit_test_live_profile_SOURCES = tests/unit/test_live_profile.c \
	snapshot/live_profile.c snapshot/live_profile.h snapshot/allocator.c snapshot/allocator.h \
	snapshot/attribute.c snapshot/attribute.h snapshot/attr_labels.c snapshot/attr_labels.h
tests_unit_test_live_profile_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/snapshot
tests_unit_test_live_profile_LDADD = lib/libhs.la $(CMOCKA_LIBS) $(LIBELF_LIBS)
# The type stage's join of types to holders (snapshot/typelabels.c).
check_PROGRAMS += tests/unit/test_typelabels
TESTS += tests/unit/test_typelabels
tests_unit_test_typelabels_SOURCES = tests/unit/test_typelabels.c \
	snapshot/typelabels.c snapshot/typelabels.h
tests_unit_test_typelabels_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/snapshot
tests_unit_test_typelabels_LDADD = lib/libhs.la $(CMOCKA_LIBS)

# `make check` ends with the summary line, whatever the outcome: errors of
# automake's check-TESTS are ignored so that check-local, which runs after it,
# prints the line, and fails when a test failed. (Hooking in here instead of
# redefining `check` leaves automake's own rule alone: no overriding recipe.)
.IGNORE: check-TESTS
check-local: check-TESTS
	@$(SHELL) $(top_srcdir)/tests/summary.sh $(TEST_LOGS:.log=.trs)

# The test list, one per line, for scripts that run a subset (.ci/run).
print-tests:
	@for t in $(TESTS); do echo "$$t"; done
.PHONY: print-tests

# The hook's allocation path references no lib/ symbol and no allocator (nm).
TESTS += tests/integration/hook_alloc_path.sh tests/integration/lib_layers.sh
EXTRA_DIST += tests/integration/hook_alloc_path.sh tests/integration/lib_layers.sh

# The manual pages: mandoc lint and --help coverage.
TESTS += tests/integration/man_pages.sh
EXTRA_DIST += tests/integration/man_pages.sh

# Unit tests of lib/ modules that read /proc, files and other processes:
# procmaps, atomic_file, buildid (ELF files written by the test), pagemap, and
# heap_process against unsanitized children (varied_heap, snap_static).
LIB_UNIT_TESTS = tests/unit/test_procmaps tests/unit/test_atomic_file tests/unit/test_buildid \
	tests/unit/test_pagemap tests/unit/test_heap_process
check_PROGRAMS += $(LIB_UNIT_TESTS)
TESTS += $(LIB_UNIT_TESTS)
tests_unit_test_procmaps_LDADD = $(UNIT_LDADD)
tests_unit_test_atomic_file_LDADD = $(UNIT_LDADD)
tests_unit_test_buildid_LDADD = lib/libhs.la $(CMOCKA_LIBS) $(LIBELF_LIBS)
tests_unit_test_pagemap_LDADD = $(UNIT_LDADD)
tests_unit_test_heap_process_LDADD = lib/libhs_tstacks.la lib/libhs.la $(CMOCKA_LIBS)
EXTRA_tests_unit_test_heap_process_DEPENDENCIES = tests/progs/varied_heap tests/progs/snap_static \
	tests/progs/asleep_prog

# Exact totals per size class (issue 15): at the default rate [unattributed]
# holds only what the hook never saw, and profiles add up to the walked heap.
TESTS += tests/integration/exact_victim.sh
EXTRA_DIST += tests/integration/exact_victim.sh

# Busy threads without the hook (issue 22): the wait for threads inside
# malloc is bounded by --max-pause, and a snapshot taken when it runs out marks
# the arenas being modified as approximate.
check_PROGRAMS += tests/progs/pause_busy
tests_progs_pause_busy_SOURCES = tests/progs/pause_busy.c
tests_progs_pause_busy_CFLAGS = -O2 -g $(HS_WARN_CFLAGS) -pthread
tests_progs_pause_busy_LDFLAGS = -pthread
TESTS += tests/integration/pause_busy.sh
EXTRA_DIST += tests/integration/pause_busy.sh
include tests/safepoint.mk
include tests/holders.mk
include tests/cow.mk
check_PROGRAMS += tests/progs/exact_threads
tests_progs_exact_threads_SOURCES = tests/progs/exact_threads.c
tests_progs_exact_threads_CFLAGS = -O2 -g
tests_progs_exact_threads_LDADD = -lpthread
TESTS += tests/integration/exact_threads.sh
EXTRA_DIST += tests/integration/exact_threads.sh
