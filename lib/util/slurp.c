/* lib/util/slurp.c: whole-file reads with a size limit (see slurp.h). Reads until
 * EOF rather than trusting st_size, which is 0 for /proc files. */
#include "slurp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int slurp_file(const char *path, size_t max, uint8_t **buf, size_t *len, hs_err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return hs_err_set(err, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return hs_err_set(err,
                          "%s is a directory, not a file: name the files inside it (e.g. "
                          "%s/*.pb.gz)",
                          path, path);
    }
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;
    int rerrno = 0;
    for (;;) {
        if (cap - n < 2) {
            if (cap > max) {
                fclose(f);
                free(b);
                return hs_err_set(err, "%s is larger than %zu MiB: refusing to read it", path,
                                  max >> 20);
            }
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(b, cap);
            if (nb == NULL) {
                fclose(f);
                free(b);
                return hs_err_set(err, "out of memory while reading %s", path);
            }
            b = nb;
        }
        errno = 0;
        size_t r = fread(b + n, 1, cap - n - 1, f);
        rerrno = errno;
        n += r;
        if (r == 0)
            break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr || n > max) {
        free(b);
        return rerr ? hs_err_set(err, "cannot read %s: %s", path, strerror(rerrno ? rerrno : EIO))
                    : hs_err_set(err, "%s is larger than %zu MiB: refusing to read it", path,
                                 max >> 20);
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}
