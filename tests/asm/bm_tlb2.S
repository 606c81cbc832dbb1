/* Instruction fetch and data access through the TLBs with each page size the T1 and the
   T2 accept (8K, 64K, 4M, 256M), privileged mode with both MMUs on; a demap in between
   and a context switch: stale translations must not survive.

   For each size n, VA_n = 0x10000000 * (n + 1) maps the boot ROM (PA 0xFF_F000_0000, on
   every page-size boundary) in context 5, in the ITLB (X) and the DTLB. The privileged
   code calls `probe` at VA_n + its ROM offset (fetched through the size-n ITLB entry); it
   loads `datum` at VA_n + its offset through the DTLB and returns it. The hypervisor
   (ta 0x90) then demaps page VA_n in both TLBs: calling `probe` again misses
   (fast_instruction_access_MMU_miss 0x64; the handler logs the I tag access and returns
   to the caller), and a load of datum misses (fast_data_access_MMU_miss 0x68).
   Context switch: VA 0x80000000 maps PA 0x300000 (holding 0x111) in context 5 and PA
   0x400000 (0x222) in context 6; loads through ASI_SECONDARY with the secondary context
   5, then 6, then 6 after the hypervisor demaps context 6 (ta 0x91: a miss).
   Log, per size: datum, 0x64, I tag access, 0x68, D tag access; then 0x111, 0x222, 0x68,
   D tag access; then 0x185, 2. T1 (HVER.impl 0x23) writes sun4v-format entries with
   data-in VA bit 10, T2 with none (bit 10 there means real). */
#include "bm.h"
#define ROM      0xfff0000000
#define CTX      5
#define CTX2     6
#define VA_C     0x80000000
#define PA1      0x300000
#define PA2      0x400000
#define TTE_X    0x80
#define PROBE_OFF 0x400			/* probe's ROM offset */
#define DATUM_OFF 0x20			/* datum's, from probe */

	RED_TABLE
/* the probe and its datum: in the first 8 KB of the ROM (after the RED-state table), so
   in every page size's mapping; run at VA_n + offset, it loads datum PC-relative, so at
   VA_n + datum's offset too */
	.section .text.reset, "ax"
	.org PROBE_OFF
probe:	LA datum, %o1, %o2
	retl
	ldx [%o1], %o0
	.align 16
datum:	.xword 0x0123456789abcdef	/* at PROBE_OFF + DATUM_OFF */
	.text

/* TLB_IN w, tag, tte: write an entry of TLB w (I: 0x50/0x54, D: 0x58/0x5c) with the
   data-in flags in %l7 (T1: 0x400 sun4v format). Clobbers %g1-%g3. */
	.macro TLB_IN tacc, din, tag, tte
	mov 0x30, %g1
	setx \tag, %g3, %g2
	stxa %g2, [%g1] \tacc
	setx \tte, %g3, %g2
	stxa %g2, [%l7] \din
	.endm

start:
	LEAVE_RED htable, ptable
	RDHPR HVER, L0
	srlx %l0, 32, %l0
	and %l0, 0xff, %l0
	cmp %l0, 0x23
	bne 1f
	clr %l7
	mov 0x400, %l7			/* T1: sun4v-format TTE */
