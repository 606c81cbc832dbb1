/* Register windows in privileged mode with architectural spill (0x80), fill (0xC0) and
   clean_window (0x24) traps handled by this program's trap table: a recursion 40 deep
   (sum 1..40 = 820), counts of each trap kind, and a cleaned window reads zero. */
#include "bm.h"
#include "../../sun4v/fwlib/windows.h"
#define BIAS 2047
#define CNT  (RESULTS + 0x100)		/* spill, fill, clean counters */
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	REAL_MAPS
	/* dirty every window's locals */
	mov 0, %l7
1:	wrpr %l7, %cwp
	setx 0xdeadbeef, %g1, %l3
	cmp %l7, 7
	bne 1b
	inc %l7
	wrpr %g0, 0, %cwp
	TO_PRIV priv_start
priv_start:
	wrpr %g0, 0, %cleanwin		/* every new window must be cleaned */
	wrpr %g0, 6, %cansave
	wrpr %g0, 0, %canrestore
	wrpr %g0, 0, %otherwin
	wrpr %g0, 0, %wstate
	setx (STACK_TOP - BIAS - 192), %g1, %sp
	save %sp, -192, %sp		/* clean_window trap, then the new window */
	LOG %l3				/* 0: cleaned */
	mov 40, %o0
	call sum
	nop
	LOG %o0				/* 820 */
	restore
	set CNT, %g1
	ldx [%g1], %g2
	LOG %g2				/* spills */
	ldx [%g1 + 8], %g2
	LOG %g2				/* fills */
	ldx [%g1 + 16], %g2
	LOG %g2				/* cleans */
	rdpr %cansave, %g2
	LOG %g2
	rdpr %canrestore, %g2
	LOG %g2
	rdpr %cleanwin, %g2
	LOG %g2
	rdpr %cwp, %g2
	LOG %g2
	ta 0x85

sum:	save %sp, -192, %sp
	cmp %i0, 0
	be 1f
	nop
	call sum
	sub %i0, 1, %o0
	add %o0, %i0, %i0
	ret
	restore
1:	ret
	restore %g0, 0, %o0

spill:	WIN_STORE_64 BIAS
	saved
	set CNT, %g1
	ldx [%g1], %g2
	inc %g2
	stx %g2, [%g1]
	retry
fill:	WIN_LOAD_64 BIAS
	restored
	set CNT, %g1
	ldx [%g1 + 8], %g2
	inc %g2
	stx %g2, [%g1 + 8]
	retry
clean:	WIN_CLEAR_LOCALS
	WIN_CLEAR_OUTS
	rdpr %cleanwin, %g2
	inc %g2
	wrpr %g2, %cleanwin
	set CNT, %g1
	ldx [%g1 + 16], %g2
	inc %g2
	stx %g2, [%g1 + 16]
	retry
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x185, hv_off
	.align 32768
ptable:
	ENTRY ptable, 0x24, clean
	ENTRY ptable, 0x80, spill
	ENTRY ptable, 0xc0, fill
	.org ptable + 0x8000
