/* A static sparc64 Linux program in the domain (the `program` workload): its address
   space (uvm.c), its loading, threads and system calls (prog.c), and the channel to the
   host's syscall-emulation layer (proxy.c) -- the proxy-kernel pattern: what the guest
   kernel owns (memory, threads, scheduling, futexes, exit) it does itself; files, the
   clock and ids travel to the host, which carries them out with sun4v/se as `sun4v run`
   does (sun4v/boot/progproxy.py).

   The proxy area: kalloc'd, 8 KB aligned; its real address is in the counters page
   (counters.h: prog_area). Big-endian u64 fields; sun4v/boot/progproxy.py mirrors them.

     0x000 magic      PROG_MAGIC once the area is set up
     0x008 version    1
     0x010 state      PS_LOADING, PS_RUNNING, PS_EXITED (status: exit status),
                      PS_KILLED (status: the signal), PS_FAILED (the load failed: status
                      is the errno, the reason on the console)
     0x018 status
     0x020 uspace_ra  real address of `struct uspace` (the program's address space: the
                      host translates the addresses a system call hands it with it)
     0x028 nslots     PROG_SLOTS
     0x030 threads    user threads created (main included)
     0x038 syscalls   system calls the program made (served here or by the host)
     0x040 forwarded  of them, the ones the host served
     0x100 + 128 * i  slot i: state (SL_FREE, SL_REQUEST, SL_DONE, SL_CLAIMED), nr
                      (Linux sparc64 syscall number or PROG_OP_*), args[6], ret
                      (value or -errno), tid, kernel (1: the kernel's own request, whose
                      addresses may be the kernel's; 0: the program's, whose may not),
                      pid (the calling process: its descriptor table on the host), uspace
                      (real address of its struct uspace: its addresses), waiting
                      (the host's: the call waits for data; a signal may end it: the
                      thread takes the slot back, casx REQUEST -> FREE)
   A thread claims a free slot (casx FREE -> CLAIMED), writes nr and args, then state =
   REQUEST; the host serves the REQUEST slots in slot order, writes ret, then state =
   DONE; the thread reads ret and frees the slot. Addresses in args are virtual: the
   program's (in uspace) or, in the kernel's own requests, also the kernel's linear map
   (KERNBASE + RA - RA0). */
#ifndef GUEST_PROG_H
#define GUEST_PROG_H

#include "types.h"

#define PROG_MAGIC      0x53345650524f4731UL    /* "S4VPROG1" */
#define PROG_SLOTS      48
#define PROG_AREA_SIZE  0x2000

#define PS_LOADING      0
#define PS_RUNNING      1
#define PS_EXITED       2
#define PS_KILLED       3
#define PS_FAILED       4

#define SL_FREE         0
#define SL_REQUEST      1
#define SL_DONE         2
#define SL_CLAIMED      3

/* host operations that are not Linux system calls */
#define PROG_OP_INFO    0x10000 /* a0 buffer, a1 size: struct prog_info + strings */
#define PROG_OP_MATHEMU 0x10001 /* a0 struct fpemu_rec, a1 its size: an FP instruction
                                   the chip trapped, completed by the host's
                                   sun4v/se/mathemu.py (fpemu.c) */
#define PROG_OP_FORK    0x10002 /* a0 parent pid, a1 child pid: the child's descriptor
                                   table, a copy of the parent's (proc.c) */
#define PROG_OP_EXIT    0x10003 /* a0 pid: the process ended, its descriptors closed */
#define PROG_OP_EXEC    0x10004 /* a0 buffer, a1 size, a2-a4 the caller's execve path,
                                   argv, envp: checked, close-on-exec descriptors closed,
                                   the PROG_OP_INFO answer for the new image (prog.c) */

/* PROG_OP_INFO's answer: then the strings, each NUL-terminated: the program's path,
   AT_EXECFN, argv[0..argc), envp[0..envc) */
struct prog_info {
    u64 argc, envc, uid, euid, gid, egid, stack_size, hwcap;
};

struct prog_slot {
    volatile u64 state;
    volatile u64 nr;
    volatile u64 args[6];
    volatile u64 ret;
    volatile u64 tid;
    volatile u64 kernel;        /* 1: addresses may be the kernel's (proxy_kcall) */
    volatile u64 pid;           /* the calling process (proc.h) */
    volatile u64 uspace;        /* real address of its struct uspace */
    volatile u64 waiting;       /* set by the host: the call waits (a read of an
                                   empty pipe); the thread may then take it back */
    u64 pad[2];
};

