/* The MMU calls and the miss path (reference/sun4v.md §2, §3; Sun's hypervisor
   ontario/huron mmu.s, hcall_mmu.s; behaviour, not code).

   Translations the hypervisor loads always carry physical addresses and the guest's
   partition ID (set in the strand at launch): every real address in a TTE, a TSB
   descriptor or a call is checked against the guest's memory blocks first.

   Miss path (fast_instruction/data_access_MMU_miss, 0x64/0x68, with the MMU on):
     T1: the hypervisor probes the guest's TSBs (mmu_tsb_ctx0 / ctxnon0) in software;
     T2: the chip's hardware table walk has already probed the TSBs it can walk
         (chip.c programs it); the hypervisor probes them again for the ones it cannot
         (fewer than 512 entries) and for a T2 invalid_TSB_entry (0x2A/0x2B: the walk
         found a TTE whose real address no range register covers).
   Then permanent mappings (context 0).  A hit loads the TLB and retries; a TTE with an
   unsupported size or a real address outside the guest's memory gives the guest
   IAX/DAX (0x08/0x30) with fault type PAGESIZE / INVTSBENTRY; otherwise the guest
   gets its own miss trap: fast_*_MMU_miss (0x64/0x68, fault area address and context)
   when it has no TSB for that context, else *_access_MMU_miss (0x09/0x31, fault type
   MISS).  Real translation misses (0x3E/0x3F, MMU off or real ASIs) load a real
   translation (the largest page of 8K/64K/4M/256M inside the memory block) or give
   IAX/DAX with fault type INVALIDRA. */
#include "hv.h"

static const uint32_t page_sizes[] = { TTE_256M, TTE_4M, TTE_64K, TTE_8K };

static int va_ok(uint64_t va)
{
    return (uint64_t)(((int64_t)va << (64 - VA_BITS)) >> (64 - VA_BITS)) == va;
}

static int flags_ok(uint64_t flags)
{
    return flags != 0 && (flags & ~(uint64_t)(MAP_ITLB | MAP_DTLB)) == 0;
}

static int size_ok(uint64_t sz)
{
    return sz < 16 && ((TTE_VALID_SIZES >> sz) & 1);
}

static uint64_t page_bytes(uint64_t sz)
{
    return 1UL << TTE_PAGE_SHIFT(sz);
}

/* a guest TTE (with an RA) as a TLB TTE (with the PA); -1 if its page is not all in
   the guest's memory */
static int tte_ra2pa(struct guest *g, uint64_t tte, uint64_t *out)
{
    uint64_t pg = page_bytes(tte & TTE_SZ_MASK);
    uint64_t ra = tte & TTE_RA_MASK & ~(pg - 1), pa;
    if (ra2pa(g, ra, pg, &pa))
        return -1;
    *out = (tte & ~TTE_RA_MASK) | (pa & TTE_RA_MASK);
    return 0;
}

static uint64_t tag_access(int itlb)
{
    return itlb ? LDXA(0x30, 0x50) : LDXA(0x30, 0x58);
}

/* ---- TSBs -------------------------------------------------------------------------------- */
static uint64_t tsb_conf(struct strand *s, int t)
{
    struct vcpu *v = s->vcpu;
    struct guest *g = v->guest;
    uint64_t n = s->o[0], ra = s->o[1], pa;
    uint32_t max = config.chip == CHIP_T1 ? MAX_TSBS_T1 : MAX_TSBS_T2;
    v->ntsb[t] = 0;
    chip_set_tsbs(v);
    if (n == 0)
        return EOK;
    if (n > max)
        return EINVAL;
    if (ra & (TSB_DESCR_ALIGNMENT - 1))
        return EBADALIGN;
    if (ra2pa(g, ra, n * TSB_DESCR_SIZE, &pa))
        return ENORADDR;
    struct hv_tsb_descr d[MAX_TSBS];
    uint64_t tpa[MAX_TSBS];
    memcpy(d, (const void *)pa, n * TSB_DESCR_SIZE);
    for (uint64_t i = 0; i < n; i++) {
        if (!size_ok(d[i].pgsz_idx) || !((d[i].pgsz_mask >> d[i].pgsz_idx) & 1) ||
            (d[i].pgsz_mask & ~TTE_VALID_SIZES))
            return EBADPGSZ;
        if (d[i].assoc != 1 || d[i].num_ttes == 0 ||
            (d[i].num_ttes & (d[i].num_ttes - 1)))
            return EBADTSB;
        if (t == 1 && d[i].ctx_idx != 0 && d[i].ctx_idx != 1 &&
            d[i].ctx_idx != TSB_CTX_SHARED)
            return EBADTSB;
        uint64_t bytes = (uint64_t)d[i].num_ttes * TSB_ENTRY_SIZE;
        if (d[i].tsb_base & (bytes - 1))
            return EBADALIGN;
        if (ra2pa(g, d[i].tsb_base, bytes, &tpa[i]))
            return ENORADDR;
    }
    for (uint64_t i = 0; i < n; i++) {
        v->tsb[t][i] = d[i];
        v->tsb_pa[t][i] = tpa[i];
    }
    v->ntsb[t] = (uint32_t)n;
    chip_set_tsbs(v);
    return EOK;
}

