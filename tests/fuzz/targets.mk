# One line per fuzz target (the owner of the parser adds it). FUZZ_EXTRA_name
# may list extra sources the target needs beyond lib/.
FUZZ_TARGETS += tests/fuzz/fuzz_pprof
FUZZ_TARGETS += tests/fuzz/fuzz_glibc_heap
FUZZ_EXTRA_glibc_heap = $(top_srcdir)/tests/unit/synth_heap.c
FUZZ_TARGETS += tests/fuzz/fuzz_http
FUZZ_EXTRA_http = $(top_srcdir)/hook/endpoint/http_parse.c
FUZZ_TARGETS += tests/fuzz/fuzz_symelf
FUZZ_TARGETS += tests/fuzz/fuzz_ehhdr
FUZZ_TARGETS += tests/fuzz/fuzz_attribute
FUZZ_EXTRA_attribute = $(top_srcdir)/snapshot/attribute.c $(top_srcdir)/snapshot/attr_labels.c
tests/fuzz/fuzz_attribute: $(FUZZ_EXTRA_attribute)
