/* Stale translations must not survive in the strands' translation caches (sun4v/cmt/
   mmu.py): privileged code with both MMUs on, partition 1, context 5, runs at VA CVA +
   its ROM offset (ITLB entries for contexts 5 and 6 and a real one); each scenario uses
   a translation (cached by the first access), changes what the architecture says may
   change it, and uses it again. An unexpected trap is logged and powers off (0xEE). The hypervisor does what privileged code cannot (ta
   0x90-0x97) and logs what the privileged code hands it in %o0 (ta 0x9F).

   S1 MMU off for data: VA_A maps PA1 (0x111) in context 5 and RA VA_A maps PA2 (0x222):
      0x111, then with LSU_CTL.DM clear 0x222, then on again 0x111.
   S2 MMU off for fetch: VA_F maps page f1 (returns 1) in context 5 and RA VA_F maps
      page f2 (returns 2): 1, 2 with LSU_CTL.IM clear, 1.
   S3 privilege, data: VA_P is a privileged (P) page: 0x111 privileged, then a user load
      takes data_access_exception (0x30), then 0x111 privileged again.
   S4 privilege, fetch: code on a P page (VA_Q) drops to user mode (wrpr %pstate): the
      next instruction on the same page takes instruction_access_exception (0x08); 0x44;
      then user code calls q (fetched as privileged code just before): 0x08 again; 0x45.
   S5 hyperprivileged PA = VA: VA_H maps PA3 (0x333) in context 5, PA VA_H holds 0x555:
      0x333, 0x555 (hyperprivileged), 0x333.
   S6 context write on the page being fetched: VA_G maps page g5 in context 5 and g6 in
      context 6; its first instruction writes the primary context (6), the second comes
      from g6: 6.
   S7 a trap whose vector (HTBA + 0x19E * 32) lies at the same page number as the
      privileged code trapping (VA_T = that page, mapped to page tpage), and the done
      back: 0x19E logged by the hypervisor, then 0x99 from tpage.
   S8 TLB writes: VA_R rewritten (same tag) from PA1 to PA2: 0x111, 0x222; VA_X written
      at DTLB index 60, then index 60 rewritten for another page: 0x111, then a miss
      (0x68, tag access VA_X | 5); VA_F rewritten (same tag) to page f2: 2.
   Then power off (0x185, TL 1). */
#include "bm.h"
#include "bm_xlate.h"
#define CTX2     6
#define VA_A     0x10020000		/* slots 16-19: not the log's (RESULTS: 0) */
#define VA_P     0x10022000
#define VA_R     0x10024000
#define VA_X     0x10026000
#define VA_H     0x528000		/* slot 20 */
#define VA_F     0x20040000		/* slots 32-34: not the hypervisor code's */
#define VA_G     0x20042000
#define VA_Q     0x20044000
#define PA3      0x600000
#define P        0x100

	RED_TABLE

	.text
