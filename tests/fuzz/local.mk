# tests/fuzz/: libFuzzer targets (clang -fsanitize=fuzzer,address,undefined) for every
# parser of untrusted bytes. Each owner appends its target name to FUZZ_TARGETS and
# keeps a seed corpus in tests/fuzz/corpus/NAME/. `make fuzz` builds them;
# `make fuzz-smoke` runs each for FUZZ_SECONDS (60) on a copy of its corpus;
# `make fuzz-long` runs each for FUZZ_LONG_RUNS inputs (10 million), any
# finding failing it: it goes far deeper than the smoke run (the README's
# testing section has its time per target).
FUZZ_TARGETS =
FUZZ_SECONDS = 60
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -DHS_FUZZING $(HS_LIB_INCLUDES) -I$(top_builddir)/proto -I$(top_srcdir)/hook -I$(top_srcdir)/hook/endpoint \
	-DHS_VERSION='"$(PACKAGE_VERSION)"' $(HS_DEP_CFLAGS)
FUZZ_LIBSRC = $(filter %.c,$(lib_libhs_la_SOURCES))
# lib/ is compiled once (one object per source, so make -j works) into an
# archive every target links; only the target's own file is compiled per target.
FUZZ_LIBOBJ = $(patsubst lib/%.c,tests/fuzz/obj/%.o,$(FUZZ_LIBSRC)) tests/fuzz/obj/profile.pb-c.o
FUZZ_OBJ_FLAGS = $(subst -fsanitize=fuzzer$(comma),-fsanitize=fuzzer-no-link$(comma),$(FUZZ_FLAGS))
comma = ,
include tests/fuzz/targets.mk
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/run-smoke.sh tests/fuzz/fuzz_pprof.c tests/fuzz/fuzz_http.c \
	tests/fuzz/fuzz_attribute.c tests/fuzz/fuzz_symelf.c tests/fuzz/fuzz_ehhdr.c
CLEANFILES += $(FUZZ_TARGETS) $(FUZZ_LIBOBJ) tests/fuzz/libhs_fuzz.a

fuzz: $(FUZZ_TARGETS)
tests/fuzz/obj/%.o: $(top_srcdir)/lib/%.c $(BUILT_SOURCES)
	$(AM_V_CC)$(MKDIR_P) $(@D) && $(CLANG) $(FUZZ_OBJ_FLAGS) -c -o $@ $<
tests/fuzz/obj/profile.pb-c.o: proto/profile.pb-c.c $(BUILT_SOURCES)
	$(AM_V_CC)$(MKDIR_P) tests/fuzz/obj && $(CLANG) $(FUZZ_OBJ_FLAGS) -c -o $@ proto/profile.pb-c.c
tests/fuzz/libhs_fuzz.a: $(FUZZ_LIBOBJ)
	$(AM_V_AR)rm -f $@ && $(AR) rcs $@ $(FUZZ_LIBOBJ)
tests/fuzz/fuzz_%: $(top_srcdir)/tests/fuzz/fuzz_%.c tests/fuzz/libhs_fuzz.a $(BUILT_SOURCES)
	$(AM_V_GEN)$(CLANG) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_EXTRA_$*) tests/fuzz/libhs_fuzz.a $(HS_DEP_LIBS)

fuzz-smoke: fuzz
	$(SHELL) $(top_srcdir)/tests/fuzz/run-smoke.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
FUZZ_LONG_RUNS = 10000000
fuzz-long: fuzz
	FUZZ_RUNS=$(FUZZ_LONG_RUNS) $(SHELL) $(top_srcdir)/tests/fuzz/run-smoke.sh 0 $(FUZZ_TARGETS)
.PHONY: fuzz fuzz-smoke fuzz-long
