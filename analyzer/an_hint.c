/* analyzer/an_hint.c: one concrete fix hint per leak pattern and language. */
#include "an_hint.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_go(const char *file)
{
    size_t n = strlen(file);
    return n > 3 && strcmp(file + n - 3, ".go") == 0;
}

void an_hint_write(char *buf, size_t len, an_pattern pattern, const char *function,
                   const char *file, int64_t line)
{
    char where[512];
    if (file[0] && line > 0)
        snprintf(where, sizeof(where), "%s (%s:%lld)", function, file, (long long)line);
    else if (file[0])
        snprintf(where, sizeof(where), "%s (%s)", function, file);
    else
        snprintf(where, sizeof(where), "%s", function);

    if (pattern == AN_PATTERN_BUFFER && is_go(file))
        snprintf(buf, len,
                 "the slice or buffer grown in %s is appended to and never truncated: cap its "
                 "length, reset it once consumed (s = s[:0], or a fresh slice so the old array "
                 "can be collected), or stream the data out instead of accumulating it",
                 where);
    else if (pattern == AN_PATTERN_BUFFER)
        snprintf(buf, len,
                 "the buffer that %s reallocates keeps growing and is never shrunk: bound its "
                 "size, reset its length after each use and shrink or free it when it is "
                 "drained, or stream the data out instead of accumulating it",
                 where);
    else if (pattern == AN_PATTERN_ENTRIES && is_go(file))
        snprintf(buf, len,
                 "entries created in %s pile up in a map, slice, list or cache that never "
                 "drops them: delete them when done (delete(m, k)), bound the container (size "
                 "cap, LRU or TTL eviction), cap queues, and remove what an error path added",
                 where);
    else if (pattern == AN_PATTERN_ENTRIES)
        snprintf(buf, len,
                 "entries allocated in %s pile up in a container (map, list, cache, queue) "
                 "that never releases them: remove and free() each entry when done, bound the "
                 "container (size cap, LRU or TTL eviction), cap queues, and free on every "
                 "error path",
                 where);
    else
        snprintf(buf, len, "%s does not grow", where);
}
