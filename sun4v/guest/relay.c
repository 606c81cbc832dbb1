/* The control domain's relay to the host (relay.h says where and how). One thread
   owns every relayed channel (the guest MD's virtual-device-port nodes): it opens them
   in raw mode, copies each packet that arrives to the "to host" ring, and each packet
   the host put on the "to guest" ring to its channel's TX queue. A channel whose state
   changes (the peer configured or reset its queues) is reported on the "to host" ring
   as a slot with no packet and resv = 1 + the new state, so the host's link layer can
   start over. The thread runs when a relayed channel interrupts and every
   RELAY_POLL_US otherwise (the host has no way to interrupt the domain). */
#include "ldcl.h"

static struct ldc ports[RELAY_MAXPORTS];
static struct event relay_ev;

static struct relay_ring *ring(u64 off)
{
    return (struct relay_ring *)((u64)RELAY + off);
}

static int push(u64 channel, u64 resv, const u8 *pkt)
{
    struct relay_ring *r = ring(RELAY_TO_HOST);
    if (r->tail - r->head >= r->nslots)
        return -1;
    struct relay_slot *s = &r->slot[r->tail % r->nslots];
    s->channel = channel;
    s->resv = resv;
    if (pkt)
        memcpy(s->pkt, pkt, LDC_PACKET_SIZE);
    else
        memset(s->pkt, 0, LDC_PACKET_SIZE);
    membar_sync();
    r->tail = r->tail + 1;
    return 0;
}

static int port_index(struct ldc *l) { return (int)(l - ports); }

static int to_host(struct ldc *l, const u8 *pkt)
{
    if (push(l->id, 0, pkt))
        return -1;                      /* the host is behind: leave it in the queue */
    RELAY->port[port_index(l)].rx++;
    return 0;
}

static void state_changed(struct ldc *l, u64 state)
{
    push(l->id, 1 + state, 0);
}

static struct ldc *by_channel(u64 ch)
{
    for (int i = 0; i < md.nports; i++)
        if (ports[i].id == ch)
            return &ports[i];
    return 0;
}

static void from_host(void)
{
    struct relay_ring *r = ring(RELAY_TO_GUEST);
    while (r->head != r->tail) {
        struct relay_slot *s = &r->slot[r->head % r->nslots];
        struct ldc *l = by_channel(s->channel);
        if (l) {
            if (ldc_write_raw(l, s->pkt))
                return;                 /* the channel is full: the rest waits */
            RELAY->port[port_index(l)].tx++;
        }
        membar_sync();
        r->head = r->head + 1;
    }
}

static void relay_thread(void *arg)
{
    (void)arg;
    struct relay_area *a = RELAY;
    for (u64 off = RELAY_TO_GUEST; off <= RELAY_TO_HOST; off += RELAY_TO_HOST - RELAY_TO_GUEST) {
        ring(off)->head = ring(off)->tail = 0;
        ring(off)->nslots = RELAY_SLOTS;
    }
    int n = 0;
    for (int i = 0; i < md.nports; i++) {
        struct ldc *l = &ports[i];
        l->name = md.port[i].name;
        l->on_packet = to_host;
        l->on_state = state_changed;
        if (ldc_open(l, md.port[i].channel, md.port[i].tx_ino, md.port[i].rx_ino, 1, 64,
                     &relay_ev))
            continue;
        a->port[i].channel = md.port[i].channel;
        strlcpy(a->port[i].name, md.port[i].name, sizeof(a->port[i].name));
        state_changed(l, l->state);     /* the host learns each channel's first state */
        n++;
    }
    a->nports = (u64)md.nports;
    a->version = 1;
    membar_sync();
    a->magic = RELAY_MAGIC;
    kprintf("relay: %d channels to the host:", n);
    for (int i = 0; i < md.nports; i++)
        kprintf(" %s (%lu)", md.port[i].name, md.port[i].channel);
    kprintf("\n");
    for (;;) {
        from_host();
        for (int i = 0; i < md.nports; i++)
            if (ports[i].open)
                ldc_poll(&ports[i]);
        event_wait(&relay_ev, RELAY_POLL_US);
    }
}

void relay_start(void)
{
    if (md.nports == 0)
        return;
    thread_create("relay", relay_thread, 0, -1);
}
