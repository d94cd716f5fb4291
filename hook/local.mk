# hook/: libheapsnap.so, the in-process hook (LD_PRELOAD or -lheapsnap): Go-style
# allocation sampling, the registry heapsnap reads, and the /debug/pprof endpoint.
# Never built with sanitizers: it runs inside arbitrary host processes.
lib_LTLIBRARIES += libheapsnap.la
libheapsnap_la_SOURCES = hook/heapsnap.h hook/heapsnap_registry.h hook/hook_internal.h \
	hook/hook_malloc.c hook/hook_init.c hook/hook_forklock.c hook/hook_forklock.h \
	hook/hook_sampler.c hook/hook_sampler.h hook/hook_counts.c hook/hook_counts.h \
	hook/hook_tables.c hook/hook_tables.h hook/hook_filter.c hook/hook_filter.h \
	hook/hook_unseen.c hook/hook_unseen.h \
	hook/hook_stack.c hook/hook_stack.h hook/hook_unwind.c hook/hook_unwind.h \
	hook/endpoint/hook_profile.c hook/endpoint/hook_profile.h \
	hook/endpoint/hook_http.c hook/endpoint/http_parse.c hook/endpoint/http_parse.h \
	hook/endpoint/hook_metrics.c hook/endpoint/hook_metrics.h \
	hook/hook_safepoint.c hook/hook_safepoint.h hook/hook_thread.h
libheapsnap_la_SOURCES += hook/hook_attach.c
libheapsnap_la_CFLAGS = $(HS_WARN_CFLAGS) $(HS_DEP_CFLAGS) -fvisibility=hidden
# The version script keeps everything but the interface local; -z nodelete
# because interposed malloc must outlive any dlclose.
libheapsnap_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-Wl,--version-script=$(srcdir)/hook/libheapsnap.map -Wl,-z,nodelete
libheapsnap_la_LIBADD = lib/libhs_nosan.la $(LIBUNWIND_LIBS) $(HS_DEP_LIBS) -lstdc++ -ldl -lpthread
EXTRA_libheapsnap_la_DEPENDENCIES = hook/libheapsnap.map
EXTRA_DIST += hook/libheapsnap.map
include_HEADERS += hook/heapsnap.h hook/heapsnap_registry.h
pkgconfig_DATA = libheapsnap.pc

# Unit tests: sampler, tables, request parser, built without preloading.
check_PROGRAMS += tests/unit/test_hook_sampler tests/unit/test_hook_tables tests/unit/test_http_parse
TESTS += tests/unit/test_hook_sampler tests/unit/test_hook_tables tests/unit/test_http_parse
check_PROGRAMS += tests/unit/test_hook_forklock tests/unit/test_hook_unwind
TESTS += tests/unit/test_hook_unwind
# -O2 and -O0 frames alike: the unwinder against libunwind on the same stacks.
tests_unit_test_hook_unwind_SOURCES = tests/unit/test_hook_unwind.c hook/hook_unwind.c \
	hook/hook_unwind.h lib/proc/ehhdr.c lib/proc/ehhdr.h
tests_unit_test_hook_unwind_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBUNWIND_CFLAGS) -pthread
tests_unit_test_hook_unwind_LDADD = $(CMOCKA_LIBS) $(LIBUNWIND_LIBS) -ldl -lpthread
TESTS += tests/unit/test_hook_forklock
tests_unit_test_hook_forklock_SOURCES = tests/unit/test_hook_forklock.c hook/hook_forklock.c \
	hook/hook_forklock.h
tests_unit_test_hook_forklock_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -pthread
tests_unit_test_hook_forklock_LDADD = $(CMOCKA_LIBS) -lpthread
tests_unit_test_hook_sampler_SOURCES = tests/unit/test_hook_sampler.c hook/hook_sampler.c hook/hook_sampler.h
tests_unit_test_hook_sampler_LDADD = $(CMOCKA_LIBS) -lm
tests_unit_test_hook_tables_SOURCES = tests/unit/test_hook_tables.c hook/hook_tables.c hook/hook_tables.h \
	hook/hook_filter.c hook/hook_filter.h \
	hook/hook_counts.c hook/hook_counts.h
tests_unit_test_hook_tables_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -pthread
tests_unit_test_hook_tables_LDADD = $(CMOCKA_LIBS) -lpthread
tests_unit_test_http_parse_SOURCES = tests/unit/test_http_parse.c hook/endpoint/http_parse.c hook/endpoint/http_parse.h
tests_unit_test_http_parse_LDADD = $(CMOCKA_LIBS)

# Integration: the hook preloaded into small programs (not sanitized: ASan
# cannot run under a preloaded allocator), endpoint checked with google's
# validator and go tool pprof.
HOOK_PROG_CFLAGS = -Wall -Wextra -g -O2
check_PROGRAMS += tests/progs/hook_leak tests/progs/hook_threads tests/progs/hook_ctor \
	tests/progs/hook_fork tests/progs/hook_cxx
tests_progs_hook_leak_CFLAGS = $(HOOK_PROG_CFLAGS)
tests_progs_hook_leak_LDFLAGS =
tests_progs_hook_threads_CFLAGS = $(HOOK_PROG_CFLAGS)
tests_progs_hook_threads_LDFLAGS =
tests_progs_hook_threads_LDADD = -lpthread
tests_progs_hook_ctor_CFLAGS = $(HOOK_PROG_CFLAGS)
tests_progs_hook_ctor_LDFLAGS =
tests_progs_hook_fork_CFLAGS = $(HOOK_PROG_CFLAGS)
tests_progs_hook_fork_LDFLAGS =
tests_progs_hook_fork_LDADD = -lpthread -ldl
tests_progs_hook_cxx_SOURCES = tests/progs/hook_cxx.cc
tests_progs_hook_cxx_CXXFLAGS = -Wall -Wextra -g -O2
tests_progs_hook_cxx_LDFLAGS =
HOOK_TESTS = tests/integration/hook_endpoint.sh tests/integration/hook_programs.sh \
	tests/integration/hook_config.sh tests/integration/hook_metrics.sh
TESTS += $(HOOK_TESTS)
EXTRA_DIST += $(HOOK_TESTS) tests/integration/hook_common.sh

# The cached unwinder against libunwind inside real programs (Debian's perl,
# gawk and sqlite3, C++ at -O2, threads): a shim preloaded into each.
check_PROGRAMS += tests/progs/unwind_compare.so
tests_progs_unwind_compare_so_SOURCES = tests/progs/unwind_compare.c hook/hook_unwind.c \
	hook/hook_unwind.h lib/proc/ehhdr.c lib/proc/ehhdr.h
tests_progs_unwind_compare_so_CFLAGS = -Wall -Wextra -g -O2 -fPIC -I$(srcdir)/hook $(LIBUNWIND_CFLAGS)
tests_progs_unwind_compare_so_LDFLAGS = -Xcompiler -shared -Wl,-z,defs
tests_progs_unwind_compare_so_LDADD = $(LIBUNWIND_LIBS) -ldl
TESTS += tests/integration/hook_unwind.sh
EXTRA_DIST += tests/integration/hook_unwind.sh
check_PROGRAMS += tests/progs/unwind_cxx
tests_progs_unwind_cxx_SOURCES = tests/progs/unwind_cxx.cc
tests_progs_unwind_cxx_CXXFLAGS = -Wall -Wextra -g -O2
tests_progs_unwind_cxx_LDFLAGS = -pthread
