/* lib/sym_demangle.c: C++ names made readable with libstdc++'s Itanium ABI
 * demangler (the one c++filt and gdb agree with), results interned in the
 * symbolizer's string pool. */
#include "sym_internal.h"

#include <stdlib.h>
#include <string.h>

#ifdef HS_FUZZING
/* The fuzz build links lib/ without libstdc++; names stay mangled there. */
const char *sym_demangle(sym_pool *p, const char *name)
{
    (void)p;
    return name;
}
#else
/* From libstdc++'s <cxxabi.h>, declared here because this file is C. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

const char *sym_demangle(sym_pool *p, const char *name)
{
    /* Only "_Z..." names are mangled; anything else (C names, "main") is left
     * alone so the demangler never sees arbitrary strings it might misread. */
    if (name == NULL || name[0] != '_' || name[1] != 'Z')
        return name;
    int status = -1;
    char *d = __cxa_demangle(name, NULL, NULL, &status);
    if (d == NULL || status != 0) {
        free(d);
        return name;
    }
    const char *r = sym_pool_str(p, d);
    free(d);
    return r != NULL ? r : name;
}
#endif
