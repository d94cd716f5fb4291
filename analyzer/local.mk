# analyzer/: heapsnap-analyze, one concept per file (an_<module>_ prefixes):
# input (read and order profiles), series (sites and allocating functions),
# trend (least squares, rises, noise), classify (verdict and pattern), hint,
# analysis (all functions, ranking), reports (text, JSON, SVG, HTML).
AN_CORE_SOURCES = \
	analyzer/an_frames.c analyzer/an_frames.h \
	analyzer/an_input.c analyzer/an_input.h \
	analyzer/an_prefetch.c analyzer/an_prefetch.h \
	analyzer/an_series.c analyzer/an_series.h \
	analyzer/an_trend.c analyzer/an_trend.h \
	analyzer/an_classify.c analyzer/an_classify.h \
	analyzer/an_hint.c analyzer/an_hint.h \
	analyzer/an_analysis.c analyzer/an_analysis.h \
	analyzer/an_holders.c analyzer/an_holders.h \
	analyzer/an_types.c analyzer/an_types.h \
	analyzer/an_buf.c analyzer/an_buf.h \
	analyzer/an_debugpkg.c analyzer/an_debugpkg.h \
	analyzer/an_report.h analyzer/an_report_text.c analyzer/an_report_json.c \
	analyzer/an_report_svg.c analyzer/an_report_html.c

bin_PROGRAMS += heapsnap-analyze
heapsnap_analyze_SOURCES = analyzer/an_main.c $(AN_CORE_SOURCES)
heapsnap_analyze_LDADD = lib/libhs.la -lm

# Unit tests: the trend and classification arithmetic with hand-computed values,
# and the series/input layer on profiles built in memory with lib/pprof.
check_PROGRAMS += tests/unit/test_an_trend tests/unit/test_an_classify tests/unit/test_an_series
TESTS += tests/unit/test_an_trend tests/unit/test_an_classify tests/unit/test_an_series
tests_unit_test_an_trend_SOURCES = tests/unit/test_an_trend.c analyzer/an_trend.c
tests_unit_test_an_trend_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/analyzer
tests_unit_test_an_trend_LDADD = $(CMOCKA_LIBS) -lm
tests_unit_test_an_classify_SOURCES = tests/unit/test_an_classify.c analyzer/an_classify.c \
	analyzer/an_trend.c analyzer/an_hint.c analyzer/an_frames.c
tests_unit_test_an_classify_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/analyzer
tests_unit_test_an_classify_LDADD = lib/libhs.la $(CMOCKA_LIBS) -lm
tests_unit_test_an_series_SOURCES = tests/unit/test_an_series.c $(AN_CORE_SOURCES)
tests_unit_test_an_series_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/analyzer
tests_unit_test_an_series_LDADD = lib/libhs.la $(CMOCKA_LIBS) -lm

# Synthetic series with exact, known growth, written through lib/pprof.
check_PROGRAMS += tests/progs/gen_series
tests_progs_gen_series_SOURCES = tests/progs/gen_series.c
tests_progs_gen_series_LDADD = lib/libhs.la -lm

# The accuracy matrix of the verdict (bench/accuracy.md): the classifier on
# series sampled as the hook and Go sample them.
noinst_PROGRAMS += bench/accuracy
bench_accuracy_SOURCES = bench/accuracy.c analyzer/an_classify.c analyzer/an_trend.c
bench_accuracy_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/analyzer
bench_accuracy_LDADD = -lm

TESTS += tests/integration/analyze_accuracy.sh tests/integration/analyze_goserver.sh \
	tests/integration/analyze_debian.sh tests/integration/analyze_python.sh
EXTRA_DIST += tests/integration/analyze_accuracy.sh tests/integration/analyze_goserver.sh \
	tests/integration/analyze_debian.sh tests/integration/analyze_python.sh \
	tests/goserver/main.go bench/accuracy.md bench/accuracy-table \
	bench/accuracy-intro.md

TESTS += tests/integration/analyze_synthetic.sh tests/integration/analyze_go.sh \
	tests/integration/analyze_errors.sh tests/integration/analyze_outputs.sh \
	tests/integration/analyze_victim.sh
EXTRA_DIST += tests/integration/analyze_synthetic.sh tests/integration/analyze_go.sh \
	tests/integration/analyze_errors.sh tests/integration/analyze_outputs.sh \
	tests/integration/analyze_victim.sh \
	tests/integration/analyze_common.sh tests/integration/an_jsonflat.go \
	tests/gofixtures/main.go tests/gofixtures/regen.sh tests/gofixtures/README.md \
	$(AN_GO_FIXTURES) \
	bench/analyze-bench
AN_GO_FIXTURES = tests/gofixtures/heap-00.pb.gz tests/gofixtures/heap-01.pb.gz \
	tests/gofixtures/heap-02.pb.gz tests/gofixtures/heap-03.pb.gz \
	tests/gofixtures/heap-04.pb.gz tests/gofixtures/heap-05.pb.gz \
	tests/gofixtures/heap-06.pb.gz tests/gofixtures/heap-07.pb.gz \
	tests/gofixtures/heap-08.pb.gz tests/gofixtures/heap-09.pb.gz \
	tests/gofixtures/heap-10.pb.gz tests/gofixtures/heap-11.pb.gz
