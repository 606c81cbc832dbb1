/* One endpoint of a Logical Domain Channel, as the kernel uses it (ldc.c). */
#ifndef GUEST_LDCL_H
#define GUEST_LDCL_H

#include "kernel.h"
#include <sun4v/ldc.h>

#define LDC_MTU         4096            /* largest message (START..STOP) */

enum { HS_OPEN, HS_GOTVERS, HS_SENTRTR, HS_UP };

struct ldc {
    const char *name;
    u64 id, tx_ino, rx_ino;
    int raw;                            /* relay: packets moved, not interpreted */
    int open;                           /* ldc_open succeeded */
    struct ldc_packet *txq, *rxq;
    u64 nent;                           /* entries per queue */
    u64 nq;                             /* entries of the queues allocated (reopening) */
    u64 tx_tail, rx_head;
    u64 tx_acked;                       /* first packet not acknowledged by the peer */
    u64 state;                          /* LDC_CHANNEL_* as last seen */
    u32 snd_nxt, rcv_nxt;
    int hs;
    int vintr;                          /* rx interrupts armed; else polled */
    int target;                         /* vCPU the rx interrupt goes to */
    struct event *ev;                   /* the owner thread waits here */
    u8 msg[LDC_MTU];                    /* the message being reassembled */
    u32 msg_len;
    int in_msg;
    /* the owner's handlers (reliable mode); raw mode: on_packet */
    void (*on_up)(struct ldc *);
    void (*on_reset)(struct ldc *);
    void (*on_msg)(struct ldc *, const u8 *msg, u32 len);
    int (*on_packet)(struct ldc *, const u8 *pkt);  /* 0 taken, -1 no room: stop */
    void (*on_state)(struct ldc *, u64 state);      /* raw mode: state changed */
    void *owner;
    u64 rx_pkts, tx_pkts, resets;
};

int ldc_open(struct ldc *l, u64 id, u64 tx_ino, u64 rx_ino, int raw, u64 nent,
             struct event *ev);
void ldc_poll(struct ldc *l);
int ldc_write(struct ldc *l, const void *buf, u32 len);     /* reliable: a message */
int ldc_write_raw(struct ldc *l, const u8 *pkt);            /* 0, or -1 when full */
void ldc_retarget(int leaving);
void ldc_reset(struct ldc *l, const char *why);          /* abort: handshake again */

#endif
