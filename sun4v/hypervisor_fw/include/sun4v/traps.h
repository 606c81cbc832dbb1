/*
 * Trap types a sun4v guest's trap table (TBA) receives, and the layout of that table.
 * The hypervisor delivers some of them itself (it takes the trap and re-vectors it to
 * the guest's TBA, with the MMU fault status area filled in where noted).
 *
 * Facts: reference/sun4v.md §1.2-§1.3 (trap table layout, routing), §3 (miss path),
 * §5 (queues); UA2007 trap table via gem5 faults.cc; Sun's hypervisor
 * include/sun4v/traps.h, ontario/huron traptable.s and mmu.s.
 */
#ifndef SUN4V_TRAPS_H
#define SUN4V_TRAPS_H

/* trap table: 512 entries of 32 bytes per TL half; TBA[14] selects the TL>0 half */
#define TRAP_ENTRY_SIZE         32
#define TRAPTABLE_SIZE          (512 * TRAP_ENTRY_SIZE)    /* 16 KB per half */
#define TBA_ALIGNMENT           (2 * TRAPTABLE_SIZE)       /* 32 KB */
#define TT_OFFSET_SHIFT         5

#define TT_POR                  0x001   /* RTBA + 0x20: guest entry */
#define TT_WDR                  0x002   /* guest watchdog: RTBA + 0x40 */
#define TT_XIR                  0x003
#define TT_SIR                  0x004   /* mach_sir */
#define TT_IAX                  0x008   /* instruction_access_exception (fault area I) */
#define TT_IMMU_MISS            0x009   /* instruction_access_MMU_miss: TSBs configured,
                                           translation not found (fault area I, MISS) */
#define TT_ILLINST              0x010   /* illegal_instruction */
#define TT_PRIVOP               0x011   /* privileged_opcode */
#define TT_FP_DISABLED          0x020
#define TT_FP_IEEE              0x021
#define TT_FP_OTHER             0x022
#define TT_TAGOVF               0x023
#define TT_CLEANWIN             0x024
#define TT_DIV0                 0x028
#define TT_DAX                  0x030   /* data_access_exception (fault area D) */
#define TT_DMMU_MISS            0x031   /* data_access_MMU_miss (fault area D, MISS) */
#define TT_DAE                  0x032   /* data_access_error */
#define TT_DPROT                0x033
#define TT_ALIGN                0x034   /* mem_address_not_aligned */
#define TT_LDDF_ALIGN           0x035
#define TT_STDF_ALIGN           0x036
#define TT_PRIV_ACTION          0x037
#define TT_INTR_LEVEL(n)        (0x040 + (n))   /* interrupt_level_1..15 */
#define TT_VA_WATCHPOINT        0x062
#define TT_FAST_IMMU_MISS       0x064   /* no TSB configured, or (T1) TSB probe missed:
                                           fault area I addr/ctx */
#define TT_FAST_DMMU_MISS       0x068   /* fault area D addr/ctx */
#define TT_FAST_DMMU_PROT       0x06c   /* store to a page without W: fault area D */
#define TT_CPU_MONDO            0x07c   /* cpu mondo queue not empty */
#define TT_DEV_MONDO            0x07d   /* device mondo queue not empty */
#define TT_RESUMABLE_ERROR      0x07e
#define TT_NONRESUMABLE_ERROR   0x07f   /* delivered by the hypervisor (hvctl guest_panic:
                                           a forced-panic report, type 5, on the
                                           non-resumable error queue) */
#define TT_SPILL_0_NORMAL       0x080
#define TT_FILL_0_NORMAL        0x0c0
#define TT_TRAP_INSTRUCTION(n)  (0x100 + (n))

#define MAXTL                   6
#define MAXPTL                  2       /* a guest trap at TL = MAXPTL is a guest watchdog */
#define MAXGL                   3
#define MAXPGL                  2
#define NWINDOWS                8

/* PSTATE bits */
#define PSTATE_IE               0x002
#define PSTATE_PRIV             0x004
#define PSTATE_AM               0x008
#define PSTATE_PEF              0x010
#define PSTATE_MM_MASK          0x0c0
#define PSTATE_TLE              0x100
#define PSTATE_CLE              0x200
#define PSTATE_TCT              0x1000

/* TSTATE fields */
#define TSTATE_GL_SHIFT         40
#define TSTATE_CCR_SHIFT        32
#define TSTATE_ASI_SHIFT        24
#define TSTATE_PSTATE_SHIFT     8
#define TSTATE_CWP_MASK         0x1f

/* SOFTINT: bit 0 TICK match, bit 16 STICK match (both level 14), bits 15:1 levels */
#define SOFTINT_TM              (1 << 0)
#define SOFTINT_SM              (1 << 16)

#endif /* SUN4V_TRAPS_H */
