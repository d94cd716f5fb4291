# snapshot/walker.mk: the walker module's files inside the heapsnap command (ptrace stop/resume, --stats).
