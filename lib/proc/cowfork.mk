# lib/proc/cowfork.mk: the copy-on-write snapshot's frozen child (issue 22),
# built on the injection, and the memory figures that decide whether to fork.
lib_libhs_la_SOURCES += lib/proc/cowfork.c lib/proc/cowfork.h
lib_libhs_la_SOURCES += lib/proc/memroom.c lib/proc/memroom.h
