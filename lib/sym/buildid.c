/* lib/sym/buildid.c: GNU build-id notes of ELF files, read with libelf, and the
 * debug-file path convention of /usr/lib/debug/.build-id/. */
#include "buildid.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int buildid_read_file(const char *path, uint8_t *id, size_t idlen, hs_err *err)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return hs_err_set(err, "libelf is too old for this program");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hs_err_set(err, "cannot open %s: %s", path, strerror(errno));
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (elf == NULL || elf_kind(elf) != ELF_K_ELF) {
        if (elf)
            elf_end(elf);
        close(fd);
        return hs_err_set(err, "%s is not an ELF file", path);
    }
    int found = 0;
    Elf_Scn *scn = NULL;
    while (found == 0 && (scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *data = elf_getdata(scn, NULL);
        if (data == NULL)
            continue;
        size_t off = 0, name_off, desc_off;
        GElf_Nhdr nh;
        while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                memcmp((char *)data->d_buf + name_off, "GNU", 4) == 0 && nh.n_descsz > 0) {
                size_t n = nh.n_descsz < idlen ? nh.n_descsz : idlen;
                memcpy(id, (char *)data->d_buf + desc_off, n);
                found = (int)n;
                break;
            }
        }
    }
    elf_end(elf);
    close(fd);
    return found;
}

char *buildid_hex(const uint8_t *id, size_t len, char *out, size_t outlen)
{
    static const char digits[] = "0123456789abcdef";
    size_t j = 0;
    for (size_t i = 0; i < len && j + 2 < outlen; i++) {
        out[j++] = digits[id[i] >> 4];
        out[j++] = digits[id[i] & 15];
    }
    if (outlen > 0)
        out[j] = '\0';
    return out;
}

char *buildid_debug_path(const char *hex, const char *root, char *out, size_t outlen)
{
    if (root == NULL)
        root = "/usr/lib/debug";
    if (strlen(hex) < 3) {
        snprintf(out, outlen, "%s/.build-id/invalid", root);
        return out;
    }
    snprintf(out, outlen, "%s/.build-id/%.2s/%s.debug", root, hex, hex + 2);
    return out;
}
