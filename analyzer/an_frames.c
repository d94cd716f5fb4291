/* analyzer/an_frames.c: the allocator/wrapper frame filter, one POSIX regular
 * expression per rule, each anchored to the whole function name. */
#include "an_frames.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

/* Frames that allocate on someone else's behalf. C: the malloc family and
 * glibc's internals, string duplication, xmalloc-style and GLib wrappers. C++:
 * operator new and the standard library's containers and allocators (the
 * user's code called them). Go: the runtime (mallocgc, newobject, makeslice,
 * growslice, makemap, mapassign, ...). Rust: the alloc crate. Any function whose
 * name ends in an allocator verb. heapsnap's own hook frames. */
static const char *const AN_FRAMES_DEFAULT[] = {
    "(__libc_|__GI_|_int_)?(malloc|calloc|realloc|reallocarray|free|memalign|posix_memalign|"
    "aligned_alloc|valloc|pvalloc)",
    "(__)?(strdup|strndup|wcsdup|asprintf|vasprintf|open_memstream|getline|getdelim)",
    "(x|e|safe_|checked_)(malloc|calloc|realloc|reallocarray|zalloc|strdup|strndup|memdup|"
    "2realloc|nmalloc|alloc)",
    "g_(malloc|malloc0|malloc_n|malloc0_n|realloc|realloc_n|try_malloc|try_malloc0|try_realloc|"
    "strdup|strndup|memdup|memdup2|slice_alloc|slice_alloc0|new|new0)",
    /* By naming convention: a function whose name ends in an allocator verb
     * (PyObject_Malloc, sqlite3_malloc64, av_mallocz, ngx_palloc,
     * CRYPTO_zalloc, apr_pstrdup, ...) allocates for its caller. */
    ".*[Aa]lloc(z|0|64|_n)?",
    ".*([Ss]trn?dup|[Mm]emdup)",
    "operator new.*",
    "(std|__gnu_cxx|__cxxabiv1)::.*",
    "runtime\\..*",
    "alloc::.*", /* Rust's alloc crate: Vec and Box growth */
    "(heapsnap|hook)_.*",
};

#define AN_FRAMES_MAX 64

struct an_frames {
    regex_t re[AN_FRAMES_MAX];
    int n;
};

static int add_rule(an_frames *f, const char *expr, hs_err *err)
{
    if (f->n >= AN_FRAMES_MAX)
        return hs_err_set(err, "too many --drop expressions (at most %d): join them with '|'",
                          AN_FRAMES_MAX -
                              (int)(sizeof(AN_FRAMES_DEFAULT) / sizeof(AN_FRAMES_DEFAULT[0])));
    char anchored[2048];
    if ((size_t)snprintf(anchored, sizeof(anchored), "^(%s)$", expr) >= sizeof(anchored))
        return hs_err_set(err, "--drop expression is too long: keep it under 2000 characters");
    int rc = regcomp(&f->re[f->n], anchored, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, &f->re[f->n], why, sizeof(why));
        return hs_err_set(err,
                          "bad --drop expression '%s' (%s): give a POSIX extended regular "
                          "expression such as 'my_alloc|pool_get'",
                          expr, why);
    }
    f->n++;
    return 0;
}

an_frames *an_frames_new(hs_err *err)
{
    an_frames *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        hs_err_set(err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < sizeof(AN_FRAMES_DEFAULT) / sizeof(AN_FRAMES_DEFAULT[0]); i++) {
        if (add_rule(f, AN_FRAMES_DEFAULT[i], err) != 0) {
            an_frames_free(f);
            return NULL;
        }
    }
    return f;
}

int an_frames_add_drop(an_frames *f, const char *regex, hs_err *err)
{
    return add_rule(f, regex, err);
}

bool an_frames_is_allocator(const an_frames *f, const char *function)
{
    for (int i = 0; i < f->n; i++)
        if (regexec(&f->re[i], function, 0, NULL, 0) == 0)
            return true;
    return false;
}

void an_frames_free(an_frames *f)
{
    if (f == NULL)
        return;
    for (int i = 0; i < f->n; i++)
        regfree(&f->re[i]);
    free(f);
}
