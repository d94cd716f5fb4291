# lib/prof/: the pprof format: the profile builder and reader, heap profiles.
lib_libhs_la_SOURCES += lib/prof/pprof_build.c lib/prof/pprof_read.c lib/prof/pprof.h
lib_libhs_la_SOURCES += lib/prof/heapprof.c lib/prof/heapprof.h
