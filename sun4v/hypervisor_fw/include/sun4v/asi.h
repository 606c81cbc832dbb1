/*
 * Address space identifiers and internal register addresses a sun4v guest (privileged
 * mode) may use.  ASIs 0x30-0x7f are hyperprivileged: a guest access takes
 * privileged_action (0x37), which the hypervisor re-vectors to the guest.
 *
 * Facts: reference/sun4v.md §3, §5, §7; UA2007 ASI table; Sun's hypervisor
 * include/sun4v/asi.h and queue.h; Linux arch/sparc/include/asm/asi.h.
 */
#ifndef SUN4V_ASI_H
#define SUN4V_ASI_H

#define ASI_NUCLEUS             0x04
#define ASI_AIUP                0x10    /* as if user, primary */
#define ASI_AIUS                0x11
#define ASI_REAL                0x14    /* real address (MMU bypass for the guest) */
#define ASI_REAL_IO             0x15
#define ASI_REAL_LITTLE         0x1c
#define ASI_SCRATCHPAD          0x20    /* 8 guest scratchpad registers, VA 0x00-0x38 */
#define ASI_MMU_CONTEXTID       0x21    /* primary context VA 0x8, secondary VA 0x10 */
#define ASI_QUEUE               0x25    /* interrupt queue head/tail registers */
#define ASI_QUAD_LDD_REAL       0x26    /* 128-bit atomic load, real */
#define ASI_QUAD_LDD            0x27    /* 128-bit atomic load, nucleus */
#define ASI_PRIMARY             0x80
#define ASI_SECONDARY           0x81
#define ASI_PRIMARY_NOFAULT     0x82
#define ASI_BLK_P               0xf0

/* ASI_MMU_CONTEXTID */
#define MMU_PCONTEXT            0x08
#define MMU_SCONTEXT            0x10

/* ASI_QUEUE register addresses (head: guest writes; tail: written by the hypervisor) */
#define CPU_MONDO_QUEUE_HEAD    0x3c0
#define CPU_MONDO_QUEUE_TAIL    0x3c8
#define DEV_MONDO_QUEUE_HEAD    0x3d0
#define DEV_MONDO_QUEUE_TAIL    0x3d8
#define RESUMABLE_QUEUE_HEAD    0x3e0
#define RESUMABLE_QUEUE_TAIL    0x3e8
#define NONRESUMABLE_QUEUE_HEAD 0x3f0
#define NONRESUMABLE_QUEUE_TAIL 0x3f8

#endif /* SUN4V_ASI_H */
