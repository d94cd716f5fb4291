# snapshot/walker.mk: the walker module's files inside the heapsnap command (ptrace stop/resume, --stats).
heapsnap_SOURCES += snapshot/ptrace.c snapshot/ptrace.h snapshot/stats.c snapshot/stats.h \
	snapshot/quiesce.c snapshot/quiesce.h
