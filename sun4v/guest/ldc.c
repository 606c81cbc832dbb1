/* The LDC link layer (reference ldoms_protocols.md §1.2; Linux arch/sparc/kernel/ldc.c
   and illumos ldc_impl.h for the byte layout).

   The hypervisor gives each endpoint a TX and an RX queue of 64-byte packets in the
   kernel's memory (ldc_tx_qconf / ldc_rx_qconf); the kernel writes packets at the TX
   tail and moves the tail (ldc_tx_set_qtail), the hypervisor copies them into the
   peer's RX queue and raises the peer's rx interrupt (a dev mondo carrying the cookie
   the peer gave vintr_set_cookie). Packet: [0] type, [1] stype, [2] ctrl, [3] env,
   [4..7] seqid; reliable mode: [12..15] ackid, [16..63] 48 bytes of data.

   The domain-services channel runs in reliable (stream) mode, and this end is the
   passive one: the service side (the domain manager) starts the handshake.
     peer: CTRL/INFO/VERS(1.x)  ->  us: CTRL/ACK/VERS(1.0)   (other majors: NACK with
                                                              the version we have)
     peer: CTRL/INFO/RTS, env = mode, seqid S  ->  snd_nxt = rcv_nxt = S,
                                                 us: CTRL/INFO/RTR, env = mode, seqid 0
     peer: CTRL/INFO/RDX, seqid S+1  ->  rcv_nxt = S+1: the link is up
   Data: each packet's seqid is one more than the last (a packet out of order: DATA/
   NACK and the rest of the queue dropped); a message is the data of its packets from
   one with START to one with STOP (env); after each message the receiver sends
   DATA/ACK with ackid = the last seqid received (the ACK takes a seqid of its own).
   The sender keeps its packets until they are acknowledged (tx_acked). A NACK, an ERR
   packet or a handshake packet out of turn aborts the link: the queues are configured
   again, the peer sees the channel reset, and the handshake starts over.

   The relay (relay.c) uses the same queues in raw mode: packets are moved unchanged.

   Each endpoint belongs to one thread (its owner); the rx interrupt handler only
   signals the owner's event. */
#include "ldcl.h"
#include "hcall.h"

#define COOKIE_BASE     0x1dc0000000000000UL

static struct ldc *ldcs[64];
static int nldcs;

static u64 qbytes(struct ldc *l) { return l->nent * LDC_PACKET_SIZE; }
static u64 qnext(struct ldc *l, u64 off) { return (off + LDC_PACKET_SIZE) % qbytes(l); }

/* ---- interrupts ---------------------------------------------------------------------- */
/* the rx interrupt: wake the owner; the interrupt stays DELIVERED (no more of them)
   until ldc_poll has taken the queue and sets it IDLE again (the hypervisor raises it
   again at once if packets came in the meantime) */
static void ldc_intr(void *arg)
{
    struct ldc *l = arg;
    event_signal(l->ev);
}

static int arm(struct ldc *l, int cpu)
{
    u64 cookie = COOKIE_BASE | (l->id << 8) | 1;
    devmondo_register(cookie, ldc_intr, l);
    if (hv_vintr_set_cookie(md.devhandle, l->rx_ino, cookie) ||
        hv_vintr_set_target(md.devhandle, l->rx_ino, (u64)cpu) ||
        hv_vintr_set_state(md.devhandle, l->rx_ino, INTR_IDLE) ||
        hv_vintr_set_valid(md.devhandle, l->rx_ino, INTR_VALID))
        return -1;
    l->target = cpu;
    return 0;
}

/* a vCPU is leaving: interrupts aimed at it go to the lowest online vCPU */
void ldc_retarget(int leaving)
{
    int to = -1;
    for (int i = 0; i < MAXCPUS && to < 0; i++)
        if (i != leaving && cpus[i].state == CPU_ONLINE)
            to = i;
    if (to < 0)
        return;
    for (int i = 0; i < nldcs; i++)
        if (ldcs[i]->vintr && ldcs[i]->target == leaving &&
            hv_vintr_set_target(md.devhandle, ldcs[i]->rx_ino, (u64)to) == EOK)
            ldcs[i]->target = to;
}

/* ---- queues ------------------------------------------------------------------------- */
static int qconf(struct ldc *l)
{
    u64 head, tail, state, st;
    st = hv_ldc_tx_qconf(l->id, va2ra(l->txq), l->nent);
    if (st == EOK)
        st = hv_ldc_rx_qconf(l->id, va2ra(l->rxq), l->nent);
    if (st != EOK) {
        kprintf("ldc %lu (%s): queue configuration failed (status %lu)\n", l->id,
                l->name, st);
        return -1;
    }
    hv_ldc_tx_get_state(l->id, &head, &tail, &state);
    l->tx_tail = tail;
    l->tx_acked = head;
    hv_ldc_rx_get_state(l->id, &head, &tail, &state);
    l->rx_head = head;
    l->state = state;
    return 0;
}

