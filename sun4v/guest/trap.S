/* Trap entry and exit, the MMU-miss handler, and the fatal path at TL > 0.

   trap_enter: every trap the kernel handles in C (interrupts, the mondo queues, the
   kernel's software traps, and the unexpected ones, which C reports). It arrives at
   TL 1 with the trap globals (GL 1), in the interrupted code's register window, with
   interrupts off. It saves the whole interrupted context as a struct trapframe
   (trap.h) just below the interrupted stack pointer: the window's %o/%l/%i registers,
   the trap state of TL 1 (TSTATE, TPC, TNPC), %y, %fprs, TT, PIL, and the globals of
   GL 0. Then it drops to TL 0 and GL 0 (so that C may take MMU misses and window
   traps of its own) with FP disabled (kernel C is built without FP), and calls
   trap_dispatch(tf) with interrupts still off.

   trap_exit: trap_dispatch returns the frame to resume, with bit 0 set when it is
   another thread's (the scheduler switched): the state is reloaded from that frame and
   `retry` continues it. A switched-to thread gets its own CWP and an empty set of
   valid windows (its callers' windows were flushed to its stack when it was switched
   out; they fill back on demand). A new thread starts the same way, from a frame
   made by thread_create.

   kmiss: an MMU miss for the kernel's linear map (layout.h). %g1 = MAP_ITLB or
   MAP_DTLB says which. The hypervisor has put the address and context in the fault
   status area (the first bytes of struct cpu, found through scratchpad 0). The
   handler finds the 4 MB page in vm_ranges (vm.c), writes it to the TSB (so the
   hypervisor or the hardware walker finds it next time) and loads it into the TLB with
   the MMU_MAP_ADDR fast trap; an address outside the map is fatal. It runs at TL 1 or
   2 and touches only the first 4 MB (permanently mapped), so it never misses itself. */
#include "layout.h"

	.register %g2, #scratch
	.register %g3, #scratch
	.register %g6, #scratch
	.register %g7, #scratch

	.text
	.align 32
	.globl trap_enter
trap_enter:
	mov %sp, %g2
	/* from user mode (a program, prog.c): onto the thread's kernel stack */
	rdpr %tstate, %g1
	andcc %g1, PSTATE_PRIV << TSTATE_PSTATE_SHIFT, %g0
	bnz,pt %xcc, 0f
	 nop
	ldxa [%g0] ASI_SCRATCHPAD, %g1
	ldx [%g1 + CPU_KSP], %sp
	mov 8, %g1				/* the primary context: the kernel's (0) at TL 0; */
	stxa %g0, [%g1] ASI_MMU_CONTEXTID	/* the secondary stays the program's */
