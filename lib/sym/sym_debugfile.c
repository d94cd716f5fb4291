/* lib/sym/sym_debugfile.c: where a stripped binary's DWARF lives, following gdb's
 * conventions: <debug-dir>/.build-id/xx/rest.debug first, then the
 * .gnu_debuglink name next to the binary, in its .debug/ directory and under
 * <debug-dir>/<binary's directory>; last, by build id from the debuginfod
 * servers of DEBUGINFOD_URLS. A debuglink candidate must carry the CRC the
 * binary recorded, so a stale debug file is never used. */
#include "sym_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buildid.h"
#include "sym_debuginfod.h"

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* CRC-32 of the whole file (the .gnu_debuglink checksum is zlib's crc32). */
static bool file_crc(const char *path, uint32_t *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    unsigned char buf[65536];
    uLong crc = crc32(0L, Z_NULL, 0);
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0) {
            close(fd);
            return false;
        }
        if (r == 0)
            break;
        crc = crc32(crc, buf, (uInt)r);
    }
    close(fd);
    *out = (uint32_t)crc;
    return true;
}

/* a + b + c into out; false when it does not fit (a path that long is not ours). */
static bool join3(char *out, size_t outlen, const char *a, const char *b, const char *c)
{
    int k = snprintf(out, outlen, "%s%s%s", a, b, c);
    return k >= 0 && (size_t)k < outlen;
}

static bool try_debuglink(const char *cand, uint32_t crc, char *out, size_t outlen)
{
    uint32_t got;
    if (!is_regular(cand) || !file_crc(cand, &got) || got != crc)
        return false;
    snprintf(out, outlen, "%s", cand);
    return true;
}

static bool find_local(const char *open_path, const char *root, const char *build_id_hex,
                       const char *debuglink, uint32_t debuglink_crc, const char *debug_dir,
                       char *out, size_t outlen)
{
    char cand[4096];
    if (build_id_hex != NULL && strlen(build_id_hex) > 2) {
        buildid_debug_path(build_id_hex, debug_dir, cand, sizeof(cand));
        if (is_regular(cand)) {
            snprintf(out, outlen, "%s", cand);
            return true;
        }
        if (root != NULL) { /* the process's own /usr/lib/debug (a container's) */
            char inner[4096];
            buildid_debug_path(build_id_hex, NULL, inner, sizeof(inner));
            if (join3(cand, sizeof(cand), root, inner, "") && is_regular(cand)) {
                snprintf(out, outlen, "%s", cand);
                return true;
            }
        }
    }
    if (debuglink == NULL || debuglink[0] == '\0')
        return false;
    /* The binary's directory, both as opened (maybe under /proc/PID/root) and
     * as the process names it (for <debug-dir>/<dir>). */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", open_path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    const char *plain_dir = dir;
    size_t rootlen = root != NULL ? strlen(root) : 0;
    if (rootlen > 0 && strncmp(dir, root, rootlen) == 0 && dir[rootlen] == '/')
        plain_dir = dir + rootlen;
    if (join3(cand, sizeof(cand), dir, "/", debuglink) && strcmp(cand, open_path) != 0 &&
        try_debuglink(cand, debuglink_crc, out, outlen))
        return true;
    if (join3(cand, sizeof(cand), dir, "/.debug/", debuglink) &&
        try_debuglink(cand, debuglink_crc, out, outlen))
        return true;
    char sub[4096];
    if (join3(sub, sizeof(sub), debug_dir != NULL ? debug_dir : "/usr/lib/debug", plain_dir, "/") &&
        join3(cand, sizeof(cand), sub, debuglink, "") &&
        try_debuglink(cand, debuglink_crc, out, outlen))
        return true;
    return false;
}

bool sym_debugfile_find(const char *open_path, const char *root, const char *build_id_hex,
                        const char *debuglink, uint32_t debuglink_crc, const char *debug_dir,
                        char *out, size_t outlen)
{
    if (find_local(open_path, root, build_id_hex, debuglink, debuglink_crc, debug_dir, out, outlen))
        return true;
    /* Only for another process (root set): the hook's endpoint symbolizes the
     * process it lives in, which must not load a network client. */
    return root != NULL && build_id_hex != NULL && sym_debuginfod_find(build_id_hex, out, outlen);
}
