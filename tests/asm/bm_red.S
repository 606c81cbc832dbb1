/* RED state and error state: a trap at TL = MAXTL-1 enters RED state through the
   RSTVADDR vector table (offset 0xA0) with TL = MAXTL; a trap at TL = MAXTL enters error
   state (the simulator stops with EXIT_ERROR_STATE). Results: the log. */
#include "bm.h"
	RED_TABLE red_trap
	.text
start:
	LEAVE_RED htable, htable
	wrpr %g0, 5, %tl
	ta 0x40				/* TL 5 -> 6 = MAXTL: RED-state trap */
	ba .
	nop
red_trap:
	rdpr %tt, %g1
	LOG %g1				/* 0x140 */
	rdpr %tl, %g1
	LOG %g1				/* 6 */
	RDHPR HPSTATE, G1
	LOG %g1				/* 0x24 = RED | HPRIV */
	rdpr %gl, %g1
	LOG %g1				/* 1 */
	ta 0x41				/* at TL = MAXTL: error state */
	LOG %g1				/* never reached */
	ba .
	nop
	.align 16384
htable:
	.org htable + 0x4000
