/* The guest kernel's trap table (%tba), at the start of the image (layout.h).

   A trap to privileged mode vectors to TBA + (TL > 0 ? 16 KB : 0) + TT * 32 (reference
   sun4v.md §1.2): 512 entries of 8 instructions per half. Window spill/fill, clean
   window and the fast MMU misses own 4 consecutive entries ("BIG" handlers, 32
   instructions), as the architecture leaves room for.

   TL = 0 half (traps from the kernel running at TL 0):
     0x001            the hypervisor's guest entry (RTBA + 0x20): boot.S
     0x009 0x031      instruction/data_access_MMU_miss  (hypervisor: TSB walk missed)
     0x064 0x068      fast_instruction/data_access_MMU_miss      } kmiss (trap.S): the
                                                                 } kernel's linear map
     0x024            clean_window: clear the new window's locals and outs
     0x041-0x04f      interrupt_level_n (14: %stick compare = the scheduler's clock)
     0x07c 0x07d 0x07e  cpu mondo, device mondo, resumable error queues
     0x080 / 0x0c0    spill_0_normal / fill_0_normal: 64-bit windows, biased stack
     0x084 / 0x0c4    spill_1_normal / fill_1_normal: the same for the program's windows
                      (%wstate 1 while a program thread runs in user mode, and until
                      trap_enter has flushed its windows): stored and loaded as if user
                      through the secondary context, the program's address space
     0x150 0x152 0x153  the kernel's software traps (yield, sleep, exit)
     others           trap_enter -> trap_dispatch, which reports and stops the domain
   TL > 0 half: the MMU misses (the trap entry path touches the stack at TL 1) go to
   kmiss; anything else is fatal (fatal_tl). */
#include "layout.h"
#include "windows.h"

	.register %g2, #scratch
	.register %g3, #scratch

/* an entry that branches to `target` with %g1 = `g1` */
	.macro TO target, g1=0
	ba \target
	 mov \g1, %g1
	.align 32
	.endm

	.macro TO_N n, target
	.rept \n
	TO \target
	.endr
	.endm

/* clean_window: the new window may hold another context's values; clear it */
	.macro CLEAN_WINDOW
	WIN_CLEAR_LOCALS
	WIN_CLEAR_OUTS
	rdpr %cleanwin, %g1
	inc %g1
	wrpr %g1, %cleanwin
	retry
	.align 128
	.endm

/* spill/fill of a 64-bit window whose %sp carries the stack bias */
	.macro SPILL_64
	WIN_STORE_64 STACK_BIAS
	saved
	retry
	.align 128
	.endm

	.macro FILL_64
	WIN_LOAD_64 STACK_BIAS
	restored
	retry
	.align 128
	.endm

