/* vCPUs: launch into the architected entry state, and the CORE calls about vCPUs
   (reference/sun4v.md §2, §5; Sun's hypervisor common/src/hcall_core.s, res_vcpu.c
   reset_vcpu_state, init.c guest_ignition).  A vCPU is bound to one strand (its
   carrier) for as long as it is configured; it runs there or the strand idles.

   States: STOPPED -> STARTING (cpu_start or guest start; a SCHED message to the
   carrier) -> RUNNING (launched) -> STOPPING (cpu_stop, guest exit; a STOP message) ->
   STOPPED.  Utilisation: the %stick ticks spent in cpu_yield are counted per vCPU
   (yield_count, with yield_start set while a yield lasts), which hvctl's
   get_res_stat reports (Sun's hcall_cpu_yield / hvcontrol.c). */
#include "hv.h"

struct vcpu *guest_vcpu(struct guest *g, uint64_t vid)
{
    if (vid >= NVCPUS)
        return 0;
    return g->vcpus[vid];
}

/* the state a vCPU starts from each time it is started */
void vcpu_reset_state(struct vcpu *v)
{
    v->ntsb[0] = v->ntsb[1] = 0;
    for (int q = 0; q < 4; q++)
        v->q_ra[q] = v->q_pa[q] = v->q_size[q] = 0;
    v->mmu_area_ra = v->mmu_area_pa = 0;
    v->mmu_enabled = 0;
    v->mbox_busy = 0;
    v->devq_pending = 0;
}

void vcpu_launch(struct strand *s, struct vcpu *v)
{
    struct guest *g = v->guest;
    uint64_t now = read_stick();
    if (!v->start_stick)
        v->start_stick = now;
    v->stop_stick = 0;
    v->util_last = now;
    v->last_yield_vcpu = v->yield_count;
    vcpu_reset_state(v);
    s->launch.pc = v->start_pc;
    s->launch.rtba = v->rtba;
    s->launch.arg = v->start_arg;
    s->launch.partid = g->partid;
    s->launch.hpstate = s->guest_hpstate;
    s->launch.real_base = g->real_base;
    s->launch.real_size = g->base_size;
    /* this partition's old translations on this core go (another guest with the same
       partition ID may have run here before a reconfiguration) */
    STXA(g->partid, 0x80, 0x58);
    tlb_demap_all_partition();
    chip_clear_guest_state();
    chip_set_ranges(g);
    s->running = 1;
    v->state = CPU_STATE_RUNNING;
    membar_sync();
    if (xcall_pending(s))
        strand_send_vec(s->id, VEC_XCALL);      /* handle the rest from the guest */
    extern void hv_enter_guest(void) __attribute__((noreturn));
    hv_enter_guest();
}

/* the vCPU running on this strand stops here (its strand goes idle after) */
void vcpu_stop_local(struct strand *s)
{
    struct vcpu *v = s->vcpu;
    s->running = 0;
    if (v) {
        if (v->yield_start) {
            v->yield_count += read_stick() - v->yield_start;
            v->yield_start = 0;
        }
        v->stop_stick = read_stick();
        v->state = CPU_STATE_STOPPED;
    }
    /* nothing of the guest stays behind on this strand: no translations (MMU off), no
       interrupt source that would keep waking its idle loop (soft interrupts, tick and
       stick compares, queue head/tail) */
    STXA(0, 0, 0x45);
    __asm__ __volatile__("wr %%g0, 0, %%softint\n\t"
                         "wr %0, 0, %%tick_cmpr\n\t"
                         "wr %0, 0, %%sys_tick_cmpr" :: "r"(1UL << 63) : "memory");
    for (uint64_t q = 0x3c0; q < 0x400; q += 8)
        STXA(0, q, 0x25);
}

int vcpu_start(struct vcpu *self, uint64_t cpuid, uint64_t pc, uint64_t rtba,
               uint64_t arg)
{
    struct guest *g = self->guest;
    struct vcpu *t = guest_vcpu(g, cpuid);
    uint64_t pa;
    if (!t)
        return ENOCPU;
    if ((pc & 3) || (rtba & (RTBA_ALIGNMENT - 1)))
        return EBADALIGN;
    if (ra2pa(g, pc, 4, &pa) || ra2pa(g, rtba, RTBA_ALIGNMENT, &pa))
        return ENORADDR;
    if (g->state != GUEST_STATE_NORMAL)
        return EWOULDBLOCK;
    spin_lock(&g->lock);
    if (t->state != CPU_STATE_STOPPED) {
        spin_unlock(&g->lock);
        return EINVAL;
    }
    t->start_pc = pc;
    t->rtba = rtba;
    t->start_arg = arg;
    t->state = CPU_STATE_STARTING;
    spin_unlock(&g->lock);
    xcall_send(t->strand->id, XC_SCHED_VCPU, (uint64_t)t);
    return EOK;
}

int vcpu_stop(struct vcpu *self, uint64_t cpuid)
{
    struct guest *g = self->guest;
    struct vcpu *t = guest_vcpu(g, cpuid);
    struct strand *s = this_strand();
    if (!t)
        return ENOCPU;
    if (t == self)
        return EINVAL;
    if (g->state != GUEST_STATE_NORMAL)
        return EWOULDBLOCK;
    spin_lock(&g->lock);
    if (t->state == CPU_STATE_STARTING || t->state == CPU_STATE_STOPPING) {
        spin_unlock(&g->lock);
        return EWOULDBLOCK;
    }
    if (t->state != CPU_STATE_RUNNING) {
        spin_unlock(&g->lock);
        return EINVAL;
    }
    t->state = CPU_STATE_STOPPING;
    spin_unlock(&g->lock);
    xcall_send(t->strand->id, XC_STOP_VCPU, (uint64_t)t);
    /* wait for it, handling our own messages (we may be stopped meanwhile) */
    while (t->state == CPU_STATE_STOPPING)
        xcall_poll(s);
    return EOK;
}

void vcpu_yield(struct vcpu *v)
{
    uint64_t t0 = read_stick();
    v->yield_start = t0 ? t0 : 1;
    membar_sync();
    strand_halt();
    uint64_t t1 = read_stick();
    v->yield_count += t1 - t0;
    v->yield_start = 0;
}
