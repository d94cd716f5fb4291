/* victim/options.c: parses heapsnap-victim's options with getopt_long, checking
 * every value, and prints --help. Usage errors become one sentence for main(). */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

enum { OPT_SEED = 256, OPT_HTTP };

static const struct option victim_long_opts[] = {
    {"scenario", required_argument, NULL, 's'},  {"list", no_argument, NULL, 'l'},
    {"fixed", no_argument, NULL, 'f'},           {"rate", required_argument, NULL, 'r'},
    {"duration", required_argument, NULL, 'd'},  {"threads", required_argument, NULL, 't'},
    {"seed", required_argument, NULL, OPT_SEED}, {"max-mb", required_argument, NULL, 'm'},
    {"http", required_argument, NULL, OPT_HTTP}, {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0},
};

void victim_opts_usage(FILE *out)
{
    fprintf(out,
            "Usage: heapsnap-victim --scenario NAME [OPTIONS]\n"
            "A program that leaks memory on purpose, the way real services do, so that\n"
            "heapsnap, heapsnap-analyze and go tool pprof have something to find.\n"
            "\n"
            "  -s, --scenario NAME  the leak pattern or control to run (see --list)\n"
            "  -l, --list           list the scenarios, one line each, and exit\n"
            "  -f, --fixed          run the fixed version of a leaking scenario\n"
            "  -r, --rate N         operations per second, across all threads (default %d;\n"
            "                       0 = as fast as possible); one operation is one request,\n"
            "                       append or insert of the scenario\n"
            "  -d, --duration TIME  stop after TIME: 500ms, 10s, 5m, 1h or plain seconds\n"
            "                       (default: run until killed)\n"
            "  -t, --threads N      allocate from N threads (1-%d, default 1), so that glibc's\n"
            "                       per-thread arenas are exercised\n"
            "      --seed N         seed of the sizes and ids the scenario picks (default 1)\n"
            "  -m, --max-mb N       hold at most N MiB (default %d): at the cap, stop growing,\n"
            "                       say so once on stderr, and keep running\n"
            "      --http ADDR      serve /debug/pprof/heap on ADDR (e.g. 127.0.0.1:6060)\n"
            "  -h, --help           print this help and exit\n"
            "  -V, --version        print the version and exit\n"
            "\n"
            "Set HEAPSNAP_RATE=1 in the environment to record the stack of every allocation\n"
            "(the default samples one per 512 KiB allocated). Exit status: 0 ok, 1 failure,\n"
            "2 usage error. See heapsnap-victim(1).\n",
            VICTIM_DEFAULT_RATE, VICTIM_MAX_THREADS, VICTIM_DEFAULT_MAX_MB);
}

/* A whole decimal (or 0x) number in [lo, hi]. */
static int opts_number(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (s[0] == '\0' || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The option as the user typed it, for messages. */
static const char *opts_name(int c, char buf[3])
{
    for (const struct option *o = victim_long_opts; o->name != NULL; o++)
        if (o->val == c)
            return o->name;
    buf[0] = (char)c;
    buf[1] = '\0';
    return buf;
}

int victim_opts_parse(int argc, char **argv, struct victim_opts *o, hs_err *err)
{
    memset(o, 0, sizeof(*o));
    o->rate = VICTIM_DEFAULT_RATE;
    o->threads = 1;
    o->seed = 1;
    o->max_mb = VICTIM_DEFAULT_MAX_MB;

    opterr = 0;
    optind = 1;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, ":s:lfr:d:t:m:hV", victim_long_opts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->scenario = victim_scenario_find(optarg);
            if (o->scenario == NULL)
                return hs_err_set(err,
                                  "unknown scenario '%s': run heapsnap-victim --list to see "
                                  "the names.",
                                  optarg);
            break;
        case 'l':
            o->list = 1;
            break;
        case 'f':
            o->fixed = 1;
            break;
        case 'r':
            if (opts_number(optarg, 0, 10000000, &v) != 0)
                return hs_err_set(err,
                                  "--rate takes operations per second from 0 to 10000000, "
                                  "not '%s'.",
                                  optarg);
            o->rate = v;
            break;
        case 'd':
            if (duration_parse(optarg, &o->duration_ns, NULL) != 0)
                return hs_err_set(err,
                                  "--duration takes a positive time such as 500ms, 10s, 5m "
                                  "or 1h, not '%s'.",
                                  optarg);
            break;
        case 't':
            if (opts_number(optarg, 1, VICTIM_MAX_THREADS, &v) != 0)
                return hs_err_set(err, "--threads takes a whole number from 1 to %d, not '%s'.",
                                  VICTIM_MAX_THREADS, optarg);
            o->threads = (unsigned)v;
            break;
        case OPT_SEED:
            if (opts_number(optarg, 0, UINT64_MAX, &v) != 0)
                return hs_err_set(err,
                                  "--seed takes a whole number from 0 to %" PRIu64 ", not "
                                  "'%s'.",
                                  UINT64_MAX, optarg);
            o->seed = v;
            break;
        case 'm':
            if (opts_number(optarg, 1, 1048576, &v) != 0)
                return hs_err_set(err,
                                  "--max-mb takes a whole number of MiB from 1 to 1048576, "
                                  "not '%s'.",
                                  optarg);
            o->max_mb = (size_t)v;
            break;
        case OPT_HTTP:
            if (optarg[0] == '\0' || strchr(optarg, ':') == NULL)
                return hs_err_set(err, "--http takes HOST:PORT such as 127.0.0.1:6060, not '%s'.",
                                  optarg);
            o->http = optarg;
            break;
        case 'h':
            o->help = 1;
            break;
        case 'V':
            o->version = 1;
            break;
        case ':': {
            char buf[3];
            return hs_err_set(err, "option --%s needs a value: see heapsnap-victim --help.",
                              opts_name(optopt, buf));
        }
        default:
            if (optopt != 0)
                return hs_err_set(err, "unknown option '-%c': see heapsnap-victim --help.", optopt);
            return hs_err_set(err, "unknown option '%s': see heapsnap-victim --help.",
                              argv[optind - 1]);
        }
    }
    if (optind < argc)
        return hs_err_set(err, "unexpected argument '%s': name the scenario with --scenario %s.",
                          argv[optind], argv[optind]);
    return 0;
}
