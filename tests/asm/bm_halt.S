/* The only running strand halts with no interrupt to come: the machine is idle (T1
   %asr26 ACTIVE = 0, T2 wrhpr %hpr30). */
#include "bm.h"
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	RDHPR HVER, L0
	srlx %l0, 32, %l0
	and %l0, 0xff, %l0
	cmp %l0, 0x23
	bne 1f
	nop
	wr %g0, 0, %asr26		/* T1 */
	ba 2f
	nop
1:	WRHPR G0, HPR30			/* T2 */
2:	POWEROFF 0x77			/* not reached */
	.align 16384
htable:
	.align 32768
ptable:
	.org ptable + 0x8000
