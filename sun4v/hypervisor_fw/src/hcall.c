/* Hypercall dispatch (reference/sun4v.md §1.4, §2): ta 0x80 with the function in %o5,
   the hyper-fast MMU traps 0x83/0x84, the unversioned core calls of ta 0xff, EBADTRAP
   for every other hypervisor trap.  API groups as a table (OpenSBI-style: group,
   highest version; each function names the group and minor version it needs): a call
   whose group the guest has not negotiated (or negotiated below the call's minor)
   is EBADTRAP.  SUN4V 1.0 and CORE 1.0 are in force from guest start; api_set_version
   negotiates (unknown group EINVAL, other major ENOTSUPPORTED, a minor above ours is
   lowered, major 0 disables).  Every handler checks its arguments first and returns
   the architected error. */
#include "hv.h"

struct api_group {
    uint32_t    group;
    uint32_t    major;
    uint32_t    max_minor;
};

/* index = position in guest->api_major/api_minor */
static const struct api_group api_groups[] = {
    { API_GROUP_SUN4V, 1, 0 },
    { API_GROUP_CORE, 1, 1 },
    { API_GROUP_INTR, 2, 0 },
    { API_GROUP_LDC, 1, 0 },
};
#define G_SUN4V 0
#define G_CORE  1
#define G_INTR  2
#define G_LDC   3

static int group_index(uint64_t group)
{
    for (uint32_t i = 0; i < ARRAY_SIZE(api_groups); i++)
        if (api_groups[i].group == group)
            return (int)i;
    return -1;
}

static int have(struct guest *g, int gi, uint32_t minor)
{
    return g->api_major[gi] == api_groups[gi].major && g->api_minor[gi] >= minor;
}

int api_supported(struct guest *g, uint32_t group, uint32_t major, uint32_t minor)
{
    int gi = group_index(group);
    return gi >= 0 && g->api_major[gi] == major && g->api_minor[gi] >= minor;
}

static uint64_t api_set_version(struct strand *s, struct guest *g)
{
    uint64_t group = s->o[0], major = s->o[1], minor = s->o[2];
    int gi = group_index(group);
    s->o[1] = 0;
    if (gi < 0)
        return EINVAL;
    if (major == 0) {
        g->api_major[gi] = 0;
        g->api_minor[gi] = 0;
        return EOK;
    }
    if (major != api_groups[gi].major)
        return ENOTSUPPORTED;
    uint32_t m = minor > api_groups[gi].max_minor ? api_groups[gi].max_minor :
        (uint32_t)minor;
    g->api_major[gi] = (uint32_t)major;
    g->api_minor[gi] = m;
    s->o[1] = m;
    return EOK;
}

static uint64_t api_get_version(struct strand *s, struct guest *g)
{
    int gi = group_index(s->o[0]);
    s->o[1] = s->o[2] = 0;
    if (gi < 0 || g->api_major[gi] == 0)
        return EINVAL;
    s->o[1] = g->api_major[gi];
    s->o[2] = g->api_minor[gi];
    return EOK;
}

/* ---- CORE calls not in their own file -------------------------------------------------- */
static uint64_t mach_desc(struct strand *s, struct guest *g)
{
    uint64_t buf = s->o[0], len = s->o[1], pa;
    s->o[1] = g->md_size;
    if (len < g->md_size)
        return EINVAL;
    if (buf & (MD_ALIGNMENT - 1))
        return EBADALIGN;
    if (ra2pa(g, buf, g->md_size, &pa))
        return ENORADDR;
    memcpy((void *)pa, (const void *)g->md_pa, g->md_size);
    return EOK;
}

static uint64_t cpu_qconf(struct strand *s, struct vcpu *v)
{
    uint64_t q = s->o[0], base = s->o[1], n = s->o[2], pa;
    uint64_t max = config.chip == CHIP_T1 ? 256 : 4096;
    if (q < CPU_MONDO_QUEUE || q > NONRESUMABLE_ERROR_QUEUE)
        return EINVAL;
    int qi = (int)(q - CPU_MONDO_QUEUE);
    uint64_t headva = 0x3c0 + 16 * qi;
    if (n == 0) {
        v->q_ra[qi] = v->q_pa[qi] = v->q_size[qi] = 0;
        STXA(0, headva, 0x25);
        STXA(0, headva + 8, 0x25);
        return EOK;
    }
    if (n < 2 || (n & (n - 1)) || n > max)
        return EINVAL;
    uint64_t size = n * QUEUE_ENTRY_SIZE;
    if (base & (size - 1))
        return EBADALIGN;
    if (ra2pa(v->guest, base, size, &pa))
        return ENORADDR;
    v->q_ra[qi] = base;
    v->q_pa[qi] = pa;
    v->q_size[qi] = size;
    STXA(0, headva, 0x25);
    STXA(0, headva + 8, 0x25);
    return EOK;
}

