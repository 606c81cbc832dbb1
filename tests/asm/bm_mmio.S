/* Load and store forms on devices (full-system machine): the TOD (8-byte seconds) and the
   hypervisor UART (byte registers). Log: ldx TOD; ldxa TOD little-endian (ASI 0x88);
   lduw TOD+4; ldsb UART MSR (0xb0, sign-extended); ldub UART LSR; ldf TOD+4 (stored from
   %f1); stdf %f2 (= 0x1122334455667788) to the TOD then ldx TOD; ldd TOD (not a device
   form: data_access_exception 0x30); ldxa ASI 0x41 VA 0 (T2: CORE_AVAILABLE; T1: 0x30).
   Then 0x185, 1. */
#include "bm.h"
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	wr %g0, 4, %fprs
	setx TOD, %g1, %l0
	ldx [%l0], %l1
	LOG %l1
	ldxa [%l0] 0x88, %l1
	LOG %l1
	lduw [%l0 + 4], %l1
	LOG %l1
	setx UART, %g1, %l2
	ldsb [%l2 + 6], %l1
	LOG %l1
	ldub [%l2 + 5], %l1
	LOG %l1
	ld [%l0 + 4], %f1
	sethi %hi(RESULTS), %l3
	st %f1, [%l3 + 0x100]
	lduw [%l3 + 0x100], %l1
	LOG %l1
	setx 0x1122334455667788, %g1, %l1
	stx %l1, [%l3 + 0x108]
	ldd [%l3 + 0x108], %f2
	std %f2, [%l0]
	ldx [%l0], %l1
	LOG %l1
	ldd [%l0], %l4			/* 0x30 */
	ldxa [%g0] 0x41, %l1		/* T2: all strands; T1: 0x30 */
	LOG %l1
	ta 0x85
log_done:
	rdpr %tt, %g1
	LOG %g1
	clr %l1
	done
	RECORDERS
	.align 16384
htable:
	ENTRY htable, 0x30, log_done
	ENTRY htable, 0x32, log_done
	ENTRY htable, 0x185, hv_off
	.align 32768
ptable:
	.org ptable + 0x8000
