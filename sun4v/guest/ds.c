/* Domain Services (DS 1.0) over the domain-services channel (reference
   ldoms_protocols.md §1.3; the DS spec FWARC 2006/055; Linux arch/sparc/kernel/ds.c).

   Every DS message starts with {u32 type, u32 len} (len: the bytes after those 8),
   big-endian, and may span LDC messages (stream mode): the bytes are collected and cut
   into DS messages here.

   When the link comes up the kernel sends INIT_REQ {1, 0}; after INIT_ACK it registers
   its services, one REG_REQ {handle, major, minor, "name"} each; REG_ACK {handle, minor}
   or REG_NACK {handle, result, major} answers. Handle = service index << 32 | a
   registration count. Then DATA {handle, payload} messages reach the service; DATA for
   a handle not registered is answered NACK {handle, INV_HDL}. A peer's own REG_REQ is
   refused (REG_NACK, REG_VER_NACK, major 0: the kernel uses no peer services); UNREG_REQ
   {handle} is answered UNREG_ACK. A message of unknown type resets the link. When the
   link goes down every registration is void; the next link-up registers again.

   The DS thread owns the channel: it waits for the rx interrupt (or polls every
   millisecond when the hypervisor has no vintr), takes what arrived, and runs the
   services' handlers one request at a time, in order. */
#include "ldcl.h"
#include "dsvc.h"
#include <sun4v/ds.h>

enum { DS_HS_NONE, DS_HS_START, DS_HS_DONE };
enum { SVC_UNREG, SVC_SENT, SVC_REG };

static struct ds_service *services[] = { &svc_mdupdate, &svc_drcpu, &svc_shutdown,
                                         &svc_drvio };
#define NSVC ((int)ARRAY_SIZE(services))

static struct ldc ds_ldc;
static struct event ds_ev;
static int ds_hs;
static u32 reg_count;
static u8 stream[2 * LDC_MTU];
static u32 stream_len;
static u8 out[LDC_MTU];

static void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }
static u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 get64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }
static u16 get16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }

static int send_msg(u32 type, const u8 *body, u32 len)
{
    if (len + 8 > sizeof(out))
        return -1;
    put32(out, type);
    put32(out + 4, len);
    memcpy(out + 8, body, len);
    if (ldc_write(&ds_ldc, out, len + 8)) {
        kprintf("ds: cannot send a message of type %u (link down or full)\n", type);
        return -1;
    }
    return 0;
}

/* a DATA message of service s: {handle, payload} */
int ds_send_data(struct ds_service *s, const u8 *payload, u32 len)
{
    static u8 body[LDC_MTU];
    if (len + 8 > sizeof(body))
        return -1;
    put64(body, s->handle);
    memcpy(body + 8, payload, len);
    return send_msg(DS_DATA, body, len + 8);
}

static void register_services(void)
{
    for (int i = 0; i < NSVC; i++) {
        struct ds_service *s = services[i];
        u8 body[64];
        u32 n = (u32)strlen(s->name);
        s->handle = ((u64)i << 32) | ++reg_count;
        put64(body, s->handle);
        put16(body + 8, s->major);
        put16(body + 10, s->minor);
        memcpy(body + 12, s->name, n + 1);
        if (send_msg(DS_REG_REQ, body, 12 + n + 1) == 0)
            s->state = SVC_SENT;
    }
}

static struct ds_service *by_handle(u64 h)
{
    u64 i = h >> 32;
    if (i < (u64)NSVC && services[i]->handle == h)
        return services[i];
    return 0;
}

static void ds_up(struct ldc *l)
{
    (void)l;
    u8 body[4];
    put16(body, DS_MAJOR_VERSION);
    put16(body + 2, DS_MINOR_VERSION);
    stream_len = 0;
    COUNTERS->ds_state = 2;
    if (send_msg(DS_INIT_REQ, body, 4) == 0)
        ds_hs = DS_HS_START;
}

static void ds_reset(struct ldc *l)
{
    (void)l;
    ds_hs = DS_HS_NONE;
    stream_len = 0;
    for (int i = 0; i < NSVC; i++)
        services[i]->state = SVC_UNREG;
    COUNTERS->ds_state = 1;
}

static void all_registered(void)
{
    for (int i = 0; i < NSVC; i++)
        if (services[i]->state != SVC_REG)
            return;
    COUNTERS->ds_state = 3;
    kprintf("ds: services registered:");
    for (int i = 0; i < NSVC; i++)
        kprintf(" %s %u.%u", services[i]->name, services[i]->major, services[i]->vminor);
    kprintf("\n");
}

