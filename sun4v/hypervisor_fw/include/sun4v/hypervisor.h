/*
 * The sun4v hypervisor API as this project's firmware implements it: trap numbers,
 * function numbers, status codes, API groups, vCPU states, and the guest entry state.
 * Shared by the hypervisor (sun4v/hypervisor_fw) and the guest kernel (sun4v/guest).
 *
 * Facts: reference/sun4v.md §1.4 (hypercall ABI), §2 (function numbers, API groups),
 * §5 (queues, vCPU states, guest entry state); Sun's hypervisor include/hypervisor.h,
 * Linux arch/sparc/include/asm/hypervisor.h.  Written from those facts, not copied.
 *
 * Calling convention (all calls from privileged mode):
 *   ta FAST_TRAP (0x80)      function number in %o5, arguments in %o0-%o4; status in
 *                            %o0, results in %o1-%o5.  Argument registers are volatile;
 *                            the other %o registers, %l, %i, %g and the window state are
 *                            preserved.  All 64 bits of every register are significant.
 *   ta MMU_MAP_ADDR (0x83)   %o0 va, %o1 ctx, %o2 tte, %o3 flags -> %o0 status
 *   ta MMU_UNMAP_ADDR (0x84) %o0 va, %o1 ctx, %o2 flags -> %o0 status
 *   ta CORE_TRAP (0xff)      unversioned core calls, function in %o5 (API_SET_VERSION,
 *                            API_PUTCHAR, API_EXIT, API_GET_VERSION)
 *   any other ta 0x80-0xfe   %o0 = EBADTRAP, nothing else changes
 * A function that is not part of a negotiated API group returns EBADTRAP.  Every
 * group except SUN4V and CORE 1.0 must be negotiated with api_set_version first.
 *
 * Guest entry state (boot vCPU, after guest start; vCPUs started with cpu_start):
 *   privileged mode, TL = 0, GL = MAXPGL (2), PSTATE = PRIV (interrupts off, TSO,
 *   FP disabled), PIL = 15, CWP = 0 with CANSAVE = NWINDOWS-2, CANRESTORE = OTHERWIN = 0,
 *   CLEANWIN = NWINDOWS-1, WSTATE = 0; MMU off (real addresses), primary and secondary
 *   context 0; all interrupt queue heads and tails 0, SOFTINT 0, TICK_CMPR/STICK_CMPR
 *   interrupts disabled; the partition ID of the guest loaded by the hypervisor.
 *   Boot vCPU: the guest's ROM image (HV MD guest node rombase/romsize) has been copied
 *   to the base of its lowest real memory block (real base); %tba = RTBA = real base;
 *   PC = real base + 0x20 (the power-on-reset slot of a trap table at RTBA); %o0 = 0;
 *   %i0 = real base, %i1 = size of that memory block.
 *   cpu_start(cpuid, pc, rtba, arg): PC = pc, %tba = rtba, %o0 = arg, %i0/%i1 as above.
 *   The guest should lower GL before it takes traps the hypervisor re-vectors.
 * Guest watchdog (a trap to privileged mode at TL = MAXPTL, or one the hypervisor would
 * re-vector above MAXPTL / MAXPGL): the vCPU enters RTBA + 0x40 with its MMU off, at
 * TL = MAXPTL, GL = MAXPGL, TT = 2.
 */
#ifndef SUN4V_HYPERVISOR_H
#define SUN4V_HYPERVISOR_H

/* ---- software trap numbers (ta N from privileged mode; TT = 0x100 + N) ---------------- */
#define FAST_TRAP               0x80
#define MMU_MAP_ADDR            0x83
#define MMU_UNMAP_ADDR          0x84
#define CORE_TRAP               0xff

/* ---- status codes (%o0) --------------------------------------------------------------- */
#define EOK                     0
#define ENOCPU                  1       /* invalid or unknown cpu id */
#define ENORADDR                2       /* real address not in the guest's memory */
#define ENOINTR                 3       /* invalid interrupt */
#define EBADPGSZ                4       /* unsupported page size */
#define EBADTSB                 5       /* invalid TSB description */
#define EINVAL                  6       /* invalid argument */
#define EBADTRAP                7       /* invalid function or trap number */
#define EBADALIGN               8       /* misaligned address */
#define EWOULDBLOCK             9       /* resource busy, try again */
#define ENOACCESS               10      /* no access to the resource */
#define EIO                     11
#define ECPUERROR               12      /* target cpu in error state */
#define ENOTSUPPORTED           13      /* function or version not supported */
#define ENOMAP                  14      /* no mapping found */
#define ETOOMANY                15      /* too many items */
#define ECHANNEL                16      /* invalid LDC channel */
#define EBUSY                   17
#define EUNAVAILABLE            23