start:
	LEAVE_RED htable, ptable
	XLATE_START
	VAL %l0, PA3
	mov 0x333, %l1
	stx %l1, [%l0]
	VAL %l0, VA_H
	mov 0x555, %l1
	stx %l1, [%l0]
	XLATE_DATAIN
	PART 1
	mov 8, %g1
	mov CTX, %l0
	stxa %l0, [%g1] 0x21		/* primary context 5 */
	/* code: CVA (256M) -> ROM in contexts 5, 6 and 0, and as a real address */
	VAL %l1, ROM
	or %l1, %i0, %l1
	or %l1, X | 5, %l1
	VAL %l0, (CVA | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	VAL %l0, (CVA | CTX2)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	VAL %l0, CVA			/* context 0: the nucleus, at TL > 0 */
	TLBR 0x50, 0x54, %l0, %l1, %l7
	TLBR 0x50, 0x54, %l0, %l1, %l6
	/* S2: VA_F -> f1 (context 5), RA VA_F -> f2 */
	PAGE f1, X, %l1
	VAL %l0, (VA_F | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	PAGE f2, X, %l1
	VAL %l0, VA_F
	TLBR 0x50, 0x54, %l0, %l1, %l6
	/* S6: VA_G -> g5 (context 5), g6 (context 6) */
	PAGE g5, X, %l1
	VAL %l0, (VA_G | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	PAGE g6, X, %l1
	VAL %l0, (VA_G | CTX2)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	/* S4: VA_Q -> q, privileged */
	PAGE q, (X | P), %l1
	VAL %l0, (VA_Q | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	/* S7: VA_T = the page of HTBA + 0x19E * 32 -> tpage (%l5 = VA_T) */
	LA htable, %l5, %g2
	sethi %hi(0x2000), %g2
	add %l5, %g2, %l5
	PAGE tpage, X, %l1
	or %l5, CTX, %l0
	TLBR 0x50, 0x54, %l0, %l1, %l7
	/* data: VA_A -> PA1 (context 5), RA VA_A -> PA2; VA_P -> PA1 (P); VA_H -> PA3;
	   VA_R -> PA1; VA_X -> PA1 at DTLB index 60 */
	VAL %l1, (PA1 | W)
	or %l1, %i0, %l1
	VAL %l0, (VA_A | CTX)
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	VAL %l0, (VA_R | CTX)
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	VAL %l0, (VA_X | CTX)
	or %l7, 60 << 3, %l2
	TLBR 0x58, 0x5d, %l0, %l1, %l2
	or %l1, P, %l1
	VAL %l0, (VA_P | CTX)
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	VAL %l1, (PA2 | W)
	or %l1, %i0, %l1
	VAL %l0, VA_A
	TLBR 0x58, 0x5c, %l0, %l1, %l6
	VAL %l1, (PA3 | W)
	or %l1, %i0, %l1
	VAL %l0, (VA_H | CTX)
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	mov 0xc, %l0
	stxa %l0, [%g0] 0x45		/* both MMUs on */
	/* to privileged mode at priv_start's VA */
	wrpr %g0, 1, %tl
	PRIV_VA priv_start, %l0
	wrpr %l0, %tnpc
	setx (0x14 << 8), %g1, %l0
	wrpr %l0, %tstate
	WRHPR G0, HTSTATE
	done

/* ---- privileged code (at its VA) ------------------------------------------------- */
priv_start:
	/* S1 */
	VAL %l4, VA_A
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ta 0x90				/* DM off */
	ldx [%l4], %o0
	ta LOGT				/* 0x222 */
	ta 0x91				/* DM, IM on */
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	/* S2 */
	VAL %l4, VA_F
	jmpl %l4, %o7
	nop
	ta LOGT				/* 1 */
	ta 0x92				/* IM off */
	jmpl %l4, %o7
	nop
	ta LOGT				/* 2 */
	ta 0x91
	jmpl %l4, %o7
	nop
	ta LOGT				/* 1 */
	/* S3 */
	VAL %l4, VA_P
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	wrpr %g0, 0x10, %pstate		/* user */
	ldx [%l4], %o0			/* 0x30, skipped */
	ta 0x24				/* back to privileged */
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	/* S4 */
	VAL %l4, VA_Q
	jmpl %l4, %o7			/* 0x08; the hypervisor returns here + 8 */
	nop
	mov 0x44, %o0
	ta LOGT
	wrpr %g0, 0x10, %pstate		/* user */
	jmpl %l4, %o7			/* a user fetch from the P page q: 0x08 */
	nop
	mov 0x45, %o0
	ta LOGT
	/* S5 */
	VAL %l4, VA_H
	ldx [%l4], %o0
	ta LOGT				/* 0x333 */
	ta 0x94				/* the hypervisor logs PA VA_H: 0x555 */
	ldx [%l4], %o0
	ta LOGT				/* 0x333 */
	/* S6 */
	VAL %l4, VA_G
	mov CTX2, %o1
	mov 8, %o2
	jmpl %l4, %o7
	nop
	ta LOGT				/* 6 */
	mov CTX, %o1
	stxa %o1, [%o2] 0x21		/* primary context 5 again */
	/* S7 */
	jmpl %l5, %o7
	nop
	ta LOGT				/* 0x99 */
	/* S8 */
	VAL %l4, VA_R
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ta 0x95				/* VA_R -> PA2 */
	ldx [%l4], %o0
	ta LOGT				/* 0x222 */
	VAL %l4, VA_X
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ta 0x96				/* DTLB index 60: another page */
	ldx [%l4], %o0			/* 0x68 */
	VAL %l4, VA_F
	ta 0x97				/* VA_F -> f2 */
	jmpl %l4, %o7
	nop
	ta LOGT				/* 2 */
	ta 0x85

/* ---- hypervisor services -------------------------------------------------------- */
	XLATE_HV_COMMON
hv_dm_off:
	mov 4, %g1
	stxa %g1, [%g0] 0x45
	done
hv_mmu_on:
	mov 0xc, %g1
	stxa %g1, [%g0] 0x45
	done
hv_im_off:
	mov 8, %g1
	stxa %g1, [%g0] 0x45
	done
hv_pa:
	setx VA_H, %g2, %g1
	ldx [%g1], %g1
	LOG %g1
	done
hv_remap_r:
	setx (VA_R | CTX), %g2, %g3
	setx (PA2 | W), %g2, %g4
	mov 1, %g2
	sllx %g2, 63, %g2
	or %g4, %g2, %g4
	TLBR 0x58, 0x5c, %g3, %g4, %l7
	done
hv_index60:
	setx ((VA_X + 0x10000) | CTX), %g2, %g3
	setx (PA3 | W), %g2, %g4
	mov 1, %g2
	sllx %g2, 63, %g2
	or %g4, %g2, %g4
	or %l7, 60 << 3, %g5
	TLBR 0x58, 0x5d, %g3, %g4, %g5
	done
hv_remap_f:
	setx (VA_F | CTX), %g2, %g3
	LA f2, %g4, %g2
	or %g4, X, %g4
	mov 1, %g2
	sllx %g2, 63, %g2
	or %g4, %g2, %g4
	TLBR 0x50, 0x54, %g3, %g4, %l7
	done
hv_9e:
	mov 0x19e, %g1
	LOG %g1
	done
hv_skip:				/* log tt, skip the instruction */
	rdpr %tt, %g1
	LOG %g1
	done
hv_iax:					/* log tt, back to the caller (%o7 + 8), privileged */
	rdpr %tt, %g1
	LOG %g1
	add %o7, 8, %g1
	wrpr %g1, %tpc
	add %g1, 4, %g1
	wrpr %g1, %tnpc
	rdpr %tstate, %g1
	or %g1, 0x400, %g1
	wrpr %g1, %tstate
	retry
	RECORDERS

/* privileged: back from user mode to the instruction after the ta */
p_to_priv:
	rdpr %tstate, %g1
	or %g1, 0x400, %g1
	wrpr %g1, %tstate
	done

/* ---- pages of privileged code reached through their own TLB entries ---------------- */
	XLATE_FPAGES
g5:	stxa %o1, [%o2] 0x21
	mov 5, %o0
	retl
	nop
	.align 8192
g6:	stxa %o1, [%o2] 0x21
	mov 6, %o0
	retl
	nop
	.align 8192
q:	wrpr %g0, 0x10, %pstate		/* user, on a P page */
	mov 0xbad, %o0
	ta LOGT
	retl
	nop
	.align 8192
tpage:	ta 0x9e				/* its vector is at VA_T + 0x13C0, PA htable + 0x33C0 */
	retl
	mov 0x99, %o0
	.align 8192

	.align 16384
htable:
	ENTRY htable, 0x08, hv_iax
	ENTRY htable, 0x10, hv_bad
	ENTRY htable, 0x30, hv_skip
	ENTRY htable, 0x64, hv_bad
	ENTRY htable, 0x68, hv_dmiss
	ENTRY htable, 0x185, hv_off
	ENTRY htable, 0x190, hv_dm_off
	ENTRY htable, 0x191, hv_mmu_on
	ENTRY htable, 0x192, hv_im_off
	ENTRY htable, 0x194, hv_pa
	ENTRY htable, 0x195, hv_remap_r
	ENTRY htable, 0x196, hv_index60
	ENTRY htable, 0x197, hv_remap_f
	ENTRY htable, 0x19e, hv_9e
	ENTRY htable, 0x19f, hv_log
	.align 32768
ptable:
	ENTRY ptable, 0x124, p_to_priv
	.org ptable + 0x8000
