/* The guest kernel's structures and the functions each file offers (like xv6's defs.h).

   Files, one concept each:
     boot.S traptable.S trap.S   entry, trap table, trap entry/exit, MMU misses
     main.c         the boot vCPU's sequence
     console.c      console output (cons_write), kprintf, panic
     consin.c       console input (cons_getchar): the echo and the domain's monitor
     mdinfo.c       the machine description: cpus, memory, channels, workload
     vm.c           the linear map, the TSB, the kernel heap
     cpu.c          vCPUs: per-vCPU setup, starting and stopping them, mondos
     intr.c         trap_dispatch: what each trap means
     sched.c        threads, the run queue, sleeping, the clock
     ldc.c          the LDC link layer (reliable mode, passive side)
     ds.c           Domain Services over the LDC
     svc_mdupdate.c svc_drcpu.c svc_shutdown.c   the DS services
     relay.c        the control domain's relay to the host
     workload.c wl_int.c wl_mem.c wl_fp.c wl_mix.c   the built-in workloads */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include "types.h"
#include "layout.h"
#include "fwlib.h"
#include <stdarg.h>

/* ---- trap.S: the context saved at a trap ---------------------------------------------- */
struct trapframe {
    u64 g[8];
    u64 o[8];
    u64 l[8];
    u64 i[8];
    u64 tstate, tpc, tnpc, y, fprs, tt, pil, pad;
};

/* ---- threads (sched.c) ---------------------------------------------------------------- */
enum { T_FREE, T_RUNNABLE, T_RUNNING, T_SLEEPING, T_ZOMBIE };

struct thread {
    struct trapframe *tf;       /* its context while it is not running */
    volatile u64 on_cpu;        /* T_ONCPU: a vCPU is on its stack (running, or switching
                                   away until trap_exit has left the stack) */
    struct thread *next;        /* run queue or sleep list */
    struct thread *all;         /* every thread ever made */
    int state;
    int bound;                  /* vCPU it must run on, or -1 */
    int cpu;                    /* vCPU it runs on / last ran on */
    int id;
    u64 wake;                   /* %stick to wake at (T_SLEEPING) */
    u64 stack;                  /* base of its KSTACK_SIZE stack */
    int fp_used;                /* its FP registers are in fpregs */
    int is_idle;
    int sys;                    /* a system thread (domain services, relay): queued
                                   ahead of the workload, which it preempts on wake-up */
    char name[24];
    u64 fpregs[33];             /* %f0-%f62, %fsr */
    struct uthread *user;       /* a thread of the program (prog.c), or 0 */
    u64 acct_mark;              /* cputime.c: %stick its CPU time is counted from */
    int in_kernel;              /* cputime.c: in a system call (system time) */
};

struct event {
    volatile u64 flag;
    struct thread *waiter;
};

/* ---- vCPUs (cpu.c) -------------------------------------------------------------------- */
enum { CPU_ABSENT, CPU_STARTING, CPU_ONLINE, CPU_STOPPING, CPU_PARKED, CPU_OFFLINE };

#define MONDO_KICK      1       /* something is runnable: look at the run queue */
#define MONDO_STOP      2       /* go offline: leave your thread, park, wait for cpu_stop */
#define MONDO_DEMAP     3       /* drop context 0's TLB entries (the program's unmap) */
#define MONDO_QUIESCE   4       /* the program ended: clock off, wait for the stop */

