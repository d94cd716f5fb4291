/* analyzer/an_buf.c: growable text buffer with JSON and XML escaping. */
#include "an_buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_json.h"

static bool reserve(an_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t ncap = b->cap ? b->cap * 2 : 4096;
    while (ncap < b->len + more + 1)
        ncap *= 2;
    char *n = realloc(b->data, ncap);
    if (n == NULL) {
        b->oom = true;
        return false;
    }
    b->data = n;
    b->cap = ncap;
    return true;
}

void an_buf_printf(an_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0 || !reserve(b, (size_t)need))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

void an_buf_puts(an_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

void an_buf_json_str(an_buf *b, const char *s)
{
    char buf[8];
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *e = hs_json_escape(*p, buf);
        if (e != NULL) {
            an_buf_puts(b, e);
        } else if (reserve(b, 1)) {
            b->data[b->len++] = (char)*p;
            b->data[b->len] = '\0';
        }
    }
}

void an_buf_xml_str(an_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '<':
            an_buf_puts(b, "&lt;");
            break;
        case '>':
            an_buf_puts(b, "&gt;");
            break;
        case '&':
            an_buf_puts(b, "&amp;");
            break;
        case '"':
            an_buf_puts(b, "&quot;");
            break;
        case '\'':
            an_buf_puts(b, "&#39;");
            break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t')
                break; /* not allowed in XML 1.0 */
            if (reserve(b, 1)) {
                b->data[b->len++] = (char)*p;
                b->data[b->len] = '\0';
            }
        }
    }
}

void an_buf_free(an_buf *b)
{
    free(b->data);
    *b = (an_buf){0};
}

void an_buf_fmt_bytes(char *out, size_t len, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = fabs(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, len, "%s%.0f B", bytes < 0 ? "-" : "", v);
    else
        snprintf(out, len, "%s%.1f %s", bytes < 0 ? "-" : "", v, units[u]);
}
