/* tests/unit/test_buildid.c: lib/buildid on ELF files this test writes with
 * libelf (a GNU build-id note among other notes, no build id, a note of
 * another owner with the same type), on files that are not ELF, and the hex
 * and debug-path formatting. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buildid.h"

static char dir[256]; /* short, so every path built in it fits in PATH_MAX */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/hs-buildid.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) && elf_version(EV_CURRENT) != EV_NONE ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Appends one ELF note (4-byte aligned name and descriptor) to buf at *off. */
static void put_note(uint8_t *buf, size_t *off, uint32_t type, const char *name,
                     const uint8_t *desc, uint32_t desclen)
{
    uint32_t namesz = (uint32_t)strlen(name) + 1;
    uint32_t hdr[3] = {namesz, desclen, type};
    memcpy(buf + *off, hdr, sizeof(hdr));
    *off += sizeof(hdr);
    memset(buf + *off, 0, (namesz + 3u) & ~3u);
    memcpy(buf + *off, name, namesz);
    *off += (namesz + 3u) & ~3u;
    memset(buf + *off, 0, (desclen + 3u) & ~3u);
    memcpy(buf + *off, desc, desclen);
    *off += (desclen + 3u) & ~3u;
}

/* Writes an ELF64 relocatable file at path whose one SHT_NOTE section holds
 * notes[0..len). */
static void write_elf(const char *path, const uint8_t *notes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
    assert_non_null(e);
    GElf_Ehdr eh;
    assert_non_null(gelf_newehdr(e, ELFCLASS64));
    assert_non_null(gelf_getehdr(e, &eh));
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_REL;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    assert_true(gelf_update_ehdr(e, &eh) != 0);
    Elf_Scn *scn = elf_newscn(e);
    assert_non_null(scn);
    Elf_Data *d = elf_newdata(scn);
    assert_non_null(d);
    d->d_buf = (void *)notes;
    d->d_size = len;
    d->d_type = ELF_T_NHDR;
    d->d_align = 4;
    d->d_version = EV_CURRENT;
    GElf_Shdr sh;
    assert_non_null(gelf_getshdr(scn, &sh));
    sh.sh_type = SHT_NOTE;
    sh.sh_addralign = 4;
    assert_true(gelf_update_shdr(scn, &sh) != 0);
    assert_true(elf_update(e, ELF_C_WRITE) > 0);
    elf_end(e);
    close(fd);
}

static void test_read_gnu_note(void **state)
{
    (void)state;
    uint8_t notes[256], id20[20], other[16] = {9, 9, 9, 9, 9, 9, 9, 9};
    for (int i = 0; i < 20; i++)
        id20[i] = (uint8_t)(0xa0 + i);
    size_t off = 0;
    put_note(notes, &off, 1 /* NT_GNU_ABI_TAG */, "GNU", other, 16);
    put_note(notes, &off, NT_GNU_BUILD_ID, "Go", other, 8); /* same type, other owner */
    put_note(notes, &off, NT_GNU_BUILD_ID, "GNU", id20, 20);
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/with-id.o", dir);
    write_elf(p, notes, off);

    uint8_t got[BUILDID_MAX];
    hs_err err = {{0}};
    assert_int_equal(buildid_read_file(p, got, sizeof(got), &err), 20);
    assert_memory_equal(got, id20, 20);
    char hex[2 * BUILDID_MAX + 1];
    assert_string_equal(buildid_hex(got, 20, hex, sizeof(hex)),
                        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");
    /* a smaller buffer gets the first bytes */
    memset(got, 0, sizeof(got));
    assert_int_equal(buildid_read_file(p, got, 4, &err), 4);
    assert_memory_equal(got, id20, 4);
    assert_int_equal(got[4], 0);
}

static void test_no_build_id(void **state)
{
    (void)state;
    uint8_t notes[64], tag[16] = {0};
    size_t off = 0;
    put_note(notes, &off, 1, "GNU", tag, 16);
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/no-id.o", dir);
    write_elf(p, notes, off);
    uint8_t got[BUILDID_MAX];
    hs_err err = {{0}};
    assert_int_equal(buildid_read_file(p, got, sizeof(got), &err), 0);
}

static void test_not_elf(void **state)
{
    (void)state;
    char p[PATH_MAX], want[PATH_MAX + 64];
    snprintf(p, sizeof(p), "%s/text", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho not an ELF file\n", f);
    fclose(f);
    uint8_t got[BUILDID_MAX];
    hs_err err = {{0}};
    assert_int_equal(buildid_read_file(p, got, sizeof(got), &err), -1);
    snprintf(want, sizeof(want), "%s is not an ELF file", p);
    assert_string_equal(err.msg, want);
    snprintf(p, sizeof(p), "%s/missing", dir);
    assert_int_equal(buildid_read_file(p, got, sizeof(got), &err), -1);
    snprintf(want, sizeof(want), "cannot open %s: No such file or directory", p);
    assert_string_equal(err.msg, want);
}

static void test_hex_and_paths(void **state)
{
    (void)state;
    const uint8_t id[3] = {0x00, 0x7f, 0xff};
    char out[16], small[5];
    assert_string_equal(buildid_hex(id, 3, out, sizeof(out)), "007fff");
    assert_string_equal(buildid_hex(id, 0, out, sizeof(out)), "");
    /* 5 bytes hold two bytes' digits and the terminator, never more */
    assert_string_equal(buildid_hex(id, 3, small, sizeof(small)), "007f");
    char path[128];
    assert_string_equal(buildid_debug_path("93ac0a", NULL, path, sizeof(path)),
                        "/usr/lib/debug/.build-id/93/ac0a.debug");
    assert_string_equal(buildid_debug_path("93ac0a", "/opt/dbg", path, sizeof(path)),
                        "/opt/dbg/.build-id/93/ac0a.debug");
    assert_string_equal(buildid_debug_path("9a", NULL, path, sizeof(path)),
                        "/usr/lib/debug/.build-id/invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_gnu_note),
        cmocka_unit_test(test_no_build_id),
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_hex_and_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
