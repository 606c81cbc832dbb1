/* The traps a guest raises that come to the hypervisor (reference/sun4v.md §1.3), and
   how each is answered: hypercalls (ta 0x80, 0x83, 0x84, 0xff; every other ta 0x80-0xfe
   is EBADTRAP), strand interrupts, MMU misses (mmu.c), and everything else re-vectored
   to the guest's own trap table at the same trap type, with the MMU fault status area
   filled for the access exceptions (Sun's T1 traptable.s "revector", mmu.s dmmu_err).

   Re-vectoring enters the guest's handler at TBA + TT << 5 (+ 16 KB when the trap
   came from TL > 0) at the trap's TL and GL, as if the trap had gone to privileged mode
   directly.  A trap that would leave the guest above MAXPTL or MAXPGL is a guest
   watchdog: the vCPU enters RTBA + 0x40 (TT 2) with its MMU off, at TL = MAXPTL. */
#include "hv.h"

static inline uint64_t rd_tl(void)
{
    uint64_t v;
    __asm__ __volatile__("rdpr %%tl, %0" : "=r"(v));
    return v;
}

static inline uint64_t rd_gl(void)
{
    uint64_t v;
    __asm__ __volatile__("rdpr %%gl, %0" : "=r"(v));
    return v;
}

static inline uint64_t rd_tba(void)
{
    uint64_t v;
    __asm__ __volatile__("rdpr %%tba, %0" : "=r"(v));
    return v;
}

static inline uint64_t rd_tpc(void)
{
    uint64_t v;
    __asm__ __volatile__("rdpr %%tpc, %0" : "=r"(v));
    return v;
}

static inline uint64_t rd_tstate(void)
{
    uint64_t v;
    __asm__ __volatile__("rdpr %%tstate, %0" : "=r"(v));
    return v;
}

/* the vCPU goes to RTBA + 0x40 with its MMU off, at TL = MAXPTL with TT = 2 (Sun's
   watchdog_guest) */
void guest_watchdog(struct strand *s)
{
    struct vcpu *v = s->vcpu;
    STXA(0, 0, 0x45);
    v->mmu_enabled = 0;
    uint64_t tpc = rd_tpc(), tnpc, tstate = rd_tstate();
    __asm__ __volatile__("rdpr %%tnpc, %0" : "=r"(tnpc));
    __asm__ __volatile__("wrpr %%g0, %0, %%tl" :: "i"(MAXPTL));
    __asm__ __volatile__("wrpr %0, %%tpc" :: "r"(tpc));
    __asm__ __volatile__("wrpr %0, %%tnpc" :: "r"(tnpc));
    __asm__ __volatile__("wrpr %0, %%tstate" :: "r"(tstate));
    __asm__ __volatile__("wrpr %%g0, %0, %%tt" :: "i"(TT_WDR));
    v->traps++;
    s->revec_pc = v->rtba + (TT_WDR << TT_OFFSET_SHIFT);
    s->action = ACT_REVECTOR;
    /* last: the glue after us uses this global set (the guest's GL 2 set is lost,
       as it is on a real watchdog) */
    __asm__ __volatile__("wrpr %%g0, %0, %%gl" :: "i"(MAXPGL)
                         : "g1", "g2", "g3", "g4", "g5", "memory");
}

uint64_t revector(struct strand *s, uint64_t tt, uint64_t pc)
{
    (void)pc;
    uint64_t tl = rd_tl();
    if (tl > MAXPTL || rd_gl() > MAXPGL) {
        guest_watchdog(s);
        return ACT_REVECTOR;
    }
    __asm__ __volatile__("wrpr %0, %%tt" :: "r"(tt));
    uint64_t vec = rd_tba() + (tt << TT_OFFSET_SHIFT);
    if (tl > 1)
        vec += TRAPTABLE_SIZE;
    s->revec_pc = vec;
    s->action = ACT_REVECTOR;
    return ACT_REVECTOR;
}

/* an access exception or MMU miss for the guest: fault status area (I side d = 0, D
   side d = 1), then the guest's trap; no fault area configured: watchdog (Sun) */