/* ---- CORE_TRAP (ta 0xff) functions ------------------------------------------------------ */
#define API_SET_VERSION         0x00    /* group, major, minor -> status, actual minor */
#define API_PUTCHAR             0x01    /* char -> status (same as CONS_PUTCHAR) */
#define API_EXIT                0x02    /* code; never returns (same as MACH_EXIT) */
#define API_GET_VERSION         0x03    /* group -> status, major, minor */

/* ---- API groups (api_set_version) ------------------------------------------------------ */
#define API_GROUP_SUN4V         0x000   /* major 1 only (errata level) */
#define API_GROUP_CORE          0x001   /* 1.0; 1.1 adds cpu_stop, set_watchdog, cons_read/write */
#define API_GROUP_INTR          0x002   /* 1.0 sysino interrupts; 2.0 vintr cookies */
#define API_GROUP_SOFTSTATE     0x003
#define API_GROUP_PCI           0x100
#define API_GROUP_LDC           0x101   /* 1.0: ldc queue calls */
#define API_GROUP_SVC           0x102
#define API_GROUP_NCS           0x103
#define API_GROUP_RNG           0x104
#define API_GROUP_NIAGARA       0x200
#define API_GROUP_FIRE          0x201
#define API_GROUP_NIAGARA2      0x202
#define API_GROUP_N2PIU         0x203
#define API_GROUP_N2NIU         0x204
#define API_GROUP_DIAG          0x300

/* ---- FAST_TRAP (ta 0x80) function numbers (%o5) --------------------------------------- */
#define MACH_EXIT               0x00    /* code; stops every vCPU of the guest */
#define MACH_DESC               0x01    /* buf RA (16 B aligned), len -> status, MD size */
#define MACH_SIR                0x02    /* software-initiated reset of the guest */
#define MACH_SET_WATCHDOG       0x05    /* ms -> status, ms remaining (CORE 1.1) */
#define CPU_START               0x10    /* cpuid, pc, rtba, arg */
#define CPU_STOP                0x11    /* cpuid (CORE 1.1) */
#define CPU_YIELD               0x12    /* idle until an interrupt */
#define CPU_QCONF               0x14    /* queue, base RA, #entries */
#define CPU_QINFO               0x15    /* queue -> status, base RA, #entries */
#define CPU_MYID                0x16    /* -> status, vCPU id */
#define CPU_STATE               0x17    /* cpuid -> status, CPU_STATE_* */
#define CPU_SET_RTBA            0x18    /* rtba -> status, previous rtba */
#define CPU_GET_RTBA            0x19    /* -> status, rtba */
#define MMU_TSB_CTX0            0x20    /* #descriptors, descriptors RA */
#define MMU_TSB_CTXNON0         0x21
#define MMU_DEMAP_PAGE          0x22    /* 0, 0, va, ctx, flags */
#define MMU_DEMAP_CTX           0x23    /* 0, 0, ctx, flags */
#define MMU_DEMAP_ALL           0x24    /* 0, 0, flags */
#define MMU_MAP_PERM_ADDR       0x25    /* va, 0, tte, flags */
#define MMU_FAULT_AREA_CONF     0x26    /* RA -> status, previous RA */
#define MMU_ENABLE              0x27    /* enable, return target */
#define MMU_UNMAP_PERM_ADDR     0x28    /* va, 0, flags */
#define MMU_TSB_CTX0_INFO       0x29    /* max, buf RA -> status, #tsbs */
#define MMU_TSB_CTXNON0_INFO    0x2a
#define MMU_FAULT_AREA_INFO     0x2b    /* -> status, RA */
#define MEM_SCRUB               0x31    /* RA, len (8 KB multiples) -> status, len done */
#define MEM_SYNC                0x32    /* RA, len -> status, len done */
#define CPU_MONDO_SEND          0x42    /* #cpus, cpu list RA (u16 ids), 64 B data RA */
#define TOD_GET                 0x50    /* -> status, seconds since 1970 */
#define TOD_SET                 0x51    /* seconds */
#define CONS_GETCHAR            0x60    /* -> status, char (CONS_BREAK, CONS_HUP) */
#define CONS_PUTCHAR            0x61    /* char */
#define CONS_READ               0x62    /* buf RA, size -> status, count (CORE 1.1) */
#define CONS_WRITE              0x63    /* buf RA, size -> status, count (CORE 1.1) */
#define INTR_DEVINO2SYSINO      0xa0    /* INTR 1.0: devhandle, devino -> sysino */
#define INTR_GETENABLED         0xa1
#define INTR_SETENABLED         0xa2
#define INTR_GETSTATE           0xa3
#define INTR_SETSTATE           0xa4
#define INTR_GETTARGET          0xa5
#define INTR_SETTARGET          0xa6
#define VINTR_GET_COOKIE        0xa7    /* INTR 2.0: devhandle, devino -> status, cookie */
#define VINTR_SET_COOKIE        0xa8    /* devhandle, devino, cookie */
#define VINTR_GET_VALID         0xa9    /* devhandle, devino -> status, valid */
#define VINTR_SET_VALID         0xaa    /* devhandle, devino, valid (INTR_VALID/NOTVALID) */
#define VINTR_GET_STATE         0xab    /* devhandle, devino -> status, state */
#define VINTR_SET_STATE         0xac    /* devhandle, devino, state (INTR_IDLE/DELIVERED) */
#define VINTR_GET_TARGET        0xad    /* devhandle, devino -> status, cpuid */
#define VINTR_SET_TARGET        0xae    /* devhandle, devino, cpuid */
#define LDC_TX_QCONF            0xe0    /* channel, base RA, #entries */
#define LDC_TX_QINFO            0xe1    /* channel -> status, base RA, #entries */
#define LDC_TX_GET_STATE        0xe2    /* channel -> status, head, tail, LDC_CHANNEL_* */
#define LDC_TX_SET_QTAIL        0xe3    /* channel, tail offset */
#define LDC_RX_QCONF            0xe4
#define LDC_RX_QINFO            0xe5
#define LDC_RX_GET_STATE        0xe6
#define LDC_RX_SET_QHEAD        0xe7    /* channel, head offset */
#define LDC_SET_MAP_TABLE       0xea    /* channel, table RA, #entries */
#define LDC_GET_MAP_TABLE       0xeb
#define LDC_COPY                0xec    /* channel, dir, cookie, buf RA, len -> status, done */

