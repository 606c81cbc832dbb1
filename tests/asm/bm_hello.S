/* Power-on reset state, HVER, UART output and power-off. */
#include "bm.h"
	RED_TABLE
	.text
start:
	rdpr %tl, %l0
	RES 0, %l0
	rdpr %gl, %l0
	RES 1, %l0
	RDHPR HPSTATE, L0
	RES 2, %l0
	rdpr %pstate, %l0
	RES 3, %l0
	rdpr %tt, %l0
	RES 4, %l0
	RDHPR HVER, L0
	RES 5, %l0
	LA msg, %l1, %g1
1:	ldub [%l1], %l2
	brz %l2, 2f
	nop
	PUTC %l2
	ba 1b
	inc %l1
2:	setx UART, %g1, %l3
	ldub [%l3 + 5], %l4		/* LSR */
	RES 6, %l4
	ldsb [%l3 + 5], %l4
	RES 7, %l4
	POWEROFF 0x2a
msg:	.asciz "hello, sun4v\n"
