/* lib/sym/sym_demangle.c: C++ names made readable with libstdc++'s Itanium ABI
 * demangler (the one c++filt and gdb agree with), and shortened the way pprof
 * shows them by default (AuditLog::append: no return type, parameters or
 * template arguments); results interned in the symbolizer's string pool. */
#include "sym_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize.h"

#ifdef HS_FUZZING
/* The fuzz build links lib/ without libstdc++; names stay mangled there. */
const char *sym_demangle(sym_pool *p, const char *name)
{
    (void)p;
    return name;
}

char *sym_demangle_full(const char *name)
{
    (void)name;
    return NULL;
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

char *sym_demangle_full(const char *name)
{
    if (name == NULL || name[0] != '_' || name[1] != 'Z')
        return NULL;
    int status = -1;
    char *d = __cxa_demangle(name, NULL, NULL, &status);
    if (d != NULL && status != 0) {
        free(d);
        return NULL;
    }
    return d;
}
#endif

/* ---- short names ---- */

/* Prefixes the demangler puts before a special name ("vtable for X"); they
 * stay, and X is shortened. */
static const char *const SPECIAL_PREFIXES[] = {
    "construction vtable for ",
    "covariant return thunk to ",
    "guard variable for ",
    "non-virtual thunk to ",
    "reference temporary for ",
    "TLS init function for ",
    "TLS wrapper function for ",
    "transaction clone for ",
    "typeinfo name for ",
    "typeinfo for ",
    "virtual thunk to ",
    "vtable for ",
    "VTT for ",
};

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/* The length of an operator token at d ("operator<<", "operator()", ...)
 * when d starts one at a word boundary, else 0. Its '<', '(' and so on are part
 * of the name, not brackets. */
static size_t operator_len(const char *d, const char *start)
{
    static const char *const syms[] = {
        "<<=", ">>=", "<=>", "->*", "<<", ">>", "<=", ">=", "->", "()", "[]", "<", ">"};
    if (strncmp(d, "operator", 8) != 0 || (d > start && ident_char(d[-1])) || ident_char(d[8]))
        return 0;
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
        if (strncmp(d + 8, syms[i], strlen(syms[i])) == 0)
            return 8 + strlen(syms[i]);
    return 8;
}

/* Where the function's own parameter list starts: the last '(' outside any
 * brackets, braces, operator name and "(anonymous namespace)"; NULL if none.
 * Earlier groups belong to an enclosing function ("outer(int)::{lambda(int)#1}
 * ::operator()") and stay, as pprof keeps them. */
static const char *own_params(const char *d)
{
    const char *last = NULL;
    int angle = 0, paren = 0, brace = 0;
    for (const char *c = d; *c;) {
        size_t op = operator_len(c, d);
        if (op > 0) {
            c += op;
            continue;
        }
        if (strncmp(c, "(anonymous namespace)", 21) == 0) {
            c += 21;
            continue;
        }
        switch (*c) {
        case '<':
            angle++;
            break;
        case '>':
            angle--;
            break;
        case '{':
            brace++;
            break;
        case '}':
            brace--;
            break;
        case '(':
            if (angle == 0 && paren == 0 && brace == 0)
                last = c;
            paren++;
            break;
        case ')':
            paren--;
            break;
        default:
            break;
        }
        c++;
    }
    return last;
}

/* Copies d without its template arguments and, when params, without the
 * function's own parameter list into out (operator names are kept whole).
 * Returns the length, or SIZE_MAX when the brackets do not balance. */
static size_t drop_brackets(const char *d, bool params, char *out, size_t cap)
{
    const char *own = params ? own_params(d) : NULL;
    size_t n = 0;
    int angle = 0, paren = 0;
    for (const char *c = d; *c;) {
        size_t op = angle == 0 && paren == 0 ? operator_len(c, d) : 0;
        if (op > 0) {
            for (size_t i = 0; i < op; i++)
                if (n + 1 < cap)
                    out[n++] = c[i];
            c += op;
            continue;
        }
        if (c == own || (paren > 0 && *c == '(')) {
            paren++;
        } else if (paren > 0 && *c == ')') {
            paren--;
        } else if (paren > 0) {
            /* inside the dropped parameter list */
        } else if (*c == '<') {
            angle++;
        } else if (*c == '>') {
            if (--angle < 0)
                return SIZE_MAX;
        } else if (angle == 0 && n + 1 < cap) {
            out[n++] = *c;
        }
        c++;
    }
    if (angle != 0 || paren != 0)
        return SIZE_MAX;
    out[n] = '\0';
    return n;
}

size_t sym_short_name(const char *name, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    size_t len = strlen(name);
    /* Only demangled C++ has brackets or scopes; C, Go and Rust-legacy names
     * ("main", "runtime.mallocgc") are already short, and so are Go methods,
     * whose receiver is in parentheses after a dot ("pkg.(*T).m"), which no
     * C++ name has. */
    if (strpbrk(name, "<(") == NULL || strstr(name, ".(") != NULL) {
        snprintf(out, cap, "%s", name);
        return len < cap ? len : cap - 1;
    }
    size_t pre = 0;
    for (size_t i = 0; i < sizeof(SPECIAL_PREFIXES) / sizeof(SPECIAL_PREFIXES[0]); i++) {
        size_t l = strlen(SPECIAL_PREFIXES[i]);
        if (strncmp(name, SPECIAL_PREFIXES[i], l) == 0) {
            pre = l;
            break;
        }
    }
    char *tmp = malloc(len + 1);
    /* A special name is not a function: like pprof, keep its parameters. */
    if (tmp == NULL || drop_brackets(name + pre, pre == 0, tmp, len + 1) == SIZE_MAX) {
        free(tmp);
        snprintf(out, cap, "%s", name); /* not a name we understand: as is */
        return len < cap ? len : cap - 1;
    }
    /* Trailing qualifiers of the function (const, volatile, &, &&) and any
     * " [clone .cold]" suffix go with the parameters. */
    size_t n = strlen(tmp);
    for (; pre == 0;) {
        while (n > 0 && tmp[n - 1] == ' ')
            n--;
        static const char *const quals[] = {" const", " volatile", " &&", " &", " noexcept"};
        bool cut = false;
        for (size_t i = 0; i < sizeof(quals) / sizeof(quals[0]) && !cut; i++) {
            size_t l = strlen(quals[i]);
            if (n >= l && strncmp(tmp + n - l, quals[i], l) == 0) {
                n -= l;
                cut = true;
            }
        }
        char *clone = n > 0 && tmp[n - 1] == ']' ? strstr(tmp, " [clone ") : NULL;
        if (clone != NULL && (size_t)(clone - tmp) < n) {
            n = (size_t)(clone - tmp);
            cut = true;
        }
        if (!cut)
            break;
    }
    tmp[n] = '\0';
    /* The return type of a template function comes first, separated by a
     * space that is outside any parentheses or braces and before the
     * operator keyword ("operator new" and "operator bool" have spaces of
     * their own). */
    size_t stop = pre > 0 ? 0 : n;
    for (size_t i = 0; i < stop; i++)
        if (operator_len(tmp + i, tmp) > 0) {
            stop = i;
            break;
        }
    size_t start = 0;
    int nest = 0;
    for (size_t i = 0; i < stop; i++) {
        if (tmp[i] == '(' || tmp[i] == '{')
            nest++;
        else if (tmp[i] == ')' || tmp[i] == '}')
            nest--;
        else if (tmp[i] == ' ' && nest == 0)
            start = i + 1;
    }
    /* A pointer or reference return type leaves its '*' or '&' in front. */
    while (start < n && (tmp[start] == '*' || tmp[start] == '&'))
        start++;
    int w = snprintf(out, cap, "%.*s%s", (int)pre, name, tmp + start);
    free(tmp);
    return w < 0 ? 0 : ((size_t)w < cap ? (size_t)w : cap - 1);
}

const char *sym_short(sym_pool *p, const char *name)
{
    if (name == NULL || strpbrk(name, "<(") == NULL)
        return name;
    size_t len = strlen(name) + 1;
    char *buf = malloc(len);
    if (buf == NULL)
        return name;
    sym_short_name(name, buf, len);
    const char *r = sym_pool_str(p, buf);
    free(buf);
    return r != NULL ? r : name;
}