int ldc_open(struct ldc *l, u64 id, u64 tx_ino, u64 rx_ino, int raw, u64 nent,
             struct event *ev)
{
    l->id = id;
    l->tx_ino = tx_ino;
    l->rx_ino = rx_ino;
    l->raw = raw;
    l->nent = nent;
    l->ev = ev;
    l->hs = HS_OPEN;
    if (!l->txq || l->nq != nent) {     /* an endpoint opened again keeps its queues */
        l->txq = kalloc(nent * LDC_PACKET_SIZE, nent * LDC_PACKET_SIZE);
        l->rxq = kalloc(nent * LDC_PACKET_SIZE, nent * LDC_PACKET_SIZE);
        l->nq = nent;
    }
    hv_ldc_tx_qconf(id, 0, 0);
    hv_ldc_rx_qconf(id, 0, 0);
    if (qconf(l))
        return -1;
    l->vintr = arm(l, (int)mycpu()->id) == 0;
    int known = 0;
    for (int i = 0; i < nldcs; i++)
        known |= ldcs[i] == l;
    if (!known && nldcs < (int)ARRAY_SIZE(ldcs))
        ldcs[nldcs++] = l;
    l->open = 1;
    return 0;
}

/* ---- sending ----------------------------------------------------------------------- */
static void poll_acks(struct ldc *l);

/* room for n packets at the TX tail: the hypervisor has taken everything up to its
   head, and (reliable data) the peer has acknowledged everything up to tx_acked */
static int tx_room(struct ldc *l, u64 n, int data)
{
    for (int i = 0;; i++) {
        u64 head, tail, state;
        if (hv_ldc_tx_get_state(l->id, &head, &tail, &state) != EOK)
            return -1;
        u64 limit = (data && !l->raw) ? l->tx_acked : head;
        u64 used = (l->tx_tail + qbytes(l) - limit) % qbytes(l) / LDC_PACKET_SIZE;
        if (used + n < l->nent)
            return 0;
        if (state != LDC_CHANNEL_UP || i == 2000)
            return -1;
        if (data && !l->raw)
            poll_acks(l);
        sleep_us(20);
    }
}

static int tx_commit(struct ldc *l, u64 tail)
{
    for (int i = 0; i < 1000; i++) {
        u64 st = hv_ldc_tx_set_qtail(l->id, tail);
        if (st == EOK) {
            l->tx_tail = tail;
            return 0;
        }
        if (st != EWOULDBLOCK)
            return -1;
    }
    return -1;
}

static struct ldc_packet *tx_pkt(struct ldc *l, u64 off)
{
    struct ldc_packet *p = &l->txq[off / LDC_PACKET_SIZE];
    memset(p, 0, sizeof(*p));
    return p;
}

static int send_ctrl(struct ldc *l, u8 stype, u8 ctrl, u8 env, u32 seqid,
                     const void *data, u32 dlen)
{
    if (tx_room(l, 1, 0))
        return -1;
    struct ldc_packet *p = tx_pkt(l, l->tx_tail);
    p->type = LDC_TYPE_CTRL;
    p->stype = stype;
    p->ctrl = ctrl;
    p->env = env;
    p->seqid = seqid;
    if (data)
        memcpy(p->u.u_data, data, dlen);
    l->tx_pkts++;
    return tx_commit(l, qnext(l, l->tx_tail));
}

/* DATA/ACK or DATA/NACK: takes a seqid, ackid = the last seqid received */
static int send_data_ack(struct ldc *l, u8 stype, u8 type, u8 ctrl)
{
    if (tx_room(l, 1, 1))
        return -1;
    struct ldc_packet *p = tx_pkt(l, l->tx_tail);
    p->type = type;
    p->stype = stype;
    p->ctrl = ctrl;
    p->seqid = l->snd_nxt + 1;
    p->u.r.ackid = l->rcv_nxt;
    l->tx_pkts++;
    if (tx_commit(l, qnext(l, l->tx_tail)))
        return -1;
    l->snd_nxt++;
    return 0;
}

