/* The hypervisor's trap table (HTBA: 512 entries of 32 bytes, 16 KB aligned; one table
   for every TL, reference/sun4v.md §1.1) and the glue between a guest's trap and the C
   handler (trap.c hv_trap).

   Every entry puts its trap type in %g1 and branches to htrap_common.  A trap taken
   in hyperprivileged mode (HTSTATE[TL].HPRIV) is a hypervisor bug: hv_trap_in_hv
   reports it and powers the machine off, unless the strand is probing memory
   (strand->probe = 1: the access is skipped and probe becomes 2).  A guest's trap: the guest's %o0-%o7 are
   saved in the strand's frame (struct strand o[]), %sp becomes the strand's stack and
   hv_trap(strand, tt) runs (C built with -mflat: it saves the %l/%i registers it uses,
   so the guest's window is untouched; the hypervisor's %g registers are its own set,
   GL having been raised by the trap).  It returns after setting strand->action:
     ACT_DONE      done (past the trapping instruction: hypercalls)
     ACT_RETRY     retry (MMU misses loaded into the TLB, interrupts)
     ACT_REVECTOR  enter the guest's own handler at revec_pc in privileged mode, at the
                   trap's TL and GL (Sun's T1 way: set PSTATE.priv, then jmp with the
                   guest HPSTATE written in the delay slot)
   and the frame's %o registers (hypercall results) go back to the guest.  Handlers
   that do not return (a vCPU launched or stopped on this strand) leave through
   hv_enter_guest or the idle loop. */
#include "asm.h"
#include "windows.h"

	.section .text.htraptable, "ax"
	.align 16384
	.globl htraptable
htraptable:
	.set tt, 0
	.rept 512
	mov	tt, %g1
	ba,pt	%xcc, htrap_common
	nop
	.align 32
	.set tt, tt + 1
	.endr

	.text
	.align 32
htrap_common:
	rdhpr	%htstate, %g2
	btst	HPSTATE_HPRIV, %g2
	bnz,pn	%xcc, htrap_hv
	ldxa	[%g0] ASI_HSCRATCHPAD, %g2
	stx	%o0, [%g2 + S_O + 0]
	stx	%o1, [%g2 + S_O + 8]
	stx	%o2, [%g2 + S_O + 16]
	stx	%o3, [%g2 + S_O + 24]
	stx	%o4, [%g2 + S_O + 32]
	stx	%o5, [%g2 + S_O + 40]
	stx	%o6, [%g2 + S_O + 48]
	stx	%o7, [%g2 + S_O + 56]
	stx	%g1, [%g2 + S_TT]
	ldx	[%g2 + S_STACK], %sp
	mov	%g2, %o0
	call	hv_trap
	mov	%g1, %o1
	ldxa	[%g0] ASI_HSCRATCHPAD, %g2
	ldx	[%g2 + S_ACTION], %g3
	ldx	[%g2 + S_REVEC], %g4
	ldx	[%g2 + S_O + 0], %o0
	ldx	[%g2 + S_O + 8], %o1
	ldx	[%g2 + S_O + 16], %o2
	ldx	[%g2 + S_O + 24], %o3
	ldx	[%g2 + S_O + 32], %o4
	ldx	[%g2 + S_O + 40], %o5
	ldx	[%g2 + S_O + 48], %o6
	ldx	[%g2 + S_O + 56], %o7
	cmp	%g3, ACT_RETRY
	be,pn	%xcc, 1f
	cmp	%g3, ACT_REVECTOR
	be,pn	%xcc, 2f
	nop
	done
1:	retry
2:	rdpr	%pstate, %g5
	or	%g5, 4, %g5			/* PSTATE.priv */
	wrpr	%g5, %pstate
	ldx	[%g2 + S_GHPSTATE], %g5
	jmp	%g4
	wrhpr	%g5, %hpstate			/* leaves hyperprivileged mode */

htrap_hv:
	/* a memory probe (mem.c pa_readable): note the fault, skip the access */
	ldx	[%g2 + S_PROBE], %g3
	cmp	%g3, 1
	bne,pt	%xcc, 3f
	mov	2, %g3
	stx	%g3, [%g2 + S_PROBE]
	done
