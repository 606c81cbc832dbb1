/* Start-up and hyperprivileged trap table of the freestanding C test programs.

   Every strand arrives at _start from the reset stub, in RED state at TL = MAXTL. It
   leaves RED state (TL = GL = 0, HPSTATE = HPRIV, T1 keeping bit 11), sets HTBA to the
   table below, takes a 16 KB stack by strand id (T1: %asr26; T2: ASI 0x63), resets its
   register windows and calls main(id). When main returns, the machine powers off with
   main's value (Legion's magic exit, ta 0x71 with %o0).

   Trap table (HTBA): window spill/fill (normal, 64-bit, stack bias 2047) and
   clean_window are handled here; interrupt_vector (0x60), hstick_match (0x5E) and
   trap_level_zero (0x5F) call the C function `interrupt(tt)` on the interrupted stack
   (weak: a program without one powers off with 0xEE) and retry; any other trap calls
   `trap(tt, tpc)` (weak default: power off with 0xE0 | (tt & 0xF)). */
#include "../asm/bm.h"
#include "../../sun4v/fwlib/windows.h"

#define STACKS    0x800000          /* top of strand 0's stack; strand n: - n * 16 KB */
#define BIAS      2047

	.section .text.start, "ax"
	.globl _start
_start:
	wrpr %g0, 0, %tl
	wrpr %g0, 0, %gl
	RDHPR HPSTATE, G1
	set 0x800, %g2
	and %g1, %g2, %g1		/* keep T1's bit 11 */
	or %g1, 4, %g1			/* HPRIV */
	WRHPR G1, HPSTATE
	setx htable, %g2, %g1
	WRHPR G1, HTBA
	/* strand id: T1 (HVER.impl 0x23) %asr26 bits 12:8, T2 ASI 0x63 VA 0x10 */
	RDHPR HVER, G1
	srlx %g1, 32, %g1
	and %g1, 0xff, %g1
	cmp %g1, 0x23
	bne 1f
	mov 0x10, %g2
	rd %asr26, %g3
	srlx %g3, 8, %g3
	ba 2f
	and %g3, 0x1f, %g3
1:	ldxa [%g2] 0x63, %g3
	and %g3, 0xff, %g3
2:	setx STACKS, %g2, %g1
	sllx %g3, 14, %g2
	sub %g1, %g2, %g1
	sub %g1, BIAS + 192, %sp
	wrpr %g0, 0, %cwp
	wrpr %g0, 6, %cansave
	wrpr %g0, 0, %canrestore
	wrpr %g0, 0, %otherwin
	wrpr %g0, 7, %cleanwin
	wrpr %g0, 0, %wstate
	wrpr %g0, 0x14, %pstate		/* PRIV | PEF, interrupts off */
	wr %g0, 4, %fprs
	call main
	mov %g3, %o0
	ta %xcc, MAGIC_EXIT		/* power off with main's value (%o0) */
	ba .
	nop

/* interrupt(tt) on the interrupted stack, then retry the interrupted instruction. The
   trap table entry read %stick (%g1, its first instruction) and %tick (%g2, its second):
   they are kept in trap_stick and trap_tick. */
call_interrupt:
	sethi %hi(trap_stick), %g3
	stx %g1, [%g3 + %lo(trap_stick)]
	sethi %hi(trap_tick), %g3
	stx %g2, [%g3 + %lo(trap_tick)]
	save %sp, -192, %sp
	call interrupt
	rdpr %tt, %o0
	restore
	retry

call_trap:
	save %sp, -192, %sp
	rdpr %tt, %o0
	call trap
	rdpr %tpc, %o1
	restore
	done

	.weak interrupt
interrupt:
	mov 0xee, %o0
	ta %xcc, MAGIC_EXIT

	.weak trap
trap:
	and %o0, 0xf, %o0
	or %o0, 0xe0, %o0
	ta %xcc, MAGIC_EXIT

/* ---- the hyperprivileged trap table ------------------------------------------------ */
	.macro OTHER n
	.rept \n
	ba call_trap
	nop
	.align 32
	.endr
	.endm

	.align 16384
htable:
	OTHER 0x24
	/* 0x24 clean_window: clear the new window's locals and outs */
	ba clean
	nop
	.align 32
	OTHER (0x5e - 0x25)
	rd %asr24, %g1			/* 0x5E hstick_match */
	ba call_interrupt
	rd %tick, %g2
	.align 32
	rd %asr24, %g1			/* 0x5F trap_level_zero */
	ba call_interrupt
	rd %tick, %g2
	.align 32
	rd %asr24, %g1			/* 0x60 interrupt_vector */
	ba call_interrupt
	rd %tick, %g2
	.align 32
	OTHER (0x80 - 0x61)
	/* 0x80 spill_0_normal (4 entries) */
	WIN_STORE_64 BIAS
	saved
	retry
	.align 128
	OTHER (0xc0 - 0x84)
	/* 0xC0 fill_0_normal (4 entries) */
	WIN_LOAD_64 BIAS
	restored
	retry
	.align 128
	OTHER (0x200 - 0xc4)

clean:
	WIN_CLEAR_LOCALS
	WIN_CLEAR_OUTS
	rdpr %cleanwin, %g1
	inc %g1
	wrpr %g1, %cleanwin
	retry
	.section ".bss"
	.align 8
	.globl trap_stick, trap_tick
trap_stick:
	.skip 8
trap_tick:
	.skip 8
	.section .note.GNU-stack, "", @progbits
