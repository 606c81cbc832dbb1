/* Stale translations must not survive in the strands' translation caches (sun4v/cmt/
   mmu.py), part 2 (tests/asm/bm_xlate.S is part 1): partitions, context registers,
   demaps of a context and of everything, and the T2 table walk. Privileged code with
   both MMUs on, partition 1, context 5, runs at VA CVA + its ROM offset; each scenario
   uses a translation twice (the second use comes from the cache), changes what the
   architecture says may change it, and uses it again. The hypervisor does what the
   privileged code cannot (ta 0x90-0x9a) and logs what it hands over in %o0 (ta 0x9f);
   a data miss (0x68) logs tt and the tag access and skips the load. Test VAs use cache
   slots (VA[19:13]) 32-48, not the log's (RESULTS: slot 0).

   P1 partition ID: VA_Y maps PA1 (0x111) in partition 1 and PA2 (0x222) in partition 0,
      context 5 both (the code page too); VA_FP maps page f1 (returns 1) in partition 1
      and f2 (returns 2) in partition 0: 0x111, 1, then in partition 0 0x222, 2, then in
      partition 1 again 0x111, 1.
   P2 secondary context (ldxa ASI_SECONDARY 0x81): VA_S maps PA1 in context 5 and PA2 in
      context 6: 0x111 with secondary context 5, 0x222 with 6, 0x111 with 5.
   P3 primary context for data: VA_S by ldx: 0x111 with primary context 5, 0x222 with 6
      (the code page is mapped in context 6 too), 0x111 with 5.
   P4 T2 only: the hardware table walk (real range 0 = [0, 256M) with offset 0, the TSB
      of the non-zero contexts at TSBPA, 512 entries of 8K pages) finds VA_W -> PA1:
      0x111; the hypervisor rewrites the TSB entry to PA2: still 0x111 (the TLB keeps what
      the walk loaded, as on the chip); demap page VA_W: the walk again, 0x222; the TSB
      configuration cleared and VA_W demapped: a miss (0x68, tag access VA_W | 5).
   P5 demap context (DMMU, primary): VA_D1 -> PA1: 0x111, then a miss (0x68, VA_D1 | 5).
   P6 demap all (DMMU): VA_D2 -> PA2 (written after P5): 0x222, then a miss (0x68,
      VA_D2 | 5).
   P7 real against nucleus (the two keys differ only in the real bit): VA_N maps PA1 in
      context 0 and RA VA_N maps PA2: ldxa ASI_NUCLEUS 0x111, ldxa ASI_REAL 0x222,
      ASI_NUCLEUS 0x111.
   P8 hyperprivileged against partition 0, context 0 (the TLB key nearest the
      hyperprivileged regime): VA_H0 maps PA1 in partition 0, nucleus; PA VA_H0 holds
      0x555: ldxa ASI_NUCLEUS in partition 0 0x111, then the hypervisor's ldx 0x555.
   Then power off (0x185, TL 1). */
#include "bm.h"
#include "bm_xlate.h"
#define CTX2     6
#define VA_Y     0x10040000		/* slot 32 */
#define VA_S     0x10042000		/* slot 33 */
#define VA_D1    0x10044000		/* slot 34 */
#define VA_D2    0x10046000		/* slot 35 */
#define VA_N     0x10048000		/* slot 36 */
#define VA_H0    0x1004a000		/* slot 37 */
#define VA_W     0x10060000		/* slot 48; TSB index 48 */
#define VA_FP    0x20060000		/* slot 48 (fetch) */
#define TSBPA    0x700000

	RED_TABLE

/* DMAP va, reg: a DTLB entry va | context 5 -> TTE in reg. Clobbers %g1, %g3, %l0. */
	.macro DMAP va, reg
	VAL %l0, (\va | CTX)
	TLBR 0x58, 0x5c, %l0, \reg, %l7
	.endm

	.text
