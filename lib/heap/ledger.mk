# lib/heap/ledger.mk: the RSS ledger (where each resident byte goes, what
# malloc_trim would give back, the advice) and its tests. Fragment of the
# top-level Makefile.am.
lib_libhs_la_SOURCES += lib/heap/ledger.c lib/heap/ledger.h
lib_libhs_la_SOURCES += lib/heap/ledger_advice.c lib/heap/ledger_advice.h

check_PROGRAMS += tests/unit/test_ledger
TESTS += tests/unit/test_ledger
tests_unit_test_ledger_LDADD = $(UNIT_LDADD)

# A program with a known ledger, built without sanitizers (ASan replaces
# glibc's malloc), and the integration test over it.
check_PROGRAMS += tests/progs/ledger_prog
tests_progs_ledger_prog_SOURCES = tests/progs/ledger_prog.c
tests_progs_ledger_prog_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_progs_ledger_prog_LDFLAGS = -pthread
TESTS += tests/integration/stats_ledger.sh tests/integration/analyze_rss.sh
EXTRA_DIST += tests/integration/stats_ledger.sh tests/integration/analyze_rss.sh docs/rss-ledger.md
