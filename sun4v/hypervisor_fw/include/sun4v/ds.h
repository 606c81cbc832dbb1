/*
 * Domain Services (DS 1.0) messages and the services the guest kernel provides:
 * md-update, domain-shutdown, domain-panic, dr-cpu.  Carried over the guest's
 * domain-services LDC channel (reliable mode); all fields big-endian.
 *
 * Facts: reference/ldoms_protocols.md §1.3 (DS 0.9.9 spec FWARC 2006/055, dr-cpu FWARC
 * 2008/623; Linux arch/sparc/kernel/ds.c, illumos ds_impl.h and dr_cpu.c) and
 * reference/sun4v.md §6.  Written from those facts.
 */
#ifndef SUN4V_DS_H
#define SUN4V_DS_H

/* message types */
#define DS_INIT_REQ             0x00    /* {u16 major, u16 minor} */
#define DS_INIT_ACK             0x01    /* {u16 minor} */
#define DS_INIT_NACK            0x02    /* {u16 major} (0: give up) */
#define DS_REG_REQ              0x03    /* {u64 handle, u16 major, u16 minor, char svc_id[]} */
#define DS_REG_ACK              0x04    /* {u64 handle, u16 minor} */
#define DS_REG_NACK             0x05    /* {u64 handle, u64 result, u16 major} */
#define DS_UNREG_REQ            0x06    /* {u64 handle} */
#define DS_UNREG_ACK            0x07
#define DS_UNREG_NACK           0x08
#define DS_DATA                 0x09    /* {u64 handle, payload} */
#define DS_NACK                 0x0a    /* {u64 handle, u64 result} */

/* results */
#define DS_OK                   0
#define DS_REG_VER_NACK         1
#define DS_REG_DUP              2
#define DS_INV_HDL              3
#define DS_TYPE_UNKNOWN         4

#define DS_MAJOR_VERSION        1
#define DS_MINOR_VERSION        0

/* service ids */
#define DS_SVC_MD_UPDATE        "md-update"
#define DS_SVC_DOMAIN_SHUTDOWN  "domain-shutdown"
#define DS_SVC_DOMAIN_PANIC     "domain-panic"
#define DS_SVC_DR_CPU           "dr-cpu"

#ifndef __ASSEMBLER__
struct ds_msg_tag {
    unsigned int    type;
    unsigned int    len;            /* bytes after this header */
};

struct ds_data_handle {             /* DS_DATA, DS_NACK, DS_UNREG_* */
    struct ds_msg_tag tag;
    unsigned long   handle;
};

/* md-update: request {u64 req_num}; response {u64 req_num, u32 result} */
struct ds_md_update_req {
    unsigned long   req_num;
};
struct ds_md_update_res {
    unsigned long   req_num;
    unsigned int    result;         /* MD_UPDATE_* */
};
#define MD_UPDATE_SUCCESS       0
#define MD_UPDATE_FAILURE       1
#define MD_UPDATE_INVALID_MSG   2

/* domain-shutdown / domain-panic */
struct ds_shutdown_req {
    unsigned long   req_num;
    unsigned int    ms_delay;
};
struct ds_panic_req {
    unsigned long   req_num;
};
struct ds_shutdown_res {            /* also the domain-panic response */
    unsigned long   req_num;
    unsigned int    result;
    char            reason[];
};

/* dr-cpu: header, then u32 cpu ids (request) or records (reply) */
struct dr_cpu_tag {
    unsigned long   req_num;
    unsigned int    msg_type;
    unsigned int    num_records;
};
struct dr_cpu_resp_entry {
    unsigned int    cpu;
    unsigned int    result;
    unsigned int    stat;
    unsigned int    str_off;        /* from the start of struct dr_cpu_tag; 0 = none */
};
#endif

#define DR_CPU_CONFIGURE        0x43    /* 'C' */
#define DR_CPU_UNCONFIGURE      0x55    /* 'U' */
#define DR_CPU_FORCE_UNCONFIG   0x46    /* 'F' */
#define DR_CPU_STATUS           0x53    /* 'S' */
#define DR_CPU_OK               0x6f    /* 'o' */
#define DR_CPU_ERROR            0x65    /* 'e' */

#define DR_CPU_RES_OK           0
#define DR_CPU_RES_FAILURE      1
#define DR_CPU_RES_BLOCKED      2
#define DR_CPU_RES_CPU_NOT_RESPONDING 3
#define DR_CPU_RES_NOT_IN_MD    4

#define DR_CPU_STAT_NOT_PRESENT 0
#define DR_CPU_STAT_UNCONFIGURED 1
#define DR_CPU_STAT_CONFIGURED  2

/* reason strings of a BLOCKED result (illumos dr_cpu.c, at most 64 characters) */
#define DR_CPU_STR_LAST_ONLINE  "last online cpu in processor set %d"
#define DR_CPU_STR_BOUND        "cpu has bound thread(s)"

#endif /* SUN4V_DS_H */
