/* Bus errors and device access forms (full-system machine): an access to a physical
   address with no memory, a store to the boot ROM and an 8-byte load from a byte-wide
   UART register are data_access_error (0x32); an atomic on a device is
   data_access_exception (0x30) with the D-SFSR fault type "uncacheable atomic"; a jump
   to an address with no memory is instruction_access_error (0x0A) there.
   Log: 0x32, 0x32, 0x32, 0x30, D-SFSR, 0x0A, TPC, then 0x185 2 from the power-off. */
#include "bm.h"
#define NOWHERE 0x4000000000		/* 256 GB: beyond a T2000's 64 GB of RAM */
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	setx NOWHERE, %g1, %l0
	ldx [%l0], %l1			/* 0x32 */
	setx 0xfff0000100, %g1, %l0
	stx %g0, [%l0]			/* 0x32: the ROM is read only */
	setx UART, %g1, %l0
	ldx [%l0], %l1			/* 0x32: UART registers are bytes */
	casx [%l0], %g0, %l1		/* 0x30 */
	mov 0x18, %g1
	ldxa [%g1] 0x58, %l2		/* D-SFSR */
	LOG %l2
	setx NOWHERE, %g1, %l0
	jmpl %l0, %g0			/* 0x0A at NOWHERE */
	nop
back:	ta 0x85

log_done:
	rdpr %tt, %g1
	LOG %g1
	done
fetch_err:
	rdpr %tt, %g1
	LOG %g1
	rdpr %tpc, %g1
	LOG %g1
	LA back, %g1, %g2
	wrpr %g1, %tpc
	add %g1, 4, %g1
	wrpr %g1, %tnpc
	retry
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x0a, fetch_err
	ENTRY htable, 0x30, log_done
	ENTRY htable, 0x32, log_done
	ENTRY htable, 0x185, hv_off
	.align 32768
ptable:
	.org ptable + 0x8000
