# lib/proc/safepoint.mk: libheapsnap's safepoint driven from outside (issue 22).
lib_libhs_la_SOURCES += lib/proc/safepoint.c lib/proc/safepoint.h