/* the program's windows: ASI_AIUS (%asi is part of TSTATE: retry restores it) */
	.macro SPILL_64_USER
	wr %g0, ASI_AIUS, %asi
	stxa %l0, [%sp + STACK_BIAS + 0] %asi
	stxa %l1, [%sp + STACK_BIAS + 8] %asi
	stxa %l2, [%sp + STACK_BIAS + 16] %asi
	stxa %l3, [%sp + STACK_BIAS + 24] %asi
	stxa %l4, [%sp + STACK_BIAS + 32] %asi
	stxa %l5, [%sp + STACK_BIAS + 40] %asi
	stxa %l6, [%sp + STACK_BIAS + 48] %asi
	stxa %l7, [%sp + STACK_BIAS + 56] %asi
	stxa %i0, [%sp + STACK_BIAS + 64] %asi
	stxa %i1, [%sp + STACK_BIAS + 72] %asi
	stxa %i2, [%sp + STACK_BIAS + 80] %asi
	stxa %i3, [%sp + STACK_BIAS + 88] %asi
	stxa %i4, [%sp + STACK_BIAS + 96] %asi
	stxa %i5, [%sp + STACK_BIAS + 104] %asi
	stxa %i6, [%sp + STACK_BIAS + 112] %asi
	stxa %i7, [%sp + STACK_BIAS + 120] %asi
	saved
	retry
	.align 128
	.endm

	.macro FILL_64_USER
	wr %g0, ASI_AIUS, %asi
	ldxa [%sp + STACK_BIAS + 0] %asi, %l0
	ldxa [%sp + STACK_BIAS + 8] %asi, %l1
	ldxa [%sp + STACK_BIAS + 16] %asi, %l2
	ldxa [%sp + STACK_BIAS + 24] %asi, %l3
	ldxa [%sp + STACK_BIAS + 32] %asi, %l4
	ldxa [%sp + STACK_BIAS + 40] %asi, %l5
	ldxa [%sp + STACK_BIAS + 48] %asi, %l6
	ldxa [%sp + STACK_BIAS + 56] %asi, %l7
	ldxa [%sp + STACK_BIAS + 64] %asi, %i0
	ldxa [%sp + STACK_BIAS + 72] %asi, %i1
	ldxa [%sp + STACK_BIAS + 80] %asi, %i2
	ldxa [%sp + STACK_BIAS + 88] %asi, %i3
	ldxa [%sp + STACK_BIAS + 96] %asi, %i4
	ldxa [%sp + STACK_BIAS + 104] %asi, %i5
	ldxa [%sp + STACK_BIAS + 112] %asi, %i6
	ldxa [%sp + STACK_BIAS + 120] %asi, %i7
	restored
	retry
	.align 128
	.endm

	.section .text.traptable, "ax"
	.align 32768
	.globl trap_table, trap_table_end
trap_table:
/* ---- TL = 0 ------------------------------------------------------------------------ */
	TO trap_enter				/* 0x000 */
	TO boot_entry				/* 0x001 power-on reset slot: guest entry */
	TO_N 0x009 - 0x002, trap_enter		/* 0x002-0x008 */
	TO kmiss, MAP_ITLB			/* 0x009 instruction_access_MMU_miss */
	TO_N 0x024 - 0x00a, trap_enter		/* 0x00a-0x023 */
	CLEAN_WINDOW				/* 0x024-0x027 */
	TO_N 0x031 - 0x028, trap_enter		/* 0x028-0x030 */
	TO kmiss, MAP_DTLB			/* 0x031 data_access_MMU_miss */
	TO_N 0x064 - 0x032, trap_enter		/* 0x032-0x063 (0x041-0x04f: interrupts) */
	TO kmiss, MAP_ITLB			/* 0x064 fast_instruction_access_MMU_miss */
	TO_N 3, trap_enter
	TO kmiss, MAP_DTLB			/* 0x068 fast_data_access_MMU_miss */
	TO_N 3, trap_enter
	TO_N 0x080 - 0x06c, trap_enter		/* 0x06c-0x07f (0x07c-0x07e: queues) */
	SPILL_64				/* 0x080-0x083 spill_0_normal */
	SPILL_64_USER				/* 0x084-0x087 spill_1_normal */
	TO_N 0x0c0 - 0x088, trap_enter		/* 0x088-0x0bf */
	FILL_64					/* 0x0c0-0x0c3 fill_0_normal */
	FILL_64_USER				/* 0x0c4-0x0c7 fill_1_normal */
	TO_N 0x200 - 0x0c8, trap_enter		/* 0x0c8-0x1ff (0x150-0x153: ours) */

/* ---- TL > 0 ------------------------------------------------------------------------ */
	TO_N 0x009, fatal_tl			/* 0x000-0x008 */
	TO kmiss, MAP_ITLB			/* 0x009 */
	TO_N 0x031 - 0x00a, fatal_tl
	TO kmiss, MAP_DTLB			/* 0x031 */
	TO_N 0x064 - 0x032, fatal_tl
	TO kmiss, MAP_ITLB			/* 0x064 */
	TO_N 3, fatal_tl
	TO kmiss, MAP_DTLB			/* 0x068 */
	TO_N 3, fatal_tl
	TO_N 0x200 - 0x06c, fatal_tl
trap_table_end:				/* guest.ld checks it is 32 KB */

	.section .note.GNU-stack, "", @progbits
