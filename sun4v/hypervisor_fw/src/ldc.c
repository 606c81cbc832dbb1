/* Logical Domain Channels, the hypervisor's side (reference/sun4v.md §2, §6;
   include/sun4v/ldc.h; Sun's hypervisor common/src/ldc.s, Linux ldc.c for what a guest
   expects).  Channels are the endpoint pairs of the HV MD: two guest endpoints naming
   each other, or a guest endpoint and the hypervisor's hvctl endpoint.

   Each endpoint owns a TX and an RX queue in its guest's memory.  ldc_tx_set_qtail
   hands the packets between head and the new tail to the hypervisor, which copies as
   many as fit into the peer's RX queue (the rest when the peer releases room with
   ldc_rx_set_qhead) and raises the peer's rx-ino interrupt; packets for the hypervisor's
   endpoint go to the control protocol (hvctl.c), whose replies wait in a small ring
   until the control domain's RX queue has room.  (Re)configuring or unconfiguring a
   queue resets the link: the peer's next get_state says RESET and its rx-ino fires.
   ldc_copy moves memory the peer exported in its map table; on the hvctl channel the
   cookie is a physical address inside the hypervisor's MD area (HV_MDAREA_*). */
#include "hv.h"

static spinlock_t ldc_lock;

#define LDC_MAX_ENTRIES     4096

struct ldc_ep *ldc_peer(struct ldc_ep *e)
{
    if (e->target_type == LDC_HV_ENDPOINT)
        return &config.hvctl_ep;
    if (!e->peer_guest || e->peer_channel >= MAX_LDC_CHANNELS)
        return 0;
    struct ldc_ep *p = &e->peer_guest->ldc[e->peer_channel];
    return p->live ? p : 0;
}

static int is_hv(struct ldc_ep *e)
{
    return e && e->owner == 0;
}

static uint64_t rx_room(struct ldc_ep *r)
{
    if (!r->rx_size)
        return 0;
    return (r->rx_head - r->rx_tail - LDC_PACKET_SIZE) & (r->rx_size - 1);
}

static void notify_rx(struct ldc_ep *r)
{
    if (r && r->owner)
        vino_raise(r->owner, r->rx_ino);
}

/* the guest endpoint on the other end of the hvctl channel */
static struct ldc_ep *hvctl_guest_ep(void)
{
    struct ldc_ep *h = &config.hvctl_ep;
    if (!h->live || !h->peer_guest || h->peer_channel >= MAX_LDC_CHANNELS)
        return 0;
    struct ldc_ep *e = &h->peer_guest->ldc[h->peer_channel];
    return e->live ? e : 0;
}

/* hypervisor -> control domain: queued replies into its RX queue (ldc_lock held) */
static int hvctl_flush_locked(void)
{
    struct ldc_ep *e = hvctl_guest_ep();
    int moved = 0;
    if (!e)
        return 0;
    while (config.hvctl_out_head != config.hvctl_out_tail && rx_room(e) >= LDC_PACKET_SIZE) {
        uint64_t *src = config.hvctl_out[config.hvctl_out_head % 16];
        uint64_t *dst = (uint64_t *)(e->rx_pa + e->rx_tail);
        for (int i = 0; i < 8; i++)
            dst[i] = src[i];
        membar_sync();
        e->rx_tail = (e->rx_tail + LDC_PACKET_SIZE) & (e->rx_size - 1);
        config.hvctl_out_head++;
        moved = 1;
    }
    return moved;
}

void hvctl_send(const void *msg64)
{
    spin_lock(&ldc_lock);
    if (config.hvctl_out_tail - config.hvctl_out_head >= 16)
        config.hvctl_out_head++;            /* the oldest unread message is lost */
    memcpy(config.hvctl_out[config.hvctl_out_tail % 16], msg64, 64);
    config.hvctl_out_tail++;
    int moved = hvctl_flush_locked();
    spin_unlock(&ldc_lock);
    if (moved)
        notify_rx(hvctl_guest_ep());
}

