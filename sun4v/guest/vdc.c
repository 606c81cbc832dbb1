/* The virtual disk client: every `disk` virtual-device of the machine description
   (channel-devices -> virtual-device "disk" {cfg-handle} -> virtual-device-port ->
   channel-endpoint {id, tx-ino, rx-ino}), each served by the virtual disk server of
   the service domain over its own LDC channel with its own descriptor ring (vdc.h has
   the messages byte by byte). Disk N is the one whose cfg-handle (the vdisk id of
   `ldm add-vdisk id=N`) is N, as Linux' sunvdc names its disks by the device's
   cfg-handle; a program opens it as /dev/vdiskN (vdfile.c).

   Link (ldoms_protocols.md §1.2), unreliable mode, this end starting it as Linux'
   ldc_connect does:  -> CTRL/INFO/VERS 1.0   <- CTRL/ACK/VERS
                      -> CTRL/INFO/RTS env=1 seqid 0   <- CTRL/INFO/RTR env=1
                      -> CTRL/INFO/RDX seqid 1: up
   then one VIO message per DATA packet (env = length | START | STOP, seqid + 1 each).
   The vDisk handshake (Linux vdc.c / illumos vdc.c): VER_INFO 1.1 (dev_class DISK) ->
   ACK; ATTR_INFO {DRING mode, block size 512, max transfer} -> ACK {disk type, block
   size, operations, size in blocks, max transfer}; DRING_REG {the ring's cookie: the
   ring is exported through the channel's map table} -> ACK {dring_ident}; RDX -> ACK.
   I/O: a descriptor READY in the ring {operation, offset in blocks, size in bytes,
   the cookie of the data buffer (exported too)}, then DRING_DATA {start = end = its
   index}; the server copies the descriptor and the data with ldc_copy, does the I/O,
   marks it DONE with a status and answers DRING_DATA/ACK. One request at a time.

   Disks come and go while the domain runs (vdc_md_changed, after an md-update; the
   dr-vio service, svc_drvio.c, asks first whether a disk is in use): a new disk node
   gets a free slot, its channel opened and the handshake run by the slot's thread; a
   disk gone from the machine description has its channel closed (the queues
   unconfigured, its interrupt not valid) and its slot freed.

   Self-test (the domain's workload parameter `vdisk` = N blocks, ldm set-variable
   vdisk=N), on the disk that comes up first: read blocks 0..N-1 and print their
   FNV-1a hash; write block i with pattern i, printing each acknowledged write; read
   them back and compare:
       vdisk0: read 8 blocks: fnv1a 0x...
       vdisk0: block 3 written
       vdisk0: 8 blocks read back: match */
#include "ldcl.h"
#include "hcall.h"
#include "vdc.h"

#define VDC_QENTRIES    64
#define VDC_NDESC       32
#define VDC_BUF         8192            /* one exported page: the largest transfer */
#define VDC_BLOCK       512
#define VDC_WAIT_US     200000          /* a request not answered by then: ETIMEDOUT */
#define VDC_HS_US       10000           /* the link not up by then: start over */
#define VDC_DETACH_US   100000          /* the slot's thread closes the channel by then */
#define EIO_            5
#define ETIMEDOUT_      110

enum { LK_DOWN, LK_VERS, LK_RTS, LK_UP };
enum { VS_NONE, VS_VER, VS_ATTR, VS_DREG, VS_RDX, VS_READY, VS_FAILED };

