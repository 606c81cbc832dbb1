/* The guest kernel's memory layout and the offsets its assembly shares with C.

   The hypervisor copies the kernel image to the domain's real base (the real address of
   its lowest memory block, RA0) and enters it there with the MMU off. The kernel is
   linked at the virtual address KERNBASE and runs with its memory mapped linearly:
   VA = KERNBASE + (RA - RA0), in 4 MB pages (the TLB entries of sun4v carry a real
   address; the hypervisor turns it into a physical one). RA0 must therefore be 4 MB
   aligned; boot.S refuses to run otherwise.

   Image layout (offsets from RA0 and from KERNBASE alike):
     0x00000  trap table (32 KB: 512 entries of 32 bytes for TL = 0, 512 for TL > 0);
              the hypervisor enters at +0x20 (the TT 1 slot) or +0
     0x08000  COUNTERS: the workload counters the host reads live (counters.h), 16 KB
     0x0C000  RELAY: the control domain's relay rings to the host (relay.h), 16 KB
     0x10000  text, data, bss
   Everything the MMU-miss handler touches (the trap table, the per-vCPU areas, the
   TSB, the linear-map table) lies in the first 4 MB, which every vCPU maps with a
   permanent TLB entry (mmu_map_perm_addr) before it turns its MMU on. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#include <sun4v/hypervisor.h>
#include <sun4v/traps.h>
#include <sun4v/mmu.h>
#include <sun4v/asi.h>

#define KERNBASE        0x40000000
#define KERN_PAGE_SHIFT 22                      /* 4 MB pages for the linear map */
#define KERN_PAGE_SIZE  (1 << KERN_PAGE_SHIFT)
#define COUNTERS_OFFSET 0x8000
#define COUNTERS_SIZE   0x4000
#define COUNTERS_KMISSES 0x70   /* counters.h: kmiss counts here (trap.S) */
#define RELAY_OFFSET    0xC000
#define RELAY_SIZE      0x4000
#define TEXT_OFFSET     0x10000

#define MAXCPUS         256                     /* vCPU ids 0..255 (a T5440 has 256 strands) */
#define STACK_BIAS      2047                    /* the SPARC V9 64-bit ABI stack bias */
#define FRAME_MIN       176                     /* register window save area + args */
#define KSTACK_SIZE     16384                   /* every kernel thread's stack */

/* struct cpu (cpu.h): the first fields are read by the assembly */
#define CPU_FAULT       0x00    /* MMU fault status area, 128 B (the hypervisor writes it) */
#define CPU_FAULT_IADDR 0x08
#define CPU_FAULT_ICTX  0x10
#define CPU_FAULT_DADDR 0x48
#define CPU_FAULT_DCTX  0x50
#define CPU_BOOT_SP     0x80    /* stack of the vCPU's boot / idle thread (biased) */
#define CPU_PANIC_SP    0x88    /* stack for a fatal trap at TL > 1 (biased) */
#define CPU_PANIC_TT    0x90    /* what the TL > 1 fatal path saw */
#define CPU_PANIC_TPC   0x98
#define CPU_PANIC_TL    0xa0
#define CPU_ID          0xa8    /* the vCPU id (MD cpu id) */
#define CPU_PREV        0xb0    /* thread switched away from; trap_exit clears its on_cpu */
#define CPU_KSP         0xb8    /* top of the running thread's kernel stack (biased):
                                   trap_enter's stack for a trap from user mode */
#define CPU_UCTX        0xc0    /* MMU context of the running program thread's address
                                   space (0: none): trap_exit's primary context */
#define CPU_USPACE      0xc8    /* its struct uspace (prog.h), which umiss walks */
#define CPU_ASM_SIZE    0xd0
#define UPAGE_SHIFT_ASM 13      /* prog.h: the program's pages, and sizeof(struct urange) */
#define URANGE_SIZE_ASM 32

/* struct thread (kernel.h) */
#define T_ONCPU         8       /* nonzero while a vCPU runs on the thread's stack */
#define CPU_SHIFT       10      /* sizeof(struct cpu) = 1 KB */

/* struct trapframe (trap.h): saved by trap.S below the interrupted stack pointer */
#define TF_G            0       /* %g0-%g7 of GL 0 (%g0 unused) */
#define TF_O            64      /* %o0-%o7 */
#define TF_L            128     /* %l0-%l7 */
#define TF_I            192     /* %i0-%i7 */
#define TF_TSTATE       256
#define TF_TPC          264
#define TF_TNPC         272
#define TF_Y            280
#define TF_FPRS         288
#define TF_TT           296
#define TF_PIL          304
#define TF_PAD          312
#define TF_SIZE         320
#define TF_FRAME        (FRAME_MIN + TF_SIZE)   /* what trap entry takes from the stack */

/* software traps of the kernel (Tcc from privileged mode, n < 0x80: TBA + (0x100+n)*32) */
#define SWTRAP_YIELD    0x50    /* give up the vCPU (the scheduler decides)            */
#define SWTRAP_SLEEP    0x52    /* %o0 %stick value to wake at, %o1 a flag (event) that
                                   cancels the sleep when set, or 0                    */
#define SWTRAP_EXIT     0x53    /* the current thread ends                             */

#endif