struct prog_area {
    volatile u64 magic;
    volatile u64 version;
    volatile u64 state;
    volatile u64 status;
    volatile u64 uspace_ra;
    volatile u64 nslots;
    volatile u64 threads;
    volatile u64 syscalls;
    volatile u64 forwarded;
    u64 resv[23];
    struct prog_slot slot[PROG_SLOTS];
};

/* PROG_OP_MATHEMU's record (u64 each): the trap and the user state in; the state after
   the instruction (or unchanged), and the signals to send (sig, si_code, si_addr), out */
struct fpemu_rec {
    u64 tt, pc, npc, fsr, fprs, nsig;
    u64 r[32];                  /* %g0-%g7, %o0-%o7, %l0-%l7, %i0-%i7 */
    u64 f[32];                  /* %d0-%d62 */
    u64 sig[2][3];
    u64 asi;                    /* the program's %asi (ldqfa/stqfa with an immediate) */
};

/* ---- the program's address space (uvm.c) ------------------------------------------- */
#define UPAGE_SHIFT     13                      /* 8 KB pages, Linux sparc64's */
#define UPAGE_SIZE      (1UL << UPAGE_SHIFT)
#define UR_MAX          256
#define UPROT_R         1                       /* PROT_READ, PROT_WRITE, PROT_EXEC */
#define UPROT_W         2
#define UPROT_X         4

/* one mapped range: [va_lo, va_hi) at real addresses from the TTE's; kmiss (trap.S)
   reads the first three words: {va_lo, va_hi, TTE of va_lo (8 KB page)} */
struct urange {
    u64 va_lo, va_hi, tte;
    u64 kva;                                    /* the kernel's VA of va_lo */
};

struct uspace {
    volatile u64 n;                             /* ranges in use, sorted by va_lo */
    u64 resv;
    struct urange r[UR_MAX];
};

extern struct uspace uspace;
/* the program's MMU context: its pages are mapped in it, never in the kernel's
   context 0; user mode runs with it as the primary context, the kernel with 0 as the
   primary and it as the secondary (trap.S: trap_enter, trap_exit, umiss; the window
   handlers spill_1_normal / fill_1_normal store the program's windows with ASI_AIUS) */
#define PROG_CTX        1
void uvm_demap_local(void);                     /* this vCPU: drop the program's pages */
int uvm_map(u64 va, u64 len, int prot);         /* 0 or -errno (LX_ENOMEM) */
int uvm_unmap(u64 va, u64 len);
int uvm_protect(u64 va, u64 len, int prot);     /* -LX_ENOMEM when not all mapped */
int uvm_is_free(u64 va, u64 len);
int uvm_prot(u64 va);                           /* -1: not mapped */
u64 uvm_mapped_end(u64 va, u64 len);            /* 0 if [va, va+len) is free, else the
                                                   end of the last range it touches */
void *uvm_kva(u64 va, u64 len, int write);      /* the kernel's pointer, or 0 when
                                                   [va, va+len) is not one mapped range
                                                   allowing the access */
void *uvm_kva_any(u64 va, u64 len);             /* the same, whatever the protection */
int uvm_set_range(u64 lo, u64 hi, u64 kva, int prot);  /* the brk heap's range */
int uvm_copyin(void *dst, u64 va, u64 len);     /* 0 or -LX_EFAULT */
int uvm_copyout(u64 va, const void *src, u64 len);

/* ---- proxy.c ---------------------------------------------------------------------- */
extern struct prog_area *prog_area;
void proxy_init(void);
long proxy_call(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
long proxy_kcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
long proxy_call_intr(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
                                                /* -LX_ERESTARTSYS: a signal ended the wait */
#define LX_ERESTARTSYS  512

/* ---- prog.c ----------------------------------------------------------------------- */
struct trapframe;
void prog_start(void);
u64 prog_trap(struct trapframe *tf);            /* a trap from user mode (intr.c) */
int prog_user_trap(u64 tt);                     /* whether prog_trap takes it */
int fpemu_trap(struct trapframe *tf, u64 tt, struct fpemu_rec *rec);
                                                /* fpemu.c: the signals left (0: done) */
void prog_quiesce(void) __attribute__((noreturn));  /* MONDO_QUIESCE (intr.c) */
void prog_intr_return(struct trapframe *tf);    /* an interrupt from user mode ends:
                                                   its pending signals (intr.c) */
void prog_tlb_shootdown(void);                  /* other vCPUs: drop the program's TLB
                                                   entries (MONDO_DEMAP) */

#endif
