/* analyzer/an_buf.h: a growable text buffer the reports are written into, so
 * each output file is written whole and atomically at the end. */
#ifndef AN_BUF_H
#define AN_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct an_buf {
    char *data;
    size_t len, cap;
    bool oom; /* sticky: set when an append failed */
} an_buf;

void an_buf_printf(an_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void an_buf_puts(an_buf *b, const char *s);
/* Appends s escaped for a JSON string (without the quotes). */
void an_buf_json_str(an_buf *b, const char *s);
/* Appends s escaped for HTML/XML text and attributes. */
void an_buf_xml_str(an_buf *b, const char *s);
void an_buf_free(an_buf *b);

/* "12.3 MiB", "512 B": binary units, one decimal. */
void an_buf_fmt_bytes(char *out, size_t len, double bytes);

#endif
