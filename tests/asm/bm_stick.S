/* tick_cmpr and stick_cmpr interrupts at the right count, privileged mode: TICK_CMPR =
   %tick + 3000, then (from the level-14 handler) STICK_CMPR = %stick + 4000. Each match
   sets SOFTINT (TM bit 0, SM bit 16) and interrupt_level_14 is taken (PIL 0, PSTATE.ie):
   the handler's first instructions read %stick (at the trap), %tick (one step later),
   %softint. Log: tick compare value; at the tick trap: tick, stick, softint; stick
   compare value, tick at that write; at the stick trap: tick, stick, softint; then
   ta 0x85: 0x185, 2. */
#include "bm.h"
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	REAL_MAPS_ANY			/* privileged, MMU off: real addresses */
	TO_PRIV priv_start
priv_start:
	wrpr %g0, 0, %pil
	rd %tick, %l0
	sllx %l0, 1, %l0		/* the counter is bits 62:0 (63 is NPT) */
	srlx %l0, 1, %l0
	add %l0, 3000, %l1
	wr %l1, %asr23			/* TICK_CMPR */
	LOG %l1
	wrpr %g0, 0x16, %pstate		/* PRIV | IE | PEF */
1:	ba 1b
	inc %l5

level14:				/* %stick (%g2), %tick, %softint read at the trap */
	LOG %g1
	LOG %g2
	LOG %g3
	btst 1, %g3
	bz 2f
	nop
	wr %g0, 1, %asr21		/* clear SOFTINT.TM */
	rd %asr24, %g2
	rd %tick, %g1
	sllx %g2, 1, %g2
	srlx %g2, 1, %g2
	set 4000, %g4
	add %g2, %g4, %g2
	wr %g2, %asr25			/* STICK_CMPR */
	LOG %g2
	LOG %g1
	retry
2:	sethi %hi(0x10000), %g4
	wr %g4, %asr21			/* clear SOFTINT.SM */
	ta 0x85				/* to the hypervisor: power off */
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x185, hv_off
	.align 32768
ptable:
	.org ptable + (0x4e << 5)	/* interrupt_level_14: first read the counters */
	rd %asr24, %g2			/* %stick at the trap */
	rd %tick, %g1			/* %tick one step later */
	ba level14
	rd %asr22, %g3			/* %softint */
	.org ptable + 0x8000
