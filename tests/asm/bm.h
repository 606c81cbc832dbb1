/* Common definitions for the bare-metal assembly tests (see baremetal.ld and
   sun4v/machine/machine.py). Include first in every test program.

   The simulator's exit is Legion's magic trap: `ta 0x71` in hyperprivileged mode powers
   the machine off with %o0 as the power-off value (sun4v/cmt/traptypes.py T_MAGIC_EXIT;
   LEGION_EXIT in Sun's hypervisor legion.h). On a real chip it is an ordinary trap. */
	.register %g2, #scratch
	.register %g3, #scratch
	.register %g6, #scratch
	.register %g7, #scratch

#define RESULTS   0x100000          /* result words read by tests/test_priv.py */
#define STACK_TOP 0x1f0000
#define UART      0xfff0c2c000      /* the hypervisor UART (Legion map) */
#define GUEST_UART 0x1f10000000     /* guest UART 0 */
#define TOD       0xfff0c1fff8      /* seconds since 1970 */
#define MAGIC_EXIT 0x71
#define HTBA_BASE 0xfff0010000      /* hyperprivileged trap table set by the tests */
#define TBA_BASE  0xfff0020000      /* privileged trap table */

/* RES n, reg: store reg into result word n (clobbers %g7) */
	.macro RES n, reg
	sethi %hi(RESULTS), %g7
	stx \reg, [%g7 + 8*\n]
	.endm

/* POWEROFF code: stop the simulator with this power-off value (hyperprivileged mode;
   clobbers %o0) */
	.macro POWEROFF code
	mov \code, %o0
	ta %xcc, MAGIC_EXIT
	.endm

/* PUTC reg: write the low byte of reg to the UART (clobbers %g6) */
	.macro PUTC reg
	setx UART, %g7, %g6
	stb \reg, [%g6]
	.endm

/* DTLB_IN / ITLB_IN tag, tte, flags: load a TLB entry through the tag access register
   and data-in (flags: 0x400 = real on T2). Clobbers %g1-%g3. */
	.macro DTLB_IN tag, tte, flags
	mov 0x30, %g1
	setx \tag, %g3, %g2
	stxa %g2, [%g1] 0x58
	setx \tte, %g3, %g2
	set \flags, %g1
	stxa %g2, [%g1] 0x5c
	.endm
	.macro ITLB_IN tag, tte, flags
	mov 0x30, %g1
	setx \tag, %g3, %g2
	stxa %g2, [%g1] 0x50
	setx \tte, %g3, %g2
	set \flags, %g1
	stxa %g2, [%g1] 0x54
	.endm

/* TLB_IN_G4 tacc, din, tag, tte: a TLB entry with the data-in flags in %g4.
   Clobbers %g1-%g3. */
	.macro TLB_IN_G4 tacc, din, tag, tte
	mov 0x30, %g1
	setx \tag, %g3, %g2
	stxa %g2, [%g1] \tacc
	setx \tte, %g3, %g2
	stxa %g2, [%g4] \din
	.endm

/* identity real mappings (256 MB pages) for the code at 0xFF_F000_0000 and RAM at 0 */
#define TTE_V      0x8000000000000000
#define TTE_XW     0xc0
#define TTE_256M   5
#define TTE_8K     0
	.macro REAL_MAPS
	ITLB_IN 0xfff0000000, (TTE_V | 0xfff0000000 | TTE_XW | TTE_256M), 0x400
	DTLB_IN 0xfff0000000, (TTE_V | 0xfff0000000 | TTE_XW | TTE_256M), 0x400
	DTLB_IN 0, (TTE_V | TTE_XW | TTE_256M), 0x400
	.endm

/* RED-state vector table at RSTVADDR: POR at +0x20 jumps to `start`; any other RED-state
   trap stores its TT to result 63 and powers off with code 0xEE. */
	.macro RED_TABLE redlabel=red_other
	.section .text.reset, "ax"
	.globl _reset
	.align 32
	ba red_other
	nop
	.align 32
_reset:	ba start			/* POR  +0x20 */
	nop
	.align 32
	ba red_other			/* WDR  +0x40 */
	nop
	.align 32
	ba red_other			/* XIR  +0x60 */
	nop
	.align 32
	ba red_other			/* SIR  +0x80 */
	nop
	.align 32
	ba \redlabel			/* RED  +0xA0 */
	nop
	.align 32
red_other:
	rdpr %tt, %g1
	RES 63, %g1
	rdpr %tl, %g1
	RES 62, %g1
	POWEROFF 0xee
	.text
	.endm

/* rdhpr/wrhpr: the assembler accepts them only with -Av9v, so they are encoded here.
   Register numbers: G0-G7 0-7, O0-O7 8-15, L0-L7 16-23, I0-I7 24-31. */