struct vdc {
    struct ldc l;
    struct event ev;                    /* the channel's packets */
    struct event job_ev;                /* a job, an attach or a detach */
    u64 id, channel, tx_ino, rx_ino;
    volatile u64 gen;                   /* this attach of the slot: vdc_gen */
    volatile int attached;              /* the slot holds a disk of the MD */
    volatile int detach;                /* asked to close the channel */
    volatile int opens;                 /* open descriptors (vdfile.c) */
    int link;
    u32 snd_nxt, rcv_nxt;
    volatile int vs;
    u32 sid;
    u16 minor;
    u32 block_size;
    u64 blocks, max_xfer, operations;
    u8 vdisk_type;
    u64 dring_ident, seq, req_id;
    struct vio_disk_desc *ring;
    u8 *buf;
    u64 *mtab;
    u32 next;
    volatile int done, failed;          /* the outstanding request's answer */
    volatile u32 lock;
    u64 hs_since;
    struct thread *owner;               /* the slot's thread */
    struct {                            /* another thread's request for the owner */
        volatile u32 lock;
        volatile int state;             /* 0 free, 1 asked, 2 done */
        u8 op;
        u64 blk, n, gen;
        u8 *buf;
        int result;
    } job;
};

static struct vdc disks[VDC_MAX];
static int self_test_done;
static u64 generation;                  /* attaches so far: each disk instance its own */

static u64 cookie(u64 idx, u64 off) { return (idx << 13) | off; }   /* 8 KB pages */

static struct vdc *by_id(u64 id)
{
    for (int i = 0; i < VDC_MAX; i++)
        if (disks[i].attached && disks[i].id == id)
            return &disks[i];
    return 0;
}

/* ---- the link ----------------------------------------------------------------------- */
static int send_pkt(struct vdc *v, u8 type, u8 stype, u8 ctrl, u8 env, u32 seqid,
                    const void *data, u32 len)
{
    u8 p[LDC_PACKET_SIZE];
    memset(p, 0, sizeof(p));
    p[0] = type;
    p[1] = stype;
    p[2] = ctrl;
    p[3] = env;
    memcpy(p + 4, &seqid, 4);
    if (data)
        memcpy(p + 8, data, len);
    for (int i = 0; i < 1000; i++) {
        if (ldc_write_raw(&v->l, p) == 0)
            return 0;
        sleep_us(10);
    }
    return -1;
}

static int send_msg(struct vdc *v, const void *msg, u32 len)
{
    if (v->link != LK_UP || len > LDC_PAYLOAD_UNRELIABLE)
        return -1;
    if (send_pkt(v, LDC_TYPE_DATA, LDC_STYPE_INFO, 0,
                 (u8)(len | LDC_ENV_START | LDC_ENV_STOP), v->snd_nxt + 1, msg, len))
        return -1;
    v->snd_nxt++;
    return 0;
}

static void link_start(struct vdc *v)
{
    struct ldc_version ver = { LDC_VERSION_MAJOR, LDC_VERSION_MINOR };
    v->link = LK_VERS;
    v->vs = v->vs == VS_FAILED ? VS_FAILED : VS_NONE;
    v->hs_since = rd_stick();
    send_pkt(v, LDC_TYPE_CTRL, LDC_STYPE_INFO, LDC_CTRL_VERS, 0, 0, &ver, sizeof(ver));
}

static void tag(struct vdc *v, struct vio_tag *t, u8 type, u16 env)
{
    t->type = type;
    t->stype = VIO_SUBTYPE_INFO;
    t->stype_env = env;
    t->sid = v->sid;
}

/* ---- the vDisk handshake ------------------------------------------------------------- */
static void send_ver(struct vdc *v)
{
    struct vio_ver_info m;
    memset(&m, 0, sizeof(m));
    tag(v, &m.tag, VIO_TYPE_CTRL, VIO_VER_INFO);
    m.major = 1;
    m.minor = 1;
    m.dev_class = VDEV_DISK;
    v->vs = VS_VER;
    send_msg(v, &m, sizeof(m));
}

static void send_attr(struct vdc *v)
{
    struct vio_disk_attr_info m;
    memset(&m, 0, sizeof(m));
    tag(v, &m.tag, VIO_TYPE_CTRL, VIO_ATTR_INFO);
    m.xfer_mode = VIO_DRING_MODE;
    m.vdisk_block_size = VDC_BLOCK;
    m.max_xfer_size = VDC_BUF / VDC_BLOCK;
    v->vs = VS_ATTR;
    send_msg(v, &m, sizeof(m));
}