/* ---- cpu_qconf queues (also the ASI_QUEUE head register VA / 16) ------------------------ */
#define CPU_MONDO_QUEUE         0x3c
#define DEV_MONDO_QUEUE         0x3d
#define RESUMABLE_ERROR_QUEUE   0x3e
#define NONRESUMABLE_ERROR_QUEUE 0x3f
#define QUEUE_ENTRY_SIZE        64      /* bytes; head/tail registers are byte offsets */

/* ---- vCPU states (cpu_state) ----------------------------------------------------------- */
#define CPU_STATE_INVALID       0
#define CPU_STATE_STOPPED       1
#define CPU_STATE_RUNNING       2
#define CPU_STATE_ERROR         3
#define CPU_STATE_SUSPENDED     4       /* internal states from here on */
#define CPU_STATE_UNCONFIGURED  5
#define CPU_STATE_STOPPING      6
#define CPU_STATE_STARTING      7

/* ---- cpu_mondo_send -------------------------------------------------------------------- */
#define CPULIST_ENTRYDONE       0xffff  /* a delivered entry of the cpu list is overwritten */
#define MONDO_DATA_SIZE         64
#define MONDO_DATA_ALIGNMENT    64

/* ---- console --------------------------------------------------------------------------- */
#define CONS_BREAK              (-1)
#define CONS_HUP                (-2)

/* ---- interrupts: vintr (INTR 2.0) states and validity ----------------------------------- */
#define INTR_NOTVALID           0
#define INTR_VALID              1
#define INTR_IDLE               0
#define INTR_RECEIVED           1
#define INTR_DELIVERED          2

/* ---- MMU map/demap flags --------------------------------------------------------------- */
#define MAP_DTLB                0x1
#define MAP_ITLB                0x2
#define MAX_PERM_MAPPINGS       8       /* mmu_map_perm_addr; more: ETOOMANY */

/* ---- mach_sir / guest start: the architected entry points of a real trap table --------- */
#define RTBA_ALIGNMENT          256     /* cpu_start/cpu_set_rtba: rtba alignment */
#define GUEST_ENTRY_OFFSET      0x20    /* PC = RTBA + 0x20 (power-on reset slot) */

#endif /* SUN4V_HYPERVISOR_H */
