/* The hypervisor's reset entry.  Every strand arrives here from the reset vector
   (0xFF_F000_0020; the loader's stub jumps to _start) in RED state at TL = MAXTL with
   the hypervisor's ELF already in memory (sun4v boot loads it, as the service
   processor loads firmware).  The first strand to arrive (strand 0, the only one
   running after power-on reset) clears the hypervisor's BSS and becomes the master;
   the others are started by the master later (chip.c strand_start).

   Each strand: leaves RED state (TL = GL = 0, HPSTATE = HPRIV, keeping T1's bit 11),
   points HTBA at the hypervisor's trap table, finds its strand id (T1 %asr26 bits 12:8,
   T2 ASI 0x63 VA 0x10), puts &strands[id] in hyperprivileged scratchpad 0 (ASI 0x4F
   VA 0), takes its stack and calls hv_strand_main(id, not_master) (main.c), which
   never returns. */
#include "asm.h"

	.section .text.start, "ax"
	.globl _start
_start:
	wrpr	%g0, 0, %tl
	wrpr	%g0, 0, %gl
	rdhpr	%hpstate, %g1
	set	0x800, %g2
	and	%g1, %g2, %g1			/* keep T1's bit 11 */
	or	%g1, HPSTATE_HPRIV, %g1
	wrhpr	%g1, %hpstate
	setx	htraptable, %g2, %g1
	wrhpr	%g1, %htba
	wrpr	%g0, 0x4, %pstate		/* PRIV, interrupts off, no FP */
	wrpr	%g0, 0, %cwp
	wrpr	%g0, 6, %cansave
	wrpr	%g0, 0, %canrestore
	wrpr	%g0, 0, %otherwin
	wrpr	%g0, 7, %cleanwin
	wrpr	%g0, 0, %wstate
	/* strand id: T1 (HVER.impl 0x23) %asr26 bits 12:8; T2 ASI 0x63 VA 0x10 */
	rdhpr	%hver, %g1
	srlx	%g1, 32, %g1
	and	%g1, 0xff, %g1
	cmp	%g1, 0x23
	bne	%xcc, 1f
	mov	0x10, %g2
	rd	%asr26, %g3
	srlx	%g3, 8, %g3
	ba	%xcc, 2f
	and	%g3, 0x1f, %g3
1:	ldxa	[%g2] 0x63, %g3
	and	%g3, 0xff, %g3
2:	/* the first strand here clears the BSS (the others wait until it has) */
	setx	boot_master, %g2, %g1
	mov	1, %g4
	casx	[%g1], %g0, %g4
	mov	%g4, %o1			/* hv_strand_main's second argument */
	brnz	%g4, 4f
	nop
	setx	__bss_start, %g2, %g4
	setx	__bss_end, %g2, %g5
3:	cmp	%g4, %g5
	bgeu	%xcc, 4f
	nop
	stx	%g0, [%g4]
	ba	%xcc, 3b
	add	%g4, 8, %g4
4:	/* &strands[id] -> HSCRATCH0; stack */
	setx	strands, %g2, %g1
	set	STRAND_SIZE, %g2
	mulx	%g3, %g2, %g2
	add	%g1, %g2, %g1
	stxa	%g1, [%g0] ASI_HSCRATCHPAD
	setx	strand_stacks, %g2, %g4
	set	STRAND_STACK_SIZE, %g2
	add	%g3, 1, %g5
	mulx	%g5, %g2, %g5
	add	%g4, %g5, %g4
	sub	%g4, BIAS + FRAME, %sp
	stx	%sp, [%g1 + S_STACK]
	mov	%g0, %fp
	call	hv_strand_main
	mov	%g3, %o0
	/* not reached */
	ba	%xcc, .
	nop

	.section .data
	.align 8
	.globl boot_master
boot_master:
	.xword 0

	.section .stacks, "aw", @nobits
	.align 16
	.globl strand_stacks
strand_stacks:
	.skip STRAND_STACK_SIZE * NSTRANDS_MAX
