/* snapshot/attr_labels.c: a sample split by a label's values (see
 * attr_labels.h). */
#include "attr_labels.h"

#include <stdlib.h>
#include <string.h>

int attr_labels_init(attr_labels *l, const char *key, const char *const *values,
                     const char *const *types, const char *const *froms, size_t nvalues)
{
    memset(l, 0, sizeof(*l));
    l->key = key;
    l->values = values;
    l->types = types;
    l->froms = froms;
    l->nvalues = values != NULL || types != NULL ? nvalues : 0;
    if (l->nvalues == 0)
        return 0;
    l->count = calloc(l->nvalues, sizeof(*l->count));
    l->bytes = calloc(l->nvalues, sizeof(*l->bytes));
    l->used = malloc(l->nvalues * sizeof(*l->used));
    if (l->count == NULL || l->bytes == NULL || l->used == NULL) {
        attr_labels_free(l);
        return -1;
    }
    return 0;
}

void attr_labels_free(attr_labels *l)
{
    free(l->count);
    free(l->bytes);
    free(l->used);
    memset(l, 0, sizeof(*l));
}

void attr_labels_add(attr_labels *l, uint32_t value, uint64_t bytes)
{
    if (value >= l->nvalues)
        return;
    if (l->count[value] == 0 && l->bytes[value] == 0)
        l->used[l->nused++] = value;
    l->count[value]++;
    l->bytes[value] += bytes;
}

/* total shared out by w[used[k]] into out[k], exactly: floors, then one more
 * to the largest remainders. */
static void attr_labels_share(const attr_labels *l, const uint64_t *w, int64_t total, int64_t *out)
{
    double sum = 0;
    for (size_t k = 0; k < l->nused; k++)
        sum += (double)w[l->used[k]];
    int64_t given = 0;
    for (size_t k = 0; k < l->nused; k++) {
        out[k] = sum > 0 ? (int64_t)((double)total * ((double)w[l->used[k]] / sum)) : 0;
        given += out[k];
    }
    while (given < total && sum > 0) {
        size_t best = 0;
        double bestr = -1;
        for (size_t k = 0; k < l->nused; k++) {
            double r = (double)total * ((double)w[l->used[k]] / sum) - (double)out[k];
            if (r > bestr) {
                bestr = r;
                best = k;
            }
        }
        out[best]++;
        given++;
    }
}

int attr_labels_emit(attr_labels *l, pprof_builder *b, const uint64_t *locs, size_t nlocs,
                     const int64_t v[4], int64_t bytes_num)
{
    pprof_label_desc lab[4] = {{.key = "bytes", .num = bytes_num}};
    if (l->nused == 0)
        return pprof_add_sample(b, locs, nlocs, v, lab, 1);
    int64_t *part = malloc(4 * l->nused * sizeof(*part));
    if (part == NULL)
        return -1;
    for (int k = 0; k < 4; k++) /* objects by chunks, bytes by bytes */
        attr_labels_share(l, k % 2 == 0 ? l->count : l->bytes, v[k], part + (size_t)k * l->nused);
    int rc = 0;
    for (size_t k = 0; k < l->nused && rc == 0; k++) {
        int64_t pv[4];
        for (int j = 0; j < 4; j++)
            pv[j] = part[(size_t)j * l->nused + k];
        if (pv[0] == 0 && pv[1] == 0 && pv[2] == 0 && pv[3] == 0)
            continue;
        uint32_t val = l->used[k];
        size_t nlab = 1;
        if (l->values != NULL && l->values[val] != NULL)
            lab[nlab++] = (pprof_label_desc){.key = l->key, .str = l->values[val]};
        if (l->types != NULL && l->types[val] != NULL) {
            lab[nlab++] = (pprof_label_desc){.key = "type", .str = l->types[val]};
            const char *from = l->froms != NULL && l->froms[val] != NULL ? l->froms[val] : "vtable";
            lab[nlab++] = (pprof_label_desc){.key = "type_from", .str = from};
        }
        rc = pprof_add_sample(b, locs, nlocs, pv, lab, nlab);
    }
    for (size_t k = 0; k < l->nused; k++)
        l->count[l->used[k]] = l->bytes[l->used[k]] = 0;
    l->nused = 0;
    free(part);
    return rc;
}