static void send_dring_reg(struct vdc *v)
{
    struct vio_dring_register m;
    memset(&m, 0, sizeof(m));
    tag(v, &m.tag, VIO_TYPE_CTRL, VIO_DRING_REG);
    m.num_descr = VDC_NDESC;
    m.descr_size = sizeof(struct vio_disk_desc);
    m.options = VIO_TX_DRING;
    m.ncookies = 1;
    m.cookie_addr = cookie(0, 0);
    m.cookie_size = VDC_NDESC * sizeof(struct vio_disk_desc);
    v->vs = VS_DREG;
    send_msg(v, &m, sizeof(m));
}

static void send_rdx(struct vdc *v)
{
    struct vio_rdx m;
    memset(&m, 0, sizeof(m));
    tag(v, &m.tag, VIO_TYPE_CTRL, VIO_RDX);
    v->vs = VS_RDX;
    send_msg(v, &m, sizeof(m));
}

static void fail(struct vdc *v, const char *why)
{
    kprintf("vdisk%lu: %s\n", v->id, why);
    v->vs = VS_FAILED;
}

static void vio_msg(struct vdc *v, const u8 *msg, u32 len)
{
    struct vio_tag t;
    if (len < sizeof(t))
        return;
    memcpy(&t, msg, sizeof(t));
    if (t.type == VIO_TYPE_DATA && t.stype_env == VIO_DRING_DATA) {
        if (v->vs == VS_READY && (t.stype == VIO_SUBTYPE_ACK || t.stype == VIO_SUBTYPE_NACK)) {
            v->failed = t.stype == VIO_SUBTYPE_NACK;
            v->done = 1;
        }
        return;
    }
    if (t.type != VIO_TYPE_CTRL || t.stype == VIO_SUBTYPE_INFO)
        return;                         /* the server starts nothing */
    int ack = t.stype == VIO_SUBTYPE_ACK;
    switch (t.stype_env) {
    case VIO_VER_INFO: {
        struct vio_ver_info m;
        if (v->vs != VS_VER || len < sizeof(m))
            return;
        memcpy(&m, msg, sizeof(m));
        if (!ack || m.major != 1)
            return fail(v, "the server supports no vDisk protocol version 1.x");
        v->minor = m.minor;
        send_attr(v);
        return;
    }
    case VIO_ATTR_INFO: {
        struct vio_disk_attr_info m;
        if (v->vs != VS_ATTR || len < sizeof(m))
            return;
        memcpy(&m, msg, sizeof(m));
        if (!ack)
            return fail(v, "the server refused the attributes (its backend is not usable)");
        if (m.vdisk_block_size == 0 || VDC_BUF % m.vdisk_block_size || m.max_xfer_size == 0)
            return fail(v, "the server's attributes are not usable");
        v->block_size = m.vdisk_block_size;
        v->blocks = m.vdisk_size;
        v->operations = m.operations;
        v->vdisk_type = m.vdisk_type;
        v->max_xfer = MIN(m.max_xfer_size, (u64)(VDC_BUF / m.vdisk_block_size));
        send_dring_reg(v);
        return;
    }
    case VIO_DRING_REG: {
        struct vio_dring_register m;
        if (v->vs != VS_DREG || len < sizeof(m) - 16)
            return;
        memcpy(&m, msg, sizeof(m));
        if (!ack)
            return fail(v, "the server refused the descriptor ring");
        v->dring_ident = m.dring_ident;
        send_rdx(v);
        return;
    }
    case VIO_RDX:
        if (v->vs != VS_RDX)
            return;
        if (!ack)
            return fail(v, "the server refused RDX");
        v->vs = VS_READY;
        kprintf("vdisk%lu: %lu blocks of %u bytes (%lu KB), vDisk protocol 1.%u, "
                "dring %lu\n", v->id, v->blocks, v->block_size,
                v->blocks * v->block_size >> 10, v->minor, v->dring_ident);
        return;
    }
}

