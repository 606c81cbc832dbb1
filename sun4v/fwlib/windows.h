/* Register-window handling shared by the hypervisor, the guest kernel and the bare-metal
   test programs (assembler macros; include from .S files only). A 64-bit window is
   saved at %sp + the stack bias (2047), the 16 locals and ins in order, 8 bytes each
   (SPARC V9 ABI, "Register windows"; UA2007 5.2 and 12, spill/fill traps). */
#ifndef FWLIB_WINDOWS_H
#define FWLIB_WINDOWS_H

/* WIN_STORE_64 bias: store the window's %l0-%l7, %i0-%i7 at [%sp + bias], 128 bytes. */
	.macro WIN_STORE_64 bias
	stx %l0, [%sp + \bias + 0]
	stx %l1, [%sp + \bias + 8]
	stx %l2, [%sp + \bias + 16]
	stx %l3, [%sp + \bias + 24]
	stx %l4, [%sp + \bias + 32]
	stx %l5, [%sp + \bias + 40]
	stx %l6, [%sp + \bias + 48]
	stx %l7, [%sp + \bias + 56]
	stx %i0, [%sp + \bias + 64]
	stx %i1, [%sp + \bias + 72]
	stx %i2, [%sp + \bias + 80]
	stx %i3, [%sp + \bias + 88]
	stx %i4, [%sp + \bias + 96]
	stx %i5, [%sp + \bias + 104]
	stx %i6, [%sp + \bias + 112]
	stx %i7, [%sp + \bias + 120]
	.endm

/* WIN_LOAD_64 bias: load the window's %l0-%l7, %i0-%i7 from [%sp + bias]. */
	.macro WIN_LOAD_64 bias
	ldx [%sp + \bias + 0], %l0
	ldx [%sp + \bias + 8], %l1
	ldx [%sp + \bias + 16], %l2
	ldx [%sp + \bias + 24], %l3
	ldx [%sp + \bias + 32], %l4
	ldx [%sp + \bias + 40], %l5
	ldx [%sp + \bias + 48], %l6
	ldx [%sp + \bias + 56], %l7
	ldx [%sp + \bias + 64], %i0
	ldx [%sp + \bias + 72], %i1
	ldx [%sp + \bias + 80], %i2
	ldx [%sp + \bias + 88], %i3
	ldx [%sp + \bias + 96], %i4
	ldx [%sp + \bias + 104], %i5
	ldx [%sp + \bias + 112], %i6
	ldx [%sp + \bias + 120], %i7
	.endm

/* WIN_CLEAR_LOCALS, WIN_CLEAR_INS, WIN_CLEAR_OUTS: zero %l0-%l7, %i0-%i7, %o0-%o7. */
	.macro WIN_CLEAR_LOCALS
	clr %l0
	clr %l1
	clr %l2
	clr %l3
	clr %l4
	clr %l5
	clr %l6
	clr %l7
	.endm

	.macro WIN_CLEAR_INS
	clr %i0
	clr %i1
	clr %i2
	clr %i3
	clr %i4
	clr %i5
	clr %i6
	clr %i7
	.endm

	.macro WIN_CLEAR_OUTS
	clr %o0
	clr %o1
	clr %o2
	clr %o3
	clr %o4
	clr %o5
	clr %o6
	clr %o7
	.endm

#endif
