/* analyzer/an_frames.c: the frame kinds: allocator rules as POSIX regular
 * expressions anchored to the whole function name, library rules by name
 * prefix, source file and mapping. */
#include "an_frames.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frames that allocate on someone else's behalf. C: the malloc family and
 * glibc's internals, string duplication, xmalloc-style and GLib wrappers. C++:
 * operator new. Any function whose name ends in an allocator verb, or has one
 * followed by a qualifier (sqlite3MallocZero, sqlite3DbMallocRaw,
 * PyMem_RawMalloc). perl's arena refills (Perl_more_sv, Perl_more_bodies):
 * one 4 KiB arena serves the SVs and hash entries of every caller, so the
 * memory is its callers'. heapsnap's own hook frames. Wrappers without such a
 * name are found by what they do (an_series.c). */
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
    ".*[a-z0-9_]([Mm]alloc|[Rr]ealloc|[Cc]alloc)[A-Z0-9_].*",
    ".*([Ss]trn?dup|[Mm]emdup)",
    "Perl_more_(sv|bodies)",
    "operator new.*",
    "(heapsnap|hook)_.*",
};

/* Standard libraries and runtimes by the name's namespace: C++'s std and the
 * GNU extensions and ABI (whatever return type or template arguments came
 * before them in a long name: the names here are short), Go's runtime, Rust's
 * alloc and core crates (its std:: is matched with C++'s), GLib's data
 * structures. Also the C runtime's entry points. */
static const char *const LIBRARY_PREFIXES[] = {
    "std::",   "__gnu_cxx::", "__cxxabiv1::", "__cxa_",  "runtime.",
    "alloc::", "core::",      "<alloc::",     "<core::", "<std::",
};
static const char *const LIBRARY_NAMES[] = {
    "_start", "__libc_start_main", "__libc_start_call_main", "start_thread", "clone", "clone3",
};
/* Libraries by mapping file name (the part before ".so"). */
static const struct {
    const char *stem, *label;
} LIBRARY_MODULES[] = {
    {"libstdc++", "libstdc++"}, {"libc++", "libc++"},        {"libc++abi", "libc++"},
    {"libc", "libc"},           {"ld-linux-x86-64", "libc"}, {"libm", "libc"},
    {"libglib-2.0", "GLib"},    {"libgobject-2.0", "GLib"},  {"libgcc_s", "libgcc"},
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

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The label of a library mapping, or NULL: the file's base name up to ".so". */
static const char *module_label(const char *module)
{
    const char *base = strrchr(module, '/');
    base = base ? base + 1 : module;
    const char *so = strstr(base, ".so");
    if (so == NULL)
        return NULL;
    size_t len = (size_t)(so - base);
    for (size_t i = 0; i < sizeof(LIBRARY_MODULES) / sizeof(LIBRARY_MODULES[0]); i++)
        if (strlen(LIBRARY_MODULES[i].stem) == len &&
            strncmp(base, LIBRARY_MODULES[i].stem, len) == 0)
            return LIBRARY_MODULES[i].label;
    return NULL;
}

/* A C++ standard header: libstdc++'s /usr/include/c++/12/..., libc++'s
 * .../include/c++/v1/... (code inlined from them carries their file). */
static bool cxx_header(const char *file)
{
    return strstr(file, "/include/c++/") != NULL;
}

static bool library_name(const char *name)
{
    for (size_t i = 0; i < sizeof(LIBRARY_PREFIXES) / sizeof(LIBRARY_PREFIXES[0]); i++)
        if (starts_with(name, LIBRARY_PREFIXES[i]))
            return true;
    for (size_t i = 0; i < sizeof(LIBRARY_NAMES) / sizeof(LIBRARY_NAMES[0]); i++)
        if (strcmp(name, LIBRARY_NAMES[i]) == 0)
            return true;
    return false;
}

an_frame_kind an_frames_kind(const an_frames *f, const char *name, const char *signature,
                             const char *file, const char *module)
{
    if (an_frames_is_allocator(f, name) ||
        (strcmp(signature, name) != 0 && an_frames_is_allocator(f, signature)))
        return AN_FRAME_ALLOCATOR;
    if (library_name(name) || cxx_header(file) || module_label(module) != NULL)
        return AN_FRAME_LIBRARY;
    /* A frame without a symbol in a library: "libstdc++.so.6+0x9a1b2". */
    if (module[0] == '\0' && module_label(name) != NULL)
        return AN_FRAME_LIBRARY;
    return AN_FRAME_USER;
}

const char *an_frames_label(const char *name, const char *file, const char *module)
{
    if (starts_with(name, "runtime."))
        return "the Go runtime";
    if (starts_with(name, "alloc::") || starts_with(name, "core::") ||
        starts_with(name, "<alloc::") || starts_with(name, "<core::"))
        return "Rust's alloc and core";
    const char *m = module_label(module);
    if (m != NULL)
        return m;
    if (cxx_header(file) || starts_with(name, "std::") || starts_with(name, "__gnu_cxx::"))
        return strstr(file, "/c++/v1/") != NULL ? "libc++" : "libstdc++";
    m = module_label(name);
    if (m != NULL)
        return m;
    if (library_name(name))
        return "the C runtime";
    const char *base = strrchr(module, '/');
    return base ? base + 1 : module[0] ? module : "libraries";
}

void an_frames_free(an_frames *f)
{
    if (f == NULL)
        return;
    for (int i = 0; i < f->n; i++)
        regfree(&f->re[i]);
    free(f);
}
