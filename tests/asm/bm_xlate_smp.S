/* TLB changes by another strand of the same core reach a strand's translation cache
   (the TLBs are per core: sun4v/cmt/mmu.py). Strand 1 runs privileged with both MMUs
   on (partition 1, context 5, code at VA CVA + its ROM offset) and loads VA_S (PA1,
   0x111), which its cache keeps; strand 0, hyperprivileged, demaps VA_S; strand 1's next
   load of VA_S misses (0x68, tag access VA_S | 5). Then strand 1 loads VA_S2 (PA1:
   0x111), strand 0 rewrites VA_S2 (same tag) to PA2, and strand 1 loads 0x222. The
   strands meet through flags in RAM (strand 1 reaches them through ASI_REAL). Strand 1
   logs through the hypervisor (ta 0x9F) and powers off (0x185, TL 1). */
#include "bm.h"
#include "bm_xlate.h"
#define VA_S     0x10000000
#define VA_S2    0x10002000
#define FLAGS    0x180000		/* F1 strand 1 has loaded, F2 strand 0 has changed */

	RED_TABLE

	.text
start:
	LEAVE_RED htable, ptable
	LA ptable, %l0, %g2
	setx (ROM - CVA), %g2, %i1
	sub %l0, %i1, %l0
	wrpr %l0, %tba			/* the privileged trap table, at its VA */
	PART 1
	mov 8, %g1
	mov CTX, %l0
	stxa %l0, [%g1] 0x21		/* primary context 5 */
	XLATE_DATAIN
	/* strand id: T1 %asr26 bits 12:8, T2 ASI 0x63 VA 0x10 */
	bne 2f
	mov 0x10, %g1
	rd %asr26, %l1
	srlx %l1, 8, %l1
	ba 3f
	and %l1, 0x1f, %l1
2:	ldxa [%g1] 0x63, %l1
	and %l1, 0xff, %l1
3:	brnz %l1, strand1
	nop

/* ---- strand 0 -------------------------------------------------------------------- */
	REAL_MAPS_ANY
	mov 1, %i0
	sllx %i0, 63, %i0
	setx (ROM | 0x80 | 5), %g2, %l1	/* CVA (256M) -> ROM, contexts 5 and 0 */
	or %l1, %i0, %l1
	setx (CVA | CTX), %g2, %l0
	TLBR 0x50, 0x54, %l0, %l1, %l7
	setx CVA, %g2, %l0
	TLBR 0x50, 0x54, %l0, %l1, %l7
	setx (PA1 | 0x40), %g2, %l1	/* VA_S, VA_S2 -> PA1 */
	or %l1, %i0, %l1
	setx (VA_S | CTX), %g2, %l0
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	setx (VA_S2 | CTX), %g2, %l0
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	setx PA1, %g2, %l0
	mov 0x111, %l1
	stx %l1, [%l0]
	setx PA2, %g2, %l0
	mov 0x222, %l1
	stx %l1, [%l0]
	setx FLAGS, %g2, %l2
	stx %g0, [%l2]
	stx %g0, [%l2 + 8]
	/* start strand 1: T1 IOB INT_VEC_DIS resume, T2 CORE_RUNNING_W1S */
	cmp %l3, 0x23
	bne 4f
	nop
	setx 0x9800000800, %g2, %g1
	set (3 << 16) | (1 << 8), %g2
	ba 5f
	stx %g2, [%g1]
4:	mov 2, %g2
	mov 0x60, %g1
	stxa %g2, [%g1] 0x41
5:	/* phase 1: demap VA_S when strand 1 has loaded it */
	ldx [%l2], %g1
	cmp %g1, 1
	bne 5b
	nop
	setx VA_S, %g2, %g1
	stxa %g0, [%g1] 0x5f		/* demap page, primary context */
	mov 1, %g1
	stx %g1, [%l2 + 8]
6:	/* phase 2: rewrite VA_S2 -> PA2 when strand 1 has loaded it */
	ldx [%l2], %g1
	cmp %g1, 2
	bne 6b
	nop
	setx (PA2 | 0x40), %g2, %l1
	or %l1, %i0, %l1
	setx (VA_S2 | CTX), %g2, %l0
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	mov 2, %g1
	stx %g1, [%l2 + 8]
7:	ba 7b
	nop

/* ---- strand 1 -------------------------------------------------------------------- */
strand1:
	mov 0xc, %l0
	stxa %l0, [%g0] 0x45		/* both MMUs on */
	wrpr %g0, 1, %tl
	LA priv_start, %l0, %g2
	sub %l0, %i1, %l0
	wrpr %l0, %tnpc
	setx (0x14 << 8), %g1, %l0
	wrpr %l0, %tstate
	WRHPR G0, HTSTATE
	done
priv_start:
	setx FLAGS, %g2, %l2
	setx VA_S, %g2, %l4
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ldx [%l4], %o1			/* cached again (the log's PA shares its slot) */
	mov 1, %g1
	stxa %g1, [%l2] 0x14		/* F1 = 1 */
1:	add %l2, 8, %g2
	ldxa [%g2] 0x14, %g1
	cmp %g1, 1
	bne 1b
	nop
	ldx [%l4], %o0			/* demapped by strand 0: 0x68 */
	setx VA_S2, %g2, %l4
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ldx [%l4], %o1			/* cached again */
	mov 2, %g1
	stxa %g1, [%l2] 0x14		/* F1 = 2 */
2:	add %l2, 8, %g2
	ldxa [%g2] 0x14, %g1
	cmp %g1, 2
	bne 2b
	nop
	ldx [%l4], %o0
	ta LOGT				/* 0x222 */
	ta 0x85

	XLATE_HV_COMMON
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x08, hv_bad
	ENTRY htable, 0x10, hv_bad
	ENTRY htable, 0x30, hv_bad
	ENTRY htable, 0x3e, hv_bad
	ENTRY htable, 0x3f, hv_bad
	ENTRY htable, 0x64, hv_bad
	ENTRY htable, 0x68, hv_dmiss
	ENTRY htable, 0x185, hv_off
	ENTRY htable, 0x19f, hv_log
	.align 32768
ptable:
	.org ptable + 0x8000