0:	sub %sp, TF_FRAME, %sp
	add %sp, STACK_BIAS + FRAME_MIN, %g1	/* %g1 = the trapframe */
	stx %o0, [%g1 + TF_O + 0]
	stx %o1, [%g1 + TF_O + 8]
	stx %o2, [%g1 + TF_O + 16]
	stx %o3, [%g1 + TF_O + 24]
	stx %o4, [%g1 + TF_O + 32]
	stx %o5, [%g1 + TF_O + 40]
	stx %g2, [%g1 + TF_O + 48]		/* the interrupted %sp */
	stx %o7, [%g1 + TF_O + 56]
	stx %l0, [%g1 + TF_L + 0]
	stx %l1, [%g1 + TF_L + 8]
	stx %l2, [%g1 + TF_L + 16]
	stx %l3, [%g1 + TF_L + 24]
	stx %l4, [%g1 + TF_L + 32]
	stx %l5, [%g1 + TF_L + 40]
	stx %l6, [%g1 + TF_L + 48]
	stx %l7, [%g1 + TF_L + 56]
	stx %i0, [%g1 + TF_I + 0]
	stx %i1, [%g1 + TF_I + 8]
	stx %i2, [%g1 + TF_I + 16]
	stx %i3, [%g1 + TF_I + 24]
	stx %i4, [%g1 + TF_I + 32]
	stx %i5, [%g1 + TF_I + 40]
	stx %i6, [%g1 + TF_I + 48]
	stx %i7, [%g1 + TF_I + 56]
	rdpr %tstate, %g2
	stx %g2, [%g1 + TF_TSTATE]
	rdpr %tpc, %g2
	stx %g2, [%g1 + TF_TPC]
	rdpr %tnpc, %g2
	stx %g2, [%g1 + TF_TNPC]
	rd %y, %g2
	stx %g2, [%g1 + TF_Y]
	rd %fprs, %g2
	stx %g2, [%g1 + TF_FPRS]
	rdpr %tt, %g2
	stx %g2, [%g1 + TF_TT]
	rdpr %pil, %g2
	stx %g2, [%g1 + TF_PIL]
	mov %g1, %l0				/* the frame, in a window register */
	wrpr %g0, 0, %gl			/* the interrupted code's globals */
	stx %g1, [%l0 + TF_G + 8]
	stx %g2, [%l0 + TF_G + 16]
	stx %g3, [%l0 + TF_G + 24]
	stx %g4, [%l0 + TF_G + 32]
	stx %g5, [%l0 + TF_G + 40]
	stx %g6, [%l0 + TF_G + 48]
	stx %g7, [%l0 + TF_G + 56]
	wrpr %g0, 0, %tl
	wr %g0, 0, %fprs
	/* from user mode: the program's windows to its stack before any C runs. The
	   kernel's C (-mflat) runs in the interrupted window and may use %i6 as a general
	   register, and %i6 is the %sp of the caller's window: a later flushw (a thread
	   switch, a signal frame) would spill that window to wherever %i6 then points */
	ldx [%l0 + TF_TSTATE], %g1
	andcc %g1, PSTATE_PRIV << TSTATE_PSTATE_SHIFT, %g0
	bnz,pt %xcc, 2f
	 nop
	flushw					/* (%wstate 1: spill_1_normal, ASI_AIUS) */
	wrpr %g0, 0, %wstate			/* the kernel's own windows from here */
2:	call trap_dispatch
	 mov %l0, %o0
	/* fall through: resume the frame trap_dispatch returned */

	.globl trap_exit
trap_exit:
	andn %o0, 1, %l0
	and %o0, 1, %l1
	/* the thread switched away from is off this stack now: others may run it */
	ldxa [%g0] ASI_SCRATCHPAD, %l2
	ldx [%l2 + CPU_PREV], %l3
	brz,pt %l3, 0f
	 nop
	membar #StoreStore | #LoadStore
	stx %g0, [%l3 + T_ONCPU]
	stx %g0, [%l2 + CPU_PREV]
0:	ldx [%l0 + TF_G + 8], %g1
	ldx [%l0 + TF_G + 16], %g2
	ldx [%l0 + TF_G + 24], %g3
	ldx [%l0 + TF_G + 32], %g4
	ldx [%l0 + TF_G + 40], %g5
	ldx [%l0 + TF_G + 48], %g6
	ldx [%l0 + TF_G + 56], %g7
	wrpr %g0, 1, %tl
	wrpr %g0, 1, %gl
	mov %l0, %g1				/* the frame, now in a trap global */
	ldx [%g1 + TF_TSTATE], %g2
	brz,pt %l1, 1f
	 nop
	/* another thread: its own window, no valid windows of its callers in the file */
	and %g2, TSTATE_CWP_MASK, %g3
	wrpr %g3, %cwp
	wrpr %g0, NWINDOWS - 2, %cansave
	wrpr %g0, 0, %canrestore
	wrpr %g0, 0, %otherwin
1:	wrpr %g2, %tstate
	/* to user mode: the program's context as the primary one, its windows spill and
	   fill through spill_1_normal / fill_1_normal */
	andcc %g2, PSTATE_PRIV << TSTATE_PSTATE_SHIFT, %g0
	bnz,pt %xcc, 2f
	 nop
	ldxa [%g0] ASI_SCRATCHPAD, %g3
	ldx [%g3 + CPU_UCTX], %g3
	mov 8, %g4
	stxa %g3, [%g4] ASI_MMU_CONTEXTID
	wrpr %g0, 1, %wstate
