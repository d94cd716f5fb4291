/* lib/util/hs_json.c: JSON string escaping (see hs_json.h). */
#include "hs_json.h"

const char *hs_json_escape(unsigned char c, char buf[8])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\t':
        return "\\t";
    case '\r':
        return "\\r";
    default:
        if (c >= 0x20)
            return NULL;
        snprintf(buf, 8, "\\u%04x", c);
        return buf;
    }
}

void hs_json_fput_str(FILE *f, const char *s)
{
    char buf[8];
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *e = hs_json_escape(*p, buf);
        if (e != NULL)
            fputs(e, f);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}
