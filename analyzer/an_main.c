/* analyzer/an_main.c: the heapsnap-analyze command. Reads a series of heap
 * profiles, ranks the functions whose memory keeps growing, and reports them
 * as text, JSON, HTML or SVG. Exit: 0 done, 1 failure, 2 usage, 3 a suspect
 * was found and --fail-on-leak was given. */
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_analysis.h"
#include "an_holders.h"
#include "an_types.h"
#include "an_frames.h"
#include "an_input.h"
#include "an_report.h"
#include "an_series.h"
#include "afile.h"

#define EXIT_USAGE 2
#define EXIT_LEAK 3

static void usage(FILE *f)
{
    fputs("Usage: heapsnap-analyze [OPTION]... PROFILE PROFILE...\n"
          "       heapsnap-analyze --base OLD NEW\n"
          "Rank the call sites whose in-use memory keeps growing over a series of pprof heap\n"
          "profiles (heapsnap's, libheapsnap's /debug/pprof/heap, Go's), name the leak\n"
          "pattern and suggest a fix.\n"
          "\n"
          "  -b, --base OLD          two-point diff of OLD and the one PROFILE that follows\n"
          "                          (a weaker verdict than a series)\n"
          "  -i, --sample-index T    sample type to follow, by name or number\n"
          "                          (default inuse_space)\n"
          "  -d, --drop REGEX        also treat functions matching REGEX (POSIX ERE, whole\n"
          "                          name) as allocator wrappers; may be repeated\n"
          "  -j, --json              write the report as JSON\n"
          "  -o, --output FILE       write the text or JSON report to FILE, not stdout\n"
          "      --html FILE         also write a self-contained HTML report with a chart\n"
          "      --svg FILE          also write the chart alone as SVG\n"
          "      --fail-on-leak      exit with status 3 when there is a suspect\n"
          "  -h, --help              show this help and exit\n"
          "  -V, --version           show the version and exit\n"
          "\n"
          "Exit status: 0 done, 1 failure, 2 usage error, 3 suspects with --fail-on-leak.\n"
          "See heapsnap-analyze(1) for the thresholds and how to read the report.\n",
          f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("heapsnap-analyze: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see heapsnap-analyze --help).\n", stderr);
    return EXIT_USAGE;
}

static int write_out(const char *path, const an_buf *b)
{
    hs_err err;
    if (b->oom) {
        fprintf(stderr, "heapsnap-analyze: out of memory while writing the report: analyze "
                        "fewer profiles\n");
        return -1;
    }
    if (path == NULL) {
        if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
            fprintf(stderr, "heapsnap-analyze: cannot write the report to standard output\n");
            return -1;
        }
        return 0;
    }
    if (afile_write(path, b->data, b->len, &err) != 0) {
        fprintf(stderr, "heapsnap-analyze: %s\n", err.msg);
        return -1;
    }
    return 0;
}

