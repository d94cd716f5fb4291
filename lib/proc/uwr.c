/* lib/proc/uwr.c: remote unwinding with the lookups prepared before the
 * stop (see uwr.h). libunwind-ptrace's own procedure lookup reads
 * /proc/PID/maps and maps the object's file whenever the pc moves to another
 * object -- several times per stack, a few milliseconds for 9 threads, all
 * inside the stop. Here each object's .eh_frame_hdr binary-search table is
 * found once, up front, and handed to libunwind's table search, the way perf
 * unwinds sampled user stacks. */
#include "uwr.h"

#include <assert.h>
#include <dlfcn.h>
#include <elf.h>
#include <libunwind.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ehhdr.h"
#include "elf_mem.h"
#include "hs_array.h"

typedef struct uwr_object {
    uint64_t lo, hi; /* an executable mapping */
    bool table;      /* a usable search table: */
    uint64_t segbase, table_data, table_len;
} uwr_object;

/* libunwind's entry points, found with dlsym. */
typedef struct uwr_api {
    unw_addr_space_t (*create_as)(unw_accessors_t *, int);
    void (*destroy_as)(unw_addr_space_t);
    int (*set_caching)(unw_addr_space_t, unw_caching_policy_t);
    int (*init_remote)(unw_cursor_t *, unw_addr_space_t, void *);
    int (*step)(unw_cursor_t *);
    int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
    int (*search_table)(unw_addr_space_t, unw_word_t, unw_dyn_info_t *, unw_proc_info_t *, int,
                        void *);
    void *(*upt_create)(pid_t);
    void (*upt_destroy)(void *);
    int (*upt_find_proc_info)(unw_addr_space_t, unw_word_t, unw_proc_info_t *, int, void *);
} uwr_api;

struct uwr {
    pid_t pid;
    memsrc *m;
    uwr_object *obj; /* sorted by lo */
    size_t nobj;
    unw_addr_space_t as;
    void *upt; /* libunwind-ptrace's state, for the lookups the tables cannot serve */
    const struct user_regs_struct *regs; /* during uwr_frames */
    uwr_stats stats;
};

static uwr_api uwr_fn;
static int uwr_loaded; /* 0 not tried, 1 ok, -1 missing */

static int uwr_load(void)
{
    if (uwr_loaded)
        return uwr_loaded > 0 ? 0 : -1;
    uwr_loaded = -1;
    void *gen = dlopen("libunwind-x86_64.so.8", RTLD_NOW | RTLD_GLOBAL);
    void *pt = gen ? dlopen("libunwind-ptrace.so.0", RTLD_NOW | RTLD_GLOBAL) : NULL;
    if (pt == NULL)
        return -1;
    uwr_api *f = &uwr_fn;
    *(void **)&f->create_as = dlsym(gen, "_Ux86_64_create_addr_space");
    *(void **)&f->destroy_as = dlsym(gen, "_Ux86_64_destroy_addr_space");
    *(void **)&f->set_caching = dlsym(gen, "_Ux86_64_set_caching_policy");
    *(void **)&f->init_remote = dlsym(gen, "_Ux86_64_init_remote");
    *(void **)&f->step = dlsym(gen, "_Ux86_64_step");
    *(void **)&f->get_reg = dlsym(gen, "_Ux86_64_get_reg");
    /* Exported (libunwind-ptrace and perf call it) though in no header. */
    *(void **)&f->search_table = dlsym(gen, "_Ux86_64_dwarf_search_unwind_table");
    *(void **)&f->upt_create = dlsym(pt, "_UPT_create");
    *(void **)&f->upt_destroy = dlsym(pt, "_UPT_destroy");
    *(void **)&f->upt_find_proc_info = dlsym(pt, "_UPT_find_proc_info");
    if (!f->create_as || !f->destroy_as || !f->init_remote || !f->step || !f->get_reg ||
        !f->upt_create || !f->upt_destroy || !f->upt_find_proc_info)
        return -1;
    uwr_loaded = 1;
    return 0;
}

/* ---- the objects' search tables ---- */

/* Fills o's table from the object mapped at base; leaves o->table false when
 * it has no .eh_frame_hdr libunwind's table search can read. */
