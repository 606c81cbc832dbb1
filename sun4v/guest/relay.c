/* The control domain's relay to the host (relay.h says where and how). One thread
   owns every relayed channel (the guest MD's virtual-device-port nodes): it opens them
   in raw mode, copies each packet that arrives to the "to host" ring, and each packet
   the host put on the "to guest" ring to its channel's TX queue. A channel whose state
   changes (the peer configured or reset its queues) is reported on the "to host" ring
   as a slot with no packet and resv = 1 + the new state, so the host's link layer can
   start over. The thread runs when a relayed channel interrupts and every
   RELAY_POLL_US otherwise (the host has no way to interrupt the domain), RELAY_FAST_US
   while packets are moving.
   It also makes the ldc_copy calls the host asks for (copy requests, relay.h), passes
   on the host's reboot requests (svc_reboot_now), and matches its ports to the machine description after an md-update (relay_md_changed). */
#include "ldcl.h"
#include "hcall.h"

static struct ldc ports[RELAY_MAXPORTS];
static struct event relay_ev;
static u8 *stage;                       /* the staging buffer of copy requests */

/* the ports the machine description asks for, copied by relay_md_changed (in the DS
   thread, right after md_read) for the relay thread to apply */
static spinlock_t want_lock;
static struct mdport want[MD_MAXPORTS];
static int nwant;
static volatile u64 want_gen, have_gen;

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
    for (int i = 0; i < (int)RELAY->nports; i++)
        if (ports[i].open && ports[i].id == ch)
            return &ports[i];
    return 0;
}

/* a copy request: ldc_copy between the staging buffer and what the channel reaches */
static int copy_request(u64 channel, const u8 *pkt)
{
    u64 a[5], st, done = 0;
    u8 out[LDC_PACKET_SIZE];
    memcpy(a, pkt, sizeof(a));
    u64 dir = a[0], cookie = a[1], off = a[2], len = a[3];
    if (!by_channel(channel) || off > RELAY_STAGE_SIZE || len > RELAY_STAGE_SIZE - off)
        st = EINVAL;
    else
        st = hv_call(LDC_COPY, channel, dir, cookie, va2ra(stage + off), len, &done, 0, 0);
    u64 r[3] = { st, done, a[4] };
    memset(out, 0, sizeof(out));
    memcpy(out, r, sizeof(r));
    return push(channel, RELAY_COPY_DONE, out);
}

static void publish(int i, struct ldc *l, const char *name)
{
    RELAY->port[i].channel = l->id;
    RELAY->port[i].rx = RELAY->port[i].tx = 0;
    memset(RELAY->port[i].name, 0, sizeof(RELAY->port[i].name));
    strlcpy(RELAY->port[i].name, name, sizeof(RELAY->port[i].name));
}

static int open_port(int i, const struct mdport *p)
{
    struct ldc *l = &ports[i];
    l->name = RELAY->port[i].name;
    l->on_packet = to_host;
    l->on_state = state_changed;
    if (ldc_open(l, p->channel, p->tx_ino, p->rx_ino, 1, 64, &relay_ev))
        return -1;
    publish(i, l, p->name);
    if (i >= (int)RELAY->nports)
        RELAY->nports = (u64)i + 1;
    state_changed(l, l->state);     /* the host learns each channel's first state */
    return 0;
}

/* bring the open ports in line with the machine description's ports */
static void resync(void)
{
    struct mdport w[MD_MAXPORTS];
    int n;
    spin_lock(&want_lock);
    n = nwant;
    memcpy(w, want, sizeof(w));
    have_gen = want_gen;
    spin_unlock(&want_lock);
    for (int i = 0; i < (int)RELAY->nports; i++) {
        struct ldc *l = &ports[i];
        if (!l->open)
            continue;
        int keep = 0;
        for (int k = 0; k < n && !keep; k++)
            keep = w[k].channel == l->id && !strcmp(w[k].name, RELAY->port[i].name);
        if (!keep) {
            l->open = 0;
            kprintf("relay: %s (%lu) closed\n", RELAY->port[i].name, l->id);
            memset(RELAY->port[i].name, 0, sizeof(RELAY->port[i].name));
        }
    }
    for (int k = 0; k < n; k++) {
        if (by_channel(w[k].channel))
            continue;
        int i = 0;
        while (i < RELAY_MAXPORTS && ports[i].open)
            i++;
        if (i == RELAY_MAXPORTS || open_port(i, &w[k]))
            continue;
        kprintf("relay: %s (%lu) opened\n", w[k].name, w[k].channel);
    }
    RELAY->resyncs++;
}

/* md-update read a new machine description (called in the DS thread) */
void relay_md_changed(void)
{
    if (!stage)
        return;                         /* not the control domain's relay */
    spin_lock(&want_lock);
    nwant = md.nports;
    memcpy(want, md.port, sizeof(want));
    want_gen++;
    spin_unlock(&want_lock);
    event_signal(&relay_ev);
}

static int channel_down(struct ldc *l)
{
    u64 head, tail, state;
    return hv_ldc_tx_get_state(l->id, &head, &tail, &state) != EOK ||
           state == LDC_CHANNEL_DOWN;
}

static void from_host(void)
{
    struct relay_ring *r = ring(RELAY_TO_GUEST);
    while (r->head != r->tail) {
        struct relay_slot *s = &r->slot[r->head % r->nslots];
        if (s->resv == RELAY_COPY) {
            if (copy_request(s->channel, s->pkt))
                return;                 /* no room for the answer: the rest waits */
            membar_sync();
            r->head = r->head + 1;
            continue;
        }
        if (s->resv == RELAY_REBOOT) {
            membar_sync();
            r->head = r->head + 1;
            kprintf("relay: the domain manager asks for a reboot\n");
            svc_reboot_now();
        }
        struct ldc *l = by_channel(s->channel);
        if (l && !channel_down(l)) {
            if (ldc_write_raw(l, s->pkt) == 0)
                RELAY->port[port_index(l)].tx++;
            else if (!channel_down(l))
                return;                 /* the channel is full: the rest waits */
        }
        /* else: a channel that is down (its peer's queues are not configured) takes no
           packet (the host hears its state): dropped, so one stopped domain does not
           hold up the others' packets */
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
    for (int i = 0; i < md.nports; i++)
        n += open_port(i, &md.port[i]) == 0;
    a->nports = (u64)md.nports;
    a->stage_ra = va2ra(stage);
    a->stage_size = RELAY_STAGE_SIZE;
    a->version = 1;
    a->started = rd_stick();
    membar_sync();
    a->magic = RELAY_MAGIC;
    kprintf("relay: %d channels to the host:", n);
    for (int i = 0; i < md.nports; i++)
        kprintf(" %s (%lu)", md.port[i].name, md.port[i].channel);
    kprintf("\n");
    u64 busy_until = 0, seen = 0;
    for (;;) {
        if (have_gen != want_gen)
            resync();
        from_host();
        for (int i = 0; i < (int)a->nports; i++)
            if (ports[i].open)
                ldc_poll(&ports[i]);
        u64 moved = ring(RELAY_TO_GUEST)->head + ring(RELAY_TO_HOST)->tail;
        u64 now = rd_stick();
        if (moved != seen) {
            seen = moved;
            busy_until = now + us_to_stick(RELAY_BUSY_US);
        }
        event_wait(&relay_ev, now < busy_until ? RELAY_FAST_US : RELAY_POLL_US);
    }
}

void relay_start(void)
{
    if (md.nports == 0)
        return;
    stage = kalloc_high(RELAY_STAGE_SIZE, 8192);
    thread_create_sys("relay", relay_thread, 0);
}
