/*
 * The hypervisor control protocol (hvctl): the LDoms manager (ldmd, "Zeus") in the
 * control domain talks to the hypervisor over the control domain's "hvctl" LDC channel
 * (raw mode: one 64-byte packet per message, big-endian).
 *
 * Facts: reference/ldoms_protocols.md §1.4 and sun4v.md §6; Sun's hypervisor
 * common/include/hvctl.h and common/src/hvcontrol.c (behaviour), OpenBSD ldomctl.
 *
 * Handshake: hello {major 1, minor} with the manager's seqn S -> the hypervisor records
 * S+1 as the next expected seqn, takes S+1+2909 as its own, and answers challenge
 * {code = HVCTL_HV_CHALLENGE_K ^ r} (or hello + enotsupp for another major); the
 * manager sends response {code ^ HVCTL_HV_CHALLENGE_K ^ HVCTL_ZEUS_CHALLENGE_K} ->
 * ok, CONNECTED.  Every later command must carry the expected seqn (else bad_seqn and
 * UNCONNECTED); replies carry the hypervisor's own incrementing seqn.
 *
 * Reading and writing hypervisor memory (the manager's MDs): ldc_copy on the hvctl
 * channel with cookie = a physical address inside the hypervisor's MD area
 * [HV_MDAREA_BASE, +HV_MDAREA_SIZE) (as OpenBSD's hvctl driver does through ldc_copy);
 * anything else is ENORADDR.  get_hvconfig reports the active HV MD there.
 */
#ifndef SUN4V_HVCTL_H
#define SUN4V_HVCTL_H

#define HVCTL_MSG_MAXLEN        64
#define HVCTL_VERSION_MAJOR     1
#define HVCTL_VERSION_MINOR     1
#define HVCTL_HV_CHALLENGE_K    0xbadbeef20UL
#define HVCTL_ZEUS_CHALLENGE_K  0x12cafe42aUL
#define HVCTL_SEQ_OFFSET        2909
#define HVCTL_RES_STATUS_DATA_SIZE 40
#define HVCTL_INVALID_GID       0xffffffffU

/* the hypervisor's memory for machine descriptions (physical addresses) */
#define HV_MDAREA_BASE          0x03000000UL
#define HV_MDAREA_SIZE          0x01000000UL    /* 16 MB */

/* ops */
#define HVCTL_OP_HELLO          0
#define HVCTL_OP_CHALLENGE      1
#define HVCTL_OP_RESPONSE       2
#define HVCTL_OP_GET_HVCONFIG   3
#define HVCTL_OP_RECONFIGURE    4
#define HVCTL_OP_GUEST_START    5
#define HVCTL_OP_GUEST_STOP     6
#define HVCTL_OP_GUEST_DELAYED_RECONF 7
#define HVCTL_OP_GUEST_SUSPEND  8
#define HVCTL_OP_GUEST_RESUME   9
#define HVCTL_OP_GUEST_PANIC    10
#define HVCTL_OP_GET_RES_STAT   11
#define HVCTL_OP_NEW_RES_STAT   12      /* asynchronous, hypervisor -> manager */
#define HVCTL_OP_CANCEL_RECONF  13
#define HVCTL_OP_GUEST_ONLY_RECONF 14
#define HVCTL_OP_GUEST_ONLY_DELAYED_RECONF 15

/* status */
#define HVCTL_ST_OK             0
#define HVCTL_ST_BAD_SEQN       1
#define HVCTL_ST_EAUTH          2
#define HVCTL_ST_ENOTSUPP       3
#define HVCTL_ST_BADMD          4
#define HVCTL_ST_MDNOTSUPP      5
#define HVCTL_ST_RC_FAILED      6
#define HVCTL_ST_EINVAL         7
#define HVCTL_ST_EILLEGAL       8
#define HVCTL_ST_STOP_FAILED    9

