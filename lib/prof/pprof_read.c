/* lib/prof/pprof_read.c: decodes and validates pprof profiles (see pprof.h):
 * gunzip with a hard size limit, protobuf-c into one arena, then every index
 * and id checked before any lookup trusts it. */
#include "pprof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "slurp.h"

/* Inflates a gzip stream with a hard limit on the output size. */
static int gunzip_bytes(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen, hs_err *err)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return hs_err_set(err, "cannot start gzip decompression (out of memory)");
    size_t cap = inlen * 4 + 4096;
    if (cap > PPROF_MAX_DECODED)
        cap = PPROF_MAX_DECODED;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        inflateEnd(&z);
        return hs_err_set(err, "out of memory while decompressing the profile");
    }
    size_t n = 0;
    z.next_in = (Bytef *)in;
    int rc = Z_OK;
    size_t in_left = inlen;
    for (;;) {
        if (z.avail_in == 0 && in_left > 0) {
            uInt chunk = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            z.avail_in = chunk;
            in_left -= chunk;
        }
        if (n == cap) {
            if (cap >= PPROF_MAX_DECODED) {
                free(buf);
                inflateEnd(&z);
                return hs_err_set(err,
                                  "the profile decompresses to more than %zu MiB: "
                                  "refusing to read it (is it really a profile?)",
                                  PPROF_MAX_DECODED >> 20);
            }
            size_t ncap = cap * 2 > PPROF_MAX_DECODED ? PPROF_MAX_DECODED : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                inflateEnd(&z);
                return hs_err_set(err, "out of memory while decompressing the profile");
            }
            buf = nb;
            cap = ncap;
        }
        z.next_out = buf + n;
        z.avail_out = (uInt)((cap - n) > (1u << 30) ? (1u << 30) : (cap - n));
        size_t before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        n += before - z.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
            free(buf);
            inflateEnd(&z);
            return hs_err_set(err,
                              "truncated gzip data: the file ends before the compressed "
                              "profile does (was it cut short while being written or copied?)");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            free(buf);
            inflateEnd(&z);
            return hs_err_set(err,
                              "corrupt gzip data (%s): the file is damaged; take the "
                              "profile again",
                              z.msg ? z.msg : "inflate error");
        }
    }
    inflateEnd(&z);
    *out = buf;
    *outlen = n;
    return 0;
}

typedef struct id_pair {
    uint64_t id;
    size_t index;
} id_pair;

static int cmp_id_pair(const void *a, const void *b)
{
    const id_pair *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Builds the id -> index lookup of one table; rejects id 0 and duplicates. */
static int build_index(const char *what, size_t n,
                       uint64_t (*id_at)(const pprof_pb_profile *, size_t),
                       const pprof_pb_profile *pb, bool *dense, uint64_t **ids, size_t **index,
                       hs_err *err)
{
    *dense = true;
    for (size_t i = 0; i < n; i++) {
        if (id_at(pb, i) != i + 1) {
            *dense = false;
            break;
        }
    }
    if (*dense)
        return 0;
    id_pair *pairs = malloc((n ? n : 1) * sizeof(*pairs));
    if (pairs == NULL)
        return hs_err_set(err, "out of memory while indexing the profile");
    for (size_t i = 0; i < n; i++) {
        pairs[i].id = id_at(pb, i);
        pairs[i].index = i;
        if (pairs[i].id == 0) {
            free(pairs);
            return hs_err_set(err, "invalid profile: %s %zu has id 0, but ids must be non-zero",
                              what, i);
        }
    }
    qsort(pairs, n, sizeof(*pairs), cmp_id_pair);
    *ids = malloc((n ? n : 1) * sizeof(uint64_t));
    *index = malloc((n ? n : 1) * sizeof(size_t));
    if (*ids == NULL || *index == NULL) {
        free(pairs);
        return hs_err_set(err, "out of memory while indexing the profile");
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && pairs[i].id == pairs[i - 1].id) {
            uint64_t dup = pairs[i].id;
            free(pairs);
            return hs_err_set(err, "invalid profile: %s id %llu appears more than once", what,
                              (unsigned long long)dup);
        }
        (*ids)[i] = pairs[i].id;
        (*index)[i] = pairs[i].index;
    }
    free(pairs);
    return 0;
}

static uint64_t loc_id_at(const pprof_pb_profile *pb, size_t i)
{
    return pb->location[i]->id;
}
static uint64_t fn_id_at(const pprof_pb_profile *pb, size_t i)
{
    return pb->function[i]->id;
}
static uint64_t map_id_at(const pprof_pb_profile *pb, size_t i)
{
    return pb->mapping[i]->id;
}

static const void *lookup(uint64_t id, size_t n, bool dense, const uint64_t *ids,
                          const size_t *index, void *const *table)
{
    if (id == 0)
        return NULL;
    if (dense)
        return id <= n ? table[id - 1] : NULL;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else if (ids[mid] > id)
            hi = mid;
        else
            return table[index[mid]];
    }
    return NULL;
}

