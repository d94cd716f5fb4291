/* tests/progs/gen_series.c: writes synthetic heap-profile series through
 * lib/heapprof with exactly known growth, for heapsnap-analyze's tests and
 * benchmark: leaks (a doubling buffer, accumulating entries), controls (steady
 * churn, plateau, one-time warm-up, a noisy sampled flat heap), mismatched
 * inputs, and large series of many stacks.
 *
 *   gen_series SCENARIO OUTDIR [-n STEPS] [-k STACKS] [-s SEED] [-r]
 *
 * -r names the files in reverse time order (file order != time order). Every
 * profile maps its code at a different address, as ASLR would. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapprof.h"
#include "pprof.h"

#define T0 1700000000000000000LL
#define STEP_NS 10000000000LL /* 10 s between snapshots */

typedef struct frame {
    const char *fn, *file;
    int line;
} frame;

typedef struct site {
    const char *name; /* scenario member this site belongs to */
    frame frames[6];
    int nframes;
} site;

/* Leaf first; the leaf is the code that called the allocator, or a wrapper. */
static const site SITES[] = {
    {"buffer",
     {{"grow_buffer", "src/buffer.c", 42},
      {"append_log", "src/log.c", 77},
      {"main", "src/main.c", 20}},
     3},
    {"entries",
     {{"xmalloc", "src/util.c", 10},
      {"add_entry", "src/cache.c", 17},
      {"handle", "src/server.c", 88},
      {"main", "src/main.c", 25}},
     4},
    {"churn",
     {{"malloc", "", 0}, {"handle_request", "src/server.c", 120}, {"main", "src/main.c", 25}},
     3},
    {"plateau", {{"fill_pool", "src/pool.c", 33}, {"main", "src/main.c", 18}}, 2},
    {"warmup", {{"load_config", "src/config.c", 51}, {"main", "src/main.c", 15}}, 2},
    {"wrapped",
     {{"pool_get", "src/pool.c", 90},
      {"register_client", "src/clients.c", 61},
      {"main", "src/main.c", 30}},
     3},
    {"background", {{"init_tables", "src/init.c", 12}, {"main", "src/main.c", 14}}, 2},
};
#define NSITES (sizeof(SITES) / sizeof(SITES[0]))

/* Raw counters of one site at one step. */
typedef struct counters {
    int64_t alloc_objects, alloc_bytes, inuse_objects, inuse_bytes;
} counters;

static counters site_values(const char *name, int step)
{
    counters c = {0, 0, 0, 0};
    if (strcmp(name, "buffer") == 0) {
        /* A realloc-doubling array whose length grows by 1 MiB per step. */
        int64_t len = (int64_t)(step + 1) << 20, cap = 1 << 20;
        while (cap < len)
            cap *= 2;
        c.inuse_objects = 1;
        c.inuse_bytes = cap;
        c.alloc_objects = step + 1;
        c.alloc_bytes = 2 * cap;
    } else if (strcmp(name, "entries") == 0 || strcmp(name, "wrapped") == 0) {
        c.inuse_objects = 1000 + 500 * (int64_t)step;
        c.inuse_bytes = c.inuse_objects * 128;
        c.alloc_objects = c.inuse_objects;
        c.alloc_bytes = c.inuse_bytes;
    } else if (strcmp(name, "churn") == 0) {
        c.inuse_objects = 2000 + (step % 3 - 1) * 50;
        c.inuse_bytes = c.inuse_objects * 256;
        c.alloc_objects = 2000 + 10000 * (int64_t)step;
        c.alloc_bytes = c.alloc_objects * 256;
    } else if (strcmp(name, "plateau") == 0) {
        int64_t k = step < 4 ? step : 4;
        c.inuse_objects = 1 + 1000 * k;
        c.inuse_bytes = c.inuse_objects * 512;
        c.alloc_objects = c.inuse_objects;
        c.alloc_bytes = c.inuse_bytes;
    } else if (strcmp(name, "warmup") == 0) {
        if (step >= 1) {
            c.inuse_objects = 1;
            c.inuse_bytes = 8 << 20;
        }
        c.alloc_objects = c.inuse_objects;
        c.alloc_bytes = c.inuse_bytes;
    } else if (strcmp(name, "background") == 0) {
        c.inuse_objects = 300;
        c.inuse_bytes = 300 * 4096;
        c.alloc_objects = 300;
        c.alloc_bytes = 300 * 4096;
    }
    return c;
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static double rng_unit(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

/* Binomial(n, p) by the normal approximation when n is large. */
static int64_t binomial(int64_t n, double p)
{
    if (n < 64) {
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++)
            k += rng_unit() < p;
        return k;
    }
    double u1 = rng_unit(), u2 = rng_unit();
    double z = sqrt(-2 * log(u1 > 0 ? u1 : 1e-300)) * cos(2 * M_PI * u2);
    double k = (double)n * p + z * sqrt((double)n * p * (1 - p));
    return k < 0 ? 0 : k > (double)n ? n : (int64_t)llround(k);
}

static uint64_t add_stack_loc(pprof_builder *b, uint64_t map, uint64_t base, const frame *f,
                              uint64_t id)
{
    pprof_line_desc line = {f->fn, NULL, f->file[0] ? f->file : NULL, f->line ? f->line - 2 : 0,
                            f->line};
    return pprof_add_location(b, map, base + 0x1000 + id * 16, &line, 1);
}

static uint64_t frame_id(const frame *f)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = f->fn; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return (h ^ (uint64_t)f->line) & 0xffff;
}

