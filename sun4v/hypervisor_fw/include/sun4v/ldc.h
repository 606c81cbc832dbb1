/*
 * Logical Domain Channels: what the hypervisor provides (queues, states, interrupts,
 * shared memory map table) and the link-layer packet both ends speak.
 *
 * Facts: reference/sun4v.md §2, §6 (LDC calls, queues, states, map table entries) and
 * ldoms_protocols.md §1.2 (packet byte layout, handshake); Sun's hypervisor ldc.h,
 * Linux arch/sparc/kernel/ldc.c and arch/sparc/include/asm/ldc.h.
 *
 * Hypervisor model: each endpoint has a TX and an RX queue of 64-byte packets in the
 * owning guest's memory (#entries a power of two >= 2, base aligned to the queue size);
 * head and tail are byte offsets.  ldc_tx_set_qtail hands packets [head, tail) to the
 * hypervisor, which moves them into the peer's RX queue (as many as fit; the rest when
 * the peer frees room) and raises the peer's rx-ino interrupt; ldc_rx_set_qhead
 * releases received packets.  ldc_tx_get_state says UP when this TX queue and the peer's
 * RX queue are configured, ldc_rx_get_state when this RX queue and the peer's TX queue
 * are; DOWN otherwise; RESET once (the next get_state) after the peer re-configured or
 * unconfigured a queue.  The hypervisor's own endpoints (hvctl) are always configured.  Interrupts are
 * virtual device interrupts: devhandle = the channel-devices cfg-handle of the guest MD,
 * devino = the endpoint's tx-ino / rx-ino; vintr_set_cookie / set_valid / set_target /
 * set_state arm them; delivery puts a dev mondo (64 B, word 0 = the cookie) on the
 * target vCPU's device mondo queue.
 */
#ifndef SUN4V_LDC_H
#define SUN4V_LDC_H

#define LDC_PACKET_SIZE         64
#define LDC_MIN_QUEUE_ENTRIES   2

/* ldc_*_get_state channel state */
#define LDC_CHANNEL_DOWN        0
#define LDC_CHANNEL_UP          1
#define LDC_CHANNEL_RESET       2

/* endpoint peer types (HV MD ldc_endpoint target_type) */
#define LDC_GUEST_ENDPOINT      0
#define LDC_HV_ENDPOINT         1
#define LDC_SP_ENDPOINT         2

/* ldc_copy directions */
#define LDC_COPY_IN             0
#define LDC_COPY_OUT            1

/* map table entries {mte, cookie} */
#define LDC_MTE_PADDR_SHIFT     13
#define LDC_MTE_R               0x010
#define LDC_MTE_W               0x020
#define LDC_MTE_X               0x040
#define LDC_MTE_IOR             0x080
#define LDC_MTE_IOW             0x100
#define LDC_MTE_CPR             0x200
#define LDC_MTE_CPW             0x400
#define LDC_MTE_SZ_MASK         0xf

/* ---- link layer packet (big-endian bytes) ---------------------------------------------- */
/* [0] type, [1] stype, [2] ctrl, [3] env, [4..7] seqid,
   unreliable/raw: payload [8..63]; reliable/stream: [12..15] ackid, payload [16..63] */
#define LDC_TYPE_CTRL           0x01
#define LDC_TYPE_DATA           0x02
#define LDC_TYPE_ERR            0x10
#define LDC_STYPE_INFO          0x01
#define LDC_STYPE_ACK           0x02
#define LDC_STYPE_NACK          0x04
#define LDC_CTRL_VERS           0x01
#define LDC_CTRL_RTS            0x02
#define LDC_CTRL_RTR            0x03
#define LDC_CTRL_RDX            0x04
#define LDC_CTRL_MASK           0x0f
#define LDC_ENV_LEN_MASK        0x3f
#define LDC_ENV_START           0x40
#define LDC_ENV_STOP            0x80
#define LDC_MODE_RAW            0
#define LDC_MODE_UNRELIABLE     1
#define LDC_MODE_RELIABLE       3       /* also called STREAM */
#define LDC_PAYLOAD_UNRELIABLE  56
#define LDC_PAYLOAD_RELIABLE    48
#define LDC_VERSION_MAJOR       1
#define LDC_VERSION_MINOR       0

#ifndef __ASSEMBLER__
struct ldc_packet {
    unsigned char   type;
    unsigned char   stype;
    unsigned char   ctrl;
    unsigned char   env;
    unsigned int    seqid;
    union {
        unsigned char u_data[56];       /* raw / unreliable */
        struct {
            unsigned int  pad;
            unsigned int  ackid;
            unsigned char r_data[48];   /* reliable / stream */
        } r;
    } u;
};

struct ldc_version {
    unsigned short  major;
    unsigned short  minor;
};
#endif

#endif /* SUN4V_LDC_H */
