/* analyzer/an_hint.c: one concrete fix hint per leak pattern and language. */
#include "an_hint.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

bool an_hint_is_go(const char *file)
{
    size_t n = strlen(file);
    return n > 3 && strcmp(file + n - 3, ".go") == 0;
}

/* "function (file:line)", as much of it as is known. */
static void hint_where(char *where, size_t len, const char *function, const char *file,
                       int64_t line)
{
    if (file[0] && line > 0)
        snprintf(where, len, "%s (%s:%lld)", function, file, (long long)line);
    else if (file[0])
        snprintf(where, len, "%s (%s)", function, file);
    else
        snprintf(where, len, "%s", function);
}

/* " (struct session)" for a known type, else "". */
static const char *hint_what(char *out, size_t len, const char *what)
{
    if (what == NULL || what[0] == '\0')
        return "";
    snprintf(out, len, " (%s)", what);
    return out;
}

void an_hint_write(char *buf, size_t len, an_pattern pattern, const char *function,
                   const char *file, int64_t line, const char *what)
{
    char where[512], wbuf[160];
    hint_where(where, sizeof(where), function, file, line);
    const char *w = hint_what(wbuf, sizeof(wbuf), what);

    if (pattern == AN_PATTERN_BUFFER && an_hint_is_go(file))
        snprintf(buf, len,
                 "the slice or buffer%s grown in %s is appended to and never truncated: cap its "
                 "length, reset it once consumed (s = s[:0], or a fresh slice so the old array "
                 "can be collected), or stream the data out instead of accumulating it",
                 w, where);
    else if (pattern == AN_PATTERN_BUFFER)
        snprintf(buf, len,
                 "the buffer%s that %s reallocates keeps growing and is never shrunk: bound its "
                 "size, reset its length after each use and shrink or free it when it is "
                 "drained, or stream the data out instead of accumulating it",
                 w, where);
    else if (pattern == AN_PATTERN_ENTRIES && an_hint_is_go(file))
        snprintf(buf, len,
                 "entries%s created in %s pile up in a map, slice, list or cache that never "
                 "drops them: delete them when done (delete(m, k)), bound the container (size "
                 "cap, LRU or TTL eviction), cap queues, and remove what an error path added",
                 w, where);
    else if (pattern == AN_PATTERN_ENTRIES)
        snprintf(buf, len,
                 "entries%s allocated in %s pile up in a container (map, list, cache, queue) "
                 "that never releases them: remove and free() each entry when done, bound the "
                 "container (size cap, LRU or TTL eviction), cap queues, and free on every "
                 "error path",
                 w, where);
    else
        snprintf(buf, len, "%s does not grow", where);
}

void an_hint_write_held(char *buf, size_t len, an_pattern pattern, const char *function,
                        const char *file, int64_t line, const char *what, const char *holder,
                        double share)
{
    char where[512], wbuf[160];
    hint_where(where, sizeof(where), function, file, line);
    const char *w = hint_what(wbuf, sizeof(wbuf), what);
    double pct = 100 * share;
    if (strcmp(holder, "lost") == 0)
        snprintf(buf, len,
                 "%.0f %% of what %s allocates is lost -- no pointer to it remains -- so a free() "
                 "is missing on some path: an error path, an early return or an overwritten "
                 "pointer drops it; free it there",
                 pct, where);
    else if (strcmp(holder, "shared") == 0)
        return;
    else if (strncmp(holder, "stack ", 6) == 0)
        snprintf(buf, len,
                 "what %s allocates is held (%.0f %%) only by a local variable of a thread that "
                 "does not return (%s): release it inside that thread's loop, or bound what "
                 "the loop keeps",
                 where, pct, holder + 6);
    else if (pattern == AN_PATTERN_BUFFER)
        snprintf(buf, len,
                 "the buffer%s that %s reallocates is held by %s (%.0f %%) and keeps growing: "
                 "bound its size, reset its length after each use and shrink or free it when "
                 "it is drained",
                 w, where, holder, pct);
    else
        snprintf(buf, len,
                 "entries%s allocated in %s stay reachable from %s (%.0f %%): remove and free() "
                 "each one from that container when it is done, or bound the container (size "
                 "cap, LRU or TTL eviction)",
                 w, where, holder, pct);
}
