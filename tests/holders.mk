# tests/holders.mk: who holds each chunk (issue 17): a program with one
# allocation per kind of holder, and its snapshot's held_by labels checked
# with go tool pprof; the lost ones against valgrind --leak-check=full at the
# same point; heapsnap-analyze's holders of the victim's suspects.
check_PROGRAMS += tests/progs/holders_prog
tests_progs_holders_prog_SOURCES = tests/progs/holders_prog.c
tests_progs_holders_prog_CFLAGS = $(HS_WARN_CFLAGS) -pthread -g
tests_progs_holders_prog_LDFLAGS = -pthread
check_PROGRAMS += tests/progs/holders_cxx
tests_progs_holders_cxx_SOURCES = tests/progs/holders_cxx.cc
tests_progs_holders_cxx_CXXFLAGS = -Wall -Wextra -g -O2
# not sanitized (AM_LDFLAGS would link ASan, which replaces glibc malloc)
tests_progs_holders_cxx_LDFLAGS =
TESTS += tests/integration/holders.sh tests/integration/holders_analyze.sh \
	tests/integration/holders_valgrind.sh
EXTRA_DIST += tests/integration/holders.sh tests/integration/holders_analyze.sh \
	tests/integration/holders_valgrind.sh tests/integration/holders_common.sh
