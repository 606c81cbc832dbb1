/* Start-up and trap table of the test guests (the hypervisor's tests, not the project's
   guest kernel).  The hypervisor enters at real base + 0x20 (the POR slot of this table)
   with the MMU off, GL = 2, %i0 = real base, %i1 = its memory block's size (boot vCPU),
   or at the pc given to cpu_start with %o0 = the argument (other vCPUs: they enter at
   `secondary` with %o0 = real base).

   Both: map VA 0x4000_0000 .. +8 MB to real base with two permanent 4 MB mappings
   (mmu_map_perm_addr), turn the MMU on (mmu_enable, returning at the linked address),
   take a 64 KB stack by vCPU id at 0x4070_0000 + id * 64 KB (vCPU ids < 16), set TBA to
   this table and call main(real_base) (boot vCPU, after clearing the BSS) or
   secondary_main(vid).

   Trap table: every trap saves the interrupted %o registers and calls
   guest_trap(tt, tpc, tl) in C (weak default: print and exit), which returns 0 to
   `done` (skip the instruction), 1 to `retry`. */
#include <sun4v/hypervisor.h>
	.register %g2, #scratch
	.register %g3, #scratch
	.register %g6, #scratch
	.register %g7, #scratch
	.section .note.GNU-stack, "", @progbits

#define LINK_BASE	0x40000000
#define STACKS		0x40700000
#define STACK_SIZE	0x10000
#define TTE_4M_RWX	0x80000000000007c3	/* V | CP | CV | P | X | W | 4M */

	.section .text.traptable, "ax"
	.globl trap_table
trap_table:
	.set tt, 0
	.rept 1024
	.if tt == 1
	ba,a	%xcc, _start
	.else
	mov	(tt & 0x1ff), %g1
	ba	%xcc, trap_common
	nop
	.endif
	.align 32
	.set tt, tt + 1
	.endr

	.text
	.globl _start
_start:
	wrpr	%g0, 0, %gl
	mov	%i0, %g4			/* real base */
	ba	%xcc, common_start
	clr	%g5				/* boot vCPU */

	.globl secondary
secondary:
	wrpr	%g0, 0, %gl
	mov	%o0, %g4			/* real base, from the boot vCPU */
	mov	1, %g5
common_start:
	/* two permanent 4 MB mappings: VA LINK_BASE -> RA real base */
	mov	0, %g6
1:	setx	LINK_BASE, %g2, %o0
	sllx	%g6, 22, %g2
	add	%o0, %g2, %o0
	clr	%o1
	setx	TTE_4M_RWX, %g3, %o2
	or	%o2, %g4, %o2
	add	%o2, %g2, %o2
	mov	MAP_ITLB | MAP_DTLB, %o3
	mov	MMU_MAP_PERM_ADDR, %o5
	ta	FAST_TRAP
	brnz	%o0, hang
	add	%g6, 1, %g6
	cmp	%g6, 2
	bne	%xcc, 1b
	nop
	mov	1, %o0
	setx	virtual, %g2, %o1
	mov	MMU_ENABLE, %o5
	ta	FAST_TRAP
hang:	ba	%xcc, hang
	nop

virtual:
	setx	trap_table, %g2, %g1
	wrpr	%g1, %tba
	mov	CPU_MYID, %o5
	ta	FAST_TRAP
	mov	%o1, %g6			/* vid */
	stxa	%g6, [%g0] 0x20			/* scratchpad 0: vid (the trap glue's) */
	setx	STACKS, %g2, %g1
	add	%g6, 1, %g2
	sllx	%g2, 16, %g2
	add	%g1, %g2, %g1
	sub	%g1, 2047 + 192, %sp
	clr	%fp
	wrpr	%g0, 0x14, %pstate		/* PRIV | PEF */
	wr	%g0, 4, %fprs
	wrpr	%g0, 15, %pil			/* no interrupt_level_n (timers only wake cpu_yield) */
	brnz	%g5, 3f
	nop
	/* boot vCPU: BSS */
	setx	__bss_start, %g2, %g1
	setx	__bss_end, %g2, %g3
2:	cmp	%g1, %g3
	bgeu	%xcc, 4f
	nop
	stx	%g0, [%g1]
	ba	%xcc, 2b
	add	%g1, 8, %g1
4:	call	main
	mov	%g4, %o0
	ba	%xcc, exit_loop
	nop
3:	call	secondary_main
	mov	%g6, %o0
exit_loop:
	mov	%o0, %o0
	mov	MACH_EXIT, %o5
	ta	FAST_TRAP
	ba	%xcc, exit_loop
	nop

/* a trap: the interrupted %o registers go to a save area per TL (TL 1..2) per vCPU,
   guest_trap(tt, tpc, tl) runs on a trap stack, then done or retry */
trap_common:
	rdpr	%tl, %g2
	ldxa	[%g0] 0x20, %g3			/* vid (scratchpad 0) */
	sllx	%g3, 7, %g4
	sllx	%g2, 6, %g5
	add	%g4, %g5, %g4
	setx	trap_save, %g5, %g6
	add	%g6, %g4, %g6			/* save area: 64 B per (vid, tl) */
	stx	%o0, [%g6 + 0]
	stx	%o1, [%g6 + 8]
	stx	%o2, [%g6 + 16]
	stx	%o3, [%g6 + 24]
	stx	%o4, [%g6 + 32]
	stx	%o5, [%g6 + 40]
	stx	%o6, [%g6 + 48]
	stx	%o7, [%g6 + 56]
	setx	STACKS - 0x2000, %g5, %g4	/* trap stacks: 4 KB per (vid, tl) below */
	sllx	%g3, 13, %g5
	sub	%g4, %g5, %g4
	sllx	%g2, 12, %g5
	sub	%g4, %g5, %g4
	sub	%g4, 2047 + 192, %sp
	mov	%g1, %o0
	rdpr	%tpc, %o1
	call	guest_trap
	mov	%g2, %o2
	mov	%o0, %g1
	ldx	[%g6 + 0], %o0
	ldx	[%g6 + 8], %o1
	ldx	[%g6 + 16], %o2
	ldx	[%g6 + 24], %o3
	ldx	[%g6 + 32], %o4
	ldx	[%g6 + 40], %o5
	ldx	[%g6 + 48], %o6
	ldx	[%g6 + 56], %o7
	brnz	%g1, 5f
	nop
	done
5:	retry

	.section .bss
	.align 64
	.globl trap_save
trap_save:
	.skip 16 * 2 * 64 + 128

/* a real-mode table for the guest watchdog test (hostile.c): RTBA + 0x40, position
   independent (the MMU is off there): exit with 0x57 */
	.text
	.align 256
	.globl wdr_table
wdr_table:
	.skip 0x40
	mov	0x57, %o0
	mov	MACH_EXIT, %o5
	ta	FAST_TRAP
	ba	%xcc, .
	nop