/* one packet from the service domain (raw mode: the link protocol is ours) */
static int on_packet(struct ldc *l, const u8 *p)
{
    struct vdc *v = l->owner;
    u32 seqid;
    memcpy(&seqid, p + 4, 4);
    if (p[0] == LDC_TYPE_CTRL) {
        u8 ctrl = p[2] & LDC_CTRL_MASK;
        if (ctrl == LDC_CTRL_VERS && p[1] == LDC_STYPE_ACK && v->link == LK_VERS) {
            v->snd_nxt = 0;
            v->link = LK_RTS;
            send_pkt(v, LDC_TYPE_CTRL, LDC_STYPE_INFO, LDC_CTRL_RTS, LDC_MODE_UNRELIABLE,
                     0, 0, 0);
        } else if (ctrl == LDC_CTRL_RTR && p[1] == LDC_STYPE_INFO && v->link == LK_RTS &&
                   p[3] == LDC_MODE_UNRELIABLE) {
            v->rcv_nxt = seqid;
            u32 ackid = v->rcv_nxt;
            u8 d[8];
            memset(d, 0, sizeof(d));
            memcpy(d + 4, &ackid, 4);
            send_pkt(v, LDC_TYPE_CTRL, LDC_STYPE_INFO, LDC_CTRL_RDX, 0, v->snd_nxt + 1, d, 8);
            v->snd_nxt++;
            v->link = LK_UP;
            if (v->vs != VS_FAILED)
                send_ver(v);
        } else if (ctrl == LDC_CTRL_VERS && p[1] == LDC_STYPE_NACK) {
            kprintf("vdisk%lu: the server refused LDC version 1.0\n", v->id);
            v->link = LK_DOWN;
        }
        return 0;
    }
    if (p[0] != LDC_TYPE_DATA || v->link != LK_UP || p[1] != LDC_STYPE_INFO)
        return 0;
    u32 n = p[3] & LDC_ENV_LEN_MASK;
    if ((p[3] & (LDC_ENV_START | LDC_ENV_STOP)) != (LDC_ENV_START | LDC_ENV_STOP) ||
        n > LDC_PAYLOAD_UNRELIABLE)
        return 0;                       /* VIO messages are one packet each */
    v->rcv_nxt = seqid;
    vio_msg(v, p + 8, n);
    return 0;
}

static void on_state(struct ldc *l, u64 state)
{
    struct vdc *v = l->owner;
    if (state == LDC_CHANNEL_UP)
        link_start(v);
    else
        v->link = LK_DOWN;
}

static void poll(struct vdc *v)
{
    ldc_poll(&v->l);
    if (v->link != LK_UP || v->vs == VS_READY || v->vs == VS_FAILED) {
        u64 head, tail, state;
        if (v->link == LK_DOWN &&
            hv_ldc_tx_get_state(v->channel, &head, &tail, &state) == EOK &&
            state == LDC_CHANNEL_UP)
            link_start(v);
        else if (v->link != LK_DOWN && v->link != LK_UP &&
                 rd_stick() - v->hs_since > us_to_stick(VDC_HS_US))
            link_start(v);              /* no answer: start over */
    }
}

/* ---- I/O ------------------------------------------------------------------------------ */
static void lock(struct vdc *v)
{
    while (__sync_lock_test_and_set(&v->lock, 1))
        sleep_us(20);
}
static void unlock(struct vdc *v) { __sync_lock_release(&v->lock); }

/* disk `unit` ready, and the instance `gen` of it unless gen is 0 */
static struct vdc *ready_disk(int unit, u64 gen)
{
    if (unit < 0)
        return 0;
    struct vdc *v = by_id((u64)unit);
    return v && v->vs == VS_READY && !v->detach && (!gen || v->gen == gen) ? v : 0;
}

