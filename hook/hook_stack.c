/* hook/hook_stack.c: what hook_stack_capture's unw_backtrace (DWARF CFI,
 * cached per thread by libunwind, no frame pointers needed) needs around it:
 * the ranges of the hook's own frames and operator new's, and the trimming.
 * Runs inside malloc with the re-entry guard set: it must not assume anything
 * about the allocator. */
#include "hook_stack.h"

#include <dlfcn.h>
#include <link.h>
#include <stdbool.h>
#include <string.h>

#include "heapsnap_registry.h"
#include "hook_internal.h"

#define MAX_SKIP_RANGES 12

struct range {
    uint64_t lo, hi;
};

static struct range skip[MAX_SKIP_RANGES];
static int nskip;
/* Bounds of skip[1..nskip): the caller's frame, tested against every range,
 * is rejected with two comparisons. */
static struct range skip_bounds;

/* Executable segments of the object containing self_addr. */
static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    uint64_t self = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (self >= lo && self < hi) {
            skip[0] = (struct range){lo, hi};
            return 1;
        }
    }
    return 0;
}

/* operator new and friends: for C++ the caller of new is the allocation site,
 * as in tcmalloc's and Go's profiles. */
static const char *const new_symbols[] = {
    "_Znwm",
    "_Znam",
    "_ZnwmRKSt9nothrow_t",
    "_ZnamRKSt9nothrow_t",
    "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t",
    "_ZnwmSt11align_val_tRKSt9nothrow_t",
    "_ZnamSt11align_val_tRKSt9nothrow_t",
};

void hook_stack_init(void)
{
    nskip = 0;
    skip_bounds = (struct range){0, 0};
    if (dl_iterate_phdr(find_self, (void *)(uintptr_t)&hook_stack_trim) > 0)
        nskip = 1;
    for (size_t i = 0; i < sizeof(new_symbols) / sizeof(new_symbols[0]); i++) {
        void *sym = dlsym(RTLD_DEFAULT, new_symbols[i]);
        Dl_info info;
        const ElfW(Sym) *es = NULL;
        if (!sym || !dladdr1(sym, &info, (void **)&es, RTLD_DL_SYMENT) || !es || !es->st_size)
            continue;
        uint64_t lo = (uint64_t)(uintptr_t)sym;
        if (nskip < MAX_SKIP_RANGES) {
            skip[nskip++] = (struct range){lo, lo + es->st_size};
            if (skip_bounds.lo == 0 || lo < skip_bounds.lo)
                skip_bounds.lo = lo;
            if (lo + es->st_size > skip_bounds.hi)
                skip_bounds.hi = lo + es->st_size;
        }
    }
}

static bool skipped(uint64_t pc)
{
    if (nskip > 0 && pc >= skip[0].lo && pc < skip[0].hi)
        return true;
    if (pc < skip_bounds.lo || pc >= skip_bounds.hi)
        return false;
    for (int i = 1; i < nskip; i++)
        if (pc >= skip[i].lo && pc < skip[i].hi)
            return true;
    return false;
}

uint32_t hook_stack_trim(void *const *buf, int n, uint64_t *frames)
{
    if (n < 0)
        n = 0;
    int first = 0;
    /* Frames of the hook, then of operator new, sit on top of the caller. The
     * first frame is our own pc even before hook_stack_init ran. */
    if (n > 0 && nskip == 0)
        first = 1;
    while (first < n && skipped((uint64_t)(uintptr_t)buf[first]))
        first++;
    uint32_t out = n - first < HEAPSNAP_MAX_FRAMES ? (uint32_t)(n - first) : HEAPSNAP_MAX_FRAMES;
    _Static_assert(sizeof(void *) == sizeof(uint64_t), "frames are copied as they are");
    memcpy(frames, buf + first, out * sizeof(uint64_t)); /* a call: a loop cost 8 per frame */
    return out;
}

/* dlclose, interposed: an unloaded object takes its CFI with it and another
 * may be mapped at its addresses, so the cached unwinder forgets its rules
 * once glibc's dlclose has returned. (A process the hook was attached to
 * keeps calling glibc's: there the cache is never emptied.) */
HOOK_EXPORT int dlclose(void *handle)
{
    static int (*next)(void *);
    int (*f)(void *) = __atomic_load_n(&next, __ATOMIC_ACQUIRE);
    if (f == NULL) {
        *(void **)&f = dlsym(RTLD_NEXT, "dlclose");
        if (f == NULL)
            return -1; /* no dlclose after this library: nothing was unloaded */
        __atomic_store_n(&next, f, __ATOMIC_RELEASE);
    }
    int rc = f(handle);
    hook_unwind_forget();
    return rc;
}
