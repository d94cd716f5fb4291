/* tests/unit/test_atomic_file.c: lib/util/afile in a scratch directory: the
 * bytes and mode of a new and a replaced file, no temp file left behind, and
 * the exact sentence for each refusal (directory, symbolic link, empty path,
 * missing directory, path too long), with the old file intact. */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "afile.h"

static char dir[256]; /* short, so every path built in it fits in PATH_MAX */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/hs-afile.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *out, const char *name)
{
    snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

/* How many entries the directory holds, "." and ".." left out. */
static int dir_entries(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static size_t read_back(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, len, f);
    fclose(f);
    return n;
}

static void test_write_new_and_replace(void **state)
{
    (void)state;
    char p[PATH_MAX], buf[64];
    hs_err err = {{0}};
    path_in(p, "out.pb.gz");
    assert_int_equal(afile_write(p, "hello", 5, &err), 0);
    assert_int_equal(read_back(p, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "hello", 5);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(dir_entries(), 1); /* no temp file left */
    /* replaced by a shorter content: nothing of the old one remains */
    assert_int_equal(afile_write(p, "ab", 2, &err), 0);
    assert_int_equal(read_back(p, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "ab", 2);
    /* an empty file is a file */
    assert_int_equal(afile_write(p, "", 0, &err), 0);
    assert_int_equal(read_back(p, buf, sizeof(buf)), 0);
    assert_int_equal(dir_entries(), 1);
}

static void test_relative_path(void **state)
{
    (void)state;
    char cwd[PATH_MAX], buf[8];
    hs_err err = {{0}};
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(afile_write("rel.txt", "xyz", 3, &err), 0);
    assert_int_equal(chdir(cwd), 0);
    char p[PATH_MAX];
    path_in(p, "rel.txt");
    assert_int_equal(read_back(p, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "xyz", 3);
    assert_int_equal(unlink(p), 0);
}

static void test_refusals(void **state)
{
    (void)state;
    char p[PATH_MAX], want[PATH_MAX + 200], buf[16];
    hs_err err = {{0}};
    int before = dir_entries();
    /* a directory */
    assert_int_equal(afile_write(dir, "x", 1, &err), -1);
    snprintf(want, sizeof(want), "%s is a directory: give a file name inside it", dir);
    assert_string_equal(err.msg, want);
    assert_int_equal(afile_check(dir, &err), -1);
    assert_string_equal(err.msg, want);
    /* a symbolic link: refused, and its target keeps its bytes */
    char target[PATH_MAX];
    path_in(target, "target");
    assert_int_equal(afile_write(target, "old", 3, &err), 0);
    path_in(p, "link");
    assert_int_equal(symlink(target, p), 0);
    assert_int_equal(afile_write(p, "new", 3, &err), -1);
    snprintf(want, sizeof(want),
             "%s is a symbolic link, which would be replaced by a file: write to the link's "
             "target path instead",
             p);
    assert_string_equal(err.msg, want);
    assert_int_equal(read_back(target, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "old", 3);
    /* an empty path */
    assert_int_equal(afile_write("", "x", 1, &err), -1);
    assert_string_equal(err.msg, "empty output path: give a file name");
    assert_int_equal(afile_write(NULL, "x", 1, &err), -1);
    assert_string_equal(err.msg, "empty output path: give a file name");
    /* a directory that does not exist */
    path_in(p, "no/such/dir/out");
    assert_int_equal(afile_write(p, "x", 1, &err), -1);
    snprintf(want, sizeof(want),
             "cannot create a file in %s/no/such/dir (No such file or directory): create the "
             "directory first or fix the path",
             dir);
    assert_string_equal(err.msg, want);
    assert_int_equal(afile_check(p, &err), -1);
    assert_string_equal(err.msg, want);
    assert_int_equal(dir_entries(), before + 2); /* target and link, nothing more */
}

static void test_too_long(void **state)
{
    (void)state;
    /* dir + "/." + name + ".tmpXXXXXX" must fit in PATH_MAX */
    char p[PATH_MAX + 8], want[PATH_MAX + 100];
    hs_err err = {{0}};
    size_t used = (size_t)snprintf(p, sizeof(p), "%s/", dir);
    memset(p + used, 'a', PATH_MAX - used - 5);
    p[PATH_MAX - 5] = '\0';
    assert_int_equal(afile_write(p, "x", 1, &err), -1);
    snprintf(want, sizeof(want), "output path %.*s is too long: use a shorter path", (int)strlen(p),
             p);
    want[sizeof(err.msg) - 1] = '\0'; /* the message is cut to its buffer */
    assert_string_equal(err.msg, want);
}

static void test_check_leaves_nothing(void **state)
{
    (void)state;
    char p[PATH_MAX];
    hs_err err = {{0}};
    int before = dir_entries();
    path_in(p, "later.pb.gz");
    assert_int_equal(afile_check(p, &err), 0);
    assert_int_equal(dir_entries(), before);
    assert_int_equal(access(p, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_new_and_replace),
        cmocka_unit_test(test_relative_path),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_check_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