int vdc_present(int unit) { return unit >= 0 && by_id((u64)unit) != 0; }
int vdc_ready(int unit) { return ready_disk(unit, 0) != 0; }
u64 vdc_gen(int unit)
{
    struct vdc *v = ready_disk(unit, 0);
    return v ? v->gen : 0;
}

/* a disk that is coming up (the service domain boots with this one): wait for it */
int vdc_wait_ready(int unit, u64 us)
{
    u64 until = rd_stick() + us_to_stick(us);
    for (;;) {
        struct vdc *v = unit >= 0 ? by_id((u64)unit) : 0;
        if (!v || v->vs == VS_READY || v->vs == VS_FAILED || rd_stick() >= until)
            return ready_disk(unit, 0) != 0;
        sleep_us(100);
    }
}
u64 vdc_blocks(int unit, u64 gen)
{
    struct vdc *v = ready_disk(unit, gen);
    return v ? v->blocks : 0;
}
u32 vdc_block_size(int unit, u64 gen)
{
    struct vdc *v = ready_disk(unit, gen);
    return v ? v->block_size : 0;
}

void vdc_hold(int unit, u64 gen, int delta)
{
    struct vdc *v = unit >= 0 ? by_id((u64)unit) : 0;
    if (v && v->gen == gen)             /* a descriptor of a disk forced away (and maybe
                                           attached again since) holds nothing */
        __sync_fetch_and_add(&v->opens, delta);
}

/* one request of at most max_xfer blocks through the ring (lock held) */
static int request(struct vdc *v, u8 op, u64 blk, u64 n)
{
    struct vio_disk_desc *d = &v->ring[v->next];
    memset(d, 0, sizeof(*d));
    d->req_id = ++v->req_id;
    d->operation = op;
    d->slice = VD_SLICE_NONE;
    d->offset = blk;
    d->size = n * v->block_size;
    d->ncookies = 1;
    d->cookie_addr = cookie(1, 0);
    d->cookie_size = d->size;
    membar_sync();
    d->state = VIO_DESC_READY;
    membar_sync();
    struct vio_dring_data m;
    memset(&m, 0, sizeof(m));
    tag(v, &m.tag, VIO_TYPE_DATA, VIO_DRING_DATA);
    m.seq = ++v->seq;
    m.dring_ident = v->dring_ident;
    m.start_idx = m.end_idx = v->next;
    m.state = VIO_DP_ACTIVE;
    v->done = v->failed = 0;
    if (send_msg(v, &m, sizeof(m)))
        return -EIO_;
    u64 until = rd_stick() + us_to_stick(VDC_WAIT_US);
    while (!v->done) {
        if (rd_stick() > until || v->vs != VS_READY)
            return -ETIMEDOUT_;
        event_wait(&v->ev, 50);
        ldc_poll(&v->l);
    }
    membar_sync();
    int st = v->failed || d->state != VIO_DESC_DONE || d->status ? -EIO_ : 0;
    d->state = VIO_DESC_FREE;
    v->next = (v->next + 1) % VDC_NDESC;
    return st;
}

static int xfer(struct vdc *v, u64 gen, u8 op, u64 blk, u8 *buf, u64 nblocks)
{
    if (v->vs != VS_READY || v->detach || (gen && v->gen != gen))
        return -EIO_;
    if (blk > v->blocks || nblocks > v->blocks - blk)
        return -EIO_;
    lock(v);
    int st = 0;
    while (nblocks && !st) {
        u64 n = MIN(nblocks, v->max_xfer);
        u64 bytes = n * v->block_size;
        if (op == VD_OP_BWRITE)
            memcpy(v->buf, buf, bytes);
        st = request(v, op, blk, n);
        if (!st && op == VD_OP_BREAD)
            memcpy(buf, v->buf, bytes);
        blk += n;
        buf += bytes;
        nblocks -= n;
    }
    unlock(v);
    return st;
}