1:	/* code and RAM for contexts 5 and 6 (256M pages), the four probe mappings */
	TLB_IN 0x50, 0x54, (ROM | CTX), (TTE_V | ROM | TTE_X | TTE_256M)
	TLB_IN 0x50, 0x54, (ROM | CTX2), (TTE_V | ROM | TTE_X | TTE_256M)
	TLB_IN 0x58, 0x5c, (0 | CTX), (TTE_V | 0x40 | TTE_256M)
	TLB_IN 0x58, 0x5c, (0 | CTX2), (TTE_V | 0x40 | TTE_256M)
	TLB_IN 0x50, 0x54, (0x10000000 | CTX), (TTE_V | ROM | TTE_X | 0)
	TLB_IN 0x58, 0x5c, (0x10000000 | CTX), (TTE_V | ROM | 0)
	TLB_IN 0x50, 0x54, (0x20000000 | CTX), (TTE_V | ROM | TTE_X | 1)
	TLB_IN 0x58, 0x5c, (0x20000000 | CTX), (TTE_V | ROM | 1)
	TLB_IN 0x50, 0x54, (0x30000000 | CTX), (TTE_V | ROM | TTE_X | 3)
	TLB_IN 0x58, 0x5c, (0x30000000 | CTX), (TTE_V | ROM | 3)
	TLB_IN 0x50, 0x54, (0x40000000 | CTX), (TTE_V | ROM | TTE_X | 5)
	TLB_IN 0x58, 0x5c, (0x40000000 | CTX), (TTE_V | ROM | 5)
	TLB_IN 0x58, 0x5c, (VA_C | CTX), (TTE_V | PA1 | TTE_8K)
	TLB_IN 0x58, 0x5c, (VA_C | CTX2), (TTE_V | PA2 | TTE_8K)
	setx PA1, %g1, %l0
	mov 0x111, %l1
	stx %l1, [%l0]
	setx PA2, %g1, %l0
	mov 0x222, %l1
	stx %l1, [%l0]
	mov 8, %g1
	mov CTX, %l0
	stxa %l0, [%g1] 0x21		/* primary context 5 */
	mov 0xc, %l0
	stxa %l0, [%g0] 0x45		/* both MMUs on */
	TO_PRIV priv_start

/* PROBE va: call probe at va + its ROM offset, log the datum; demap page va; call again
   (fetch miss) and load datum at va (data miss). Clobbers %l0, %l3, %o0-%o7. */
	.macro PROBE va
	setx \va, %g1, %l0
	add %l0, PROBE_OFF, %l3
	jmpl %l3, %o7
	mov %l0, %o0
	LOG %o0
	mov %l0, %o1
	ta 0x90				/* hypervisor: demap page va in both TLBs */
	jmpl %l3, %o7			/* fetch miss: the handler returns here + 8 */
	mov %l0, %o0
	ldx [%l3 + DATUM_OFF], %o0	/* data miss */
	.endm

priv_start:
	PROBE 0x10000000
	PROBE 0x20000000
	PROBE 0x30000000
	PROBE 0x40000000
	mov 0x10, %g1
	mov CTX, %l0
	stxa %l0, [%g1] 0x21		/* secondary context 5 */
	setx VA_C, %g1, %l0
	mov 0x10, %g1
	mov CTX2, %l2
	ldxa [%l0] 0x81, %l1		/* 0x111 */
	stxa %l2, [%g1] 0x21		/* switch: secondary context 6 */
	ldxa [%l0] 0x81, %l2		/* 0x222 (no data access between: not a stale 0x111) */
	LOG %l1
	LOG %l2
	ta 0x91				/* hypervisor: demap context 6 (secondary) */
	ldxa [%l0] 0x81, %l1		/* data miss */
	ta 0x85

hv_demap_page:
	stxa %g0, [%o1] 0x57		/* demap page, primary context, ITLB */
	stxa %g0, [%o1] 0x5f		/* and DTLB */
	done
hv_demap_ctx:
	mov 0x50, %g1			/* demap context (op 1), secondary (sel 1) */
	stxa %g0, [%g1] 0x5f
	done
hv_imiss:
	rdpr %tt, %g1
	LOG %g1
	mov 0x30, %g1
	ldxa [%g1] 0x50, %g2
	LOG %g2
	add %o7, 8, %g1			/* back to the caller */
	wrpr %g1, %tpc
	add %g1, 4, %g1
	wrpr %g1, %tnpc
	retry
hv_dmiss:
	rdpr %tt, %g1
	LOG %g1
	mov 0x30, %g1
	ldxa [%g1] 0x58, %g2
	LOG %g2
	done
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x64, hv_imiss
	ENTRY htable, 0x68, hv_dmiss
	ENTRY htable, 0x185, hv_off
	ENTRY htable, 0x190, hv_demap_page
	ENTRY htable, 0x191, hv_demap_ctx
	.align 32768
ptable:
	.org ptable + 0x8000
