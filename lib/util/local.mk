# lib/util/: errors, atomic file writes, whole-file reads, durations.
lib_libhs_la_SOURCES += lib/util/hs_error.c lib/util/hs_error.h
lib_libhs_la_SOURCES += lib/util/afile.c lib/util/afile.h
lib_libhs_la_SOURCES += lib/util/slurp.c lib/util/slurp.h
lib_libhs_la_SOURCES += lib/util/duration.c lib/util/duration.h
lib_libhs_la_SOURCES += lib/util/hs_intern.c lib/util/hs_intern.h
lib_libhs_la_SOURCES += lib/util/hs_array.c lib/util/hs_array.h
lib_libhs_la_SOURCES += lib/util/hs_json.c lib/util/hs_json.h

# The toolbox's unit tests.
check_PROGRAMS += tests/unit/test_util
TESTS += tests/unit/test_util
tests_unit_test_util_LDADD = $(UNIT_LDADD)
