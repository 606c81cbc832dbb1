/* Boot: from the hypervisor's guest entry to C with the MMU on.

   The hypervisor enters the boot vCPU at RA0 + 0x20 (the TT 1 slot of the trap table at
   the start of the image, traptable.S) and every other vCPU at secondary_entry (the pc
   of its cpu_start call), in the architected guest entry state (sun4v/hypervisor.h):
   privileged, TL 0, GL 2, interrupts off, PIL 15, MMU off, so addresses are real
   addresses. The kernel is linked at KERNBASE (layout.h), so until the MMU is on only
   position-independent code runs here: everything is addressed as link address + delta,
   delta = RA - VA, found by comparing `rd %pc` with the link address of that instruction.

   Each vCPU then, still with real addresses:
     1. (boot vCPU) negotiates the CORE API group (every hypercall below needs it),
        learns its vCPU id (cpu_myid), clears the BSS and the host areas;
     2. tells the hypervisor where its MMU fault status area is (the first 128 bytes of
        its struct cpu: mmu_fault_area_conf);
     3. maps the first 4 MB of the kernel permanently (mmu_map_perm_addr): the trap
        table, the per-vCPU areas and the miss handler's tables live there, so the miss
        handler itself can never miss;
     4. puts the VA of its struct cpu in scratchpad register 0 (ASI 0x20), where the
        trap handlers find it;
     5. turns its MMU on with mmu_enable, which continues at the virtual address given.
   With the MMU on it sets %tba to the trap table, takes its boot stack and calls
   kmain (boot vCPU) or cpu_main (others). A load address that is not 4 MB aligned
   cannot be mapped with the kernel's 4 MB pages: the vCPU prints why and exits. */
#include "layout.h"

	.register %g2, #scratch
	.register %g3, #scratch

	.section .text.boot, "ax"
	.align 32

/* ---- the boot vCPU ------------------------------------------------------------------ */
	.globl boot_entry
boot_entry:
	wrpr %g0, 0, %gl
	wrpr %g0, PSTATE_PRIV, %pstate		/* interrupts off, FP off */
	wrpr %g0, 15, %pil
1:	rd %pc, %l7
	setx 1b, %g2, %g1
	sub %l7, %g1, %l7			/* %l7 = delta = RA - VA */
	mov 1, %l5				/* %l5 = 1: the boot vCPU */

	/* api_set_version(CORE, 1, 1): cpu_myid, the MMU calls and cons_write need it */
	mov API_GROUP_CORE, %o0
	mov 1, %o1
	mov 1, %o2
	mov API_SET_VERSION, %o5
	ta CORE_TRAP
	brz,pt %o0, 2f
	 nop
	mov API_GROUP_CORE, %o0			/* a hypervisor with CORE 1.0 only */
	mov 1, %o1
	mov 0, %o2
	mov API_SET_VERSION, %o5
	ta CORE_TRAP
2:	mov CPU_MYID, %o5
	ta FAST_TRAP
	brnz,pn %o0, boot_fail
	 mov %o1, %l6				/* %l6 = this vCPU's id */

	/* clear the host areas and the BSS (real addresses) */
	setx COUNTERS_OFFSET + KERNBASE, %g2, %g1
	setx TEXT_OFFSET + KERNBASE, %g2, %g3
	call clear_ra
	 nop
	setx __bss_start, %g2, %g1
	setx _end, %g2, %g3
	call clear_ra
	 nop
	/* the boot vCPU's stack: boot_stack (bss); others get theirs from cpu_start_vcpu */
	setx boot_stack + KSTACK_SIZE - STACK_BIAS - FRAME_MIN, %g2, %g3
	ba common
	 nop

/* ---- every other vCPU: cpu_start(id, RA of secondary_entry, RA0, id) ------------------ */
	.globl secondary_entry
secondary_entry:
	wrpr %g0, 0, %gl
	wrpr %g0, PSTATE_PRIV, %pstate
	wrpr %g0, 15, %pil
1:	rd %pc, %l7
	setx 1b, %g2, %g1
	sub %l7, %g1, %l7
	mov 0, %l5
	mov %o0, %l6
	mov 0, %g3				/* the stack is in struct cpu */