static uint64_t tsb_info(struct strand *s, int t)
{
    struct vcpu *v = s->vcpu;
    uint64_t max = s->o[0], ra = s->o[1], pa;
    uint64_t n = v->ntsb[t];
    s->o[1] = n;
    if (n == 0)
        return EOK;
    if (max < n)
        return EINVAL;
    if (ra & (TSB_DESCR_ALIGNMENT - 1))
        return EBADALIGN;
    if (ra2pa(v->guest, ra, n * TSB_DESCR_SIZE, &pa))
        return ENORADDR;
    memcpy((void *)pa, v->tsb[t], n * TSB_DESCR_SIZE);
    return EOK;
}

/* 1: loaded; 0: not in any TSB; -1: a bad TTE (*ft says why) */
static int tsb_probe(struct vcpu *v, int itlb, uint64_t va, uint64_t ctx, uint64_t *ft)
{
    int t = ctx ? 1 : 0;
    for (uint32_t i = 0; i < v->ntsb[t]; i++) {
        const struct hv_tsb_descr *d = &v->tsb[t][i];
        uint64_t idx = (va >> TTE_PAGE_SHIFT(d->pgsz_idx)) & (d->num_ttes - 1);
        const volatile uint64_t *e =
            (const volatile uint64_t *)(v->tsb_pa[t][i] + idx * TSB_ENTRY_SIZE);
        uint64_t tag = e[0], data = e[1];
        uint64_t want = va >> TSB_TAG_VA_SHIFT;
        if (!(ctx && d->ctx_idx != TSB_CTX_SHARED))
            want |= ctx << TSB_TAG_CTX_SHIFT;
        if (tag != want || !(data & TTE_V))
            continue;
        if (itlb && !(data & TTE_X))
            continue;
        if (!size_ok(data & TTE_SZ_MASK)) {
            *ft = MMU_FT_PAGESIZE;
            return -1;
        }
        uint64_t tte;
        if (tte_ra2pa(v->guest, data, &tte)) {
            *ft = MMU_FT_INVTSBENTRY;
            return -1;
        }
        tlb_load(itlb, va, ctx, tte, 0);
        return 1;
    }
    return 0;
}

static int perm_probe(struct guest *g, int itlb, uint64_t va)
{
    int hit = 0;
    spin_lock(&g->perm_lock);
    for (int i = 0; i < NPERMMAPS; i++) {
        struct perm_map *p = &g->perm[i];
        if (!(p->tte & TTE_V) || !(p->flags & (itlb ? MAP_ITLB : MAP_DTLB)))
            continue;
        uint64_t sh = TTE_PAGE_SHIFT(p->tte & TTE_SZ_MASK);
        if ((p->va >> sh) == (va >> sh)) {
            tlb_load(itlb, va, 0, p->tte, 0);
            hit = 1;
            break;
        }
    }
    spin_unlock(&g->perm_lock);
    return hit;
}

