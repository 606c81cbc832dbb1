/* What differs between the chips, behind small functions (reference/sun4v.md §3, §7;
   Sun's hypervisor ontario/huron hprivregs.h, asi.h, mmu.h, cmp.h):
   - which chip: HVER.impl 0x23 T1, 0x24 T2/T2+;
   - starting a strand: an INT_VEC_DIS "resume" (type 3) through ASI 0x73, which T1 and
     T2 both take and which reaches every socket of a T2+;
   - self halt: T1 writes %asr26 with ACTIVE clear, T2 writes %hpr30;
   - strand-to-strand interrupts: ASI 0x73 (target << 8 | vector), received in the
     receive register ASI 0x72;
   - TLB loads: tag access (ASI 0x50/0x58 VA 0x30) then data-in (ASI 0x54/0x5C) with
     the VA flags T1: 0x400 sun4v format | 0x200 real, T2: 0x400 real;
   - T2 hardware table walk: TSB configuration registers (ASI 0x54 VA 0x10-0x28 context
     0, 0x30-0x48 other contexts: valid 63, use_context_0 62, use_context_1 61, TSB base
     PA 39:13, RA_NOT_PA 8, page size 6:4, size 3:0 = log2(entries) - 9) and the real
     range / physical offset registers (ASI 0x52 VA 0x108-0x120: enable 63, RA limit >> 13
     in 53:27, RA base >> 13 in 26:0; VA 0x208-0x220: PA - RA, bits 39:13). */
#include "hv.h"

#define ASI_INTR_RECEIVE    0x72
#define ASI_INTR_W          0x73
#define ASI_HWTW_RANGE      0x52
#define ASI_MMU_TSB         0x54

void chip_init(void)
{
    uint64_t hver;
    __asm__ __volatile__("rdhpr %%hver, %0" : "=r"(hver));
    uint32_t impl = (uint32_t)(hver >> 32) & 0xffff;
    config.chip = impl == 0x23 ? CHIP_T1 : CHIP_T2;
    config.vcid_mask = config.chip == CHIP_T1 ? 0x1f : 0xff;
}

void strand_start(uint32_t id)
{
    STXA((3UL << 16) | ((uint64_t)id << 8), 0, 0x73);
}

void strand_halt(void)
{
    if (config.chip == CHIP_T1)
        __asm__ __volatile__("wr %%g0, 0, %%asr26" ::: "memory");
    else
        __asm__ __volatile__(".word 0xbd980000" ::: "memory");   /* wrhpr %g0, %hpr30 */
}

void strand_send_vec(uint32_t target, uint32_t vec)
{
    STXA(((uint64_t)target << 8) | (vec & 0x3f), 0, 0x73);
}

/* take (and clear) every interrupt vector received so far */
uint32_t strand_take_vecs(void)
{
    uint64_t v = LDXA(0, 0x72);
    if (v)
        STXA(0, 0, 0x72);
    return (uint32_t)(v != 0);
}

void tlb_load(int itlb, uint64_t va, uint64_t ctx, uint64_t tte, int real)
{
    uint64_t tag = (va & ~0x1fffUL) | (real ? 0 : (ctx & 0x1fff));
    uint64_t flags;
    if (config.chip == CHIP_T1)
        flags = 0x400 | (real ? 0x200 : 0);
    else
        flags = real ? 0x400 : 0;
    tte &= ~(1UL << 61);            /* T1 uses soft bit 61 as the lock bit */
    if (itlb) {
        STXA(tag, 0x30, 0x50);
        STXA(tte, flags, 0x54);
    } else {
        STXA(tag, 0x30, 0x58);
        STXA(tte, flags, 0x5c);
    }
}

/* demap within this strand's partition: op 0 page, 1 context, 2 all (UA2007 demap
   operations); flags MAP_ITLB | MAP_DTLB; a page or context demap of `ctx` borrows the
   primary context register */
void tlb_demap(int op, int flags, uint64_t va, uint64_t ctx)
{
    uint64_t saved = LDXA(8, 0x21);
    if (op != 2)
        STXA(ctx, 8, 0x21);
    uint64_t a = (op == 0 ? (va & ~0x1fffUL) : 0) | ((uint64_t)op << 6);
    if (flags & MAP_ITLB)
        STXA(0, a, 0x57);
    if (flags & MAP_DTLB)
        STXA(0, a, 0x5f);
    if (op != 2)
        STXA(saved, 8, 0x21);
}

void tlb_demap_all_partition(void)
{
    tlb_demap(2, MAP_ITLB | MAP_DTLB, 0, 0);
    /* real translations too (demap all removes every entry of the partition) */
}

static int log2u(uint64_t n)
{
    int k = 0;
    while (n > 1) {
        n >>= 1;
        k++;
    }
    return k;
}

/* T2: the hardware table walk reads the TSBs of v (those it can walk: at least 512
   entries; the hypervisor's miss path probes the others) */
void chip_set_tsbs(struct vcpu *v)
{
    if (config.chip != CHIP_T2)
        return;
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < MAX_TSBS_T2; i++) {
            uint64_t cfg = 0;
            if ((uint32_t)i < v->ntsb[t]) {
                struct hv_tsb_descr *d = &v->tsb[t][i];
                if (d->num_ttes >= TSB_MIN_ENTRIES) {
                    cfg = (1UL << 63) | (v->tsb_pa[t][i] & 0xffffffe000UL) |
                        ((uint64_t)(d->pgsz_idx & 7) << 4) |
                        (uint64_t)(log2u(d->num_ttes) - 9);
                    if (d->ctx_idx == 0)
                        cfg |= 1UL << 62;
                    else if (d->ctx_idx == 1)
                        cfg |= 1UL << 61;
                }
            }
            STXA(cfg, (t ? 0x30 : 0x10) + 8 * i, 0x54);
        }
    }
}

/* T2: real range / physical offset registers for the first four memory blocks of g
   (mmu.c programs the others on an invalid_TSB_entry trap) */
void chip_set_ranges(struct guest *g)
{
    if (config.chip != CHIP_T2)
        return;
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t rr = 0, off = 0;
        if (g && i < g->nmblocks) {
            struct mblock *m = g->mblocks[i];
            rr = (1UL << 63) | (((m->ra + m->size) >> 13) << 27) | (m->ra >> 13);
            off = (m->pa - m->ra) & 0xffffffe000UL;
        }
        STXA(rr, 0x108 + 8 * i, 0x52);
        STXA(off, 0x208 + 8 * i, 0x52);
    }
}

void chip_clear_guest_state(void)
{
    if (config.chip != CHIP_T2)
        return;
    for (int i = 0; i < 8; i++)
        STXA(0, 0x10 + 8 * i, 0x54);
    chip_set_ranges(0);
}
