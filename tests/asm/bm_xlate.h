/* What the translation-cache programs (bm_xlate.S, bm_xlate2.S, bm_xlate_smp.S) share:
   privileged code with both MMUs on runs at VA CVA + its ROM offset in partition 1,
   context CTX; the hypervisor logs what the privileged code hands it in %o0 (ta LOGT),
   logs tt and the tag access of a data miss and skips the access, and powers off on an
   unexpected trap. Include after bm.h. Register conventions: %i0 = TTE_V, %i1 = PA - VA
   of the privileged code, %l7 / %l6 the data-in VA flags (virtual / real) from
   XLATE_DATAIN. */
#define ROM      0xfff0000000
#define CVA      0x30000000		/* privileged code: VA = PA - ROM + CVA */
#define CTX      5
#define PA1      0x300000
#define PA2      0x400000
#define X        0x80
#define W        0x40
#define LOGT     0x9f

/* TLBR tacc, din, tag, tte, flags: a TLB entry from registers (tag = VA | context;
   flags: the data-in VA bits). Clobbers %g1. */
	.macro TLBR tacc, din, tag, tte, flags
	mov 0x30, %g1
	stxa \tag, [%g1] \tacc
	stxa \tte, [\flags] \din
	.endm

/* PAGE label, bits, reg: reg = TTE_V | PA of label | bits (8K). Clobbers %g2. */
	.macro PAGE label, bits, reg
	LA \label, \reg, %g2
	or \reg, \bits, \reg
	or \reg, %i0, \reg
	.endm

/* PRIV_VA label, reg: the VA the privileged code runs label at. Clobbers %g2. */
	.macro PRIV_VA label, reg
	LA \label, \reg, %g2
	sub \reg, %i1, \reg
	.endm

/* VAL reg, n: reg = n (a 40-bit constant). Clobbers %g3. */
	.macro VAL reg, n
	setx \n, %g3, \reg
	.endm

/* PART n: partition ID n (hyperprivileged). Clobbers %g1, %g2. */
	.macro PART n
	mov 0x80, %g1
	mov \n, %g2
	stxa %g2, [%g1] 0x58
	.endm

/* XLATE_START: %i0 = TTE_V, %i1 = ROM - CVA, %tba = the privileged table ptable at its
   VA, PA1 holds 0x111 and PA2 0x222. Clobbers %g2, %g3, %l0, %l1. */
	.macro XLATE_START
	mov 1, %i0
	sllx %i0, 63, %i0
	VAL %i1, (ROM - CVA)
	PRIV_VA ptable, %l0
	wrpr %l0, %tba
	VAL %l0, PA1
	mov 0x111, %l1
	stx %l1, [%l0]
	VAL %l0, PA2
	mov 0x222, %l1
	stx %l1, [%l0]
	.endm

/* XLATE_DATAIN: %l3 = HVER.impl (0x23: T1); the data-in VA flags %l7 virtual, %l6 real
   (T1: 0x400 = sun4v format, 0x200 real; T2: 0x400 real); the condition codes hold
   %l3 - 0x23 (Z set on a T1). */
	.macro XLATE_DATAIN
	RDHPR HVER, L3
	srlx %l3, 32, %l3
	and %l3, 0xff, %l3
	clr %l7
	mov 0x400, %l6
	cmp %l3, 0x23
	bne 8f
	nop
	mov 0x400, %l7
	mov 0x600, %l6
8:
	.endm

/* XLATE_HV_COMMON: the hypervisor's services every program uses: hv_log (ta LOGT),
   hv_dmiss (a data miss: log tt and the tag access, skip the access), hv_bad (an
   unexpected trap: log tt, power off 0xee). */
	.macro XLATE_HV_COMMON
hv_log:
	LOG %o0
	done
hv_dmiss:
	rdpr %tt, %g1
	LOG %g1
	mov 0x30, %g1
	ldxa [%g1] 0x58, %g1
	LOG %g1
	done
hv_bad:
	rdpr %tt, %g1
	LOG %g1
	POWEROFF 0xee
	.endm

/* XLATE_FPAGES: pages f1 (returns 1) and f2 (returns 2), each on its own 8K page. */
	.macro XLATE_FPAGES
	.align 8192
f1:	retl
	mov 1, %o0
	.align 8192
f2:	retl
	mov 2, %o0
	.align 8192
	.endm