const pprof_pb_location *pprof_location(const pprof_profile *p, uint64_t id)
{
    return lookup(id, p->pb->n_location, p->loc_dense, p->loc_ids, p->loc_index,
                  (void *const *)p->pb->location);
}

const pprof_pb_function *pprof_function(const pprof_profile *p, uint64_t id)
{
    return lookup(id, p->pb->n_function, p->fn_dense, p->fn_ids, p->fn_index,
                  (void *const *)p->pb->function);
}

const pprof_pb_mapping *pprof_mapping(const pprof_profile *p, uint64_t id)
{
    return lookup(id, p->pb->n_mapping, p->map_dense, p->map_ids, p->map_index,
                  (void *const *)p->pb->mapping);
}

const char *pprof_str(const pprof_profile *p, int64_t i)
{
    if (i < 0 || (size_t)i >= p->pb->n_string_table)
        return "";
    return p->pb->string_table[i];
}

int pprof_sample_index(const pprof_profile *p, const char *type)
{
    for (size_t i = 0; i < p->pb->n_sample_type; i++)
        if (strcmp(pprof_str(p, p->pb->sample_type[i]->type), type) == 0)
            return (int)i;
    return -1;
}

int64_t pprof_sample_num_label(const pprof_profile *p, const pprof_pb_sample *s, const char *key,
                               int64_t def)
{
    for (size_t i = 0; i < s->n_label; i++)
        if (s->label[i]->str == 0 && strcmp(pprof_str(p, s->label[i]->key), key) == 0)
            return s->label[i]->num;
    return def;
}

/* Checks that a string index is in range; what names the field for the message. */
#define CHECK_STR(idx, ...)                                                                        \
    do {                                                                                           \
        if ((idx) < 0 || (uint64_t)(idx) >= nstr) {                                                \
            char where_[200];                                                                      \
            snprintf(where_, sizeof(where_), __VA_ARGS__);                                         \
            return hs_err_set(err,                                                                 \
                              "invalid profile: %s refers to string %lld, but the string table "   \
                              "has %zu entries",                                                   \
                              where_, (long long)(idx), nstr);                                     \
        }                                                                                          \
    } while (0)

static int validate(pprof_profile *p, hs_err *err)
{
    const pprof_pb_profile *pb = p->pb;
    size_t nstr = pb->n_string_table;
    if (nstr == 0 || pb->string_table[0][0] != '\0')
        return hs_err_set(err, "invalid profile: the string table must start with the empty "
                               "string (is this a pprof profile?)");
    for (size_t i = 0; i < pb->n_sample_type; i++) {
        CHECK_STR(pb->sample_type[i]->type, "sample type %zu", i);
        CHECK_STR(pb->sample_type[i]->unit, "sample type %zu's unit", i);
    }
    if (pb->period_type) {
        CHECK_STR(pb->period_type->type, "the period type");
        CHECK_STR(pb->period_type->unit, "the period unit");
    }
    CHECK_STR(pb->drop_frames, "drop_frames");
    CHECK_STR(pb->keep_frames, "keep_frames");
    CHECK_STR(pb->default_sample_type, "default_sample_type");
    CHECK_STR(pb->doc_url, "doc_url");
    for (size_t i = 0; i < pb->n_comment; i++)
        CHECK_STR(pb->comment[i], "comment %zu", i);
    for (size_t i = 0; i < pb->n_mapping; i++) {
        CHECK_STR(pb->mapping[i]->filename, "mapping %zu's file name", i);
        CHECK_STR(pb->mapping[i]->build_id, "mapping %zu's build id", i);
    }
    for (size_t i = 0; i < pb->n_function; i++) {
        const pprof_pb_function *f = pb->function[i];
        CHECK_STR(f->name, "function %zu's name", i);
        CHECK_STR(f->system_name, "function %zu's system name", i);
        CHECK_STR(f->filename, "function %zu's file name", i);
    }
    if (build_index("location", pb->n_location, loc_id_at, pb, &p->loc_dense, &p->loc_ids,
                    &p->loc_index, err) != 0 ||
        build_index("function", pb->n_function, fn_id_at, pb, &p->fn_dense, &p->fn_ids,
                    &p->fn_index, err) != 0 ||
        build_index("mapping", pb->n_mapping, map_id_at, pb, &p->map_dense, &p->map_ids,
                    &p->map_index, err) != 0)
        return -1;
    for (size_t i = 0; i < pb->n_location; i++) {
        const pprof_pb_location *l = pb->location[i];
        if (l->mapping_id != 0 && pprof_mapping(p, l->mapping_id) == NULL)
            return hs_err_set(err,
                              "invalid profile: location id %llu refers to mapping id %llu, "
                              "which does not exist",
                              (unsigned long long)l->id, (unsigned long long)l->mapping_id);
        for (size_t j = 0; j < l->n_line; j++) {
            uint64_t fid = l->line[j]->function_id;
            if (fid != 0 && pprof_function(p, fid) == NULL)
                return hs_err_set(err,
                                  "invalid profile: location id %llu refers to function id "
                                  "%llu, which does not exist",
                                  (unsigned long long)l->id, (unsigned long long)fid);
        }
    }
    for (size_t i = 0; i < pb->n_sample; i++) {
        const pprof_pb_sample *s = pb->sample[i];
        if (s->n_value != pb->n_sample_type)
            return hs_err_set(err,
                              "invalid profile: sample %zu has %zu values, but the profile "
                              "declares %zu sample types",
                              i, s->n_value, pb->n_sample_type);
        for (size_t j = 0; j < s->n_location_id; j++)
            if (pprof_location(p, s->location_id[j]) == NULL)
                return hs_err_set(err,
                                  "invalid profile: sample %zu refers to location id %llu, "
                                  "which does not exist",
                                  i, (unsigned long long)s->location_id[j]);
        for (size_t j = 0; j < s->n_label; j++) {
            CHECK_STR(s->label[j]->key, "sample %zu's label %zu key", i, j);
            CHECK_STR(s->label[j]->str, "sample %zu's label %zu value", i, j);
            CHECK_STR(s->label[j]->num_unit, "sample %zu's label %zu unit", i, j);
        }
    }
    return 0;
}

