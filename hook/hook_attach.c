/* hook/hook_attach.c: interposition after the fact, for a library that
 * heapsnap --attach loaded into a running process with dlopen. Every loaded
 * object calls the allocator through its GOT (JUMP_SLOT and GLOB_DAT
 * relocations); those entries are rewritten to this library's functions --
 * RELRO pages made writable for the write and read-only again -- and put back
 * by heapsnap_detach. dlopen is interposed the same way, so that objects loaded
 * later are patched as they load. Runs inside an injected call with every
 * other thread stopped; allocates nothing (its table is mmap'd). */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heapsnap.h"
#include "hook_internal.h"

int hook_attach_mode;

/* heapsnap reads this to know what --attach and --detach must do. */
enum { ATTACH_LOADED = 0, ATTACH_ON = 1, ATTACH_PRELOADED = 2 };
HOOK_EXPORT int heapsnap_attach_state;

/* The names rewritten, and this library's function for each. */
#define ATTACH_NFUNCS 12
static const char *const attach_names[ATTACH_NFUNCS] = {
    "malloc",         "free",          "calloc", "realloc", "memalign",
    "posix_memalign", "aligned_alloc", "valloc", "pvalloc", "malloc_usable_size",
    "reallocarray",   "dlopen"};
static uint64_t attach_new[ATTACH_NFUNCS];  /* ours */
static uint64_t attach_real[ATTACH_NFUNCS]; /* what the process's lookup finds */

/* One rewritten GOT entry. */
struct attach_slot {
    uint64_t addr; /* the entry */
    uint64_t old;  /* its value before */
    uint64_t obj;  /* the object's load address (to see it is still loaded) */
    uint32_t func;
};
#define ATTACH_MAX_SLOTS (1u << 16)
static struct attach_slot *slots; /* mmap'd once, ATTACH_MAX_SLOTS long */
static size_t nslots;
static uint64_t self_base;

/* ---- dlopen: the caller's identity kept ---- */

/* glibc's dlopen takes its caller from its return address (the object whose
 * RUNPATH and $ORIGIN apply, and its namespace). The wrapper calls it with a
 * return address inside the caller's own object -- a 0xc3 byte (ret) of its
 * code -- which returns on into the wrapper. */
void *hook_attach_call_as(void *fn, const void *a0, long a1, uint64_t ret_in_caller);
__asm__(".text\n"
        ".type hook_attach_call_as,@function\n"
        "hook_attach_call_as:\n"
        "    push %rbp\n"
        "    mov %rsp,%rbp\n"
        "    and $-16,%rsp\n"
        "    sub $8,%rsp\n"
        "    lea 1f(%rip),%rax\n"
        "    push %rax\n" /* where the caller's ret byte returns to */
        "    push %rcx\n" /* fn's return address: the ret byte */
        "    mov %rdi,%rax\n"
        "    mov %rsi,%rdi\n"
        "    mov %rdx,%rsi\n"
        "    jmp *%rax\n"
        "1:  mov %rbp,%rsp\n"
        "    pop %rbp\n"
        "    ret\n"
        ".size hook_attach_call_as,.-hook_attach_call_as\n");

struct attach_find {
    uint64_t pc, ret; /* in: an address; out: a ret byte in its object's code */
};

static int attach_find_ret(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct attach_find *f = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_filesz;
        if (f->pc < lo || f->pc >= hi)
            continue;
        const unsigned char *p = memchr((const void *)lo, 0xc3, hi - lo);
        if (p != NULL)
            f->ret = (uint64_t)(uintptr_t)p;
        return 1;
    }
    return 0;
}

static void attach_patch_all(void);

static __attribute__((noinline)) void *attach_dlopen(const char *file, int mode)
{
    void *(*real)(const char *, int) = (void *(*)(const char *, int))attach_real[11];
    struct attach_find f = {(uint64_t)(uintptr_t)__builtin_return_address(0), 0};
    dl_iterate_phdr(attach_find_ret, &f);
    void *h = f.ret ? hook_attach_call_as((void *)real, file, mode, f.ret) : real(file, mode);
    if (h != NULL && __atomic_load_n(&heapsnap_attach_state, __ATOMIC_ACQUIRE) == ATTACH_ON)
        attach_patch_all();
    return h;
}

/* ---- walking the GOTs ---- */

static Elf64_Addr attach_ptr(Elf64_Addr base, Elf64_Addr v)
{
    return v < base ? v + base : v; /* ld.so relocated d_ptr in place, but not the vdso's */
}

