/* Trap entry and return: Tcc to the privileged and hyperprivileged levels, vectoring
   through HTBA and TBA (with the TL>0 half), privileged_opcode from user mode,
   privileged_action for a restricted ASI, illegal_instruction for rdhpr in privileged
   mode, done (skip) and retry (re-execute). Results: the log (see bm.h LOG). */
#include "bm.h"
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	REAL_MAPS
	ta 0x10				/* hyperprivileged Tcc: HV table, TT 0x110 */
	TO_PRIV priv_start
priv_start:
	ta 0x20				/* -> priv 0x120, which nests ta 0x21 (TL>0 half) */
	ta 0x81				/* privileged Tcc >= 0x80 -> HV 0x181 */
	RDHPR HPSTATE, L0		/* illegal_instruction in privileged mode -> HV 0x10 */
	mov 42, %l0
	mov 0, %l1
	udivx %l0, %l1, %l2		/* division_by_zero 0x28: handler sets %l1 = 7, retry */
	LOG %l2
	wrpr %g0, 0x10, %pstate		/* to user mode */
	rdpr %tl, %l3			/* privileged_opcode 0x11 -> priv */
	ldxa [%g0] 0x20, %l3		/* privileged_action 0x37 -> HV */
	rd %pc, %l4
	LOG %l4
	ta 0x23				/* -> priv 0x123 -> ta 0x85 -> HV: power off */
	ba .
	nop

priv_nest:
	rdpr %tt, %g1
	LOG %g1
	rdpr %tl, %g1
	LOG %g1
	rdpr %gl, %g1
	LOG %g1
	rdpr %pstate, %g1
	LOG %g1
	ta 0x21
	done
div_fix:
	rdpr %tt, %g1
	LOG %g1
	mov 7, %l1
	retry
priv_off:
	ta 0x85
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x10, hv_rec
	ENTRY htable, 0x37, hv_rec
	ENTRY htable, 0x110, hv_rec
	ENTRY htable, 0x181, hv_rec
	ENTRY htable, 0x185, hv_off
	.align 32768
ptable:
	ENTRY ptable, 0x11, priv_rec
	ENTRY ptable, 0x28, div_fix
	ENTRY ptable, 0x120, priv_nest
	ENTRY ptable, 0x123, priv_off
	ENTRY ptable, 0x200 + 0x121, priv_rec	/* TL>0 half */
	.org ptable + 0x8000