struct cpu {
    u64 fault[16];              /* CPU_FAULT: MMU fault status area (64 B aligned) */
    u64 boot_sp;                /* CPU_BOOT_SP */
    u64 panic_sp;               /* CPU_PANIC_SP */
    u64 panic_tt, panic_tpc, panic_tl;
    u64 id;                     /* CPU_ID */
    struct thread *prev;        /* CPU_PREV */
    u64 ksp;                    /* CPU_KSP: the running thread's kernel stack top */
    u64 uctx;                   /* CPU_UCTX: the running program's MMU context */
    u64 uspace;                 /* CPU_USPACE: its address space (struct uspace *) */
    u64 mondo_data[8] __attribute__((aligned(64)));   /* cpu_mondo_send payload */
    u16 mondo_list[32] __attribute__((aligned(64)));  /* cpu_mondo_send targets */
    volatile int state;
    int need_resched;
    int in_trap;                /* trap_dispatch is running (interrupts off) */
    struct thread *cur;
    struct thread *idle;
    struct thread *sleepers;    /* sleeping threads, earliest first */
    u64 tick_deadline;          /* %stick at which the running thread's slice ends */
    u64 timer;                  /* the value in %stick_cmpr (U64_MAX: off) */
    u64 queues;                 /* VA of the page holding the four interrupt queues */
    u64 kick[MAXCPUS / 64];     /* vCPUs to send MONDO_KICK once sched_lock is free */
    u64 intrs, mondos, devmondos;
} __attribute__((aligned(1 << CPU_SHIFT)));

extern struct cpu cpus[MAXCPUS];

static inline struct cpu *mycpu(void)
{
    u64 v;
    __asm__ __volatile__("ldxa [%%g0] %1, %0" : "=r"(v) : "i"(ASI_SCRATCHPAD));
    return (struct cpu *)v;
}

/* ---- machine description (mdinfo.c) -------------------------------------------------- */
#define MD_MAXMBLOCKS   32
#define MD_MAXPORTS     60
#define WL_PARAMS       10

struct mdport {
    char name[40];              /* vldc-svc-name */
    u64 channel, tx_ino, rx_ino;
};

struct mdinfo {
    char domain[64];            /* platform domain-name (sun4v-domain-name also read) */
    char platform[64];          /* platform banner-name (or name) */
    u64 stick_hz;
    u64 generation;             /* md-generation# */
    int ncpus;
    u8 cpu_in_md[MAXCPUS];
    int nmblocks;
    struct { u64 base, size; } mblock[MD_MAXMBLOCKS];
    u64 memsize;
    u64 devhandle;              /* channel-devices cfg-handle */
    int has_ds;
    u64 ds_channel, ds_tx_ino, ds_rx_ino;
    int nports;
    struct mdport port[MD_MAXPORTS];
    char workload[24];          /* workload name, "" when the MD has none */
    int nparams;
    struct { char name[24]; u64 val; int is_str; char str[24]; } param[WL_PARAMS];
};

extern struct mdinfo md;
int md_read(void);                              /* 0 or -1 (the reason printed) */
int md_param(const char *name, u64 *val);       /* a workload parameter (a value) */
const char *md_param_str(const char *name);     /* one given as a string, or 0 */

/* ---- console.c ----------------------------------------------------------------------- */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void console_write(const char *s, u64 n);
void console_input_start(void);                 /* consin.c: the console input thread */

/* ---- vm.c ---------------------------------------------------------------------------- */
extern u64 kern_delta;                          /* RA - VA of the linear map */
static inline u64 va2ra(const void *va) { return (u64)va + kern_delta; }
static inline void *ra2va(u64 ra) { return (void *)(ra - kern_delta); }
void vm_init(void);
void vm_cpu_init(void);                         /* this vCPU's TSB registration */
void *kalloc(u64 size, u64 align);              /* zeroed; panics when memory runs out */
void *kalloc_high(u64 size, u64 align);         /* the same, from the top of memory */
void *kalloc_high_try(u64 size, u64 align);     /* the same, 0 when memory runs out */
u64 vm_mapped_bytes(void);

/* ---- cpu.c --------------------------------------------------------------------------- */
void cpu_setup(int id);                         /* struct cpu, idle thread, stacks */
void cpu_local_init(void);                      /* on the vCPU itself: queues, TSB */
int cpu_start_vcpu(int id, int can_sleep);      /* 0 when it came online */
int cpu_stop_vcpu(int id);                      /* 0 when it is stopped */
void cpu_send_mondo(int target, u64 what);
int cpus_online(void);
void cpu_main(u64 id) __attribute__((noreturn));

