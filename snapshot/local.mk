# snapshot/: the heapsnap command. Owned by the snapshot module; the walker's
# parts (ptrace stop/resume, --stats) are listed in snapshot/walker.mk.
bin_PROGRAMS += heapsnap
heapsnap_SOURCES =
heapsnap_LDADD = lib/libhs.la $(LIBUNWIND_PTRACE_LIBS)
include snapshot/walker.mk
