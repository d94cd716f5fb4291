/* lib/prof/pprof_build.c: builds and encodes pprof profiles (gzip, atomic
 * write; see pprof.h). The builder interns strings and deduplicates
 * functions, mappings and locations through interning tables keyed by byte
 * strings (hs_intern.h). */
#include "pprof.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "afile.h"
#include "hs_array.h"
#include "hs_intern.h"

/* A growable array of the builder's (hs_array.h), starting at 16. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    return hs_array_grow(arr, cap, need, elem, 16);
}

/* ---- builder ---- */

typedef struct b_line {
    uint64_t function_id;
    int64_t line;
} b_line;

typedef struct b_location {
    uint64_t mapping_id, address;
    size_t line_off, nlines; /* into lines[] */
} b_location;

typedef struct b_sample {
    size_t loc_off, nlocs;     /* into sample_locs[] */
    size_t val_off, nvals;     /* into sample_vals[] */
    size_t label_off, nlabels; /* into labels[] */
} b_sample;

typedef struct b_label {
    int64_t key, str, num, num_unit;
} b_label;

struct pprof_builder {
    bool oom;
    hs_intern strtab;
    char **strings;
    size_t nstrings, cap_strings;

    Perftools__Profiles__ValueType *sample_types;
    size_t nsample_types, cap_sample_types;
    int64_t period_type, period_unit, period;
    int64_t time_nanos, duration_nanos, default_sample_type;
    int64_t *comments;
    size_t ncomments, cap_comments;

    hs_intern maptab, fntab, loctab;
    Perftools__Profiles__Mapping *mappings;
    size_t nmappings, cap_mappings;
    Perftools__Profiles__Function *functions;
    size_t nfunctions, cap_functions;
    b_location *locations;
    size_t nlocations, cap_locations;
    b_line *lines;
    size_t nlines, cap_lines;

    b_sample *samples;
    size_t nsamples, cap_samples;
    uint64_t *sample_locs;
    size_t nsample_locs, cap_sample_locs;
    int64_t *sample_vals;
    size_t nsample_vals, cap_sample_vals;
    b_label *labels;
    size_t nlabels, cap_labels;
};

pprof_builder *pprof_builder_new(void)
{
    pprof_builder *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    /* Index 0 of the string table is always "". */
    b->strings = calloc(16, sizeof(char *));
    if (b->strings == NULL) {
        free(b);
        return NULL;
    }
    b->cap_strings = 16;
    b->strings[0] = strdup("");
    b->nstrings = 1;
    int added;
    if (b->strings[0] == NULL || hs_intern_get_or_put(&b->strtab, "", 0, 1, &added) == 0) {
        pprof_builder_free(b);
        return NULL;
    }
    return b;
}

void pprof_builder_free(pprof_builder *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->nstrings; i++)
        free(b->strings[i]);
    free(b->strings);
    hs_intern_free(&b->strtab);
    hs_intern_free(&b->maptab);
    hs_intern_free(&b->fntab);
    hs_intern_free(&b->loctab);
    free(b->sample_types);
    free(b->comments);
    free(b->mappings);
    free(b->functions);
    free(b->locations);
    free(b->lines);
    free(b->samples);
    free(b->sample_locs);
    free(b->sample_vals);
    free(b->labels);
    free(b);
}

int64_t pprof_intern(pprof_builder *b, const char *s)
{
    if (s == NULL || s[0] == '\0')
        return 0;
    size_t len = strlen(s);
    int added;
    /* The table stores index + 1 so that 0 can mean "empty slot". */
    uint32_t v = hs_intern_get_or_put(&b->strtab, s, len, (uint32_t)b->nstrings + 1, &added);
    if (v == 0)
        goto oom;
    if (!added)
        return (int64_t)v - 1;
    if (grow((void **)&b->strings, &b->cap_strings, b->nstrings + 1, sizeof(char *)) != 0)
        goto oom;
    b->strings[b->nstrings] = strdup(s);
    if (b->strings[b->nstrings] == NULL)
        goto oom;
    return (int64_t)b->nstrings++;
oom:
    b->oom = true;
    return 0;
}

void pprof_add_sample_type(pprof_builder *b, const char *type, const char *unit)
{
    if (grow((void **)&b->sample_types, &b->cap_sample_types, b->nsample_types + 1,
             sizeof(*b->sample_types)) != 0) {
        b->oom = true;
        return;
    }
    Perftools__Profiles__ValueType *vt = &b->sample_types[b->nsample_types++];
    perftools__profiles__value_type__init(vt);
    vt->type = pprof_intern(b, type);
    vt->unit = pprof_intern(b, unit);
}

