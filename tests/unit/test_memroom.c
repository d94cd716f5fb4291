/* tests/unit/test_memroom.c: lib/proc/memroom's figures: the room below a
 * memory cgroup's limit over the cgroup and its ancestors, for cgroup v2
 * (at the root, or in unified/ beside v1) and v1's memory controller, in a
 * directory tree the test builds; and memroom_read of this process. */
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

#include "memroom.h"

static char root[256];

/* Writes text into root/rel (the directories made as needed). */
static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "%s/test_memroom.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(root) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_v2_least_over_ancestors(void **state)
{
    (void)state;
    put("a/memory.max", "1000\n");
    put("a/memory.current", "300\n");
    put("a/b/memory.max", "max\n");
    put("a/b/memory.current", "100\n");
    memroom r;
    memroom_cgroup_at(&r, "0::/a/b\n", root);
    assert_int_equal(r.cgroup_room, 700);
    assert_string_equal(r.cgroup, "/a");
    put("a/b/memory.max", "500\n"); /* now the child is the tighter one */
    memroom_cgroup_at(&r, "0::/a/b\n", root);
    assert_int_equal(r.cgroup_room, 400);
    assert_string_equal(r.cgroup, "/a/b");
}

static void test_v1_memory_controller(void **state)
{
    (void)state;
    put("memory/memory.limit_in_bytes", "9223372036854771712\n"); /* v1's "unlimited" */
    put("memory/memory.usage_in_bytes", "123456\n");
    put("memory/x/memory.limit_in_bytes", "5000\n");
    put("memory/x/memory.usage_in_bytes", "1000\n");
    memroom r;
    memroom_cgroup_at(&r, "5:devices:/\n4:memory:/x\n0::/\n", root);
    assert_int_equal(r.cgroup_room, 4000);
    assert_string_equal(r.cgroup, "/x");
    /* over the limit: no room at all */
    put("memory/x/memory.usage_in_bytes", "6000\n");
    memroom_cgroup_at(&r, "4:memory:/x\n", root);
    assert_int_equal(r.cgroup_room, 0);
}

static void test_v2_hybrid_and_none(void **state)
{
    (void)state;
    put("unified/c/memory.max", "2000\n");
    put("unified/c/memory.current", "1500\n");
    memroom r;
    memroom_cgroup_at(&r, "0::/c\n", root);
    assert_int_equal(r.cgroup_room, 500);
    assert_string_equal(r.cgroup, "/c");
    memroom_cgroup_at(&r, "0::/nowhere\n", root);
    assert_true(r.cgroup_room == MEMROOM_UNLIMITED);
    assert_string_equal(r.cgroup, "");
}

static void test_read_self(void **state)
{
    (void)state;
    memroom r;
    hs_err err = {0};
    assert_int_equal(memroom_read(getpid(), &r, &err), 0);
    assert_true(r.anon_bytes > 0);
    assert_true(r.anon_huge_bytes <= r.anon_bytes);
    assert_true(r.private_bytes > 0);
    assert_true(r.overcommit >= 0 && r.overcommit <= 2);
    assert_int_equal(memroom_read(999999999, &r, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v2_least_over_ancestors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_memory_controller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_hybrid_and_none, setup, teardown),
        cmocka_unit_test(test_read_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