2:	ldx [%g1 + TF_TPC], %g2
	wrpr %g2, %tpc
	ldx [%g1 + TF_TNPC], %g2
	wrpr %g2, %tnpc
	ldx [%g1 + TF_Y], %g2
	wr %g2, 0, %y
	ldx [%g1 + TF_FPRS], %g2
	wr %g2, 0, %fprs
	ldx [%g1 + TF_PIL], %g2
	wrpr %g2, %pil
	ldx [%g1 + TF_L + 0], %l0
	ldx [%g1 + TF_L + 8], %l1
	ldx [%g1 + TF_L + 16], %l2
	ldx [%g1 + TF_L + 24], %l3
	ldx [%g1 + TF_L + 32], %l4
	ldx [%g1 + TF_L + 40], %l5
	ldx [%g1 + TF_L + 48], %l6
	ldx [%g1 + TF_L + 56], %l7
	ldx [%g1 + TF_I + 0], %i0
	ldx [%g1 + TF_I + 8], %i1
	ldx [%g1 + TF_I + 16], %i2
	ldx [%g1 + TF_I + 24], %i3
	ldx [%g1 + TF_I + 32], %i4
	ldx [%g1 + TF_I + 40], %i5
	ldx [%g1 + TF_I + 48], %i6
	ldx [%g1 + TF_I + 56], %i7
	ldx [%g1 + TF_O + 0], %o0
	ldx [%g1 + TF_O + 8], %o1
	ldx [%g1 + TF_O + 16], %o2
	ldx [%g1 + TF_O + 24], %o3
	ldx [%g1 + TF_O + 32], %o4
	ldx [%g1 + TF_O + 40], %o5
	ldx [%g1 + TF_O + 48], %o6
	ldx [%g1 + TF_O + 56], %o7
	retry

/* ---- kmiss: %g1 = MAP_ITLB or MAP_DTLB ----------------------------------------------- */
	.align 32
	.globl kmiss
kmiss:
	ldxa [%g0] ASI_SCRATCHPAD, %g2		/* struct cpu = the fault status area */
	ldx [%g2 + CPU_FAULT_DADDR], %g3
	ldx [%g2 + CPU_FAULT_DCTX], %g4
	cmp %g1, MAP_ITLB
	bne,pt %xcc, 1f
	 nop
	ldx [%g2 + CPU_FAULT_IADDR], %g3
	ldx [%g2 + CPU_FAULT_ICTX], %g4
1:	brnz,pn %g4, umiss			/* only context 0 is the kernel's */
	 srlx %g3, KERN_PAGE_SHIFT, %g3
	sllx %g3, KERN_PAGE_SHIFT, %g3		/* %g3 = the 4 MB page's VA */
	/* find the range holding it: vm_ranges[i] = {va_lo, va_hi, tte of va_lo} */
	sethi %hi(vm_ranges), %g4
	or %g4, %lo(vm_ranges), %g4
	sethi %hi(vm_nranges), %g5
	ldx [%g5 + %lo(vm_nranges)], %g5
2:	brz,pn %g5, kmiss_fatal			/* not the kernel's */
	 nop
	ldx [%g4 + 0], %g6
	cmp %g3, %g6
	blu,pn %xcc, 3f
	 ldx [%g4 + 8], %g7
	cmp %g3, %g7
	bgeu,pn %xcc, 3f
	 sub %g3, %g6, %g7
	ldx [%g4 + 16], %g6
	ba 4f
	 add %g6, %g7, %g6			/* %g6 = the TTE (its RA field moves with VA) */
3:	add %g4, 24, %g4
	ba 2b
	 sub %g5, 1, %g5
4:	/* count it (counters page; not atomic: an estimate when vCPUs miss at once) */
	setx KERNBASE + COUNTERS_OFFSET + COUNTERS_KMISSES, %g4, %g2
	ldx [%g2], %g4
	inc %g4
	stx %g4, [%g2]
	/* into the TSB, if there is one yet: entry (va >> 22) & mask, tag va >> 22 */
	sethi %hi(vm_tsb), %g4
	ldx [%g4 + %lo(vm_tsb)], %g4
	brz,pn %g4, 6f
	 srlx %g3, TSB_TAG_VA_SHIFT, %g5	/* %g5 = tag (context 0) */
	sethi %hi(vm_tsb_mask), %g7
	ldx [%g7 + %lo(vm_tsb_mask)], %g7
	and %g5, %g7, %g7
	sllx %g7, 4, %g7
	add %g4, %g7, %g4			/* %g4 = the entry */
	/* take the entry: a tag with the lock bit (47) matches no lookup meanwhile */