void pprof_set_period(pprof_builder *b, const char *type, const char *unit, int64_t period)
{
    b->period_type = pprof_intern(b, type);
    b->period_unit = pprof_intern(b, unit);
    b->period = period;
}

void pprof_set_time(pprof_builder *b, int64_t time_nanos, int64_t duration_nanos)
{
    b->time_nanos = time_nanos;
    b->duration_nanos = duration_nanos;
}

void pprof_set_default_sample_type(pprof_builder *b, const char *type)
{
    b->default_sample_type = pprof_intern(b, type);
}

void pprof_add_comment(pprof_builder *b, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (grow((void **)&b->comments, &b->cap_comments, b->ncomments + 1, sizeof(int64_t)) != 0) {
        b->oom = true;
        return;
    }
    b->comments[b->ncomments++] = pprof_intern(b, buf);
}

uint64_t pprof_add_mapping(pprof_builder *b, const pprof_mapping_desc *m)
{
    int64_t key[9] = {
        (int64_t)m->start,
        (int64_t)m->limit,
        (int64_t)m->file_offset,
        pprof_intern(b, m->filename),
        pprof_intern(b, m->build_id),
        m->has_functions,
        m->has_filenames,
        m->has_line_numbers,
        m->has_inline_frames,
    };
    int added;
    uint32_t id =
        hs_intern_get_or_put(&b->maptab, key, sizeof(key), (uint32_t)b->nmappings + 1, &added);
    if (id == 0 || (added && grow((void **)&b->mappings, &b->cap_mappings, b->nmappings + 1,
                                  sizeof(*b->mappings)) != 0)) {
        b->oom = true;
        return 0;
    }
    if (added) {
        Perftools__Profiles__Mapping *pm = &b->mappings[b->nmappings++];
        perftools__profiles__mapping__init(pm);
        pm->id = id;
        pm->memory_start = m->start;
        pm->memory_limit = m->limit;
        pm->file_offset = m->file_offset;
        pm->filename = key[3];
        pm->build_id = key[4];
        pm->has_functions = m->has_functions;
        pm->has_filenames = m->has_filenames;
        pm->has_line_numbers = m->has_line_numbers;
        pm->has_inline_frames = m->has_inline_frames;
    }
    return id;
}

uint64_t pprof_add_function(pprof_builder *b, const char *name, const char *system_name,
                            const char *filename, int64_t start_line)
{
    int64_t key[4] = {
        pprof_intern(b, name),
        pprof_intern(b, system_name ? system_name : name),
        pprof_intern(b, filename),
        start_line,
    };
    int added;
    uint32_t id =
        hs_intern_get_or_put(&b->fntab, key, sizeof(key), (uint32_t)b->nfunctions + 1, &added);
    if (id == 0 || (added && grow((void **)&b->functions, &b->cap_functions, b->nfunctions + 1,
                                  sizeof(*b->functions)) != 0)) {
        b->oom = true;
        return 0;
    }
    if (added) {
        Perftools__Profiles__Function *f = &b->functions[b->nfunctions++];
        perftools__profiles__function__init(f);
        f->id = id;
        f->name = key[0];
        f->system_name = key[1];
        f->filename = key[2];
        f->start_line = start_line;
    }
    return id;
}

uint64_t pprof_add_location(pprof_builder *b, uint64_t mapping_id, uint64_t address,
                            const pprof_line_desc *lines, size_t nlines)
{
    /* Resolve the lines first: they are part of the key for address-less frames. */
    size_t first = b->nlines;
    if (grow((void **)&b->lines, &b->cap_lines, b->nlines + nlines, sizeof(*b->lines)) != 0) {
        b->oom = true;
        return 0;
    }
    for (size_t i = 0; i < nlines; i++) {
        uint64_t fid = pprof_add_function(b, lines[i].function, lines[i].system_name,
                                          lines[i].filename, lines[i].start_line);
        b->lines[first + i].function_id = fid;
        b->lines[first + i].line = lines[i].line;
    }

    int added;
    uint32_t id;
    uint32_t newid = (uint32_t)b->nlocations + 1;
    if (address != 0) {
        uint64_t key[2] = {mapping_id, address};
        id = hs_intern_get_or_put(&b->loctab, key, sizeof(key), newid, &added);
    } else {
        /* key: mapping id, then the (function, line) pairs */
        size_t klen = sizeof(uint64_t) + nlines * sizeof(b_line);
        unsigned char stackkey[1024];
        unsigned char *key = klen <= sizeof(stackkey) ? stackkey : malloc(klen);
        if (key == NULL) {
            b->oom = true;
            return 0;
        }
        memcpy(key, &mapping_id, sizeof(uint64_t));
        memcpy(key + sizeof(uint64_t), &b->lines[first], nlines * sizeof(b_line));
        id = hs_intern_get_or_put(&b->loctab, key, klen, newid, &added);
        if (key != stackkey)
            free(key);
    }
    if (id == 0 || (added && grow((void **)&b->locations, &b->cap_locations, b->nlocations + 1,
                                  sizeof(*b->locations)) != 0)) {
        b->oom = true;
        return 0;
    }
    if (!added)
        return id; /* the lines just resolved are dropped (functions stay interned) */
    b->nlines += nlines;
    b_location *l = &b->locations[b->nlocations++];
    l->mapping_id = mapping_id;
    l->address = address;
    l->line_off = first;
    l->nlines = nlines;
    return id;
}

