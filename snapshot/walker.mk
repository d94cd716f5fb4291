# snapshot/walker.mk: the walker module's files inside the heapsnap command (ptrace stop/resume, --stats).
heapsnap_SOURCES += snapshot/stats.c snapshot/stats.h