/* channel states */
#define HVCTL_STATE_UNCONNECTED 0
#define HVCTL_STATE_CHALLENGED  1
#define HVCTL_STATE_CONNECTED   2

/* resources (rc_fail.res, res_status.res), in parse order */
#define HVCTL_RES_GUEST         0
#define HVCTL_RES_VCPU          1
#define HVCTL_RES_MEMORY        2
#define HVCTL_RES_MAU           3
#define HVCTL_RES_CWQ           4
#define HVCTL_RES_LDC           5
#define HVCTL_RES_CONSOLE       6
#define HVCTL_RES_HV_LDC        7
#define HVCTL_RES_PCIE_BUS      8
#define HVCTL_RES_GUESTMD       9
#define HVCTL_RES_NETWORK       10

/* resource error codes (rc_fail.code, guest_op.code, res_status.code) */
#define HVCTL_E_GUEST_MISSING_ID        0
#define HVCTL_E_GUEST_INVALID_ID        1
#define HVCTL_E_GUEST_MISSING_PROPERTY  2
#define HVCTL_E_GUEST_NOCPUS            3
#define HVCTL_E_GUEST_ACTIVE            4
#define HVCTL_E_GUEST_STOPPED           5
#define HVCTL_E_GUEST_BASE_MBLOCK_TOO_SMALL 6
#define HVCTL_E_VCPU_MISSING_ID         7
#define HVCTL_E_VCPU_INVALID_ID         8
#define HVCTL_E_VCPU_MISSING_STRANDID   9
#define HVCTL_E_VCPU_INVALID_STRANDID   10
#define HVCTL_E_VCPU_MISSING_VID        11
#define HVCTL_E_VCPU_INVALID_VID        12
#define HVCTL_E_VCPU_MISSING_GUEST      13
#define HVCTL_E_VCPU_MISSING_PARTTAG    14
#define HVCTL_E_VCPU_INVALID_PARTTAG    15
#define HVCTL_E_VCPU_REBIND_NA          16      /* rebinding a vCPU that is not stopped */
#define HVCTL_E_MBLOCK_MISSING_ID       17
#define HVCTL_E_MBLOCK_INVALID_ID       18
#define HVCTL_E_MBLOCK_MISSING_MEMBASE  19
#define HVCTL_E_MBLOCK_MISSING_MEMSIZE  20
#define HVCTL_E_MBLOCK_INVALID_PARANGE  21
#define HVCTL_E_MBLOCK_MISSING_REALBASE 22
#define HVCTL_E_MBLOCK_INVALID_RARANGE  23
#define HVCTL_E_MBLOCK_MISSING_GUEST    24
#define HVCTL_E_MBLOCK_REBIND_NA        25
#define HVCTL_E_MBLOCK_GUEST_ACTIVE     26
/* 27-50: crypto units, PCIe busses, network devices (not modelled) */
#define HVCTL_E_LDC_MISSING_PROP        51
#define HVCTL_E_LDC_ILLEGAL_PROP        52
#define HVCTL_E_LDC_REBIND_NA           53
#define HVCTL_E_HV_LDC_MISSING_PROP     54
#define HVCTL_E_HV_LDC_ILLEGAL_PROP     55
#define HVCTL_E_HV_LDC_REBIND_NA        56
#define HVCTL_E_CONS_MISSING_ID         57
#define HVCTL_E_CONS_MISSING_GUEST      58
#define HVCTL_E_CONS_MISSING_GUEST_ID   59
#define HVCTL_E_CONS_INVALID_GUEST_ID   60
#define HVCTL_E_CONS_MISSING_LDC_ID     61
#define HVCTL_E_CONS_INVALID_LDC_ID     62
#define HVCTL_E_CONS_MISSING_INO        63
#define HVCTL_E_CONS_INVALID_INO        64
#define HVCTL_E_CONS_MISSING_UARTBASE   65
#define HVCTL_E_INVALID_INFOID          66

