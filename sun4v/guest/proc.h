/* The program's processes (proc.c): the first one is the program the domain runs; a
   fork (or vfork) makes another, with its own copy of the address space in its own
   MMU context, its own signal actions, timers and CPU time, and its own descriptor
   table on the host (progproxy.py). Shared by prog.c and proc.c only. */
#ifndef GUEST_PROC_H
#define GUEST_PROC_H

#include "kernel.h"
#include "prog.h"

#define NTIMERS         32
#define NPROC           64              /* processes at once (then fork: EAGAIN) */

struct ptimer {
    int used, clock, sig, notify, tid, overrun, last_overrun;
    u64 value;                  /* si_value */
    u64 next;                   /* %stick of the next expiry, 0: disarmed */
    u64 interval;               /* in ticks, 0: one-shot */
    int code;                   /* si_code: SI_TIMER, or SI_KERNEL (the itimers) */
    int cpu_tid;                /* CLOCK_THREAD_CPUTIME_ID: the thread whose time it counts */
    int cpu_which;              /* a CPU clock's CPUCLOCK_PROF 0, VIRT 1 (user), SCHED 2 */
};

struct proc;

/* a thread of the program */
struct uthread {
    int tid;
    u64 clear_tid;              /* CLONE_CHILD_CLEARTID / set_tid_address */
    u64 sigmask;
    struct event ev;            /* its futex wait, or another wait a signal ends */
    u64 futex_addr;             /* the word it waits on, 0 when not waiting */
    u32 bitset;
    int woken;
    struct uthread *fnext;      /* the futex wait list */
    u64 pending;                /* signals sent to it, not yet delivered */
    u64 saved_mask;             /* the mask ppoll/pselect6/sigsuspend replaced, back */
    int has_saved;              /* on the way to user mode (or in the handler's frame) */
    u64 waitset;                /* the signals its rt_sigtimedwait waits for */
    struct { int code, trapno; u64 addr, pid, uid; } info[65];  /* their siginfo */
    struct proc *proc;          /* its process */
    int exit_now;               /* another thread's execve: leave */
    volatile u64 cpu_ticks[2];  /* its own user, system time (cputime.c), %stick ticks */
    struct { u64 sp, flags, size; } alt;    /* its alternate signal stack (sigaltstack(2):
                                   per thread; a new thread has none, a fork child the
                                   parent thread's, execve drops it) */
};

#define SS_ONSTACK      1
#define SS_DISABLE      2

enum { PR_FREE, PR_LIVE, PR_ZOMBIE };
#define CLD_EXITED      1
#define CLD_KILLED      2

struct proc {
    volatile int state;         /* PR_* */
    int pid;
    int live;                   /* threads not yet exited */
    int exiting;                /* exit_group or a fatal signal: its threads end */
    u64 brk_start, brk_cur, brk_kva, brk_max;
    u64 brk_high;               /* the highest top the heap has had: above it, fresh */
    u64 mmap_next;
    u64 sigact[65][4];          /* handler, flags, restorer, mask (kernel sigaction64) */
    const char *name;
    struct uspace *us;          /* its address space */
    u64 ctx;                    /* its MMU context */
    volatile u64 cpu_ticks[2];  /* user, system time (cputime.c), %stick ticks */
    struct proc *parent;        /* 0: none (the first process, or an orphan) */
    int cld_code, cld_status;   /* a zombie: CLD_EXITED / CLD_KILLED, the code/signal */
    u64 cpu_done[2];            /* a zombie: its CPU time (wait4's rusage) */
    volatile int vfork_parent_waits;    /* a vfork child: its parent sleeps until its end */
    struct event vfork_ev;
    struct ptimer ptimers[NTIMERS + 3]; /* + ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
    int cpu_clock_timers;       /* it made a timer on a CPU-time clock: check them */
};

extern struct proc procs[NPROC];        /* procs[0]: the program the domain runs */
extern spinlock_t proc_lock;
struct proc *curproc(void);             /* the running thread's (a kernel thread: procs[0]) */

/* prog.c */
extern u64 prog_uid;
int prog_wait_signal(struct uthread *u, u64 us);
void prog_post_child(struct uthread *u, int code, u64 status, int pid);
void prog_post(struct uthread *u, int sig, int code, u64 addr, int trapno);
struct uthread *prog_signal_target(struct proc *p, int sig);
void prog_kick(struct uthread *u);
int prog_alloc_id(void);
void prog_spawn(const struct trapframe *utf, struct uthread *u, const u64 *fpregs);
struct uthread *prog_ut_alloc(void);
void prog_thread_end(void) __attribute__((noreturn));  /* the calling thread, its
                                                          process already ended */
void prog_domain_end(int state, u64 status) __attribute__((noreturn));
struct uthread *prog_each_thread(struct proc *p, int *i);  /* the next of p's, or 0 */

/* proc.c */
long proc_fork(struct trapframe *tf, u64 flags, u64 newsp, u64 ptid, u64 ctid);
long proc_wait4(u64 pid, u64 status, u64 options, u64 rusage);
long proc_waitid(u64 idtype, u64 id, u64 infop, u64 options);
long proc_kill(long pid, int sig);
void proc_end(int state, u64 status) __attribute__((noreturn));
void proc_finish(struct proc *p);     /* its last thread has left */
int proc_getppid(void);                 /* -1: the first process (the host answers) */
void proc_demap_all(void);              /* MONDO_DEMAP: every process's context here */

/* cputime.c */
u64 cputime_clock(int clock, struct uthread *u);   /* CPU-time clock 2 or 3, ticks */

/* uvm.c */
int uvm_fork(struct uspace *dst, u64 heap_lo, u64 heap_kva);
void uvm_free_all(struct uspace *us, u64 heap_lo);
void uvm_give_back(u64 kva, u64 len);

#endif