enum { OPT_HTML = 256, OPT_SVG, OPT_FAIL };

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"base", required_argument, NULL, 'b'},
        {"sample-index", required_argument, NULL, 'i'},
        {"drop", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"html", required_argument, NULL, OPT_HTML},
        {"svg", required_argument, NULL, OPT_SVG},
        {"fail-on-leak", no_argument, NULL, OPT_FAIL},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    /* Every profile is decompressed and decoded into large blocks that are freed
     * right after: keep them in the heap for the next profile instead of
     * returning them to the kernel and faulting them in again. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    const char *base = NULL, *sample_index = NULL, *output = NULL, *html = NULL, *svg = NULL;
    bool json = false, fail_on_leak = false;
    hs_err err;
    an_frames *filter = an_frames_new(&err);
    if (filter == NULL) {
        fprintf(stderr, "heapsnap-analyze: %s\n", err.msg);
        return 1;
    }
    int c;
    opterr = 0; /* one sentence of our own instead of getopt's two lines */
    while ((c = getopt_long(argc, argv, ":b:i:d:jo:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            base = optarg;
            break;
        case 'i':
            sample_index = optarg;
            break;
        case 'd':
            if (an_frames_add_drop(filter, optarg, &err) != 0) {
                fprintf(stderr, "heapsnap-analyze: %s\n", err.msg);
                an_frames_free(filter);
                return EXIT_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_HTML:
            html = optarg;
            break;
        case OPT_SVG:
            svg = optarg;
            break;
        case OPT_FAIL:
            fail_on_leak = true;
            break;
        case 'h':
            usage(stdout);
            an_frames_free(filter);
            return 0;
        case 'V':
            printf("heapsnap-analyze %s\n", HS_VERSION);
            an_frames_free(filter);
            return 0;
        case ':':
            an_frames_free(filter);
            return usage_error("option %s needs a value", argv[optind - 1]);
        default:
            an_frames_free(filter);
            if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) != 0)
                return usage_error("unknown option -%c", optopt);
            return usage_error("unknown option or bad use of an option: %s", argv[optind - 1]);
        }
    }

    int npaths = argc - optind;
    char **paths = argv + optind;
    char *pair[2];
    if (base != NULL) {
        if (npaths != 1) {
            an_frames_free(filter);
            return usage_error("--base %s takes exactly one more profile (the new one): "
                               "heapsnap-analyze --base OLD NEW",
                               base);
        }
        pair[0] = (char *)base;
        pair[1] = paths[0];
        paths = pair;
        npaths = 2;
    } else if (npaths < 2) {
        an_frames_free(filter);
        return usage_error("%s: give at least two profiles (a series of snapshots of one "
                           "process), or --base OLD NEW",
                           npaths == 0 ? "no profiles" : "one profile");
    }

    an_input in;
    an_series *series = NULL;
    if (an_input_load(&in, paths, (size_t)npaths, sample_index, base != NULL, filter, &series,
                      &err) != 0) {
        fprintf(stderr, "heapsnap-analyze: %s\n", err.msg);
        an_input_free(&in);
        an_frames_free(filter);
        return 1;
    }
    an_analysis a;
    int rc = 0;
    if (an_analyze(&a, &in, series, &err) != 0) {
        fprintf(stderr, "heapsnap-analyze: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    an_types_settle(&a);  /* what the memory is */
    an_holders_hints(&a); /* the fix follows from who holds the memory */

    if (getenv("HEAPSNAP_ANALYZE_DEBUG") != NULL) {
        for (size_t g = 0; g < a.nverdicts; g++) {
            const an_verdict *v = &a.verdicts[g];
            const an_stats *st = &v->st;
            fprintf(stderr,
                    "debug: %s %s G=%.0f noise=%.0f slope=%.1f r2=%.3f mono=%.2f rises=%zu "
                    "tail=%.2f gap=%.2f late=%.0f/%.0f lslope=%.1f Go=%.1f noise_o=%.1f "
                    "freed=%.0f/%.0f kept=%.0f late_alloc=%.0f geo=%d part=%d\n",
                    v->function, an_classify_status_name(v->status), st->growth_bytes,
                    st->noise_growth, st->bytes_per_s, st->r2, st->monotonic, st->rises, st->tail,
                    st->max_gap, st->late_growth, st->late_noise, st->late_slope,
                    st->growth_objects, st->noise_objects, st->late_freed_excess,
                    st->late_freed_noise, st->late_kept_expected, st->late_alloc, st->geometric,
                    (int)v->part);
        }
    }
    an_buf report = {0};
    if (json)
        an_report_json(&report, &a);
    else
        an_report_text(&report, &a);
    if (write_out(output, &report) != 0)
        rc = 1;
    an_buf_free(&report);
    if (rc == 0 && html != NULL) {
        an_buf b = {0};
        an_report_html(&b, &a);
        if (write_out(html, &b) != 0)
            rc = 1;
        an_buf_free(&b);
    }
    if (rc == 0 && svg != NULL) {
        an_buf b = {0};
        an_report_svg(&b, &a, true);
        if (write_out(svg, &b) != 0)
            rc = 1;
        an_buf_free(&b);
    }
    if (rc == 0 && fail_on_leak && (a.nsuspects > 0 || a.nuncoded > 0))
        rc = EXIT_LEAK;
    an_analysis_free(&a);
out:
    an_series_free(series);
    an_input_free(&in);
    an_frames_free(filter);
    return rc;
}
