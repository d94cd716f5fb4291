# lib/proc/tsyscall.mk: what a thread is blocked in (/proc/PID/task/TID/syscall)
# and its unit test. Fragment of the top-level Makefile.am.
lib_libhs_la_SOURCES += lib/proc/tsyscall.c lib/proc/tsyscall.h

check_PROGRAMS += tests/unit/test_tsyscall
TESTS += tests/unit/test_tsyscall
tests_unit_test_tsyscall_LDADD = $(UNIT_LDADD) -lpthread