static int attach_func_of(const char *name)
{
    for (int i = 0; i < ATTACH_NFUNCS; i++)
        if (strcmp(name, attach_names[i]) == 0)
            return i;
    return -1;
}

/* The RELRO page made writable for the writes in progress (0: none): the
 * GOT entries of one object sit in a page or two, so a page is made writable
 * once for all its entries (each mprotect is a stop of the traced thread). */
static uint64_t open_page;

static void attach_close_page(void)
{
    if (open_page != 0)
        mprotect((void *)open_page, 4096, PROT_READ);
    open_page = 0;
}

static void attach_write(uint64_t addr, uint64_t value, uint64_t relro_lo, uint64_t relro_hi)
{
    uint64_t page = addr & ~(uint64_t)4095;
    if (addr >= relro_lo && addr < relro_hi && page != open_page) {
        attach_close_page();
        if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE) != 0)
            return;
        open_page = page;
    }
    __atomic_store_n((uint64_t *)(uintptr_t)addr, value, __ATOMIC_RELEASE);
}

static bool attach_known(uint64_t addr)
{
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].addr == addr)
            return true;
    return false;
}

struct attach_obj {
    uint64_t base, lo, hi; /* load address, extent of its segments */
    uint64_t relro_lo, relro_hi;
    const ElfW(Dyn) * dyn;
};

static bool attach_obj_of(struct dl_phdr_info *info, struct attach_obj *o)
{
    memset(o, 0, sizeof(*o));
    o->base = info->dlpi_addr;
    o->lo = UINT64_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            if (o->base + ph->p_vaddr < o->lo)
                o->lo = o->base + ph->p_vaddr;
            if (o->base + ph->p_vaddr + ph->p_memsz > o->hi)
                o->hi = o->base + ph->p_vaddr + ph->p_memsz;
        } else if (ph->p_type == PT_DYNAMIC) {
            o->dyn = (const ElfW(Dyn) *)(o->base + ph->p_vaddr);
        } else if (ph->p_type == PT_GNU_RELRO) {
            o->relro_lo = (o->base + ph->p_vaddr) & ~(uint64_t)4095;
            o->relro_hi = (o->base + ph->p_vaddr + ph->p_memsz) & ~(uint64_t)4095;
        }
    }
    return o->dyn != NULL && o->lo < o->hi;
}

static void attach_relocs(const struct attach_obj *o, const ElfW(Rela) * r, size_t n,
                          const ElfW(Sym) * symtab, const char *strtab)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t type = ELF64_R_TYPE(r[i].r_info);
        if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
            continue;
        const ElfW(Sym) *s = &symtab[ELF64_R_SYM(r[i].r_info)];
        int f = attach_func_of(strtab + s->st_name);
        if (f < 0)
            continue;
        uint64_t addr = o->base + r[i].r_offset;
        uint64_t cur = __atomic_load_n((uint64_t *)(uintptr_t)addr, __ATOMIC_ACQUIRE);
        /* glibc's function, or an unresolved lazy PLT entry of this object;
         * another allocator's function stays */
        bool lazy = type == R_X86_64_JUMP_SLOT && cur >= o->lo && cur < o->hi;
        if (cur == attach_new[f] || (cur != attach_real[f] && !lazy))
            continue;
        if (nslots == ATTACH_MAX_SLOTS || attach_known(addr))
            continue;
        slots[nslots++] = (struct attach_slot){addr, cur, o->base, (uint32_t)f};
        attach_write(addr, attach_new[f], o->relro_lo, o->relro_hi);
    }
}

static int attach_patch_obj(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    struct attach_obj o;
    if (info->dlpi_addr == self_base || !attach_obj_of(info, &o))
        return 0;
    if (info->dlpi_name != NULL && strstr(info->dlpi_name, "linux-vdso") != NULL)
        return 0;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) *jmprel = NULL, *rela = NULL;
    size_t pltrelsz = 0, relasz = 0;
    for (const ElfW(Dyn) *d = o.dyn; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB:
            symtab = (const ElfW(Sym) *)attach_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_STRTAB:
            strtab = (const char *)attach_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_JMPREL:
            jmprel = (const ElfW(Rela) *)attach_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_PLTRELSZ:
            pltrelsz = d->d_un.d_val;
            break;
        case DT_RELA:
            rela = (const ElfW(Rela) *)attach_ptr(o.base, d->d_un.d_ptr);
            break;
        case DT_RELASZ:
            relasz = d->d_un.d_val;
            break;
        default:
            break;
        }
    }
    if (symtab == NULL || strtab == NULL)
        return 0;
    if (jmprel != NULL)
        attach_relocs(&o, jmprel, pltrelsz / sizeof(ElfW(Rela)), symtab, strtab);
    if (rela != NULL)
        attach_relocs(&o, rela, relasz / sizeof(ElfW(Rela)), symtab, strtab);
    attach_close_page();
    return 0;
}