/* move what tx's TX queue holds to its peer */
void ldc_pump(struct ldc_ep *tx)
{
    struct ldc_ep *rx = ldc_peer(tx);
    if (!rx || !tx->tx_size)
        return;
    if (is_hv(rx)) {
        for (;;) {
            uint64_t pkt[8];
            spin_lock(&ldc_lock);
            if (tx->tx_head == tx->tx_tail || !tx->tx_size) {
                spin_unlock(&ldc_lock);
                return;
            }
            const uint64_t *src = (const uint64_t *)(tx->tx_pa + tx->tx_head);
            for (int i = 0; i < 8; i++)
                pkt[i] = src[i];
            tx->tx_head = (tx->tx_head + LDC_PACKET_SIZE) & (tx->tx_size - 1);
            spin_unlock(&ldc_lock);
            hvctl_receive(pkt);
        }
    }
    int moved = 0;
    spin_lock(&ldc_lock);
    while (tx->tx_size && tx->tx_head != tx->tx_tail && rx_room(rx) >= LDC_PACKET_SIZE) {
        const uint64_t *src = (const uint64_t *)(tx->tx_pa + tx->tx_head);
        uint64_t *dst = (uint64_t *)(rx->rx_pa + rx->rx_tail);
        for (int i = 0; i < 8; i++)
            dst[i] = src[i];
        membar_sync();
        rx->rx_tail = (rx->rx_tail + LDC_PACKET_SIZE) & (rx->rx_size - 1);
        tx->tx_head = (tx->tx_head + LDC_PACKET_SIZE) & (tx->tx_size - 1);
        moved = 1;
    }
    spin_unlock(&ldc_lock);
    if (moved) {
        notify_rx(rx);
        if (tx->owner)
            vino_raise(tx->owner, tx->tx_ino);
    }
}

/* e's RX queue has room again: take what its peer has been holding (the hypervisor's
   queued control replies, or the peer's TX queue) */
static void refill_from_peer(struct ldc_ep *e)
{
    struct ldc_ep *p = ldc_peer(e);
    if (is_hv(p)) {
        spin_lock(&ldc_lock);
        int moved = hvctl_flush_locked();
        spin_unlock(&ldc_lock);
        if (moved)
            notify_rx(e);
    } else if (p) {
        ldc_pump(p);
    }
}

/* e's queues changed: the peer sees a link reset */
static void link_reset(struct ldc_ep *e)
{
    struct ldc_ep *p = ldc_peer(e);
    if (!p)
        return;
    if (is_hv(p)) {
        config.hvctl_state = HVCTL_STATE_UNCONNECTED;
        return;
    }
    p->rx_reset = p->tx_reset = 1;
    notify_rx(p);
}

static uint64_t qconf(struct ldc_ep *e, int tx, uint64_t ra, uint64_t n)
{
    struct guest *g = e->owner;
    uint64_t pa = 0, size = n * LDC_PACKET_SIZE;
    if (n) {
        if (n < LDC_MIN_QUEUE_ENTRIES || (n & (n - 1)) || n > LDC_MAX_ENTRIES)
            return EINVAL;
        if (ra & (size - 1))
            return EBADALIGN;
        if (ra2pa(g, ra, size, &pa))
            return ENORADDR;
    }
    spin_lock(&ldc_lock);
    if (tx) {
        e->tx_ra = n ? ra : 0;
        e->tx_pa = pa;
        e->tx_size = n ? size : 0;
        e->tx_head = e->tx_tail = 0;
        e->tx_reset = 0;
    } else {
        e->rx_ra = n ? ra : 0;
        e->rx_pa = pa;
        e->rx_size = n ? size : 0;
        e->rx_head = e->rx_tail = 0;
        e->rx_reset = 0;
    }
    spin_unlock(&ldc_lock);
    link_reset(e);
    if (!tx && n) {
        refill_from_peer(e);              /* room for what the peer has been holding */
    }
    return EOK;
}