/* one complete DS message */
static void ds_message(u32 type, const u8 *b, u32 len)
{
    struct ds_service *s;
    u8 body[32];
    switch (type) {
    case DS_INIT_ACK:
        if (ds_hs != DS_HS_START || len < 2)
            break;
        ds_hs = DS_HS_DONE;
        register_services();
        return;
    case DS_INIT_NACK:
        kprintf("ds: the domain manager refused DS %u.%u (it offers major %u)\n",
                DS_MAJOR_VERSION, DS_MINOR_VERSION, len >= 2 ? get16(b) : 0);
        ds_hs = DS_HS_NONE;
        return;
    case DS_REG_ACK:
        if (len < 10 || !(s = by_handle(get64(b))))
            return;
        s->state = SVC_REG;
        s->vminor = MIN(get16(b + 8), s->minor);
        all_registered();
        return;
    case DS_REG_NACK:
        if (len < 8 || !(s = by_handle(get64(b))))
            return;
        s->state = SVC_UNREG;
        kprintf("ds: the domain manager refused service %s (result %lu)\n", s->name,
                len >= 16 ? get64(b + 8) : 0UL);
        return;
    case DS_REG_REQ:
        if (len < 12)
            break;
        put64(body, get64(b));
        put64(body + 8, DS_REG_VER_NACK);
        put16(body + 16, 0);
        send_msg(DS_REG_NACK, body, 18);
        return;
    case DS_UNREG_REQ:
        if (len < 8)
            break;
        put64(body, get64(b));
        if ((s = by_handle(get64(b))) != 0) {
            s->state = SVC_UNREG;
            send_msg(DS_UNREG_ACK, body, 8);
        } else {
            send_msg(DS_UNREG_NACK, body, 8);
        }
        return;
    case DS_UNREG_ACK:
    case DS_UNREG_NACK:
    case DS_NACK:
        return;
    case DS_DATA:
        if (len < 8)
            break;
        COUNTERS->ds_messages++;
        s = by_handle(get64(b));
        if (!s || s->state != SVC_REG) {
            put64(body, get64(b));
            put64(body + 8, DS_INV_HDL);
            send_msg(DS_NACK, body, 16);
            return;
        }
        s->data(s, b + 8, len - 8);
        return;
    }
    kprintf("ds: unexpected message (type %u, %u bytes)\n", type, len);
    ldc_reset(&ds_ldc, "unexpected domain-services message");
}

/* an LDC message: more bytes of the DS stream */
static void ds_input(struct ldc *l, const u8 *msg, u32 len)
{
    (void)l;
    if (stream_len + len > sizeof(stream)) {
        stream_len = 0;
        ldc_reset(&ds_ldc, "domain-services message too long");
        return;
    }
    memcpy(stream + stream_len, msg, len);
    stream_len += len;
    while (stream_len >= 8) {
        u32 type = get32(stream), n = get32(stream + 4);
        if (n > sizeof(stream) - 8) {
            stream_len = 0;
            ldc_reset(&ds_ldc, "domain-services message too long");
            return;
        }
        if (stream_len < 8 + n)
            return;
        static u8 m[2 * LDC_MTU];
        memcpy(m, stream + 8, n);
        memmove(stream, stream + 8 + n, stream_len - 8 - n);
        stream_len -= 8 + n;
        ds_message(type, m, n);
    }
}

static void ds_thread(void *arg)
{
    (void)arg;
    ds_ldc.name = "domain-services";
    ds_ldc.on_up = ds_up;
    ds_ldc.on_reset = ds_reset;
    ds_ldc.on_msg = ds_input;
    if (ldc_open(&ds_ldc, md.ds_channel, md.ds_tx_ino, md.ds_rx_ino, 0, 64, &ds_ev)) {
        kprintf("ds: channel %lu cannot be opened; no domain services\n", md.ds_channel);
        return;
    }
    COUNTERS->ds_state = 1;
    if (!ds_ldc.vintr)
        kprintf("ds: no channel interrupts; polling every millisecond\n");
    for (;;) {
        ldc_poll(&ds_ldc);
        event_wait(&ds_ev, ds_ldc.vintr ? 0 : 1000);
    }
}

void ds_start(void)
{
    if (!md.has_ds) {
        kprintf("ds: no domain-services-port in the machine description\n");
        return;
    }
    thread_create_sys("ds", ds_thread, 0);
}