5:	ldx [%g4], %g2
	mov 1, %g7
	sllx %g7, 47, %g7
	andcc %g2, %g7, %g0
	bnz,pn %xcc, 5b				/* another vCPU is writing it */
	 or %g2, %g7, %g7
	casx [%g4], %g2, %g7
	cmp %g2, %g7
	bne,pn %xcc, 5b
	 nop
	stx %g6, [%g4 + 8]
	membar #StoreStore
	stx %g5, [%g4]				/* the tag, unlocked */
6:
kmiss_tlb:	/* the TLB: ta MMU_MAP_ADDR(va, ctx 0, tte, flags), keeping the %o registers */
	mov %o0, %g2
	mov %o1, %g4
	mov %o2, %g5
	mov %o3, %g7
	mov %g3, %o0
	ldxa [%g0] ASI_SCRATCHPAD, %o1		/* the context that missed */
	cmp %g1, MAP_ITLB
	be,a,pn %xcc, 7f
	 ldx [%o1 + CPU_FAULT_ICTX], %o1
	ldx [%o1 + CPU_FAULT_DCTX], %o1
7:	mov %g6, %o2
	mov %g1, %o3
	ta MMU_MAP_ADDR
	brnz,pn %o0, kmiss_fatal
	 mov %g2, %o0
	mov %g4, %o1
	mov %g5, %o2
	mov %g7, %o3
	retry

kmiss_fatal:
	ba fatal_tl
	 nop

/* umiss: a miss outside the kernel's map: a page of the program's address space
   (uspace, prog.h: {va_lo, va_hi, TTE of va_lo} per range, 8 KB pages), loaded into the
   TLB only (the TSB holds the kernel's 4 MB pages). No range, no access (PROT_NONE) or
   an instruction fetch from a page without PROT_EXEC: a fault of the program when it
   came from user mode at TL 1 (trap_enter, then prog_trap: SIGSEGV), else fatal. */
umiss:
	ldxa [%g0] ASI_SCRATCHPAD, %g2
	ldx [%g2 + CPU_UCTX], %g5
	cmp %g4, %g5				/* the running program's context? */
	bne,pn %xcc, ufault
	 ldx [%g2 + CPU_FAULT_DADDR], %g3
	cmp %g1, MAP_ITLB
	bne,pt %xcc, 1f
	 nop
	ldx [%g2 + CPU_FAULT_IADDR], %g3
1:	srlx %g3, UPAGE_SHIFT_ASM, %g3
	sllx %g3, UPAGE_SHIFT_ASM, %g3		/* %g3 = the 8 KB page's VA */
	ldx [%g2 + CPU_USPACE], %g4		/* its address space */
	ldx [%g4], %g5				/* ranges in use */
	add %g4, 16, %g4
2:	brz,pn %g5, ufault
	 nop
	ldx [%g4 + 0], %g6
	cmp %g3, %g6
	blu,pn %xcc, 3f
	 ldx [%g4 + 8], %g7
	cmp %g3, %g7
	bgeu,pn %xcc, 3f
	 sub %g3, %g6, %g7
	ldx [%g4 + 16], %g6
	ba 4f
	 add %g6, %g7, %g6			/* %g6 = the page's TTE */
3:	add %g4, URANGE_SIZE_ASM, %g4
	ba 2b
	 sub %g5, 1, %g5
4:	brgez,pn %g6, ufault			/* not valid: PROT_NONE */
	 cmp %g1, MAP_ITLB
	bne,pt %xcc, kmiss_tlb
	 andcc %g6, 0x80, %g0			/* TTE_X */
	bz,pn %xcc, ufault
	 nop
	ba kmiss_tlb
	 nop

ufault:
	rdpr %tl, %g2
	cmp %g2, 1
	bne,pn %xcc, kmiss_fatal
	 rdpr %tstate, %g2
	andcc %g2, PSTATE_PRIV << TSTATE_PSTATE_SHIFT, %g0
	bnz,pn %xcc, kmiss_fatal
	 nop
	ba trap_enter
	 nop

