/* Assembler definitions of the hypervisor: offsets into struct strand (hv.h; checked at
   build time by offsets.c), register encodings the assembler lacks. */
#ifndef HV_ASM_H
#define HV_ASM_H

	.register %g2, #scratch
	.register %g3, #scratch
	.register %g6, #scratch
	.register %g7, #scratch

#define ASI_HSCRATCHPAD     0x4f
#define ASI_QUEUE           0x25
#define ASI_MMU_CTX         0x21
#define ASI_LSU_CTL         0x45
#define ASI_DMMU            0x58
#define ASI_IMMU_DEMAP      0x57
#define ASI_DMMU_DEMAP      0x5f
#define ASI_SCRATCHPAD      0x20
#define HPSTATE_HPRIV       0x4
#define BIAS                2047
#define FRAME               192

#include "layout.h"

	.section .note.GNU-stack, "", @progbits
	.text

/* wrhpr %g0, %hpr30: T2 strand halt (the assembler has no name for it) */
#define HALT_T2             .word 0xbd980000

#endif