/* one message in reliable mode: 48-byte pieces, START on the first, STOP on the last */
int ldc_write(struct ldc *l, const void *buf, u32 len)
{
    const u8 *b = buf;
    if (l->hs != HS_UP || len == 0 || len > LDC_MTU)
        return -1;
    u64 n = (len + LDC_PAYLOAD_RELIABLE - 1) / LDC_PAYLOAD_RELIABLE;
    if (tx_room(l, n, 1))
        return -1;
    u64 tail = l->tx_tail;
    u32 seq = l->snd_nxt, done = 0;
    while (done < len) {
        u32 k = MIN(len - done, (u32)LDC_PAYLOAD_RELIABLE);
        struct ldc_packet *p = tx_pkt(l, tail);
        p->type = LDC_TYPE_DATA;
        p->stype = LDC_STYPE_INFO;
        p->env = (u8)(k | (done == 0 ? LDC_ENV_START : 0) |
                      (done + k == len ? LDC_ENV_STOP : 0));
        p->seqid = ++seq;
        p->u.r.ackid = l->rcv_nxt;
        memcpy(p->u.r.r_data, b + done, k);
        done += k;
        tail = qnext(l, tail);
        l->tx_pkts++;
    }
    if (tx_commit(l, tail))
        return -1;
    l->snd_nxt = seq;
    return 0;
}

int ldc_write_raw(struct ldc *l, const u8 *pkt)
{
    u64 head, tail, state;
    if (hv_ldc_tx_get_state(l->id, &head, &tail, &state) != EOK ||
        qnext(l, l->tx_tail) == head)
        return -1;
    memcpy(&l->txq[l->tx_tail / LDC_PACKET_SIZE], pkt, LDC_PACKET_SIZE);
    l->tx_pkts++;
    return tx_commit(l, qnext(l, l->tx_tail));
}

/* ---- the link going down ------------------------------------------------------------ */
static void link_reset(struct ldc *l)
{
    int was_up = l->hs == HS_UP;
    l->hs = HS_OPEN;
    l->in_msg = 0;
    l->msg_len = 0;
    l->resets++;
    if (was_up && l->on_reset)
        l->on_reset(l);
}

/* abort: configure the queues again, so the peer sees a reset and starts over */
static void ldc_abort(struct ldc *l, const char *why)
{
    kprintf("ldc %lu (%s): link reset: %s\n", l->id, l->name, why);
    link_reset(l);
    qconf(l);
}

void ldc_reset(struct ldc *l, const char *why)
{
    ldc_abort(l, why);
}

/* ---- receiving (reliable mode) ------------------------------------------------------ */
static int handshake(struct ldc *l, struct ldc_packet *p)
{
    struct ldc_version v;
    switch (p->ctrl & LDC_CTRL_MASK) {
    case LDC_CTRL_VERS:
        if (p->stype != LDC_STYPE_INFO)
            break;                              /* we never offer a version */
        memcpy(&v, p->u.u_data, sizeof(v));
        if (l->hs == HS_UP)
            link_reset(l);                      /* the peer starts over */
        if (v.major == LDC_VERSION_MAJOR) {
            v.minor = MIN(v.minor, (u16)LDC_VERSION_MINOR);
            if (send_ctrl(l, LDC_STYPE_ACK, LDC_CTRL_VERS, 0, 0, &v, sizeof(v)))
                return -1;
            l->hs = HS_GOTVERS;
        } else {
            struct ldc_version ours = { LDC_VERSION_MAJOR, LDC_VERSION_MINOR };
            if (v.major < LDC_VERSION_MAJOR)
                ours.major = ours.minor = 0;    /* nothing lower to offer */
            send_ctrl(l, LDC_STYPE_NACK, LDC_CTRL_VERS, 0, 0, &ours, sizeof(ours));
            l->hs = HS_OPEN;
        }
        return 0;
    case LDC_CTRL_RTS:
        if (p->stype != LDC_STYPE_INFO || l->hs != HS_GOTVERS || p->env != LDC_MODE_RELIABLE)
            break;
        l->snd_nxt = l->rcv_nxt = p->seqid;
        if (send_ctrl(l, LDC_STYPE_INFO, LDC_CTRL_RTR, LDC_MODE_RELIABLE, 0, 0, 0))
            return -1;
        l->hs = HS_SENTRTR;
        return 0;
    case LDC_CTRL_RDX:
        if (p->stype != LDC_STYPE_INFO || l->hs != HS_SENTRTR ||
            p->seqid != l->rcv_nxt + 1)
            break;
        l->rcv_nxt = p->seqid;
        l->hs = HS_UP;
        l->in_msg = 0;
        if (l->on_up)
            l->on_up(l);
        return 0;
    }
    ldc_abort(l, "handshake packet out of turn");
    return -1;
}