static uint64_t cpu_qinfo(struct strand *s, struct vcpu *v)
{
    uint64_t q = s->o[0];
    s->o[1] = s->o[2] = 0;
    if (q < CPU_MONDO_QUEUE || q > NONRESUMABLE_ERROR_QUEUE)
        return EINVAL;
    int qi = (int)(q - CPU_MONDO_QUEUE);
    s->o[1] = v->q_ra[qi];
    s->o[2] = v->q_size[qi] / QUEUE_ENTRY_SIZE;
    return EOK;
}

static uint64_t cpu_state(struct strand *s, struct guest *g)
{
    struct vcpu *t = guest_vcpu(g, s->o[0]);
    s->o[1] = 0;
    if (!t)
        return ENOCPU;
    uint32_t st = t->state;
    /* transitions look like the state they leave (the public states are 1-3) */
    if (st == CPU_STATE_STARTING)
        st = CPU_STATE_STOPPED;
    else if (st == CPU_STATE_STOPPING)
        st = CPU_STATE_RUNNING;
    s->o[1] = st;
    return EOK;
}

static uint64_t cpu_set_rtba(struct strand *s, struct vcpu *v)
{
    uint64_t rtba = s->o[0], pa;
    s->o[1] = v->rtba;
    if (rtba & (RTBA_ALIGNMENT - 1))
        return EBADALIGN;
    if (ra2pa(v->guest, rtba, RTBA_ALIGNMENT, &pa))
        return ENORADDR;
    v->rtba = rtba;
    return EOK;
}

static uint64_t tod_get(struct strand *s, struct guest *g)
{
    s->o[1] = *(volatile uint64_t *)HV_TOD + g->tod_offset;
    return EOK;
}

static uint64_t tod_set(struct strand *s, struct guest *g)
{
    g->tod_offset = s->o[0] - *(volatile uint64_t *)HV_TOD;
    return EOK;
}

static uint64_t cons_rw(struct strand *s, struct guest *g, int write)
{
    uint64_t buf = s->o[0], size = s->o[1], pa;
    s->o[1] = 0;
    if (size == 0)
        return EOK;
    if (ra2pa(g, buf, size, &pa))
        return ENORADDR;
    uint64_t n = 0;
    if (write) {
        for (; n < size; n++)
            if (cons_putchar(g, ((const uint8_t *)pa)[n]) != EOK)
                break;
    } else {
        for (; n < size; n++) {
            int64_t c = cons_getchar(g);
            if (c < 0)
                break;
            ((uint8_t *)pa)[n] = (uint8_t)c;
        }
        if (n == 0) {
            s->o[1] = 0;
            return EWOULDBLOCK;
        }
    }
    s->o[1] = n;
    return EOK;
}