/* ---- intr.c -------------------------------------------------------------------------- */
u64 trap_dispatch(struct trapframe *tf);
void devmondo_register(u64 cookie, void (*fn)(void *), void *arg);
void panic_tl(struct cpu *c) __attribute__((noreturn));

/* ---- sched.c ------------------------------------------------------------------------- */
extern spinlock_t sched_lock;
extern u64 stick_hz;
void sched_init(void);
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, int bound);
struct thread *thread_create_sys(const char *name, void (*fn)(void *), void *arg);
struct uthread;
struct thread *thread_create_user(const char *name, const struct trapframe *utf,
                                  struct uthread *u, const u64 *fpregs);
void thread_yield(void);
void thread_exit(void) __attribute__((noreturn));
void sleep_us(u64 us);
void sleep_until(u64 stick);
int event_wait(struct event *ev, u64 us);           /* 1 when signalled; us 0: no limit */
void event_signal(struct event *ev);
u64 schedule(struct cpu *c, struct trapframe *tf, int why);
void sched_timer_intr(struct cpu *c);
void sched_cpu_leaving(struct cpu *c);
int sched_bound_threads(int cpu);
void sched_unbind(int cpu);
void idle_loop(void) __attribute__((noreturn));
void sched_idle_thread(struct cpu *c, struct thread *t);
enum { WHY_INTR, WHY_YIELD, WHY_SLEEP, WHY_EXIT };

/* ---- cputime.c ----------------------------------------------------------------------- */
void cputime_switch(struct thread *cur, struct thread *next, u64 now);
void cputime_enter(struct thread *t);           /* a trap from user mode: system time */
void cputime_leave(struct thread *t);           /* back to user mode: user time */
void cputime_charge(struct thread *t);          /* count it up to now */
u64 cputime_now(int which);                     /* 1: user, 2: user + system (ticks) */

/* ---- uvm.c (prog.h) ------------------------------------------------------------------ */
void uvm_switch(struct cpu *c, struct thread *next);   /* schedule(): next runs on c */

static inline u64 rd_stick(void)
{
    u64 v;
    __asm__ __volatile__("rd %%asr24, %0" : "=r"(v));
    return v & ~(1UL << 63);
}
static inline u64 us_to_stick(u64 us) { return us * (stick_hz / 1000000); }

/* PSTATE.IE off / back / on: what protects data an interrupt handler also touches */
static inline u64 intr_off(void)
{
    u64 p;
    __asm__ __volatile__("rdpr %%pstate, %0" : "=r"(p));
    __asm__ __volatile__("wrpr %0, 0, %%pstate" : : "r"(p & ~(u64)PSTATE_IE) : "memory");
    return p;
}
static inline void intr_restore(u64 p)
{
    __asm__ __volatile__("wrpr %0, 0, %%pstate" : : "r"(p) : "memory");
}
static inline void intr_on(void)
{
    u64 p;
    __asm__ __volatile__("rdpr %%pstate, %0" : "=r"(p));
    __asm__ __volatile__("wrpr %0, 0, %%pstate" : : "r"(p | PSTATE_IE) : "memory");
}

/* ---- counters (workload.c) ----------------------------------------------------------- */
#include "counters.h"
#include "relay.h"
#define COUNTERS ((struct counters *)(KERNBASE + COUNTERS_OFFSET))
#define RELAY ((struct relay_area *)(KERNBASE + RELAY_OFFSET))
void workload_start(void);

/* ---- ldc.c, ds.c, relay.c --------------------------------------------------------------- */
struct ldc;
void ds_start(void);
void relay_start(void);
void relay_md_changed(void);                   /* md-update: match the relayed ports */
void svc_shutdown_now(void) __attribute__((noreturn));
void svc_reboot_now(void) __attribute__((noreturn));

/* ---- trap.S -------------------------------------------------------------------------- */
void flush_windows(void);
void fp_save(u64 *area);
void fp_restore(u64 *area);
extern char trap_table[], secondary_entry[], boot_stack[];
extern char __bss_start[], _end[];

#endif