static uint64_t get_state(struct strand *s, struct ldc_ep *e, int tx)
{
    struct ldc_ep *p = ldc_peer(e);
    uint64_t mine = tx ? e->tx_size : e->rx_size;
    uint64_t theirs = p ? (is_hv(p) ? 1 : (tx ? p->rx_size : p->tx_size)) : 0;
    uint32_t *rst = tx ? &e->tx_reset : &e->rx_reset;
    s->o[1] = tx ? e->tx_head : e->rx_head;
    s->o[2] = tx ? e->tx_tail : e->rx_tail;
    if (!mine) {
        s->o[3] = LDC_CHANNEL_DOWN;
    } else if (*rst) {
        *rst = 0;
        s->o[3] = LDC_CHANNEL_RESET;
    } else {
        s->o[3] = theirs ? LDC_CHANNEL_UP : LDC_CHANNEL_DOWN;
    }
    return EOK;
}

static uint64_t set_qtail(struct ldc_ep *e, uint64_t tail)
{
    if (!e->tx_size)
        return EINVAL;
    if ((tail & (LDC_PACKET_SIZE - 1)) || tail >= e->tx_size)
        return EINVAL;
    uint64_t m = e->tx_size - 1;
    uint64_t used_old = (e->tx_tail - e->tx_head) & m;
    uint64_t used_new = (tail - e->tx_head) & m;
    if (used_new < used_old)                /* the tail only moves forward */
        return EINVAL;
    struct ldc_ep *p = ldc_peer(e);
    if (!p || (!is_hv(p) && !p->rx_size))
        return EWOULDBLOCK;                 /* link down */
    e->tx_tail = tail;
    ldc_pump(e);
    return EOK;
}

static uint64_t set_qhead(struct ldc_ep *e, uint64_t head)
{
    if (!e->rx_size)
        return EINVAL;
    if ((head & (LDC_PACKET_SIZE - 1)) || head >= e->rx_size)
        return EINVAL;
    uint64_t m = e->rx_size - 1;
    if (((head - e->rx_head) & m) > ((e->rx_tail - e->rx_head) & m))
        return EINVAL;                      /* only what was received is released */
    e->rx_head = head;
    refill_from_peer(e);
    return EOK;
}

/* ldc_copy: guest memory <-> the peer's exported pages (map table) or, on the hvctl
   channel, the hypervisor's MD area */
static uint64_t ldc_copy(struct strand *s, struct ldc_ep *e)
{
    uint64_t dir = s->o[1], cookie = s->o[2], ra = s->o[3], len = s->o[4], pa;
    struct guest *g = e->owner;
    s->o[1] = 0;
    if (dir != LDC_COPY_IN && dir != LDC_COPY_OUT)
        return EINVAL;
    if ((cookie | ra | len) & 7)
        return EBADALIGN;
    if (len == 0)
        return EOK;
    if (ra2pa(g, ra, len, &pa))
        return ENORADDR;
    struct ldc_ep *p = ldc_peer(e);
    if (!p)
        return ECHANNEL;
    if (is_hv(p)) {
        if (cookie < HV_MDAREA_BASE || cookie + len < cookie ||
            cookie + len > HV_MDAREA_BASE + HV_MDAREA_SIZE)
            return ENORADDR;
        if (dir == LDC_COPY_IN)
            memcpy((void *)pa, (const void *)cookie, len);
        else
            memcpy((void *)cookie, (const void *)pa, len);
        s->o[1] = len;
        return EOK;
    }
    /* cookie: page size code 63:60, map table index << page shift, offset (Linux ldc.c) */
    struct guest *pg = p->owner;
    uint64_t done = 0;
    while (done < len) {
        uint64_t c = cookie + done;
        uint64_t szc = c >> 60;
        if (!((TTE_VALID_SIZES >> szc) & 1))
            return EINVAL;
        uint64_t shift = TTE_PAGE_SHIFT(szc), pgsz = 1UL << shift;
        uint64_t idx = (c & ((1UL << 60) - 1)) >> shift, off = c & (pgsz - 1);
        if (idx >= p->map_entries)
            return EINVAL;
        uint64_t mtpa;
        if (ra2pa(pg, p->map_ra + idx * 16, 16, &mtpa))
            return ENORADDR;
        uint64_t mte = *(volatile uint64_t *)mtpa;
        uint64_t need = dir == LDC_COPY_IN ? LDC_MTE_CPR : LDC_MTE_CPW;
        if (!(mte & need) || (mte & LDC_MTE_SZ_MASK) != szc)
            return ENOACCESS;
        uint64_t pra = (mte & TTE_RA_MASK & ~(pgsz - 1)) + off, ppa;
        uint64_t n = pgsz - off;
        if (n > len - done)
            n = len - done;
        if (ra2pa(pg, pra, n, &ppa))
            return ENORADDR;
        if (dir == LDC_COPY_IN)
            memcpy((void *)(pa + done), (const void *)ppa, n);
        else
            memcpy((void *)ppa, (const void *)(pa + done), n);
        done += n;
    }
    s->o[1] = done;
    return EOK;
}