/* Other threads (a program's system calls) hand their request to the disk's thread,
   which owns the channel, and wait for it as proxy_call waits for the host: sleeping,
   looking every few microseconds. */
static int submit(struct vdc *v, u64 gen, u8 op, u64 blk, u8 *buf, u64 nblocks)
{
    if (mycpu()->cur == v->owner)
        return xfer(v, gen, op, blk, buf, nblocks);
    while (__sync_lock_test_and_set(&v->job.lock, 1))
        sleep_us(20);
    v->job.op = op;
    v->job.blk = blk;
    v->job.buf = buf;
    v->job.n = nblocks;
    v->job.gen = gen;
    membar_sync();
    v->job.state = 1;
    event_signal(&v->job_ev);
    u64 us = 2;
    while (v->job.state != 2) {
        sleep_us(us);
        us = MIN(us * 2, 64);
    }
    membar_sync();
    int r = v->job.result;
    v->job.state = 0;
    __sync_lock_release(&v->job.lock);
    return r;
}

static void serve_job(struct vdc *v)
{
    if (v->job.state != 1)
        return;
    v->job.result = v->attached ? xfer(v, v->job.gen, v->job.op, v->job.blk, v->job.buf,
                                       v->job.n) : -EIO_;
    membar_sync();
    v->job.state = 2;
}

int vdc_read(int unit, u64 gen, u64 blk, void *buf, u64 nblocks)
{
    struct vdc *v = ready_disk(unit, gen);
    return v ? submit(v, gen, VD_OP_BREAD, blk, buf, nblocks) : -EIO_;
}
int vdc_write(int unit, u64 gen, u64 blk, const void *buf, u64 nblocks)
{
    struct vdc *v = ready_disk(unit, gen);
    return v ? submit(v, gen, VD_OP_BWRITE, blk, (u8 *)buf, nblocks) : -EIO_;
}

/* ---- the self-test and the thread ------------------------------------------------------ */
static u8 pattern(u64 blk, u64 j) { return (u8)(blk * 131 + j * 7 + 0x5a); }

static void self_test(struct vdc *v, u64 n)
{
    u32 bs = v->block_size;
    int unit = (int)v->id;
    if (n > v->blocks)
        n = v->blocks;
    u8 *b = kalloc(bs, 8);
    u64 h = 0xcbf29ce484222325UL;
    for (u64 i = 0; i < n; i++) {
        int st = vdc_read(unit, v->gen, i, b, 1);
        if (st) {
            kprintf("vdisk%lu: read of block %lu failed (%d)\n", v->id, i, st);
            return;
        }
        for (u32 j = 0; j < bs; j++)
            h = (h ^ b[j]) * 0x100000001b3UL;
    }
    kprintf("vdisk%lu: read %lu blocks: fnv1a 0x%016lx\n", v->id, n, h);
    for (u64 i = 0; i < n; i++) {
        for (u32 j = 0; j < bs; j++)
            b[j] = pattern(i, j);
        int st = vdc_write(unit, v->gen, i, b, 1);
        if (st) {
            kprintf("vdisk%lu: write of block %lu failed (%d)\n", v->id, i, st);
            return;
        }
        kprintf("vdisk%lu: block %lu written\n", v->id, i);
    }
    u8 *all = kalloc(n * bs, 8);
    int st = vdc_read(unit, v->gen, 0, all, n);
    if (st) {
        kprintf("vdisk%lu: reading back failed (%d)\n", v->id, st);
        return;
    }
    for (u64 i = 0; i < n; i++)
        for (u32 j = 0; j < bs; j++)
            if (all[i * bs + j] != pattern(i, j)) {
                kprintf("vdisk%lu: %lu blocks read back: mismatch at block %lu byte %u\n",
                        v->id, n, i, j);
                return;
            }
    kprintf("vdisk%lu: %lu blocks read back: match\n", v->id, n);
}