/* the peer acknowledged everything up to seqid ackid */
static int data_ack(struct ldc *l, u32 ackid)
{
    for (u64 h = l->tx_acked; h != l->tx_tail; h = qnext(l, h))
        if (l->txq[h / LDC_PACKET_SIZE].seqid == ackid) {
            l->tx_acked = qnext(l, h);
            return 0;
        }
    ldc_abort(l, "acknowledgement of a packet never sent");
    return -1;
}

/* 0: consumed; 1: the rest of the queue is to be dropped; -1: the link was aborted */
static int rx_packet(struct ldc *l, struct ldc_packet *p)
{
    if (l->hs != HS_UP) {
        if (p->type == LDC_TYPE_CTRL)
            return handshake(l, p);
        return 0;                               /* data before the link is up: dropped */
    }
    if (p->seqid != l->rcv_nxt + 1) {
        if (p->type == LDC_TYPE_CTRL && (p->ctrl & LDC_CTRL_MASK) == LDC_CTRL_VERS)
            return handshake(l, p);             /* the peer restarts the handshake */
        send_data_ack(l, LDC_STYPE_NACK, p->type, p->ctrl & LDC_CTRL_MASK);
        l->in_msg = 0;
        return 1;
    }
    l->rcv_nxt = p->seqid;
    if (p->type == LDC_TYPE_CTRL)
        return handshake(l, p);
    if (p->type != LDC_TYPE_DATA) {
        ldc_abort(l, "error packet from the peer");
        return -1;
    }
    if (p->stype & LDC_STYPE_NACK) {
        ldc_abort(l, "the peer refused a packet (NACK)");
        return -1;
    }
    if ((p->stype & LDC_STYPE_ACK) && data_ack(l, p->u.r.ackid))
        return -1;
    if (!(p->stype & LDC_STYPE_INFO))
        return 0;
    u32 n = p->env & LDC_ENV_LEN_MASK;
    if (n > LDC_PAYLOAD_RELIABLE) {
        ldc_abort(l, "data packet longer than 48 bytes");
        return -1;
    }
    if (p->env & LDC_ENV_START) {
        l->in_msg = 1;                          /* (a partial message is dropped) */
        l->msg_len = 0;
    } else if (!l->in_msg) {
        return 0;                               /* a fragment without its start */
    }
    if (l->msg_len + n > LDC_MTU) {
        ldc_abort(l, "message longer than the MTU");
        return -1;
    }
    memcpy(l->msg + l->msg_len, p->u.r.r_data, n);
    l->msg_len += n;
    if (p->env & LDC_ENV_STOP) {
        l->in_msg = 0;
        send_data_ack(l, LDC_STYPE_ACK, LDC_TYPE_DATA, 0);
        if (l->on_msg)
            l->on_msg(l, l->msg, l->msg_len);
    }
    return 0;
}

/* while waiting for TX room: take the acknowledgements at the head of the RX queue */
static void poll_acks(struct ldc *l)
{
    u64 head, tail, state;
    if (hv_ldc_rx_get_state(l->id, &head, &tail, &state) != EOK)
        return;
    while (head != tail) {
        struct ldc_packet *p = &l->rxq[head / LDC_PACKET_SIZE];
        if (p->type != LDC_TYPE_DATA || p->stype != LDC_STYPE_ACK ||
            p->seqid != l->rcv_nxt + 1)
            break;
        l->rcv_nxt = p->seqid;
        if (data_ack(l, p->u.r.ackid))
            return;
        head = qnext(l, head);
    }
    hv_ldc_rx_set_qhead(l->id, head);
    l->rx_head = head;
}

/* take what arrived: the owner thread calls this when its event fires */
void ldc_poll(struct ldc *l)
{
    u64 head, tail, state;
    if (hv_ldc_rx_get_state(l->id, &head, &tail, &state) != EOK)
        return;
    if (state != l->state) {
        l->state = state;
        if (l->raw) {
            if (l->on_state)
                l->on_state(l, state);
        } else if (state != LDC_CHANNEL_UP) {
            link_reset(l);
        }
    }
    while (head != tail) {
        struct ldc_packet *p = &l->rxq[head / LDC_PACKET_SIZE];
        if (l->raw) {
            if (l->on_packet(l, (const u8 *)p))
                break;
        } else {
            int r = rx_packet(l, p);
            if (r < 0)
                return;                         /* aborted: the queues start afresh */
            if (r > 0) {
                head = tail;
                break;
            }
        }
        l->rx_pkts++;
        head = qnext(l, head);
    }
    hv_ldc_rx_set_qhead(l->id, head);
    l->rx_head = head;
    if (l->vintr)
        hv_vintr_set_state(md.devhandle, l->rx_ino, INTR_IDLE);
}