start:
	LEAVE_RED htable, ptable
	XLATE_START
	VAL %l0, VA_H0
	mov 0x555, %l1
	stx %l1, [%l0]
	XLATE_DATAIN
	mov 8, %g1
	mov CTX, %l0
	stxa %l0, [%g1] 0x21		/* primary context 5 */
	mov 0x10, %g1
	stxa %l0, [%g1] 0x21		/* secondary context 5 */
	/* partition 0: the code (CVA, 256M, contexts 5 and 0), VA_Y -> PA2, VA_FP -> f2,
	   VA_H0 -> PA1 (nucleus) */
	PART 0
	VAL %l1, ROM
	or %l1, %i0, %l1
	or %l1, X | 5, %l1
	VAL %l0, (CVA | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	VAL %l0, CVA
	TLBR 0x50, 0x54, %l0, %l1, %l7
	PAGE f2, X, %l1
	VAL %l0, (VA_FP | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	VAL %l1, (PA2 | W)
	or %l1, %i0, %l1
	DMAP VA_Y, %l1
	VAL %l1, (PA1 | W)
	or %l1, %i0, %l1
	VAL %l0, VA_H0
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	/* partition 1: the code, VA_Y -> PA1, VA_FP -> f1, VA_S -> PA1 (5), PA2 (6),
	   VA_D1 -> PA1, VA_N -> PA1 (nucleus), RA VA_N -> PA2 */
	PART 1
	VAL %l1, ROM
	or %l1, %i0, %l1
	or %l1, X | 5, %l1
	VAL %l0, (CVA | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	VAL %l0, (CVA | CTX2)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	VAL %l0, CVA
	TLBR 0x50, 0x54, %l0, %l1, %l7
	PAGE f1, X, %l1
	VAL %l0, (VA_FP | CTX)
	TLBR 0x50, 0x54, %l0, %l1, %l7
	VAL %l1, (PA1 | W)
	or %l1, %i0, %l1
	DMAP VA_Y, %l1
	DMAP VA_S, %l1
	DMAP VA_D1, %l1
	VAL %l0, (VA_S | CTX2)
	VAL %l2, (PA2 | W)
	or %l2, %i0, %l2
	TLBR 0x58, 0x5c, %l0, %l2, %l7
	VAL %l0, VA_N
	TLBR 0x58, 0x5c, %l0, %l1, %l7
	TLBR 0x58, 0x5c, %l0, %l2, %l6
	/* T2: real range 0 = RA [0, 256M) at offset 0; the TSB of the non-zero contexts at
	   TSBPA (8K pages, 512 entries) with VA_W -> PA1 in context 5 */
	cmp %l3, 0x23
	be 2f
	nop
	setx ((1 << 63) | ((0x10000000 >> 13) << 27)), %g2, %g3
	mov 0x108, %g1
	stxa %g3, [%g1] 0x52
	mov 0x208, %g1
	stxa %g0, [%g1] 0x52
	setx ((1 << 63) | TSBPA), %g2, %g3
	mov 0x30, %g1
	stxa %g3, [%g1] 0x54
	setx (TSBPA + 16 * ((VA_W >> 13) & 511)), %g2, %l0
	setx ((CTX << 48) | (VA_W >> 22)), %g2, %g3
	stx %g3, [%l0]
	setx (PA1 | W), %g2, %g3
	or %g3, %i0, %g3
	stx %g3, [%l0 + 8]
2:	mov 0xc, %l0
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
	/* P1: partitions */
	VAL %l4, VA_Y
	VAL %l5, VA_FP
	ldx [%l4], %o0
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	jmpl %l5, %o7
	nop
	jmpl %l5, %o7
	nop
	ta LOGT				/* 1 */
	ldx [%l4], %o0			/* cached again (the log shares no slot; be sure) */
	ta 0x90				/* partition 0 */
	ldx [%l4], %o0
	ta LOGT				/* 0x222 */
	jmpl %l5, %o7
	nop
	ta LOGT				/* 2 */
	ldx [%l4], %o0
	ta 0x91				/* partition 1 */
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	jmpl %l5, %o7
	nop
	ta LOGT				/* 1 */
	/* P2: secondary context */
	VAL %l4, VA_S
	mov 0x10, %l2
	ldxa [%l4] 0x81, %o0
	ldxa [%l4] 0x81, %o0
	ta LOGT				/* 0x111 */
	ldxa [%l4] 0x81, %o0
	mov CTX2, %o1
	stxa %o1, [%l2] 0x21		/* secondary context 6 */
	ldxa [%l4] 0x81, %o0
	ta LOGT				/* 0x222 */
	ldxa [%l4] 0x81, %o0
	mov CTX, %o1
	stxa %o1, [%l2] 0x21		/* secondary context 5 */
	ldxa [%l4] 0x81, %o0
	ta LOGT				/* 0x111 */
	/* P3: primary context, data */
	mov 8, %l2
	ldx [%l4], %o0
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ldx [%l4], %o0
	mov CTX2, %o1
	stxa %o1, [%l2] 0x21		/* primary context 6 */
	ldx [%l4], %o0
	mov CTX, %o1
	stxa %o1, [%l2] 0x21		/* primary context 5 */
	mov %o0, %o2
	ldx [%l4], %o0
	mov %o0, %o3
	mov %o2, %o0
	ta LOGT				/* 0x222 */
	mov %o3, %o0
	ta LOGT				/* 0x111 */
	/* P4: the T2 table walk */
	cmp %l3, 0x23
	be 3f
	nop
	VAL %l4, VA_W
	ldx [%l4], %o0			/* the walk loads the DTLB */
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ldx [%l4], %o0
	ta 0x92				/* the TSB entry now says PA2 */
	ldx [%l4], %o0
	ta LOGT				/* 0x111: the TLB entry stays */
	ldx [%l4], %o0
	ta 0x93				/* demap page VA_W */
	ldx [%l4], %o0
	ta LOGT				/* 0x222 */
	ldx [%l4], %o0
	ta 0x94				/* TSB configuration cleared, VA_W demapped */
	ldx [%l4], %o0			/* 0x68 */
3:	/* P5: demap context */
	VAL %l4, VA_D1
	ldx [%l4], %o0
	ldx [%l4], %o0
	ta LOGT				/* 0x111 */
	ldx [%l4], %o0
	ta 0x95				/* demap context 5 (DMMU) */
	ldx [%l4], %o0			/* 0x68 */
	/* P6: demap all */
	ta 0x96				/* VA_D2 -> PA2 */
	VAL %l4, VA_D2
	ldx [%l4], %o0
	ldx [%l4], %o0
	ta LOGT				/* 0x222 */
	ldx [%l4], %o0
	ta 0x97				/* demap all (DMMU) */
	ldx [%l4], %o0			/* 0x68 */
	ta 0x98				/* VA_N again: nucleus -> PA1, real -> PA2 */
	/* P7: real against nucleus */
	VAL %l4, VA_N
	ldxa [%l4] 0x04, %o0
	ldxa [%l4] 0x04, %o0
	ta LOGT				/* 0x111 */
	ldxa [%l4] 0x04, %o0
	ldxa [%l4] 0x14, %o0
	ta LOGT				/* 0x222 */
	ldxa [%l4] 0x14, %o0
	ldxa [%l4] 0x04, %o0
	ta LOGT				/* 0x111 */
	/* P8: hyperprivileged against partition 0, nucleus */
	VAL %l4, VA_H0
	ta 0x90				/* partition 0 */
	ldxa [%l4] 0x04, %o0
	ldxa [%l4] 0x04, %o0
	ta LOGT				/* 0x111 */
	ldxa [%l4] 0x04, %o0
	ta 0x99				/* the hypervisor loads PA VA_H0: 0x555; partition 1 */
	ta 0x85

/* ---- hypervisor services -------------------------------------------------------- */
	XLATE_HV_COMMON
hv_part0:
	PART 0
	done
hv_pa_h0:
	setx VA_H0, %g2, %g1
	ldx [%g1], %g1
	LOG %g1
	PART 1
	done
hv_map_n:
	setx VA_N, %g2, %g3
	setx (PA1 | W), %g2, %g4
	or %g4, %i0, %g4
	TLBR 0x58, 0x5c, %g3, %g4, %l7
	setx (PA2 | W), %g2, %g4
	or %g4, %i0, %g4
	TLBR 0x58, 0x5c, %g3, %g4, %l6
	done
hv_part1:
	PART 1
	done
hv_tsb_pa2:
	setx (TSBPA + 16 * ((VA_W >> 13) & 511) + 8), %g2, %g1
	setx (PA2 | W), %g2, %g3
	or %g3, %i0, %g3
	stx %g3, [%g1]
	done
hv_demap_w:
	setx VA_W, %g2, %g1
	stxa %g0, [%g1] 0x5f		/* demap page, primary context */
	done
hv_tsb_off:
	mov 0x30, %g1
	stxa %g0, [%g1] 0x54
	setx VA_W, %g2, %g1
	stxa %g0, [%g1] 0x5f
	done
hv_demap_ctx:
	mov 0x40, %g1			/* demap context, primary */
	stxa %g0, [%g1] 0x5f
	done
hv_map_d2:
	setx (VA_D2 | CTX), %g2, %g3
	setx (PA2 | W), %g2, %g4
	or %g4, %i0, %g4
	TLBR 0x58, 0x5c, %g3, %g4, %l7
	done
hv_demap_all:
	mov 0x80, %g1			/* demap all */
	stxa %g0, [%g1] 0x5f
	done
	RECORDERS

/* ---- pages of privileged code reached through their own TLB entries ---------------- */
	XLATE_FPAGES

	.align 16384
htable:
	ENTRY htable, 0x08, hv_bad
	ENTRY htable, 0x10, hv_bad
	ENTRY htable, 0x2a, hv_bad
	ENTRY htable, 0x2b, hv_bad
	ENTRY htable, 0x30, hv_bad
	ENTRY htable, 0x3e, hv_bad
	ENTRY htable, 0x3f, hv_bad
	ENTRY htable, 0x64, hv_bad
	ENTRY htable, 0x68, hv_dmiss
	ENTRY htable, 0x185, hv_off
	ENTRY htable, 0x190, hv_part0
	ENTRY htable, 0x191, hv_part1
	ENTRY htable, 0x192, hv_tsb_pa2
	ENTRY htable, 0x193, hv_demap_w
	ENTRY htable, 0x194, hv_tsb_off
	ENTRY htable, 0x195, hv_demap_ctx
	ENTRY htable, 0x196, hv_map_d2
	ENTRY htable, 0x197, hv_demap_all
	ENTRY htable, 0x198, hv_map_n
	ENTRY htable, 0x199, hv_pa_h0
	ENTRY htable, 0x19f, hv_log
	.align 32768
ptable:
	.org ptable + 0x8000