uint64_t fault_revector(struct strand *s, uint64_t tt, int d, uint64_t ft,
                        uint64_t addr, uint64_t ctx)
{
    struct vcpu *v = s->vcpu;
    if (!v->mmu_area_pa) {
        guest_watchdog(s);
        return ACT_REVECTOR;
    }
    volatile uint64_t *fa = (volatile uint64_t *)(v->mmu_area_pa + (d ? 0x40 : 0));
    if (ft)
        fa[0] = ft;
    fa[1] = addr;
    fa[2] = ctx;
    return revector(s, tt, 0);
}

static uint64_t access_exception(struct strand *s, uint64_t tt)
{
    uint64_t tstate = rd_tstate();
    int user = !((tstate >> TSTATE_PSTATE_SHIFT) & PSTATE_PRIV);
    if (tt == TT_IAX) {
        uint64_t ctx = LDXA(0x30, 0x50) & 0x1fff;
        return fault_revector(s, tt, 0, user ? MMU_FT_PRIV : MMU_FT_PROT, rd_tpc(), ctx);
    }
    uint64_t sfsr = LDXA(0x18, 0x58);
    uint64_t sfar = LDXA(0x20, 0x58);
    uint64_t ctx = LDXA(0x30, 0x58) & 0x1fff;
    uint64_t ft;
    if (sfsr & 1) {
        uint64_t f = (sfsr >> 7) & 0xff;
        ft = (f & 0x04) ? MMU_FT_NCATOMIC : (f & 0x02) ? MMU_FT_SO : MMU_FT_BADASI;
        STXA(0, 0x18, 0x58);
    } else {
        ft = user ? MMU_FT_PRIV : MMU_FT_BADASI;
    }
    return fault_revector(s, tt, 1, ft, sfar, ctx);
}

void hcall_dispatch(struct strand *s, uint64_t tt);

void hv_trap(struct strand *s, uint64_t tt)
{
    struct vcpu *v = s->vcpu;
    s->action = ACT_DONE;
    if (!v || !s->running)
        hv_panic("guest trap %#lx on strand %u without a running vCPU", tt, s->id);
    if (tt >= 0x180) {
        hcall_dispatch(s, tt);
        return;
    }
    v->traps++;
    switch (tt) {
    case 0x060:                             /* interrupt_vector */
        strand_take_vecs();
        xcall_poll(s);
        s->action = ACT_RETRY;
        if (s->panic_pending) {
            s->panic_pending = 0;
            s->action = revector(s, TT_NONRESUMABLE_ERROR, 0);
        }
        return;
    case 0x05e:                             /* hstick_match: a guest watchdog */
        s->action = ACT_RETRY;
        watchdog_tick(s);
        xcall_poll(s);                      /* a reset of this strand's own guest */
        return;
    case 0x05f: {                           /* trap_level_zero: not used by the HV */
        uint64_t hp;
        __asm__ __volatile__("rdhpr %%hpstate, %0" : "=r"(hp));
        __asm__ __volatile__("wrhpr %0, %%hpstate" :: "r"(hp & ~1UL));
        s->action = ACT_RETRY;
        return;
    }
    case 0x002:                             /* guest_watchdog (trap at TL = MAXPTL) */
        guest_watchdog(s);
        return;
    case 0x064:
    case 0x068:
        v->misses++;
        s->action = mmu_miss(s, tt);
        return;
    case 0x06c: {
        uint64_t ta = LDXA(0x30, 0x58);
        s->action = fault_revector(s, tt, 1, 0, ta & ~0x1fffUL, ta & 0x1fff);
        return;
    }
    case 0x03e:
    case 0x03f:
        s->action = mmu_real_miss(s, tt);
        return;
    case 0x02a:
    case 0x02b:
        s->action = mmu_invalid_tsb_entry(s, tt);
        return;
    case TT_IAX:
    case TT_DAX:
        s->action = access_exception(s, tt);
        return;
    default:
        s->action = revector(s, tt, 0);
        return;
    }
}

void hv_trap_in_hv(struct strand *s, uint64_t tt, uint64_t tpc, uint64_t tl)
{
    hv_panic("trap %#lx in the hypervisor at %#lx (TL %lu)", tt, tpc, tl);
}
