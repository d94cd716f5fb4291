# lib/proc/inject.mk: calls injected into a stopped process (attach, detach,
# --trim) and the dynamic-symbol lookup they use; their tests.
lib_libhs_la_SOURCES += lib/proc/dynsym.c lib/proc/dynsym.h
lib_libhs_la_SOURCES += lib/proc/inject.c lib/proc/inject.h

check_PROGRAMS += tests/unit/test_inject tests/progs/inj_blocker
TESTS += tests/unit/test_inject
tests_unit_test_inject_LDADD = $(UNIT_LDADD)
EXTRA_tests_unit_test_inject_DEPENDENCIES = tests/progs/inj_blocker tests/progs/snap_static
# Not sanitized: a target program, as any other.
tests_progs_inj_blocker_SOURCES = tests/progs/inj_blocker.c
tests_progs_inj_blocker_CFLAGS = $(HS_WARN_CFLAGS) -pthread
tests_progs_inj_blocker_LDFLAGS = -pthread