/* the channel closed: queues unconfigured, its interrupt no longer valid, the map
   table withdrawn (the hypervisor may have taken the channel away already) */
static void close_channel(struct vdc *v)
{
    lock(v);
    if (v->l.vintr)
        hv_vintr_set_valid(md.devhandle, v->rx_ino, INTR_NOTVALID);
    v->l.vintr = 0;
    hv_call(LDC_SET_MAP_TABLE, v->channel, 0, 0, 0, 0, 0, 0, 0);
    hv_ldc_tx_qconf(v->channel, 0, 0);
    hv_ldc_rx_qconf(v->channel, 0, 0);
    v->l.open = 0;
    v->link = LK_DOWN;
    v->vs = VS_NONE;
    unlock(v);
    kprintf("vdisk%lu: detached (channel %lu closed)\n", v->id, v->channel);
}

static void vdc_thread(void *arg)
{
    struct vdc *v = arg;
    v->owner = mycpu()->cur;
    u64 start = rd_stick();
    for (;;) {
        if (v->detach) {
            close_channel(v);
            membar_sync();
            v->attached = 0;
            v->detach = 0;
        }
        if (!v->attached) {
            serve_job(v);
            event_wait(&v->job_ev, 0);
            start = rd_stick();
            continue;
        }
        if (v->vs != VS_READY && v->vs != VS_FAILED) {      /* the handshake */
            serve_job(v);
            poll(v);
            event_wait(&v->ev, 100);
            if (rd_stick() - start > us_to_stick(20 * VDC_WAIT_US) && v->link != LK_UP) {
                kprintf("vdisk%lu: the disk server does not answer\n", v->id);
                start = rd_stick();
            }
            if (v->vs == VS_READY && !__sync_lock_test_and_set(&self_test_done, 1)) {
                u64 test = 0;
                md_param("vdisk", &test);
                if (test)
                    self_test(v, test);
            }
            continue;
        }
        serve_job(v);                   /* requests; later packets (a reset: handshake again) */
        if (!__sync_lock_test_and_set(&v->lock, 1)) {
            poll(v);
            __sync_lock_release(&v->lock);
        }
        event_wait(&v->job_ev, 2000);
    }
}

/* ---- attaching and detaching -------------------------------------------------------------- */
struct diskep { u64 id, channel, tx_ino, rx_ino; };

/* the disk nodes of the machine description: {cfg-handle, channel, tx-ino, rx-ino} */
static int find_disks(struct diskep *out, int max)
{
    static u8 *buf;
    static u64 cap;
    static u8 probe[16] __attribute__((aligned(16)));
    u64 size = 0;
    hv_mach_desc(va2ra(probe), 0, &size);
    if (!size)
        return 0;
    if (size > cap) {
        cap = size + 4096;
        buf = kalloc(cap, 16);
    }
    struct md m;
    if (hv_mach_desc(va2ra(buf), cap, &size) != EOK || md_init(&m, buf, size))
        return 0;
    int n = 0;
    for (int d = md_find_node(&m, -1, "virtual-device"); d >= 0 && n < max;
         d = md_find_node(&m, d, "virtual-device")) {
        const char *name;
        if (md_get_str(&m, d, "name", &name) || strcmp(name, "disk"))
            continue;
        int cur = 0;
        int port = md_next_arc(&m, d, "fwd", "virtual-device-port", &cur);
        if (port < 0)
            continue;
        cur = 0;
        int ep = md_next_arc(&m, port, "fwd", "channel-endpoint", &cur);
        struct diskep e = { 0, 0, 0, 0 };
        if (ep < 0 || md_get_val(&m, ep, "id", &e.channel) ||
            md_get_val(&m, ep, "tx-ino", &e.tx_ino) || md_get_val(&m, ep, "rx-ino", &e.rx_ino))
            continue;
        md_get_val(&m, d, "cfg-handle", &e.id);
        out[n++] = e;
    }
    return n;
}

