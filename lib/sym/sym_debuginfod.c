/* lib/sym/sym_debuginfod.c: debug files from debuginfod servers (see
 * sym_debuginfod.h). libdebuginfod.so.1 is loaded with dlopen on the first
 * lookup with DEBUGINFOD_URLS set, as elfutils' own libdw does: it brings
 * libcurl and TLS with it, which a program that never fetches (and the hook
 * preloaded into every examined process) should not load. */
#include "sym_debuginfod.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    debuginfod_client *(*begin)(void);
    int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int, char **);
    void (*end)(debuginfod_client *);
    bool ok;
} sym_dif;

static pthread_once_t sym_dif_once = PTHREAD_ONCE_INIT;

static void sym_dif_load(void)
{
    void *h = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return;
    /* Through a void * so that -Wpedantic accepts the object-to-function cast. */
    void *b = dlsym(h, "debuginfod_begin"), *f = dlsym(h, "debuginfod_find_debuginfo"),
         *e = dlsym(h, "debuginfod_end");
    if (b == NULL || f == NULL || e == NULL) {
        dlclose(h);
        return;
    }
    memcpy(&sym_dif.begin, &b, sizeof(b));
    memcpy(&sym_dif.find_debuginfo, &f, sizeof(f));
    memcpy(&sym_dif.end, &e, sizeof(e));
    sym_dif.ok = true; /* the handle stays open for the life of the process */
}

bool sym_debuginfod_find(const char *build_id_hex, char *out, size_t outlen)
{
    const char *urls = getenv("DEBUGINFOD_URLS");
    if (urls == NULL || urls[0] == '\0' || build_id_hex == NULL || build_id_hex[0] == '\0')
        return false;
    pthread_once(&sym_dif_once, sym_dif_load);
    if (!sym_dif.ok)
        return false;
    debuginfod_client *c = sym_dif.begin();
    if (c == NULL)
        return false;
    char *path = NULL;
    /* Length 0: the build id is given as a hex string. */
    int fd = sym_dif.find_debuginfo(c, (const unsigned char *)build_id_hex, 0, &path);
    bool found = fd >= 0 && path != NULL && strlen(path) < outlen;
    if (found)
        snprintf(out, outlen, "%s", path);
    if (fd >= 0)
        close(fd);
    free(path);
    sym_dif.end(c);
    return found;
}
