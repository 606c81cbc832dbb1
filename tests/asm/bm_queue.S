/* Mondo and error queues (ASI 0x25; reference/sun4v.md §5): the hypervisor writes a
   queue's tail; the guest, in privileged mode with PSTATE.ie = 1, takes cpu_mondo (0x7C),
   dev_mondo (0x7D) or resumable_error (0x7E) as soon as head != tail, at the first
   instruction boundary after the write (the `done` that enters the guest). Its handler
   logs TT, TL and the tail, and catches up the head. A non-resumable error tail raises
   nothing. Log: 0x7c 1 0x40; 0x7d 1 0x80; 0x7e 1 0xc0; then the guest's count of
   instructions run with the non-resumable queue non-empty (3); 0x185 1. */
#include "bm.h"
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	REAL_MAPS_ANY
	TO_PRIV guest
guest:
	wrpr %g0, 0x16, %pstate		/* PRIV | IE | PEF */
	ta 0x90				/* HV: cpu mondo tail = 0x40 */
	ta 0x91				/* HV: dev mondo tail = 0x80 */
	ta 0x92				/* HV: resumable error tail = 0xc0 */
	ta 0x93				/* HV: non-resumable error tail = 0x40: no trap */
	clr %l5
	inc %l5
	inc %l5
	inc %l5
	LOG %l5
	ta 0x85

	.macro SET_TAIL va, value
	mov \va, %g1
	mov \value, %g2
	stxa %g2, [%g1] 0x25
	done
	.endm
hv_cpu:	SET_TAIL 0x3c8, 0x40
hv_dev:	SET_TAIL 0x3d8, 0x80
hv_res:	SET_TAIL 0x3e8, 0xc0
hv_nres: SET_TAIL 0x3f8, 0x40

/* guest handler: log TT, TL, the tail; head = tail; retry */
	.macro QHANDLER head
	rdpr %tt, %g1
	LOG %g1
	rdpr %tl, %g1
	LOG %g1
	mov \head + 8, %g1
	ldxa [%g1] 0x25, %g2
	LOG %g2
	mov \head, %g1
	stxa %g2, [%g1] 0x25
	retry
	.endm
g_cpu:	QHANDLER 0x3c0
g_dev:	QHANDLER 0x3d0
g_res:	QHANDLER 0x3e0
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x185, hv_off
	ENTRY htable, 0x190, hv_cpu
	ENTRY htable, 0x191, hv_dev
	ENTRY htable, 0x192, hv_res
	ENTRY htable, 0x193, hv_nres
	.align 32768
ptable:
	ENTRY ptable, 0x7c, g_cpu
	ENTRY ptable, 0x7d, g_dev
	ENTRY ptable, 0x7e, g_res
	.org ptable + 0x8000