static void uwr_find_table(memsrc *m, uint64_t base, uwr_object *o)
{
    Elf64_Phdr ph[ELFMEM_MAX_PHDRS];
    uint64_t bias;
    int n = elfmem_phdrs(m, base, ph, &bias);
    for (int i = 0; i < n; i++) {
        if (ph[i].p_type != PT_GNU_EH_FRAME)
            continue;
        uint64_t hdr = bias + ph[i].p_vaddr;
        uint8_t h[EHHDR_HEAD_MAX];
        struct ehhdr eh;
        if (memsrc_read(m, hdr, sizeof(h), h) || !ehhdr_parse(h, sizeof(h), &eh))
            return;
        o->segbase = hdr;
        o->table_data = hdr + eh.table_off;
        /* in words: each entry is two 4-byte offsets */
        o->table_len = eh.count * 8 / sizeof(unw_word_t);
        o->table = true;
        return;
    }
}

static int uwr_object_cmp(const void *a, const void *b)
{
    const uwr_object *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int uwr_collect(uwr *u, const procmaps *pm)
{
    u->obj = calloc(pm->n ? pm->n : 1, sizeof(*u->obj));
    if (u->obj == NULL)
        return -1;
    for (size_t i = 0; i < pm->n; i++) {
        const procmaps_entry *e = &pm->v[i];
        bool vdso = strcmp(e->path, "[vdso]") == 0;
        if (!e->x || (e->path[0] != '/' && !vdso))
            continue;
        uwr_object *o = &u->obj[u->nobj++];
        *o = (uwr_object){.lo = e->start, .hi = e->end};
        uwr_find_table(u->m, vdso ? e->start : procmaps_file_base(pm, e), o);
        u->stats.objects++;
        u->stats.objects_with_table += o->table;
    }
    qsort(u->obj, u->nobj, sizeof(*u->obj), uwr_object_cmp);
    /* uwr_object_at's binary search: sorted, and disjoint as mappings are */
    for (size_t i = 1; i < u->nobj; i++)
        assert(u->obj[i - 1].hi <= u->obj[i].lo);
    return 0;
}

static const uwr_object *uwr_object_at(const uwr *u, uint64_t ip)
{
    size_t lo =
        hs_array_upper_bound(u->obj, u->nobj, sizeof(*u->obj), offsetof(uwr_object, hi), ip);
    return lo < u->nobj && u->obj[lo].lo <= ip ? &u->obj[lo] : NULL;
}

/* ---- libunwind's accessors ---- */

/* libunwind hands its accessors the argument of the lookup that is running,
 * which for the fallback lookup is libunwind-ptrace's own state; the unwinder
 * in use is therefore kept here (heapsnap unwinds from one thread). */
static uwr *uwr_current;

static int uwr_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
                              int need_unwind_info, void *arg)
{
    (void)arg;
    uwr *u = uwr_current;
    const uwr_object *o = uwr_object_at(u, ip);
    if (o != NULL && o->table && uwr_fn.search_table != NULL) {
        unw_dyn_info_t di;
        memset(&di, 0, sizeof(di));
        di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
        di.start_ip = o->lo;
        di.end_ip = o->hi;
        di.u.rti.segbase = o->segbase;
        di.u.rti.table_data = o->table_data;
        di.u.rti.table_len = o->table_len;
        u->stats.table_lookups++;
        return uwr_fn.search_table(as, ip, &di, pi, need_unwind_info, u);
    }
    if (u->upt == NULL)
        return -UNW_ENOINFO;
    u->stats.fallback_lookups++;
    return uwr_fn.upt_find_proc_info(as, ip, pi, need_unwind_info, u->upt);
}

static void uwr_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    /* libunwind calls this only for dynamically registered procedures, which
     * uwr_get_dyn_info_list_addr never offers; the unwind info of a table
     * search (ours or libunwind-ptrace's) is freed by libunwind itself. */
    (void)as;
    (void)pi;
    (void)arg;
}

static int uwr_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
    (void)as;
    (void)addr;
    (void)arg;
    return -UNW_ENOINFO; /* no JIT registrations are followed */
}

static int uwr_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
                          void *arg)
{
    (void)as;
    (void)arg;
    uint64_t v;
    if (write || uwr_current == NULL || memsrc_read_u64(uwr_current->m, addr, &v) != 0)
        return -UNW_EINVAL;
    *val = v;
    return 0;
}

