# snapshot/: the heapsnap command. Owned by the snapshot module; the walker's
# parts (ptrace stop/resume, --stats) are listed in snapshot/walker.mk.
bin_PROGRAMS += heapsnap
heapsnap_SOURCES =
heapsnap_LDADD = lib/libhs.la $(LIBUNWIND_PTRACE_LIBS)
heapsnap_SOURCES += snapshot/main.c
heapsnap_SOURCES += snapshot/snapshot.c snapshot/snapshot.h
heapsnap_SOURCES += snapshot/periodic.c snapshot/periodic.h
heapsnap_SOURCES += snapshot/registry.c snapshot/registry.h
heapsnap_SOURCES += snapshot/attribute.c snapshot/attribute.h
heapsnap_SOURCES += snapshot/report.c snapshot/report.h
heapsnap_SOURCES += snapshot/duration.c snapshot/duration.h
heapsnap_SOURCES += snapshot/outpattern.c snapshot/outpattern.h
include snapshot/walker.mk