/* ---- fatal_tl: a trap the kernel cannot continue from, at TL >= 1 ----------------------
   Record TT, TPC and TL in struct cpu, take the vCPU's panic stack, drop to TL 0 and
   call panic_tl(cpu), which prints them and stops the domain. */
	.globl fatal_tl
fatal_tl:
	ldxa [%g0] ASI_SCRATCHPAD, %g2
	rdpr %tt, %g3
	stx %g3, [%g2 + CPU_PANIC_TT]
	rdpr %tpc, %g3
	stx %g3, [%g2 + CPU_PANIC_TPC]
	rdpr %tl, %g3
	stx %g3, [%g2 + CPU_PANIC_TL]
	ldx [%g2 + CPU_PANIC_SP], %sp
	mov %g2, %l0
	wrpr %g0, 0, %gl
	wrpr %g0, 0, %tl
	wr %g0, 0, %fprs
	call panic_tl
	 mov %l0, %o0
	ba .
	 nop

/* ---- FP state of a thread (the scheduler saves it when it switches threads) ----------- */
	.globl fp_save
fp_save:
	wr %g0, 4, %fprs			/* FEF */
	std %f0, [%o0 + 0]
	std %f2, [%o0 + 8]
	std %f4, [%o0 + 16]
	std %f6, [%o0 + 24]
	std %f8, [%o0 + 32]
	std %f10, [%o0 + 40]
	std %f12, [%o0 + 48]
	std %f14, [%o0 + 56]
	std %f16, [%o0 + 64]
	std %f18, [%o0 + 72]
	std %f20, [%o0 + 80]
	std %f22, [%o0 + 88]
	std %f24, [%o0 + 96]
	std %f26, [%o0 + 104]
	std %f28, [%o0 + 112]
	std %f30, [%o0 + 120]
	std %f32, [%o0 + 128]
	std %f34, [%o0 + 136]
	std %f36, [%o0 + 144]
	std %f38, [%o0 + 152]
	std %f40, [%o0 + 160]
	std %f42, [%o0 + 168]
	std %f44, [%o0 + 176]
	std %f46, [%o0 + 184]
	std %f48, [%o0 + 192]
	std %f50, [%o0 + 200]
	std %f52, [%o0 + 208]
	std %f54, [%o0 + 216]
	std %f56, [%o0 + 224]
	std %f58, [%o0 + 232]
	std %f60, [%o0 + 240]
	std %f62, [%o0 + 248]
	stx %fsr, [%o0 + 256]
	retl
	 wr %g0, 0, %fprs

	.globl fp_restore
fp_restore:
	wr %g0, 4, %fprs
	ldd [%o0 + 0], %f0
	ldd [%o0 + 8], %f2
	ldd [%o0 + 16], %f4
	ldd [%o0 + 24], %f6
	ldd [%o0 + 32], %f8
	ldd [%o0 + 40], %f10
	ldd [%o0 + 48], %f12
	ldd [%o0 + 56], %f14
	ldd [%o0 + 64], %f16
	ldd [%o0 + 72], %f18
	ldd [%o0 + 80], %f20
	ldd [%o0 + 88], %f22
	ldd [%o0 + 96], %f24
	ldd [%o0 + 104], %f26
	ldd [%o0 + 112], %f28
	ldd [%o0 + 120], %f30
	ldd [%o0 + 128], %f32
	ldd [%o0 + 136], %f34
	ldd [%o0 + 144], %f36
	ldd [%o0 + 152], %f38
	ldd [%o0 + 160], %f40
	ldd [%o0 + 168], %f42
	ldd [%o0 + 176], %f44
	ldd [%o0 + 184], %f46
	ldd [%o0 + 192], %f48
	ldd [%o0 + 200], %f50
	ldd [%o0 + 208], %f52
	ldd [%o0 + 216], %f54
	ldd [%o0 + 224], %f56
	ldd [%o0 + 232], %f58
	ldd [%o0 + 240], %f60
	ldd [%o0 + 248], %f62
	ldx [%o0 + 256], %fsr
	retl
	 wr %g0, 0, %fprs

/* flush_windows: write every window of the caller's callers to their stacks */
	.globl flush_windows
flush_windows:
	retl
	 flushw

	.section .note.GNU-stack, "", @progbits