/* Several threads may dlopen at once. */
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;

static void attach_patch_all(void)
{
    pthread_mutex_lock(&attach_lock);
    dl_iterate_phdr(attach_patch_obj, NULL);
    pthread_mutex_unlock(&attach_lock);
}

/* Puts back the entries of objects still loaded that still hold ours. */
static int attach_restore_obj(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    struct attach_obj o;
    if (!attach_obj_of(info, &o))
        return 0;
    for (size_t i = 0; i < nslots; i++) {
        struct attach_slot *s = &slots[i];
        if (s->obj != o.base || s->addr < o.lo || s->addr >= o.hi)
            continue;
        if (__atomic_load_n((uint64_t *)(uintptr_t)s->addr, __ATOMIC_ACQUIRE) ==
            attach_new[s->func])
            attach_write(s->addr, s->old, o.relro_lo, o.relro_hi);
        s->addr = 0; /* done */
    }
    attach_close_page();
    return 0;
}

/* ---- the interface heapsnap calls ---- */

static int attach_prepare(void)
{
    if (slots == NULL) {
        void *m = mmap(NULL, ATTACH_MAX_SLOTS * sizeof(*slots), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED)
            return -ENOMEM;
        slots = m;
    }
    Dl_info self;
    if (dladdr((void *)attach_prepare, &self) == 0)
        return -ENOENT;
    self_base = (uint64_t)(uintptr_t)self.dli_fbase;
    hook_resolve_real();
    const void *ours[ATTACH_NFUNCS] = {
        (void *)hook_self.malloc,        (void *)hook_self.free,
        (void *)hook_self.calloc,        (void *)hook_self.realloc,
        (void *)hook_self.memalign,      (void *)hook_self.posix_memalign,
        (void *)hook_self.aligned_alloc, (void *)hook_self.valloc,
        (void *)hook_self.pvalloc,       (void *)hook_self.malloc_usable_size,
        (void *)hook_self_reallocarray,  (void *)attach_dlopen};
    for (int i = 0; i < ATTACH_NFUNCS; i++) {
        attach_new[i] = (uint64_t)(uintptr_t)ours[i];
        attach_real[i] = (uint64_t)(uintptr_t)dlsym(RTLD_DEFAULT, attach_names[i]);
    }
    if (attach_real[11] == 0)
        return -ENOSYS; /* no dlopen in libc: glibc before 2.34 */
    return 0;
}

HOOK_EXPORT int heapsnap_attach(uint64_t rate, const char *http)
{
    if (!hook_attach_mode) {
        heapsnap_attach_state = ATTACH_PRELOADED;
        return 0;
    }
    if (heapsnap_attach_state == ATTACH_ON)
        return 0;
    int rc = attach_prepare();
    if (rc != 0)
        return rc;
    /* The counters cannot be exact: chunks from before the attach are freed
     * through the hook. */
    __atomic_store_n(&hook_counting, 0, __ATOMIC_RELAXED);
    if (hook_start_attached(rate) != 0)
        return -ENOMEM;
    nslots = 0;
    __atomic_store_n(&heapsnap_attach_state, ATTACH_ON, __ATOMIC_RELEASE);
    attach_patch_all();
    if (http != NULL && *http != '\0' && heapsnap_http_start(http) != 0)
        return errno > 0 ? -errno : -EINVAL; /* recording runs; the endpoint does not */
    return (int)nslots;
}

HOOK_EXPORT int heapsnap_detach(void)
{
    if (!hook_attach_mode)
        return -EPERM;
    if (heapsnap_attach_state != ATTACH_ON)
        return 0;
    __atomic_store_n(&heapsnap_attach_state, ATTACH_LOADED, __ATOMIC_RELEASE);
    pthread_mutex_lock(&attach_lock);
    size_t n = nslots;
    dl_iterate_phdr(attach_restore_obj, NULL);
    nslots = 0;
    pthread_mutex_unlock(&attach_lock);
    hook_http_stop();
    return (int)n;
}