static int write_profile(const char *dir, int index, pprof_builder *b)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/snap-%03d.pb.gz", dir, index);
    hs_err err;
    if (pprof_write_file(b, path, &err) != 0) {
        fprintf(stderr, "gen_series: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static pprof_builder *new_profile(int64_t rate, int step, bool notime, uint64_t *map,
                                  uint64_t *base)
{
    pprof_builder *b = heapprof_new(rate, notime ? 0 : T0 + step * STEP_NS);
    *base = 0x555500000000ULL + (uint64_t)step * 0x100000ULL; /* moves like ASLR */
    pprof_mapping_desc m = {
        *base, *base + 0x100000, 0, "/usr/bin/demo", "abcdef0123456789", true, true, true, false};
    *map = pprof_add_mapping(b, &m);
    return b;
}

/* One profile per step with the named members (a comma-separated list). */
static int scenario(const char *dir, const char *members, int steps, int64_t rate, bool notime,
                    bool reverse)
{
    for (int step = 0; step < steps; step++) {
        uint64_t map, base;
        pprof_builder *b = new_profile(rate, step, notime, &map, &base);
        for (size_t s = 0; s < NSITES; s++) {
            const site *st = &SITES[s];
            char key[64];
            snprintf(key, sizeof(key), ",%s,", st->name);
            char list[512];
            snprintf(list, sizeof(list), ",%s,", members);
            if (strstr(list, key) == NULL)
                continue;
            uint64_t locs[6];
            for (int f = 0; f < st->nframes; f++)
                locs[f] = add_stack_loc(b, map, base, &st->frames[f], frame_id(&st->frames[f]));
            counters c = site_values(st->name, step);
            heapprof_add_site(b, locs, (size_t)st->nframes, rate, c.alloc_objects, c.alloc_bytes,
                              c.inuse_objects, c.inuse_bytes);
        }
        int rc = write_profile(dir, reverse ? steps - 1 - step : step, b);
        pprof_builder_free(b);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* A flat heap under Go-style sampling: every object turns over between
 * snapshots, so each profile samples a fresh set. */
static int noisy(const char *dir, int steps, int nsites)
{
    const int64_t rate = 524288;
    for (int step = 0; step < steps; step++) {
        uint64_t map, base;
        pprof_builder *b = new_profile(rate, step, false, &map, &base);
        for (int s = 0; s < nsites; s++) {
            char fn[64], file[64];
            snprintf(fn, sizeof(fn), "worker_%02d", s);
            snprintf(file, sizeof(file), "src/worker%02d.c", s);
            frame fr[2] = {{fn, file, 10 + s}, {"main", "src/main.c", 40}};
            uint64_t locs[2] = {add_stack_loc(b, map, base, &fr[0], 100 + (uint64_t)s),
                                add_stack_loc(b, map, base, &fr[1], 99)};
            int64_t size = 64 << (s % 7); /* 64 B .. 4 KiB */
            int64_t n = (2500000 + 100000 * s) / size;
            double p = 1 - exp(-(double)size / (double)rate);
            int64_t k = binomial(n, p);
            int64_t ka = binomial(n * (step + 1), p);
            heapprof_add_site(b, locs, 2, rate, ka, ka * size, k, k * size);
        }
        int rc = write_profile(dir, step, b);
        pprof_builder_free(b);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Two profiles of different kinds. */
static int mismatch(const char *dir, bool types)
{
    uint64_t map, base;
    pprof_builder *a = new_profile(524288, 0, false, &map, &base);
    frame f = {"add_entry", "src/cache.c", 17};
    uint64_t loc = add_stack_loc(a, map, base, &f, 1);
    heapprof_add_site(a, &loc, 1, 524288, 10, 10240, 10, 10240);
    int rc = write_profile(dir, 0, a);
    pprof_builder_free(a);
    pprof_builder *b;
    if (types) {
        b = pprof_builder_new();
        pprof_add_sample_type(b, "samples", "count");
        pprof_add_sample_type(b, "cpu", "nanoseconds");
        pprof_set_period(b, "cpu", "nanoseconds", 10000000);
        pprof_set_time(b, T0 + STEP_NS, 0);
        uint64_t l = pprof_add_pseudo_location(b, "add_entry");
        int64_t v[2] = {5, 50000000};
        pprof_add_sample(b, &l, 1, v, NULL, 0);
    } else {
        b = new_profile(1, 1, false, &map, &base);
        uint64_t l = add_stack_loc(b, map, base, &f, 1);
        heapprof_add_site(b, &l, 1, 1, 20, 20480, 20, 20480);
    }
    rc |= write_profile(dir, 1, b);
    pprof_builder_free(b);
    return rc;
}

/* The benchmark: steps profiles of nstacks stacks each (8-16 frames from a pool
 * of 4000 functions), flat with noise, plus two leaks. */
static int bench(const char *dir, int steps, int nstacks)
{
    enum { NFUNCS = 4000 };
    static char names[NFUNCS][32], files[NFUNCS][32];
    for (int i = 0; i < NFUNCS; i++) {
        snprintf(names[i], sizeof(names[i]), "fn_%04d", i);
        snprintf(files[i], sizeof(files[i]), "src/mod%03d.c", i / 20);
    }
    int(*stacks)[16] = calloc((size_t)nstacks, sizeof(*stacks));
    int *depth = calloc((size_t)nstacks, sizeof(int));
    int64_t *size = calloc((size_t)nstacks, sizeof(int64_t));
    if (stacks == NULL || depth == NULL || size == NULL)
        return -1;
    for (int s = 0; s < nstacks; s++) {
        depth[s] = 8 + (int)(rng() % 9);
        for (int d = 0; d < depth[s]; d++)
            stacks[s][d] = (int)(rng() % NFUNCS);
        size[s] = 16 << (rng() % 9);
    }
    for (int step = 0; step < steps; step++) {
        uint64_t map, base;
        pprof_builder *b = new_profile(524288, step, false, &map, &base);
        for (int s = 0; s < nstacks; s++) {
            uint64_t locs[16];
            for (int d = 0; d < depth[s]; d++) {
                int fi = stacks[s][d];
                frame f = {names[fi], files[fi], 10 + fi % 500};
                locs[d] = add_stack_loc(b, map, base, &f, (uint64_t)fi);
            }
            int64_t n = 100 + (int64_t)(rng() % 20);
            if (s < 2)
                n += 2000 * (int64_t)step; /* the two leaks */
            heapprof_add_site(b, locs, (size_t)depth[s], 524288, n * (step + 1),
                              n * (step + 1) * size[s], n, n * size[s]);
        }
        int rc = write_profile(dir, step, b);
        pprof_builder_free(b);
        if (rc != 0)
            return -1;
    }
    free(stacks);
    free(depth);
    free(size);
    return 0;
}

int main(int argc, char **argv)
{
    int steps = 10, nstacks = 10000, opt;
    bool reverse = false;
    while ((opt = getopt(argc, argv, "n:k:s:r")) != -1) {
        switch (opt) {
        case 'n':
            steps = atoi(optarg);
            break;
        case 'k':
            nstacks = atoi(optarg);
            break;
        case 's':
            rng_state = strtoull(optarg, NULL, 0) | 1;
            break;
        case 'r':
            reverse = true;
            break;
        default:
            return 2;
        }
    }
    if (argc - optind != 2 || steps < 1) {
        fprintf(stderr,
                "usage: gen_series SCENARIO OUTDIR [-n STEPS] [-k STACKS] [-s SEED] [-r]\n"
                "scenarios: buffer entries churn plateau warmup wrapped mixed notime noisy\n"
                "           mismatch-types mismatch-period bench\n");
        return 2;
    }
    const char *sc = argv[optind], *dir = argv[optind + 1];
    int rc;
    if (strcmp(sc, "mixed") == 0)
        rc = scenario(dir, "buffer,entries,churn,plateau,warmup,background", steps, 1, false,
                      reverse);
    else if (strcmp(sc, "notime") == 0)
        rc = scenario(dir, "entries,background", steps, 1, true, false);
    else if (strcmp(sc, "noisy") == 0)
        rc = noisy(dir, steps, 20);
    else if (strcmp(sc, "mismatch-types") == 0)
        rc = mismatch(dir, true);
    else if (strcmp(sc, "mismatch-period") == 0)
        rc = mismatch(dir, false);
    else if (strcmp(sc, "bench") == 0)
        rc = bench(dir, steps, nstacks);
    else if (strstr(",buffer,entries,churn,plateau,warmup,wrapped,", sc) != NULL && sc[0] &&
             strchr(sc, ',') == NULL) {
        char members[128];
        snprintf(members, sizeof(members), "%s,background", sc);
        rc = scenario(dir, members, steps, 1, false, reverse);
    } else {
        fprintf(stderr, "gen_series: unknown scenario %s\n", sc);
        return 2;
    }
    return rc == 0 ? 0 : 1;
}
