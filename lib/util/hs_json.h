/* lib/util/hs_json.h: JSON string escaping, the one rule every JSON writer
 * of heapsnap follows: '"' and '\\' escaped, \n \t \r by name, the other
 * control bytes as \u00XX, every other byte as it is (paths and names pass
 * through unchanged). */
#ifndef HS_JSON_H
#define HS_JSON_H

#include <stdio.h>

/* The escape of byte c (in buf, at least 8 bytes), or NULL when c stands
 * for itself. */
const char *hs_json_escape(unsigned char c, char buf[8]);
/* Writes s to f as a quoted JSON string. */
void hs_json_fput_str(FILE *f, const char *s);

#endif
