/* Interrupt queues, cpu mondos and virtual device interrupts (reference/sun4v.md §2,
   §5; Sun's hypervisor common/src/intr.s, hcall_core.s hcall_cpu_mondo_send,
   vdev_intr.s).

   Queues: a vCPU's four queues (cpu mondo, device mondo, resumable and non-resumable
   error) are configured with cpu_qconf; the head and tail registers (ASI 0x25) live in
   the strand carrying the vCPU, so only that strand appends: an entry (64 B) goes at
   the tail and the tail advances, raising the guest's trap 0x7C/0x7D when it has
   interrupts on; a full or unconfigured queue keeps the entry waiting.

   cpu_mondo_send: each target of the sender's own guest gets the 64-byte payload in its
   mailbox (busy while it is there) and the carrier strand an interrupt vector; the
   target's strand moves it to the cpu mondo queue.  Delivered entries of the list are
   overwritten with 0xFFFF; a busy mailbox leaves its entry and the call returns
   EWOULDBLOCK (the guest retries with the same list).

   vintr (INTR 2.0): devhandle = the guest MD's channel-devices cfg-handle, devino =
   an LDC endpoint's tx-ino or rx-ino.  A raised interrupt that is valid and IDLE
   becomes DELIVERED and puts a device mondo (word 0 = its cookie) on the target vCPU's
   device mondo queue; the guest sets it IDLE again when it has handled it. */
#include "hv.h"

#define MBOX_FREE       0
#define MBOX_CLAIMED    1
#define MBOX_READY      2

int queue_append(struct vcpu *v, int q, const uint64_t *entry)
{
    int qi = q - CPU_MONDO_QUEUE;
    uint64_t size = v->q_size[qi];
    if (!size)
        return -1;
    uint64_t headva = 0x3c0 + 16 * (uint64_t)qi;
    uint64_t head = LDXA(headva, 0x25) & (size - 1);
    uint64_t tail = LDXA(headva + 8, 0x25) & (size - 1);
    uint64_t next = (tail + QUEUE_ENTRY_SIZE) & (size - 1);
    if (next == head)
        return -1;
    uint64_t *dst = (uint64_t *)(v->q_pa[qi] + tail);
    for (int i = 0; i < 8; i++)
        dst[i] = entry[i];
    membar_sync();
    STXA(next, headva + 8, 0x25);
    return 0;
}

/* on the strand carrying v (running): mailbox and device mondos into its queues */
void intr_deliver_pending(struct strand *s)
{
    struct vcpu *v = s->vcpu;
    if (!v || v->state != CPU_STATE_RUNNING)
        return;
    if (v->mbox_busy == MBOX_READY) {
        if (queue_append(v, CPU_MONDO_QUEUE, v->mbox) == 0) {
            membar_sync();
            v->mbox_busy = MBOX_FREE;
        }
    }
    uint64_t pend = v->devq_pending;
    while (pend) {
        int ino = fw_ctz64(pend);
        uint64_t entry[8] = { v->guest->vinos[ino].cookie, 0, 0, 0, 0, 0, 0, 0 };
        if (queue_append(v, DEV_MONDO_QUEUE, entry) != 0)
            break;
        uint64_t bit = 1UL << ino;
        uint64_t old;
        do {
            old = v->devq_pending;
        } while (atomic_cas_64(&v->devq_pending, old, old & ~bit) != old);
        pend &= ~bit;
    }
}

/* hvctl guest_panic (Sun's guest_panic): a sun4v error report of type "forced panic"
   (Linux sun4v_error_entry: handle, stick, type in byte 19 = 5, attributes, address,
   size, cpu) on the vCPU's non-resumable error queue, and nonresumable_error (0x7F)
   when the strand goes back to the guest (trap.c) */
void intr_forced_panic(struct strand *s)
{
    static volatile uint64_t ehdl;
    struct vcpu *v = s->vcpu;
    uint64_t e[8] = { atomic_add_64(&ehdl, 1), read_stick(), 5, 0, (uint64_t)v->vid << 16,
                      0, 0, 0 };
    queue_append(v, NONRESUMABLE_ERROR_QUEUE, e);
    s->panic_pending = 1;
}

