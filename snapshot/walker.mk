# snapshot/walker.mk: the walker module's files inside the heapsnap command (ptrace stop/resume, --stats, --histo).
heapsnap_SOURCES += snapshot/stats.c snapshot/stats.h snapshot/histo.c snapshot/histo.h
