/* Strand-to-strand messages and the idle loop (Sun's "HV mondos", common/src/intr.s
   and init.c guest_ignition: one strand asks another to schedule, stop or poke the
   vCPU it carries).  Each strand has a ring of messages under a spinlock; the sender
   appends one and posts interrupt vector VEC_XCALL to the target strand (ASI 0x73);
   the target takes interrupt_vector (trap 0x60) if a guest runs there, or wakes from
   its halt in the idle loop, and handles the ring in order.  A handler may not return
   (a vCPU launched on, or stopped on, this strand). */
#include "hv.h"

void xcall_send(uint32_t target, uint64_t cmd, uint64_t arg)
{
    struct strand *d = &strands[target];
    for (;;) {
        spin_lock(&d->xlock);
        if (d->xtail - d->xhead < XC_RING)
            break;
        spin_unlock(&d->xlock);
        /* the ring is full: let the target drain it (our own messages meanwhile) */
        struct strand *s = this_strand();
        if (s != d)
            xcall_poll(s);
    }
    d->xring[d->xtail % XC_RING].cmd = cmd;
    d->xring[d->xtail % XC_RING].arg = arg;
    membar_sync();
    d->xtail++;
    spin_unlock(&d->xlock);
    strand_send_vec(target, VEC_XCALL);
}

static int ring_take(struct strand *s, struct xmsg *m)
{
    int got = 0;
    spin_lock(&s->xlock);
    if (s->xhead != s->xtail) {
        *m = s->xring[s->xhead % XC_RING];
        s->xhead++;
        got = 1;
    }
    spin_unlock(&s->xlock);
    return got;
}

int xcall_pending(struct strand *s)
{
    return s->xhead != s->xtail;
}

void xcall_poll(struct strand *s)
{
    struct xmsg m;
    while (ring_take(s, &m)) {
        switch (m.cmd) {
        case XC_SCHED_VCPU: {
            struct vcpu *v = (struct vcpu *)m.arg;
            if (v == s->vcpu && v->state == CPU_STATE_STARTING && !s->running)
                vcpu_launch(s, v);                  /* does not return */
            break;
        }
        case XC_STOP_VCPU: {
            struct vcpu *v = (struct vcpu *)m.arg;
            if (v != s->vcpu)
                break;
            if (s->running) {
                vcpu_stop_local(s);
                strand_idle(s);                     /* does not return */
            }
            if (v->state == CPU_STATE_STOPPING)
                v->state = CPU_STATE_STOPPED;
            break;
        }
        case XC_STOP_GUEST:
            guest_exit((struct guest *)m.arg, 0, 0);
            break;
        case XC_RESET_GUEST:
            guest_exit((struct guest *)m.arg, 0, 1);
            break;
        case XC_POKE:
            break;
        case XC_PANIC_VCPU:
            if (s->running && s->vcpu == (struct vcpu *)m.arg)
                intr_forced_panic(s);
            break;
        default:
            break;
        }
    }
    if (s->running)
        intr_deliver_pending(s);
}

void strand_idle(struct strand *s)
{
    s->running = 0;
    for (;;) {
        strand_take_vecs();
        if (hstick_pending())
            watchdog_tick(s);
        xcall_poll(s);
        strand_halt();
    }
}
