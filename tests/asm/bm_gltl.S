/* Global register sets switched by GL (by wrpr and by trap entry / done), GL and TL
   write caps (MAXGL/MAXTL in hyperprivileged mode, MAXPGL/MAXPTL in privileged mode),
   and the guest watchdog: a privileged trap at TL = MAXPTL goes to the hypervisor as
   TT 0x002. Results: the log. */
#include "bm.h"
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	REAL_MAPS
	wrpr %g0, 0, %gl
	mov 0x11, %g4
	wrpr %g0, 1, %gl
	mov 0x22, %g4
	wrpr %g0, 2, %gl
	mov 0x33, %g4
	wrpr %g0, 3, %gl
	mov 0x44, %g4
	wrpr %g0, 0, %gl
	LOG %g4				/* 0x11 */
	wrpr %g0, 2, %gl
	LOG %g4				/* 0x33 */
	wrpr %g0, 7, %gl		/* hyperprivileged: capped at MAXGL 3 */
	rdpr %gl, %l0
	LOG %l0				/* 3 */
	LOG %g4				/* 0x44 */
	wrpr %g0, 7, %tl		/* capped at MAXTL 6 */
	rdpr %tl, %l0
	wrpr %g0, 0, %tl
	LOG %l0				/* 6 */
	wrpr %g0, 0, %gl
	TO_PRIV priv_start
priv_start:
	LOG %g4				/* 0x11: GL 0 set again */
	wrpr %g0, 3, %gl		/* privileged: capped at MAXPGL 2 */
	rdpr %gl, %l0
	wrpr %g0, 0, %gl
	LOG %l0				/* 2 */
	wrpr %g0, 5, %tl		/* privileged: capped at MAXPTL 2 */
	rdpr %tl, %l0
	wrpr %g0, 0, %tl
	LOG %l0				/* 2 */
	mov 0x55, %g4
	ta 0x30				/* handler at GL 1 logs its %g4 (0x22) */
	LOG %g4				/* 0x55 after done */
	wrpr %g0, 2, %tl		/* TL = MAXPTL */
	ta 0x31				/* -> guest_watchdog 0x002 to the HV */
	rdpr %tl, %l0
	LOG %l0				/* 2 (done from the HV returned to TL 2) */
	wrpr %g0, 0, %tl
	ta 0x85

gl_show:
	LOG %g4
	rdpr %gl, %g2
	LOG %g2
	done
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x002, hv_rec
	ENTRY htable, 0x185, hv_off
	.align 32768
ptable:
	ENTRY ptable, 0x130, gl_show
	.org ptable + 0x8000