static uint64_t miss_common(struct strand *s, int itlb, int invalid_entry)
{
    struct vcpu *v = s->vcpu;
    uint64_t ta = tag_access(itlb);
    uint64_t va = ta & ~0x1fffUL, ctx = ta & 0x1fff, ft = 0;
    int r = tsb_probe(v, itlb, va, ctx, &ft);
    if (r > 0)
        return ACT_RETRY;
    if (r < 0)
        return fault_revector(s, itlb ? TT_IAX : TT_DAX, !itlb, ft, va, ctx);
    if (ctx == 0 && perm_probe(v->guest, itlb, va))
        return ACT_RETRY;
    if (invalid_entry)      /* the walk saw an entry we no longer see: try again */
        return ACT_RETRY;
    if (v->ntsb[ctx ? 1 : 0] == 0)
        return fault_revector(s, itlb ? TT_FAST_IMMU_MISS : TT_FAST_DMMU_MISS, !itlb, 0,
                              va, ctx);
    return fault_revector(s, itlb ? TT_IMMU_MISS : TT_DMMU_MISS, !itlb, MMU_FT_MISS, va,
                          ctx);
}

uint64_t mmu_miss(struct strand *s, uint64_t tt)
{
    return miss_common(s, tt == 0x064, 0);
}

uint64_t mmu_invalid_tsb_entry(struct strand *s, uint64_t tt)
{
    return miss_common(s, tt == 0x02a, 1);
}

uint64_t mmu_real_miss(struct strand *s, uint64_t tt)
{
    struct guest *g = s->vcpu->guest;
    int itlb = tt == 0x03e;
    uint64_t ra = tag_access(itlb) & ~0x1fffUL;
    for (uint32_t i = 0; i < g->nmblocks; i++) {
        struct mblock *m = g->mblocks[i];
        if (ra < m->ra || ra >= m->ra + m->size)
            continue;
        for (uint32_t k = 0; k < ARRAY_SIZE(page_sizes); k++) {
            uint64_t sz = page_sizes[k], pg = page_bytes(sz);
            uint64_t base = ra & ~(pg - 1);
            if (base < m->ra || base + pg > m->ra + m->size || ((m->pa - m->ra) & (pg - 1)))
                continue;
            uint64_t pa = base - m->ra + m->pa;
            tlb_load(itlb, base, 0, TTE_V | pa | TTE_CP | TTE_CV | TTE_P | TTE_X | TTE_W | sz,
                     1);
            return ACT_RETRY;
        }
    }
    return fault_revector(s, itlb ? TT_IAX : TT_DAX, !itlb, MMU_FT_INVALIDRA, ra, 0);
}

/* ---- map / unmap / demap ----------------------------------------------------------------- */
static uint64_t map_addr(struct strand *s, uint64_t va, uint64_t ctx, uint64_t tte,
                         uint64_t flags)
{
    struct guest *g = s->vcpu->guest;
    if (!flags_ok(flags) || ctx >= NCTXS || !va_ok(va) || !(tte & TTE_V))
        return EINVAL;
    if (!size_ok(tte & TTE_SZ_MASK))
        return EBADPGSZ;
    uint64_t t;
    if (tte_ra2pa(g, tte, &t))
        return ENORADDR;
    if (flags & MAP_ITLB)
        tlb_load(1, va, ctx, t, 0);
    if (flags & MAP_DTLB)
        tlb_load(0, va, ctx, t, 0);
    return EOK;
}

uint64_t mmu_map_addr_fast(struct strand *s)
{
    return map_addr(s, s->o[0], s->o[1], s->o[2], s->o[3]);
}

uint64_t mmu_unmap_addr_fast(struct strand *s)
{
    uint64_t va = s->o[0], ctx = s->o[1], flags = s->o[2];
    if (!flags_ok(flags) || ctx >= NCTXS || !va_ok(va))
        return EINVAL;
    tlb_demap(0, (int)flags, va, ctx);
    return EOK;
}

static uint64_t map_perm(struct strand *s)
{
    struct guest *g = s->vcpu->guest;
    uint64_t va = s->o[0], tte = s->o[2], flags = s->o[3];
    if (s->o[1] != 0 || !flags_ok(flags) || !va_ok(va) || !(tte & TTE_V))
        return EINVAL;
    if (!size_ok(tte & TTE_SZ_MASK))
        return EBADPGSZ;
    if (va & (page_bytes(tte & TTE_SZ_MASK) - 1))
        return EBADALIGN;
    uint64_t t;
    if (tte_ra2pa(g, tte, &t))
        return ENORADDR;
    spin_lock(&g->perm_lock);
    int slot = -1;
    for (int i = 0; i < NPERMMAPS; i++) {
        if ((g->perm[i].tte & TTE_V) && g->perm[i].va == va) {
            slot = i;
            break;
        }
        if (slot < 0 && !(g->perm[i].tte & TTE_V))
            slot = i;
    }
    if (slot < 0) {
        spin_unlock(&g->perm_lock);
        return ETOOMANY;
    }
    g->perm[slot].va = va;
    g->perm[slot].tte = t;
    g->perm[slot].flags = flags;
    spin_unlock(&g->perm_lock);
    if (flags & MAP_ITLB)
        tlb_load(1, va, 0, t, 0);
    if (flags & MAP_DTLB)
        tlb_load(0, va, 0, t, 0);
    return EOK;
}