common:
	/* the real base must be 4 MB aligned: the kernel maps itself with 4 MB pages */
	setx KERNBASE, %g2, %g1
	add %g1, %l7, %l4			/* %l4 = RA0 */
	setx KERN_PAGE_SIZE - 1, %g2, %g1
	andcc %l4, %g1, %g0
	bnz,pn %xcc, boot_misaligned
	 nop
	cmp %l6, MAXCPUS
	bgeu,pn %xcc, boot_fail
	 nop
	/* %l3 = VA of struct cpu of this vCPU; its stack unless set above */
	setx cpus, %g2, %l3
	sllx %l6, CPU_SHIFT, %g1
	add %l3, %g1, %l3
	add %l3, %l7, %g1			/* RA of struct cpu */
	brnz,a,pt %l5, 4f			/* (annulled: the store only when taken) */
	 stx %g3, [%g1 + CPU_BOOT_SP]		/* boot vCPU: record its stack */
	ldx [%g1 + CPU_BOOT_SP], %g3		/* others: set by the starting vCPU */
4:	stx %l6, [%g1 + CPU_ID]
	mov %g3, %l2				/* %l2 = stack (biased VA) */

	/* mmu_fault_area_conf(RA of the fault area = RA of struct cpu) */
	mov %g1, %o0
	mov MMU_FAULT_AREA_CONF, %o5
	ta FAST_TRAP
	brnz,pn %o0, boot_fail
	 nop

	/* mmu_map_perm_addr(KERNBASE, 0, TTE of the first 4 MB, I and D). A hypervisor
	   that keeps permanent mappings per guest may refuse the same VA again on the
	   other vCPUs: only the boot vCPU's call must succeed. */
	setx KERNBASE, %g2, %o0
	mov 0, %o1
	setx TTE_V | TTE_CP | TTE_CV | TTE_P | TTE_X | TTE_W | TTE_4M, %g2, %o2
	or %o2, %l4, %o2
	mov MAP_ITLB | MAP_DTLB, %o3
	mov MMU_MAP_PERM_ADDR, %o5
	ta FAST_TRAP
	brz,pt %l5, 5f
	 nop
	brnz,pn %o0, boot_fail
	 nop
5:
	/* scratchpad 0 = VA of struct cpu (the trap handlers' way to it) */
	stxa %l3, [%g0] ASI_SCRATCHPAD

	/* mmu_enable(1, virt_entry): continues there with the MMU on */
	mov MMU_ENABLE_ON, %o0
	setx virt_entry, %g2, %o1
	mov MMU_ENABLE, %o5
	ta FAST_TRAP
	ba boot_fail				/* mmu_enable returned: it failed */
	 nop

virt_entry:
	setx trap_table, %g2, %g1
	wrpr %g1, %tba
	mov %l2, %sp
	mov 0, %fp
	wrpr %g0, 0, %wstate
	brz,pn %l5, 6f
	 mov %l6, %o0
	call kmain				/* kmain(cpu id, delta) */
	 mov %l7, %o1
	ba .
	 nop
6:	call cpu_main				/* cpu_main(cpu id) */
	 nop
	ba .
	 nop

/* clear_ra: zero [%g1, %g3) (link addresses, 8-byte aligned) through their real
   addresses; clobbers %g1 */
clear_ra:
	add %g1, %l7, %g1
	add %g3, %l7, %g2
1:	cmp %g1, %g2
	bgeu,pn %xcc, 2f
	 nop
	stx %g0, [%g1]
	ba 1b
	 add %g1, 8, %g1
2:	retl
	 nop

/* boot_fail: print a fixed message with cons_putchar and exit the guest */
boot_misaligned:
	setx msg_misaligned, %g2, %l1
	ba boot_print
	 nop
boot_fail:
	setx msg_fail, %g2, %l1
boot_print:
	add %l1, %l7, %l1
1:	ldub [%l1], %o0
	brz,pn %o0, 2f
	 nop
	mov CONS_PUTCHAR, %o5
	ta FAST_TRAP
	cmp %o0, EWOULDBLOCK			/* console full: the same character again */
	be,pn %xcc, 1b
	 nop
	ba 1b
	 add %l1, 1, %l1
2:	mov 1, %o0
	mov MACH_EXIT, %o5
	ta FAST_TRAP
	ba .
	 nop

	.section .rodata
msg_misaligned:
	.asciz "guest kernel: the real base is not 4 MB aligned; cannot map the kernel\r\n"
msg_fail:
	.asciz "guest kernel: a boot hypercall failed (CORE API, cpu_myid, fault area, permanent mapping or mmu_enable)\r\n"

	.section .bss
	.align 16
	.globl boot_stack
boot_stack:
	.skip KSTACK_SIZE

	.section .note.GNU-stack, "", @progbits
