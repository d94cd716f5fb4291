# snapshot/: the heapsnap command. Owned by the snapshot module; the walker's
# parts (ptrace stop/resume, --stats) are listed in snapshot/walker.mk.
bin_PROGRAMS += heapsnap
heapsnap_SOURCES =
heapsnap_LDADD = lib/libhs.la $(LIBUNWIND_PTRACE_LIBS)
heapsnap_SOURCES += snapshot/main.c
heapsnap_SOURCES += snapshot/duration.c snapshot/duration.h
heapsnap_SOURCES += snapshot/outpattern.c snapshot/outpattern.h
heapsnap_SOURCES += snapshot/snapshot.h snapshot/periodic.h snapshot/report.h
include snapshot/walker.mk