static uint64_t unmap_perm(struct strand *s)
{
    struct guest *g = s->vcpu->guest;
    uint64_t va = s->o[0], flags = s->o[2];
    if (s->o[1] != 0 || !flags_ok(flags) || !va_ok(va))
        return EINVAL;
    int found = 0;
    spin_lock(&g->perm_lock);
    for (int i = 0; i < NPERMMAPS; i++) {
        struct perm_map *p = &g->perm[i];
        if ((p->tte & TTE_V) && p->va == va) {
            p->flags &= ~flags;
            if (!(p->flags & (MAP_ITLB | MAP_DTLB)))
                p->tte &= ~TTE_V;
            found = 1;
        }
    }
    spin_unlock(&g->perm_lock);
    if (!found)
        return ENOMAP;
    tlb_demap(0, (int)flags, va, 0);
    return EOK;
}

uint64_t hcall_mmu(struct strand *s, uint64_t fn)
{
    struct vcpu *v = s->vcpu;
    uint64_t pa;
    switch (fn) {
    case MMU_TSB_CTX0:
        return tsb_conf(s, 0);
    case MMU_TSB_CTXNON0:
        return tsb_conf(s, 1);
    case MMU_TSB_CTX0_INFO:
        return tsb_info(s, 0);
    case MMU_TSB_CTXNON0_INFO:
        return tsb_info(s, 1);
    case MMU_DEMAP_PAGE:
        if (s->o[0] || s->o[1] || !flags_ok(s->o[4]) || s->o[3] >= NCTXS ||
            !va_ok(s->o[2]))
            return EINVAL;
        tlb_demap(0, (int)s->o[4], s->o[2], s->o[3]);
        return EOK;
    case MMU_DEMAP_CTX:
        if (s->o[0] || s->o[1] || !flags_ok(s->o[3]) || s->o[2] >= NCTXS)
            return EINVAL;
        tlb_demap(1, (int)s->o[3], 0, s->o[2]);
        return EOK;
    case MMU_DEMAP_ALL:
        if (s->o[0] || s->o[1] || !flags_ok(s->o[2]))
            return EINVAL;
        tlb_demap(2, (int)s->o[2], 0, 0);
        return EOK;
    case MMU_MAP_PERM_ADDR:
        return map_perm(s);
    case MMU_UNMAP_PERM_ADDR:
        return unmap_perm(s);
    case MMU_FAULT_AREA_CONF: {
        uint64_t ra = s->o[0];
        s->o[1] = v->mmu_area_ra;
        if (ra == 0) {
            v->mmu_area_ra = v->mmu_area_pa = 0;
            return EOK;
        }
        if (ra & (MMU_FAULT_AREA_ALIGNMENT - 1))
            return EBADALIGN;
        if (ra2pa(v->guest, ra, MMU_FAULT_AREA_SIZE, &pa))
            return ENORADDR;
        v->mmu_area_ra = ra;
        v->mmu_area_pa = pa;
        return EOK;
    }
    case MMU_FAULT_AREA_INFO:
        s->o[1] = v->mmu_area_ra;
        return EOK;
    case MMU_ENABLE: {
        uint64_t en = s->o[0], target = s->o[1];
        if (en > 1)
            return EINVAL;
        if (target & 3)
            return EBADALIGN;
        if (en && !va_ok(target))
            return EINVAL;
        v->mmu_enabled = en;
        STXA(en ? 0xc : 0, 0, 0x45);
        __asm__ __volatile__("wrpr %0, %%tnpc" :: "r"(target));
        return EOK;
    }
    default:
        return EBADTRAP;
    }
}
