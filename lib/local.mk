# lib/: shared code. One line per concept; each owner appends its own files.
lib_libhs_la_SOURCES += lib/hs_error.c lib/hs_error.h
lib_libhs_la_SOURCES += lib/atomic_file.c lib/atomic_file.h
lib_libhs_la_SOURCES += lib/slurp.c lib/slurp.h
lib_libhs_la_SOURCES += lib/duration.c lib/duration.h
lib_libhs_la_SOURCES += lib/pprof.c lib/pprof.h
lib_libhs_la_SOURCES += lib/heapprof.c lib/heapprof.h
include lib/heap.mk
include lib/sym.mk
lib_libhs_la_SOURCES += lib/procmaps.c lib/procmaps.h
lib_libhs_la_SOURCES += lib/buildid.c lib/buildid.h