/* Where libunwind's x86-64 registers sit in the regs ptrace gave. */
static const size_t uwr_reg_offset[] = {
    [UNW_X86_64_RAX] = offsetof(struct user_regs_struct, rax),
    [UNW_X86_64_RDX] = offsetof(struct user_regs_struct, rdx),
    [UNW_X86_64_RCX] = offsetof(struct user_regs_struct, rcx),
    [UNW_X86_64_RBX] = offsetof(struct user_regs_struct, rbx),
    [UNW_X86_64_RSI] = offsetof(struct user_regs_struct, rsi),
    [UNW_X86_64_RDI] = offsetof(struct user_regs_struct, rdi),
    [UNW_X86_64_RBP] = offsetof(struct user_regs_struct, rbp),
    [UNW_X86_64_RSP] = offsetof(struct user_regs_struct, rsp),
    [UNW_X86_64_R8] = offsetof(struct user_regs_struct, r8),
    [UNW_X86_64_R9] = offsetof(struct user_regs_struct, r9),
    [UNW_X86_64_R10] = offsetof(struct user_regs_struct, r10),
    [UNW_X86_64_R11] = offsetof(struct user_regs_struct, r11),
    [UNW_X86_64_R12] = offsetof(struct user_regs_struct, r12),
    [UNW_X86_64_R13] = offsetof(struct user_regs_struct, r13),
    [UNW_X86_64_R14] = offsetof(struct user_regs_struct, r14),
    [UNW_X86_64_R15] = offsetof(struct user_regs_struct, r15),
    [UNW_X86_64_RIP] = offsetof(struct user_regs_struct, rip),
};

int uwr_reg(const struct user_regs_struct *r, int reg, uint64_t *val)
{
    if (reg < 0 || (size_t)reg >= sizeof(uwr_reg_offset) / sizeof(uwr_reg_offset[0]))
        return -1;
    unsigned long long v; /* every field of user_regs_struct is one */
    memcpy(&v, (const char *)r + uwr_reg_offset[reg], sizeof(v));
    *val = v;
    return 0;
}

static int uwr_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
                          void *arg)
{
    (void)as;
    (void)arg;
    const struct user_regs_struct *r = uwr_current ? uwr_current->regs : NULL;
    if (write || r == NULL)
        return -UNW_EREADONLYREG;
    uint64_t v;
    if (uwr_reg(r, reg, &v) != 0)
        return -UNW_EBADREG;
    *val = v;
    return 0;
}

static int uwr_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                            void *arg)
{
    (void)as, (void)reg, (void)val, (void)write, (void)arg;
    return -UNW_EBADREG;
}

static int uwr_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as;
    (void)c;
    (void)arg;
    return -UNW_EINVAL;
}

static unw_accessors_t uwr_accessors = {
    .find_proc_info = uwr_find_proc_info,
    .put_unwind_info = uwr_put_unwind_info,
    .get_dyn_info_list_addr = uwr_get_dyn_info_list_addr,
    .access_mem = uwr_access_mem,
    .access_reg = uwr_access_reg,
    .access_fpreg = uwr_access_fpreg,
    .resume = uwr_resume,
    .get_proc_name = NULL,
};

/* ---- the API ---- */

uwr *uwr_open(pid_t pid, const procmaps *pm, memsrc *m)
{
    if (uwr_load() != 0)
        return NULL;
    uwr *u = calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->pid = pid;
    u->m = m;
    u->as = uwr_fn.create_as(&uwr_accessors, 0);
    if (u->as == NULL || uwr_collect(u, pm) != 0) {
        uwr_close(u);
        return NULL;
    }
    /* Threads parked at the same places share their unwind rules. */
    if (uwr_fn.set_caching != NULL)
        uwr_fn.set_caching(u->as, UNW_CACHE_GLOBAL);
    u->upt = uwr_fn.upt_create(pid);
    return u;
}

void uwr_close(uwr *u)
{
    if (u == NULL)
        return;
    if (u->as != NULL)
        uwr_fn.destroy_as(u->as);
    if (u->upt != NULL)
        uwr_fn.upt_destroy(u->upt);
    free(u->obj);
    free(u);
}

int uwr_frames(uwr *u, const struct user_regs_struct *regs, uint64_t *pcs, int max)
{
    if (u == NULL || regs == NULL || max <= 0)
        return -1;
    uwr_current = u;
    u->regs = regs;
    unw_cursor_t cur;
    int n = -1;
    if (uwr_fn.init_remote(&cur, u->as, u) >= 0) {
        n = 0;
        while (n < max) {
            unw_word_t ip = 0;
            if (uwr_fn.get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
                break;
            pcs[n++] = ip;
            if (uwr_fn.step(&cur) <= 0)
                break;
        }
    }
    u->regs = NULL;
    uwr_current = NULL;
    return n;
}

uwr_stats uwr_get_stats(const uwr *u)
{
    return u->stats;
}
