/* Numbers both the C and the assembler side of the hypervisor use: sizes and the
   offsets of struct strand the trap glue reads (hv.h; main.c checks them at build). */
#ifndef HV_LAYOUT_H
#define HV_LAYOUT_H

#define NSTRANDS_MAX        256         /* T5440: 4 sockets x 64 strands */
#define STRAND_STACK_SIZE   16384
#define STRAND_SIZE         512

#define S_ID                0
#define S_VCPU              8
#define S_STACK             16
#define S_GHPSTATE          24
#define S_O                 32          /* o[0..7]: the guest's %o registers */
#define S_ACTION            96
#define S_REVEC             104
#define S_TT                112
#define S_PROBE             120         /* 1: probing memory; 2: it faulted */
#define S_LAUNCH            128         /* struct launch */

#define ACT_DONE            0           /* done: return past the trapping instruction */
#define ACT_RETRY           1           /* retry it */
#define ACT_REVECTOR        2           /* enter the guest at revec_pc, privileged */

/* struct launch (in struct strand; vcpu.c fills it): what hv_enter_guest reads */
#define L_PC                0
#define L_RTBA              8
#define L_ARG               16
#define L_PARTID            24
#define L_HPSTATE           32
#define L_REALBASE          40
#define L_REALSIZE          48

#endif