uint64_t pprof_add_pseudo_location(pprof_builder *b, const char *name)
{
    pprof_line_desc line = {.function = name};
    return pprof_add_location(b, 0, 0, &line, 1);
}

int pprof_add_sample(pprof_builder *b, const uint64_t *location_ids, size_t nlocs,
                     const int64_t *values, const pprof_label_desc *labels, size_t nlabels)
{
    size_t nvals = b->nsample_types;
    if (grow((void **)&b->samples, &b->cap_samples, b->nsamples + 1, sizeof(*b->samples)) != 0 ||
        grow((void **)&b->sample_locs, &b->cap_sample_locs, b->nsample_locs + nlocs,
             sizeof(uint64_t)) != 0 ||
        grow((void **)&b->sample_vals, &b->cap_sample_vals, b->nsample_vals + nvals,
             sizeof(int64_t)) != 0 ||
        grow((void **)&b->labels, &b->cap_labels, b->nlabels + nlabels, sizeof(b_label)) != 0) {
        b->oom = true;
        return -1;
    }
    b_sample *s = &b->samples[b->nsamples++];
    s->loc_off = b->nsample_locs;
    s->nlocs = nlocs;
    memcpy(&b->sample_locs[b->nsample_locs], location_ids, nlocs * sizeof(uint64_t));
    b->nsample_locs += nlocs;
    s->val_off = b->nsample_vals;
    s->nvals = nvals;
    memcpy(&b->sample_vals[b->nsample_vals], values, nvals * sizeof(int64_t));
    b->nsample_vals += nvals;
    s->label_off = b->nlabels;
    s->nlabels = nlabels;
    for (size_t i = 0; i < nlabels; i++) {
        b_label *l = &b->labels[b->nlabels++];
        l->key = pprof_intern(b, labels[i].key);
        l->str = labels[i].str ? pprof_intern(b, labels[i].str) : 0;
        l->num = labels[i].str ? 0 : labels[i].num;
        l->num_unit = pprof_intern(b, labels[i].num_unit);
    }
    return 0;
}

size_t pprof_builder_nsamples(const pprof_builder *b)
{
    return b->nsamples;
}

/* ---- encoding ---- */

static int gzip_bytes(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen, hs_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return hs_err_set(err, "cannot start gzip compression (out of memory)");
    size_t cap = deflateBound(&z, inlen) + 64;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        deflateEnd(&z);
        return hs_err_set(err, "out of memory while compressing the profile");
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)inlen;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return hs_err_set(err, "gzip compression of the profile failed");
    }
    *out = buf;
    *outlen = n;
    return 0;
}