static uint64_t core_call(struct strand *s, struct vcpu *v, uint64_t fn)
{
    struct guest *g = v->guest;
    switch (fn) {
    case MACH_EXIT:
        g->exit_code = s->o[0];
        guest_stop_here(g, 0);                  /* does not return */
        return EOK;
    case MACH_DESC:
        return mach_desc(s, g);
    case MACH_SIR:
        guest_stop_here(g, 1);                  /* does not return */
        return EOK;
    case MACH_SET_WATCHDOG:
        if (!have(g, G_CORE, 1))
            return EBADTRAP;
        return mach_set_watchdog(s, g, s->o[0]);
    case CPU_START:
        return vcpu_start(v, s->o[0], s->o[1], s->o[2], s->o[3]);
    case CPU_STOP:
        if (!have(g, G_CORE, 1))
            return EBADTRAP;
        return vcpu_stop(v, s->o[0]);
    case CPU_YIELD:
        vcpu_yield(v);
        return EOK;
    case CPU_QCONF:
        return cpu_qconf(s, v);
    case CPU_QINFO:
        return cpu_qinfo(s, v);
    case CPU_MYID:
        s->o[1] = v->vid;
        return EOK;
    case CPU_STATE:
        return cpu_state(s, g);
    case CPU_SET_RTBA:
        return cpu_set_rtba(s, v);
    case CPU_GET_RTBA:
        s->o[1] = v->rtba;
        return EOK;
    case MMU_TSB_CTX0: case MMU_TSB_CTXNON0: case MMU_DEMAP_PAGE: case MMU_DEMAP_CTX:
    case MMU_DEMAP_ALL: case MMU_MAP_PERM_ADDR: case MMU_FAULT_AREA_CONF:
    case MMU_ENABLE: case MMU_UNMAP_PERM_ADDR: case MMU_TSB_CTX0_INFO:
    case MMU_TSB_CTXNON0_INFO: case MMU_FAULT_AREA_INFO:
        return hcall_mmu(s, fn);
    case MEM_SCRUB:
    case MEM_SYNC: {
        uint64_t done = 0, st;
        st = fn == MEM_SCRUB ? mem_scrub(g, s->o[0], s->o[1], &done)
                             : mem_sync(g, s->o[0], s->o[1], &done);
        s->o[1] = done;
        return st;
    }
    case CPU_MONDO_SEND:
        return cpu_mondo_send(v, s->o[0], s->o[1], s->o[2]);
    case TOD_GET:
        return tod_get(s, g);
    case TOD_SET:
        return tod_set(s, g);
    case CONS_GETCHAR: {
        int64_t c = cons_getchar(g);
        s->o[1] = 0;
        if (c == CONS_NONE)
            return EWOULDBLOCK;
        s->o[1] = (uint64_t)c;
        return EOK;
    }
    case CONS_PUTCHAR:
        return cons_putchar(g, s->o[0]);
    case CONS_READ:
    case CONS_WRITE:
        if (!have(g, G_CORE, 1))
            return EBADTRAP;
        return cons_rw(s, g, fn == CONS_WRITE);
    default:
        return EBADTRAP;
    }
}

static int is_core_fn(uint64_t fn)
{
    return fn <= MACH_SIR || fn == MACH_SET_WATCHDOG || (fn >= CPU_START && fn <= CPU_GET_RTBA && fn != 0x13) ||
        (fn >= MMU_TSB_CTX0 && fn <= MMU_FAULT_AREA_INFO) || fn == MEM_SCRUB ||
        fn == MEM_SYNC || fn == CPU_MONDO_SEND || fn == TOD_GET || fn == TOD_SET ||
        (fn >= CONS_GETCHAR && fn <= CONS_WRITE);
}

void hcall_dispatch(struct strand *s, uint64_t tt)
{
    struct vcpu *v = s->vcpu;
    struct guest *g = v->guest;
    uint64_t st;
    v->hcalls++;
    s->action = ACT_DONE;
    if (tt == 0x180 + (FAST_TRAP - 0x80)) {
        uint64_t fn = s->o[5];
        if (is_core_fn(fn)) {
            st = have(g, G_CORE, 0) ? core_call(s, v, fn) : EBADTRAP;
        } else if (fn >= VINTR_GET_COOKIE && fn <= VINTR_SET_TARGET) {
            st = have(g, G_INTR, 0) ? hcall_intr(s, fn) : EBADTRAP;
        } else if ((fn >= LDC_TX_QCONF && fn <= LDC_RX_SET_QHEAD) ||
                   (fn >= LDC_SET_MAP_TABLE && fn <= LDC_COPY)) {
            st = have(g, G_LDC, 0) ? hcall_ldc(s, fn) : EBADTRAP;
        } else {
            st = EBADTRAP;
        }
    } else if (tt == 0x180 + (MMU_MAP_ADDR - 0x80)) {
        st = mmu_map_addr_fast(s);
    } else if (tt == 0x180 + (MMU_UNMAP_ADDR - 0x80)) {
        st = mmu_unmap_addr_fast(s);
    } else if (tt == 0x180 + (CORE_TRAP - 0x80)) {
        switch (s->o[5]) {
        case API_SET_VERSION:
            st = api_set_version(s, g);
            break;
        case API_PUTCHAR:
            st = cons_putchar(g, s->o[0]);
            break;
        case API_EXIT:
            g->exit_code = s->o[0];
            guest_stop_here(g, 0);
            st = EOK;
            break;
        case API_GET_VERSION:
            st = api_get_version(s, g);
            break;
        default:
            st = EBADTRAP;
            break;
        }
    } else {
        st = EBADTRAP;
    }
    s->o[0] = st;
}
