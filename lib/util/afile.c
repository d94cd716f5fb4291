/* lib/util/afile.c: whole-file writes that are atomic under the final name
 * (temp file in the same directory, fsync, rename, fsync of the directory). */
#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static const char *errno_hint(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return "free some space on that file system or write elsewhere";
    case EACCES:
    case EPERM:
    case EROFS:
        return "choose a directory you can write to";
    case ENOENT:
    case ENOTDIR:
        return "create the directory first or fix the path";
    default:
        return "check the path";
    }
}

/* What afile_write and afile_check share: refuses a path that is empty, a
 * directory or a symbolic link, then creates the temp file next to it (its
 * name in tmp, the directory in dirbuf / *dir). The fd, or -1 + err. */
static int afile_open_temp(const char *path, char *dirbuf, const char **dir, char *tmp, hs_err *err)
{
    struct stat st;
    if (path == NULL || path[0] == '\0')
        return hs_err_set(err, "empty output path: give a file name");
    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return hs_err_set(err, "%s is a directory: give a file name inside it", path);
        if (S_ISLNK(st.st_mode))
            return hs_err_set(err,
                              "%s is a symbolic link, which would be replaced by a file: "
                              "write to the link's target path instead",
                              path);
    }
    snprintf(dirbuf, PATH_MAX, "%s", path);
    *dir = dirname(dirbuf);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if ((size_t)snprintf(tmp, PATH_MAX, "%s/.%s.tmpXXXXXX", *dir, base) >= PATH_MAX)
        return hs_err_set(err, "output path %s is too long: use a shorter path", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        return hs_err_set(err, "cannot create a file in %s (%s): %s", *dir, strerror(e),
                          errno_hint(e));
    }
    return fd;
}

int afile_check(const char *path, hs_err *err)
{
    char dirbuf[PATH_MAX], tmp[PATH_MAX];
    const char *dir;
    int fd = afile_open_temp(path, dirbuf, &dir, tmp, err);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(tmp);
    return 0;
}

int afile_write(const char *path, const void *data, size_t len, hs_err *err)
{
    char dirbuf[PATH_MAX], tmp[PATH_MAX];
    const char *dir = NULL;
    int fd = afile_open_temp(path, dirbuf, &dir, tmp, err);
    if (fd < 0)
        return -1;
    int e = 0;
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0)
        e = errno;
    if (fchmod(fd, 0644) != 0 && e == 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0)
        e = errno;
    if (e != 0) {
        unlink(tmp);
        return hs_err_set(err, "cannot write %s (%s): %s; nothing was changed", path, strerror(e),
                          errno_hint(e));
    }
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
