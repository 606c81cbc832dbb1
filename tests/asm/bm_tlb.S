/* TLB lookup and demap with partition IDs: DTLB entries for partitions 1 and 2 map the
   same VA (context 5) to different PAs; each partition sees its own; demapping the page
   in partition 2 leaves partition 1's entry; plus fast_data_access_MMU_miss (0x68) with
   the tag access register, fast_data_access_protection (0x6C), data_access_exception
   for a user access to a privileged page (0x30), real translation miss (0x3F), tag read.
   Results: the log. */
#include "bm.h"
#define VA   0x10000000
#define CTX  5
#define PA1  0x300000
#define PA2  0x400000
#define PA3  0x500000
	RED_TABLE
	.text
start:
	LEAVE_RED htable, ptable
	setx PA1, %g1, %l0
	mov 0x111, %l1
	stx %l1, [%l0]
	setx PA2, %g1, %l0
	mov 0x222, %l1
	stx %l1, [%l0]
	mov 1, %l5
1:	mov 0x80, %g1			/* partition ID 1, then 2 */
	stxa %l5, [%g1] 0x58
	REAL_MAPS
	DTLB_IN CTX, (TTE_V | TTE_XW | TTE_256M), 0	/* RAM identity for context 5 */
	cmp %l5, 1
	bne 2f
	nop
	DTLB_IN (VA | CTX), (TTE_V | PA1 | 0x40 | TTE_8K), 0		/* W */
	DTLB_IN (VA + 0x2000 | CTX), (TTE_V | PA3 | TTE_8K), 0		/* read-only */
	DTLB_IN (VA + 0x4000 | CTX), (TTE_V | PA3 | 0x100 | TTE_8K), 0	/* P */
	ba 3f
	nop
2:	DTLB_IN (VA | CTX), (TTE_V | PA2 | 0x40 | TTE_8K), 0
3:	cmp %l5, 2
	bne 1b
	inc %l5
	/* tag read of DTLB entry 3 (partition 1's VA entry: entries 0-2 are PID 1's maps) */
	mov 3 << 3, %g1
	ldxa [%g1] 0x5e, %l0
	LOG %l0
	mov 0x80, %g1
	mov 1, %l0
	stxa %l0, [%g1] 0x58		/* partition 1 */
	mov 8, %g1
	mov CTX, %l0
	stxa %l0, [%g1] 0x21		/* primary context */
	mov 8, %l0
	stxa %l0, [%g0] 0x45		/* data MMU on */
	TO_PRIV priv_start
priv_start:
	setx VA, %g1, %l4
	ldx [%l4], %l0
	LOG %l0				/* 0x111 (partition 1) */
	ta 0x90				/* HV: partition 2 */
	ldx [%l4], %l0
	LOG %l0				/* 0x222 (partition 2) */
	ta 0x91				/* HV: demap page VA in partition 2 */
	ldx [%l4], %l0			/* miss 0x68 -> HV logs, switches to partition 1, retry */
	LOG %l0				/* 0x111 */
	set 0x2000, %l5
	stx %l0, [%l4 + %l5]		/* protection 0x6C */
	wrpr %g0, 0x10, %pstate		/* user */
	set 0x4000, %l5
	ldx [%l4 + %l5], %l0		/* privileged page: 0x30 */
	ta 0x24				/* back to privileged, at priv_more */
priv_more:
	setx 0x50000000, %g1, %l4
	ldxa [%l4] 0x14, %l0		/* ASI_REAL, no real entry: 0x3F */
	ta 0x85

hv_pid2:
	mov 0x80, %g1
	mov 2, %g2
	stxa %g2, [%g1] 0x58
	done
hv_demap:
	setx VA, %g1, %g2		/* demap page, primary context */
	stxa %g0, [%g2] 0x5f
	done
hv_miss:
	rdpr %tt, %g1
	LOG %g1
	mov 0x30, %g1
	ldxa [%g1] 0x58, %g2		/* D tag access: VA | context */
	LOG %g2
	mov 0x80, %g1
	mov 1, %g2
	stxa %g2, [%g1] 0x58
	retry
hv_skip:
	rdpr %tt, %g1
	LOG %g1
	done
to_priv:
	LA priv_more, %g1, %g2
	wrpr %g1, %tnpc
	rdpr %tstate, %g1
	or %g1, 0x400, %g1		/* TSTATE.pstate.priv */
	wrpr %g1, %tstate
	done
	RECORDERS

	.align 16384
htable:
	ENTRY htable, 0x30, hv_skip
	ENTRY htable, 0x3f, hv_skip
	ENTRY htable, 0x68, hv_miss
	ENTRY htable, 0x6c, hv_skip
	ENTRY htable, 0x185, hv_off
	ENTRY htable, 0x190, hv_pid2
	ENTRY htable, 0x191, hv_demap
	.align 32768
ptable:
	ENTRY ptable, 0x124, to_priv
	.org ptable + 0x8000