uint64_t hcall_ldc(struct strand *s, uint64_t fn)
{
    struct guest *g = s->vcpu->guest;
    uint64_t ch = s->o[0];
    if (ch >= MAX_LDC_CHANNELS || !g->ldc[ch].live) {
        s->o[1] = s->o[2] = s->o[3] = 0;
        return ECHANNEL;
    }
    struct ldc_ep *e = &g->ldc[ch];
    switch (fn) {
    case LDC_TX_QCONF:
        return qconf(e, 1, s->o[1], s->o[2]);
    case LDC_RX_QCONF:
        return qconf(e, 0, s->o[1], s->o[2]);
    case LDC_TX_QINFO:
        s->o[1] = e->tx_ra;
        s->o[2] = e->tx_size / LDC_PACKET_SIZE;
        return EOK;
    case LDC_RX_QINFO:
        s->o[1] = e->rx_ra;
        s->o[2] = e->rx_size / LDC_PACKET_SIZE;
        return EOK;
    case LDC_TX_GET_STATE:
        return get_state(s, e, 1);
    case LDC_RX_GET_STATE:
        return get_state(s, e, 0);
    case LDC_TX_SET_QTAIL:
        return set_qtail(e, s->o[1]);
    case LDC_RX_SET_QHEAD:
        return set_qhead(e, s->o[1]);
    case LDC_SET_MAP_TABLE: {
        uint64_t ra = s->o[1], n = s->o[2], pa;
        if (n) {
            if (ra & 15)
                return EBADALIGN;
            if (n > (1UL << 32) || ra2pa(g, ra, n * 16, &pa))
                return ENORADDR;
        }
        e->map_ra = n ? ra : 0;
        e->map_entries = n;
        return EOK;
    }
    case LDC_GET_MAP_TABLE:
        s->o[1] = e->map_ra;
        s->o[2] = e->map_entries;
        return EOK;
    case LDC_COPY:
        return ldc_copy(s, e);
    default:
        return EBADTRAP;
    }
}

/* the guest stops: its queues go, its peers see the link reset */
void ldc_reset_guest(struct guest *g)
{
    for (int c = 0; c < MAX_LDC_CHANNELS; c++) {
        struct ldc_ep *e = &g->ldc[c];
        if (!e->live)
            continue;
        spin_lock(&ldc_lock);
        e->tx_size = e->rx_size = 0;
        e->tx_head = e->tx_tail = e->rx_head = e->rx_tail = 0;
        e->map_entries = 0;
        spin_unlock(&ldc_lock);
        link_reset(e);
        if (ldc_peer(e) == &config.hvctl_ep) {
            config.hvctl_out_head = config.hvctl_out_tail;
        }
    }
}