/* guest states (res_status guest state) */
#define GUEST_STATE_STOPPED     0
#define GUEST_STATE_RESETTING   1
#define GUEST_STATE_NORMAL      2
#define GUEST_STATE_SUSPENDED   3
#define GUEST_STATE_EXITING     4
#define GUEST_STATE_UNCONFIGURED 0xff

/* info ids */
#define HVCTL_INFO_GUEST_STATE          0
#define HVCTL_INFO_GUEST_SOFT_STATE     1
#define HVCTL_INFO_GUEST_TOD            2
#define HVCTL_INFO_GUEST_UTILISATION    3
#define HVCTL_INFO_VCPU_STATE           0

#define SOFT_STATE_SIZE         32

#ifndef __ASSEMBLER__
struct hvctl_header {
    unsigned short  op;
    unsigned short  seqn;
    unsigned short  chksum;         /* not checked */
    unsigned short  status;         /* 0 in commands; HVCTL_ST_* in replies */
};

struct hvctl_hello {                /* also the enotsupp reply to a hello */
    unsigned short  major;
    unsigned short  minor;
};

struct hvctl_challenge {            /* challenge and response */
    unsigned long   code;
    unsigned short  major;
    unsigned short  minor;
};

struct hvctl_hvconfig {
    unsigned long   hv_membase;     /* the hypervisor's own memory */
    unsigned long   hv_memsize;
    unsigned long   hvmdp;          /* active HV MD (physical address) */
    unsigned long   del_reconf_hvmdp;   /* pending delayed reconfiguration, or 0 */
    unsigned int    del_reconf_gid;     /* its guest, or HVCTL_INVALID_GID */
};

struct hvctl_reconfig {
    unsigned long   hvmdp;          /* new HV MD (physical, in the MD area) */
    unsigned int    guestid;        /* delayed reconfiguration: applied when it stops */
};

struct hvctl_rc_fail {
    unsigned long   hvmdp;
    unsigned int    res;            /* HVCTL_RES_* */
    unsigned int    code;           /* HVCTL_E_* */
    unsigned int    nodeidx;        /* element index of the failing node in the MD */
    unsigned int    resid;
};

struct hvctl_guest_op {
    unsigned int    guestid;
    unsigned int    code;
};

struct hvctl_res_status {
    unsigned int    res;
    unsigned int    resid;
    unsigned int    infoid;
    unsigned int    code;
    unsigned char   data[HVCTL_RES_STATUS_DATA_SIZE];
};

struct hvctl_rs_guest_state {
    unsigned long   state;
};

struct hvctl_rs_guest_soft_state {
    unsigned char   soft_state;
    char            soft_state_str[SOFT_STATE_SIZE];
};

struct hvctl_rs_guest_tod {
    unsigned long   tod;
};

struct hvctl_rs_guest_util {        /* %stick ticks */
    unsigned long   lifespan;       /* since the guest started */
    unsigned long   wallclock_delta;    /* since the last read */
    unsigned long   active_delta;
    unsigned long   stopped_cycles;
    unsigned long   yielded_cycles; /* in cpu_yield, all vCPUs, since the last read */
};

struct hvctl_rs_vcpu_state {
    unsigned char   state;          /* CPU_STATE_* */
    unsigned long   lifespan;
    unsigned long   wallclock_delta;
    unsigned long   active_delta;
    unsigned long   yielded_cycles;
};

struct hvctl_msg {
    struct hvctl_header hdr;
    union {
        struct hvctl_hello      hello;
        struct hvctl_challenge  clnge;
        struct hvctl_hvconfig   hvcnf;
        struct hvctl_reconfig   reconfig;
        struct hvctl_rc_fail    rcfail;
        struct hvctl_guest_op   guestop;
        struct hvctl_res_status resstat;
    } msg;
};
#endif

#endif /* SUN4V_HVCTL_H */
