# tests/fuzz/: libFuzzer targets (clang -fsanitize=fuzzer,address,undefined) for every
# parser of untrusted bytes. Each owner appends its target name to FUZZ_TARGETS and
# keeps a seed corpus in tests/fuzz/corpus/NAME/. `make fuzz` builds them;
# `make fuzz-smoke` runs each for FUZZ_SECONDS (60) on a copy of its corpus.
FUZZ_TARGETS =
FUZZ_SECONDS = 60
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -DHS_FUZZING -I$(top_srcdir)/lib -I$(top_builddir)/proto -I$(top_srcdir)/hook \
	-I$(top_builddir) -DHS_VERSION='"$(PACKAGE_VERSION)"' $(HS_DEP_CFLAGS)
FUZZ_LIBSRC = $(addprefix $(top_srcdir)/,$(filter %.c,$(lib_libhs_la_SOURCES))) proto/profile.pb-c.c
include tests/fuzz/targets.mk
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/run-smoke.sh tests/fuzz/fuzz_pprof.c tests/fuzz/fuzz_http.c \
	tests/fuzz/fuzz_attribute.c tests/fuzz/fuzz_symelf.c
CLEANFILES += $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
tests/fuzz/fuzz_%: $(top_srcdir)/tests/fuzz/fuzz_%.c $(FUZZ_LIBSRC) $(BUILT_SOURCES)
	$(AM_V_GEN)$(MKDIR_P) tests/fuzz && $(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIBSRC) $(FUZZ_EXTRA_$*) $(HS_DEP_LIBS)

fuzz-smoke: fuzz
	$(SHELL) $(top_srcdir)/tests/fuzz/run-smoke.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
.PHONY: fuzz fuzz-smoke