static void attach(const struct diskep *e)
{
    struct vdc *v = 0;
    for (int i = 0; i < VDC_MAX && !v; i++)
        if (!disks[i].attached && !disks[i].detach)
            v = &disks[i];
    if (!v) {
        kprintf("vdisk%lu: no free disk slot (the kernel serves %d disks)\n", e->id, VDC_MAX);
        return;
    }
    if (!v->ring) {
        v->ring = kalloc(8192, 8192);
        v->buf = kalloc(VDC_BUF, 8192);
        v->mtab = kalloc(8192, 8192);
    }
    v->id = e->id;
    v->channel = e->channel;
    v->tx_ino = e->tx_ino;
    v->rx_ino = e->rx_ino;
    v->link = LK_DOWN;
    v->vs = VS_NONE;
    v->opens = 0;
    v->next = 0;
    v->dring_ident = v->seq = 0;
    u64 perm = LDC_MTE_R | LDC_MTE_W | LDC_MTE_CPR | LDC_MTE_CPW;  /* size code 0: 8 KB */
    v->mtab[0] = va2ra(v->ring) | perm;
    v->mtab[2] = va2ra(v->buf) | perm;
    for (int i = 0; i < VDC_NDESC; i++)
        v->ring[i].state = VIO_DESC_FREE;
    v->sid = (u32)rd_stick();
    v->l.name = "vdisk";
    v->l.owner = v;
    v->l.on_packet = on_packet;
    v->l.on_state = on_state;
    if (ldc_open(&v->l, v->channel, v->tx_ino, v->rx_ino, 1, VDC_QENTRIES, &v->ev)) {
        kprintf("vdisk%lu: cannot open channel %lu\n", v->id, v->channel);
        return;
    }
    u64 st = hv_call(LDC_SET_MAP_TABLE, v->channel, va2ra(v->mtab), 2, 0, 0, 0, 0, 0);
    if (st != EOK) {
        kprintf("vdisk%lu: ldc_set_map_table failed (status %lu)\n", v->id, st);
        return;
    }
    kprintf("vdisk%lu: channel %lu\n", v->id, v->channel);
    v->gen = ++generation;
    membar_sync();
    v->attached = 1;
    if (!v->owner)
        thread_create_sys("vdc", vdc_thread, v);
    else
        event_signal(&v->job_ev);
}

/* ask the disk's thread to close its channel and wait until it has */
static void detach(struct vdc *v)
{
    v->detach = 1;
    event_signal(&v->job_ev);
    event_signal(&v->ev);
    u64 until = rd_stick() + us_to_stick(VDC_DETACH_US);
    while (v->detach && rd_stick() < until)
        sleep_us(50);
}

int vdc_unconfigure(int unit, int force)
{
    struct vdc *v = unit >= 0 ? by_id((u64)unit) : 0;
    int r = !v ? VDC_NOT_PRESENT : v->opens && !force ? VDC_BUSY : 0;
    if (r == 0)
        detach(v);
    return r;
}

/* attach and detach (the DS thread after an md-update, the dr-vio service; at boot,
   vdc_start) run in one thread at a time */
void vdc_md_changed(void)
{
    struct diskep e[VDC_MAX];
    int n = find_disks(e, VDC_MAX);
    for (int i = 0; i < VDC_MAX; i++) {
        struct vdc *v = &disks[i];
        if (!v->attached)
            continue;
        int keep = 0;
        for (int k = 0; k < n && !keep; k++)
            keep = e[k].id == v->id && e[k].channel == v->channel;
        if (!keep)
            detach(v);
    }
    for (int k = 0; k < n; k++)
        if (!by_id(e[k].id))
            attach(&e[k]);
}

void vdc_start(void)
{
    vdc_md_changed();
}