/* A bump allocator for protobuf-c: a decoded profile is hundreds of thousands
 * of small messages, all freed together, so one malloc per message (and per
 * free) is most of the reader's time otherwise. */
typedef struct pprof_arena {
    struct pprof_arena_block *head;
    bool oom;
} pprof_arena;

typedef struct pprof_arena_block {
    struct pprof_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} pprof_arena_block;

#define PPROF_ARENA_BLOCK ((size_t)1 << 20)

static void *arena_alloc(void *ctx, size_t size)
{
    pprof_arena *a = ctx;
    size = (size + 15) & ~(size_t)15;
    pprof_arena_block *b = a->head;
    if (b == NULL || b->cap - b->used < size) {
        /* blocks double from 16 KiB to 1 MiB, so a tiny profile costs little */
        size_t next = b == NULL ? 16384 : b->cap * 2;
        if (next > PPROF_ARENA_BLOCK)
            next = PPROF_ARENA_BLOCK;
        size_t cap = size > next / 4 ? size : next;
        b = malloc(sizeof(*b) + cap);
        if (b == NULL) {
            a->oom = true;
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        if (a->head != NULL && cap != next) {
            /* a big one-off block goes behind the current one, which keeps filling */
            b->next = a->head->next;
            a->head->next = b;
            b->used = size;
            return b->data;
        }
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

static void arena_free(void *ctx, void *ptr)
{
    (void)ctx;
    (void)ptr; /* released with the whole arena */
}

static void arena_destroy(pprof_arena *a)
{
    if (a == NULL)
        return;
    pprof_arena_block *b = a->head;
    while (b != NULL) {
        pprof_arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

pprof_profile *pprof_parse(const uint8_t *data, size_t len, hs_err *err)
{
    if (len == 0) {
        hs_err_set(err, "empty input: there is no profile data (was the file written "
                        "completely?)");
        return NULL;
    }
    uint8_t *raw = NULL;
    size_t rawlen = len;
    const uint8_t *bytes = data;
    if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        if (gunzip_bytes(data, len, &raw, &rawlen, err) != 0)
            return NULL;
        bytes = raw;
    } else if (len > PPROF_MAX_DECODED) {
        hs_err_set(err, "the profile is larger than %zu MiB: refusing to read it",
                   PPROF_MAX_DECODED >> 20);
        return NULL;
    }
    pprof_arena *arena = calloc(1, sizeof(*arena));
    if (arena == NULL) {
        free(raw);
        hs_err_set(err, "out of memory while reading the profile");
        return NULL;
    }
    ProtobufCAllocator alloc = {.alloc = arena_alloc, .free = arena_free, .allocator_data = arena};
    pprof_pb_profile *pb = perftools__profiles__profile__unpack(&alloc, rawlen, bytes);
    free(raw);
    if (pb == NULL) {
        if (arena->oom)
            hs_err_set(err, "out of memory while decoding the profile");
        else
            hs_err_set(err, "not a pprof profile: the data is neither gzip-compressed nor a "
                            "valid profile protobuf message");
        arena_destroy(arena);
        return NULL;
    }
    pprof_profile *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        arena_destroy(arena);
        hs_err_set(err, "out of memory while reading the profile");
        return NULL;
    }
    p->pb = pb;
    p->arena = arena;
    if (validate(p, err) != 0) {
        pprof_profile_free(p);
        return NULL;
    }
    return p;
}

pprof_profile *pprof_read_file(const char *path, hs_err *err)
{
    uint8_t *buf;
    size_t len;
    if (slurp_file(path, PPROF_MAX_DECODED, &buf, &len, err) != 0)
        return NULL;
    pprof_profile *p = pprof_parse(buf, len, err);
    free(buf);
    if (p == NULL)
        hs_err_prefix(err, "%s", path);
    return p;
}

void pprof_profile_free(pprof_profile *p)
{
    if (p == NULL)
        return;
    arena_destroy(p->arena); /* holds p->pb and everything it points to */
    free(p->loc_ids);
    free(p->loc_index);
    free(p->fn_ids);
    free(p->fn_index);
    free(p->map_ids);
    free(p->map_index);
    free(p);
}