#define HPSTATE 0
#define HTSTATE 1
#define HINTP   3
#define HTBA    5
#define HVER    6
#define HPR30   30
#define HSTICK_CMPR 31
	.macro RDHPR hpr, rdnum
	.word 0x80000000 | (\rdnum << 25) | (0x29 << 19) | (\hpr << 14)
	.endm
	.macro WRHPR rs1num, hpr
	.word 0x80000000 | (\hpr << 25) | (0x33 << 19) | (\rs1num << 14)
	.endm
#define G0 0
#define G1 1
#define G2 2
#define G3 3
#define G4 4
#define G5 5
#define G6 6
#define G7 7
#define O0 8
#define O1 9
#define O2 10
#define O3 11
#define L0 16
#define L1 17
#define L2 18
#define L3 19
#define L4 20
#define L5 21

/* LA label, reg, tmp: load the address of a label in the same section, PC-relative (the
   assembler runs in PIC mode here, so `setx label` would produce GOT relocations). */
	.macro LA label, reg, tmp
99:	rd %pc, \reg
	sethi %hi((\label - 99b) & 0xffffffff), \tmp
	or \tmp, %lo((\label - 99b) & 0xffffffff), \tmp
	sra \tmp, 0, \tmp
	add \reg, \tmp, \reg
	.endm

/* LOG reg: append reg to the log at RESULTS+0x400 (count*8 kept at RESULTS+0x3f8).
   Clobbers %g6, %g7. */
	.macro LOG reg
	sethi %hi(RESULTS), %g7
	ldx [%g7 + 0x3f8], %g6
	add %g6, 8, %g6
	stx %g6, [%g7 + 0x3f8]
	add %g7, %g6, %g7
	stx \reg, [%g7 + 0x3f8]
	.endm

/* ENTRY table, tt, target: trap table entry tt (8 instructions) branching to target */
	.macro ENTRY table, tt, target
	.org \table + ((\tt) << 5)
	ba \target
	nop
	.endm

/* LEAVE_RED: hyperprivileged, TL = 0, GL = 0, out of RED state; HTBA/TBA = labels */
	.macro LEAVE_RED htable, ptable
	wrpr %g0, 0, %tl
	wrpr %g0, 0, %gl
	mov 4, %l0
	WRHPR L0, HPSTATE
	LA \htable, %l0, %g1
	WRHPR L0, HTBA
	LA \ptable, %l0, %g1
	wrpr %l0, %tba
	.endm

/* TO_PRIV label: from hyperprivileged TL=0, continue at label in privileged mode
   (PSTATE = PRIV|PEF, GL 0) by `done` from TL 1. Clobbers %l0, %g1. */
	.macro TO_PRIV label
	wrpr %g0, 1, %tl
	LA \label, %l0, %g1
	wrpr %l0, %tnpc
	setx (0x14 << 8), %g1, %l0
	wrpr %l0, %tstate
	WRHPR G0, HTSTATE
	done
	.endm

/* HV_REC / PRIV_REC: handlers that log TT, TL, GL, PSTATE (and HTSTATE for HV) */
	.macro RECORDERS
hv_rec:	rdpr %tt, %g1
	LOG %g1
	rdpr %tl, %g1
	LOG %g1
	rdpr %gl, %g1
	LOG %g1
	rdpr %pstate, %g1
	LOG %g1
	RDHPR HTSTATE, G1
	LOG %g1
	done
priv_rec:
	rdpr %tt, %g1
	LOG %g1
	rdpr %tl, %g1
	LOG %g1
	rdpr %gl, %g1
	LOG %g1
	rdpr %pstate, %g1
	LOG %g1
	done
hv_off:	rdpr %tt, %g1
	LOG %g1
	rdpr %tl, %g1
	LOG %g1
	POWEROFF 0x5a
	.endm

/* REAL_MAPS_ANY: REAL_MAPS on a T1 (data-in VA bit 10 = sun4v format, bit 9 = real)
   or a T2 (bit 10 = real), by HVER.impl. Clobbers %g1-%g4. */
	.macro REAL_MAPS_ANY
	RDHPR HVER, G4
	srlx %g4, 32, %g4
	and %g4, 0xff, %g4
	cmp %g4, 0x23
	mov 0x400, %g4
	move %icc, 0x600, %g4
	TLB_IN_G4 0x50, 0x54, 0xfff0000000, (TTE_V | 0xfff0000000 | TTE_XW | TTE_256M)
	TLB_IN_G4 0x58, 0x5c, 0xfff0000000, (TTE_V | 0xfff0000000 | TTE_XW | TTE_256M)
	TLB_IN_G4 0x58, 0x5c, 0, (TTE_V | TTE_XW | TTE_256M)
	.endm