int cpu_mondo_send(struct vcpu *self, uint64_t n, uint64_t list_ra, uint64_t data_ra)
{
    struct guest *g = self->guest;
    uint64_t list_pa, data_pa;
    if (list_ra & 1)
        return EBADALIGN;
    if (data_ra & (MONDO_DATA_ALIGNMENT - 1))
        return EBADALIGN;
    if (n > (1UL << 32) || ra2pa(g, list_ra, n * 2, &list_pa))
        return ENORADDR;
    if (ra2pa(g, data_ra, MONDO_DATA_SIZE, &data_pa))
        return ENORADDR;
    int wouldblock = 0;
    volatile uint16_t *list = (volatile uint16_t *)list_pa;
    for (uint64_t i = 0; i < n; i++) {
        uint16_t id = list[i];
        if (id == CPULIST_ENTRYDONE)
            continue;
        struct vcpu *t = guest_vcpu(g, id);
        if (!t)
            return ENOCPU;
        if (t == self)
            return EINVAL;
        if (t->state == CPU_STATE_ERROR)
            return ECPUERROR;
        if (atomic_cas_64(&t->mbox_busy, MBOX_FREE, MBOX_CLAIMED) != MBOX_FREE) {
            wouldblock = 1;
            if (t->mbox_busy == MBOX_READY)     /* the queue may have room again */
                strand_send_vec(t->strand->id, VEC_XCALL);
            continue;
        }
        const volatile uint64_t *d = (const volatile uint64_t *)data_pa;
        for (int k = 0; k < 8; k++)
            t->mbox[k] = d[k];
        membar_sync();
        t->mbox_busy = MBOX_READY;
        strand_send_vec(t->strand->id, VEC_XCALL);
        list[i] = CPULIST_ENTRYDONE;
    }
    return wouldblock ? EWOULDBLOCK : EOK;
}

void vino_raise(struct guest *g, uint32_t ino)
{
    if (ino >= NINOS)
        return;
    struct vino *vi = &g->vinos[ino];
    if (!vi->live || vi->valid != INTR_VALID || vi->state != INTR_IDLE)
        return;
    struct vcpu *t = guest_vcpu(g, vi->target);
    if (!t)
        return;
    vi->state = INTR_DELIVERED;
    uint64_t bit = 1UL << ino, old;
    do {
        old = t->devq_pending;
    } while (atomic_cas_64(&t->devq_pending, old, old | bit) != old);
    strand_send_vec(t->strand->id, VEC_XCALL);
}

/* an LDC endpoint of g whose rx ino is `ino` still has packets to read */
static int ino_has_work(struct guest *g, uint32_t ino)
{
    for (int c = 0; c < MAX_LDC_CHANNELS; c++) {
        struct ldc_ep *e = &g->ldc[c];
        if (e->live && e->rx_ino == ino && e->rx_size && e->rx_head != e->rx_tail)
            return 1;
    }
    return 0;
}

uint64_t hcall_intr(struct strand *s, uint64_t fn)
{
    struct guest *g = s->vcpu->guest;
    uint64_t devhandle = s->o[0], ino = s->o[1], arg = s->o[2];
    s->o[1] = 0;
    if (devhandle != g->cdev_cfghandle || ino >= NINOS || !g->vinos[ino].live)
        return EINVAL;
    struct vino *vi = &g->vinos[ino];
    switch (fn) {
    case VINTR_GET_COOKIE:
        s->o[1] = vi->cookie;
        return EOK;
    case VINTR_SET_COOKIE:
        vi->cookie = arg;
        return EOK;
    case VINTR_GET_VALID:
        s->o[1] = vi->valid;
        return EOK;
    case VINTR_SET_VALID:
        if (arg != INTR_VALID && arg != INTR_NOTVALID)
            return EINVAL;
        vi->valid = (uint32_t)arg;
        if (arg == INTR_VALID && ino_has_work(g, (uint32_t)ino))
            vino_raise(g, (uint32_t)ino);
        return EOK;
    case VINTR_GET_STATE:
        s->o[1] = vi->state;
        return EOK;
    case VINTR_SET_STATE:
        if (arg != INTR_IDLE && arg != INTR_RECEIVED && arg != INTR_DELIVERED)
            return EINVAL;
        vi->state = (uint32_t)arg;
        if (arg == INTR_IDLE && ino_has_work(g, (uint32_t)ino))
            vino_raise(g, (uint32_t)ino);
        return EOK;
    case VINTR_GET_TARGET:
        s->o[1] = vi->target;
        return EOK;
    case VINTR_SET_TARGET:
        if (!guest_vcpu(g, arg))
            return ENOCPU;
        vi->target = (uint32_t)arg;
        return EOK;
    default:
        return EBADTRAP;
    }
}