3:	ldx	[%g2 + S_STACK], %sp
	mov	%g2, %o0
	mov	%g1, %o1
	rdpr	%tpc, %o2
	call	hv_trap_in_hv
	rdpr	%tl, %o3
	ba	%xcc, .
	nop

/* hv_enter_guest(): the architected guest entry state (include/sun4v/hypervisor.h)
   and `done` into the guest at strand->launch.pc.  Called on the strand's own stack
   from C (vcpu.c, which fills strand->launch); never returns.  Clears every register
   the guest can see so nothing of the hypervisor or of a previous guest shows
   through. */
	.globl hv_enter_guest
hv_enter_guest:
	/* clear the guest-visible global sets (GL 0..MAXPGL) and all windows */
	wrpr	%g0, 0, %gl
	call	clear_globals
	nop
	wrpr	%g0, 1, %gl
	call	clear_globals
	nop
	wrpr	%g0, 2, %gl
	call	clear_globals
	nop
	wrpr	%g0, 3, %gl			/* a set the guest does not see */
	ldxa	[%g0] ASI_HSCRATCHPAD, %g7
	add	%g7, S_LAUNCH, %g7
	wrpr	%g0, 7, %cwp
1:	WIN_CLEAR_LOCALS
	WIN_CLEAR_INS
	rdpr	%cwp, %g1
	brz,pn	%g1, 2f
	sub	%g1, 1, %g1
	ba	%xcc, 1b
	wrpr	%g1, %cwp
2:	wrpr	%g0, 6, %cansave
	wrpr	%g0, 0, %canrestore
	wrpr	%g0, 0, %otherwin
	wrpr	%g0, 7, %cleanwin
	wrpr	%g0, 0, %wstate
	wrpr	%g0, 15, %pil
	wr	%g0, 0, %fprs
	wr	%g0, 0, %y
	wr	%g0, 0, %ccr
	wr	%g0, 0x80, %asi
	/* guest scratchpads and queue registers */
	mov	0, %g1
3:	stxa	%g0, [%g1] ASI_SCRATCHPAD
	add	%g1, 8, %g1
	cmp	%g1, 0x40
	bne	%xcc, 3b
	nop
	mov	0x3c0, %g1
4:	stxa	%g0, [%g1] ASI_QUEUE
	add	%g1, 8, %g1
	cmp	%g1, 0x400
	bne	%xcc, 4b
	nop
	/* MMU: contexts 0, partition ID, MMU off */
	mov	8, %g1
	stxa	%g0, [%g1] ASI_MMU_CTX
	mov	0x10, %g1
	stxa	%g0, [%g1] ASI_MMU_CTX
	ldx	[%g7 + L_PARTID], %g2
	mov	0x80, %g1
	stxa	%g2, [%g1] ASI_DMMU
	stxa	%g0, [%g0] ASI_LSU_CTL
	/* timers: soft interrupts clear, tick/stick compare disabled */
	wr	%g0, 0, %softint
	mov	1, %g1
	sllx	%g1, 63, %g1
	wr	%g1, 0, %tick_cmpr
	wr	%g1, 0, %sys_tick_cmpr
	/* trap state: done from TL 1 enters at pc with PSTATE = PRIV, GL = MAXPGL */
	ldx	[%g7 + L_RTBA], %g1
	wrpr	%g1, %tba
	wrpr	%g0, 1, %tl
	ldx	[%g7 + L_PC], %g1
	wrpr	%g1, %tpc
	wrpr	%g1, %tnpc
	setx	(2 << 40) | (0x80 << 24) | (4 << 8), %g2, %g1
	wrpr	%g1, %tstate
	ldx	[%g7 + L_HPSTATE], %g1
	wrhpr	%g1, %htstate
	ldx	[%g7 + L_ARG], %o0
	ldx	[%g7 + L_REALBASE], %i0
	ldx	[%g7 + L_REALSIZE], %i1
	clr	%o1
	clr	%o2
	clr	%o3
	clr	%o4
	clr	%o5
	clr	%o6
	clr	%o7
	clr	%g1
	clr	%g2
	clr	%g7
	done

clear_globals:
	clr	%g1
	clr	%g2
	clr	%g3
	clr	%g4
	clr	%g5
	clr	%g6
	retl
	clr	%g7