int pprof_encode(pprof_builder *b, bool gzip, uint8_t **out, size_t *outlen, hs_err *err)
{
    if (b->oom)
        return hs_err_set(err, "out of memory while building the profile");
    int rc = -1;
    Perftools__Profiles__Profile p;
    perftools__profiles__profile__init(&p);
    Perftools__Profiles__ValueType period_type;
    perftools__profiles__value_type__init(&period_type);

    Perftools__Profiles__ValueType **st = calloc(b->nsample_types + 1, sizeof(*st));
    Perftools__Profiles__Sample *samples = calloc(b->nsamples + 1, sizeof(*samples));
    Perftools__Profiles__Sample **sp = calloc(b->nsamples + 1, sizeof(*sp));
    Perftools__Profiles__Label *labels = calloc(b->nlabels + 1, sizeof(*labels));
    Perftools__Profiles__Label **lp = calloc(b->nlabels + 1, sizeof(*lp));
    Perftools__Profiles__Mapping **mp = calloc(b->nmappings + 1, sizeof(*mp));
    Perftools__Profiles__Function **fp = calloc(b->nfunctions + 1, sizeof(*fp));
    Perftools__Profiles__Location *locs = calloc(b->nlocations + 1, sizeof(*locs));
    Perftools__Profiles__Location **locp = calloc(b->nlocations + 1, sizeof(*locp));
    Perftools__Profiles__Line *lines = calloc(b->nlines + 1, sizeof(*lines));
    Perftools__Profiles__Line **linep = calloc(b->nlines + 1, sizeof(*linep));
    uint8_t *raw = NULL;
    if (!st || !samples || !sp || !labels || !lp || !mp || !fp || !locs || !locp || !lines ||
        !linep) {
        hs_err_set(err, "out of memory while encoding the profile");
        goto out;
    }

    for (size_t i = 0; i < b->nsample_types; i++)
        st[i] = &b->sample_types[i];
    p.n_sample_type = b->nsample_types;
    p.sample_type = st;

    for (size_t i = 0; i < b->nlabels; i++) {
        perftools__profiles__label__init(&labels[i]);
        labels[i].key = b->labels[i].key;
        labels[i].str = b->labels[i].str;
        labels[i].num = b->labels[i].num;
        labels[i].num_unit = b->labels[i].num_unit;
        lp[i] = &labels[i];
    }
    for (size_t i = 0; i < b->nsamples; i++) {
        const b_sample *s = &b->samples[i];
        perftools__profiles__sample__init(&samples[i]);
        samples[i].n_location_id = s->nlocs;
        samples[i].location_id = &b->sample_locs[s->loc_off];
        samples[i].n_value = s->nvals;
        samples[i].value = &b->sample_vals[s->val_off];
        samples[i].n_label = s->nlabels;
        samples[i].label = &lp[s->label_off];
        sp[i] = &samples[i];
    }
    p.n_sample = b->nsamples;
    p.sample = sp;

    for (size_t i = 0; i < b->nmappings; i++)
        mp[i] = &b->mappings[i];
    p.n_mapping = b->nmappings;
    p.mapping = mp;
    for (size_t i = 0; i < b->nfunctions; i++)
        fp[i] = &b->functions[i];
    p.n_function = b->nfunctions;
    p.function = fp;

    for (size_t i = 0; i < b->nlines; i++) {
        perftools__profiles__line__init(&lines[i]);
        lines[i].function_id = b->lines[i].function_id;
        lines[i].line = b->lines[i].line;
        linep[i] = &lines[i];
    }
    for (size_t i = 0; i < b->nlocations; i++) {
        const b_location *l = &b->locations[i];
        perftools__profiles__location__init(&locs[i]);
        locs[i].id = i + 1;
        locs[i].mapping_id = l->mapping_id;
        locs[i].address = l->address;
        locs[i].n_line = l->nlines;
        locs[i].line = &linep[l->line_off];
        locp[i] = &locs[i];
    }
    p.n_location = b->nlocations;
    p.location = locp;

    p.n_string_table = b->nstrings;
    p.string_table = b->strings;
    p.time_nanos = b->time_nanos;
    p.duration_nanos = b->duration_nanos;
    if (b->period_type != 0 || b->period_unit != 0) {
        period_type.type = b->period_type;
        period_type.unit = b->period_unit;
        p.period_type = &period_type;
    }
    p.period = b->period;
    p.n_comment = b->ncomments;
    p.comment = b->comments;
    p.default_sample_type = b->default_sample_type;

    size_t rawlen = perftools__profiles__profile__get_packed_size(&p);
    raw = malloc(rawlen ? rawlen : 1);
    if (raw == NULL) {
        hs_err_set(err, "out of memory while encoding the profile");
        goto out;
    }
    perftools__profiles__profile__pack(&p, raw);
    if (gzip) {
        rc = gzip_bytes(raw, rawlen, out, outlen, err);
    } else {
        *out = raw;
        *outlen = rawlen;
        raw = NULL;
        rc = 0;
    }
out:
    free(raw);
    free(st);
    free(samples);
    free(sp);
    free(labels);
    free(lp);
    free(mp);
    free(fp);
    free(locs);
    free(locp);
    free(lines);
    free(linep);
    return rc;
}

int pprof_write_file(pprof_builder *b, const char *path, hs_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (pprof_encode(b, true, &data, &len, err) != 0)
        return -1;
    int rc = afile_write(path, data, len, err);
    free(data);
    return rc;
}
