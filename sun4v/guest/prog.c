/* A static sparc64 Linux program in the domain (the MD's workload `program`): loading
   it, its threads, and the system calls the guest kernel carries out itself.

   Loading (the `loader` kernel thread), as Linux's binfmt_elf and qemu-sparc64 do it
   (sun4v/se/loader.py is the host's twin; the layout is qemu's so that a program
   printing addresses agrees with `sun4v run`): the host's PROG_OP_INFO gives the path,
   argv, envp, ids, stack size and AT_HWCAP; the ELF is read through the host's openat
   and pread64 into freshly mapped ranges (each PT_LOAD with its p_flags); the stack
   (8 MB by default) sits at 0x40_0000_2000, above an 8 KB guard; from its top down: an
   8-byte NUL slot, AT_EXECFN, the environment and argument strings, 16 AT_RANDOM bytes,
   then argc, argv[], envp[], auxv at a 16-byte aligned %sp + 2047 + 128. The main thread
   starts at the entry in user mode (PSTATE.PRIV clear, PEF and IE set, %asi 0x82, FPRS.FEF
   set) with every other register zero.

   System calls (`ta 0x6d`: number in %g1, arguments in %o0-%o5; result in %o0, carry
   of icc and xcc set with the positive errno on failure; return to TNPC): memory (brk,
   mmap, munmap, mprotect, mremap, madvise), threads (clone of a thread, exit,
   set_tid_address, futex, gettid, sched_yield), the signal mask and actions, sleeps,
   the waits of poll, ppoll, select, _newselect and pselect6 (the host looks at its
   descriptors, the kernel waits: below), exit_group are the kernel's own; everything else goes to the host (proxy.c), which
   serves it with sun4v/se exactly as `sun4v run` would; a read or readv the host
   holds (an empty pipe) a signal ends: restarted after an SA_RESTART handler, else
   EINTR. Processes (proc.c): fork, vfork and clone without CLONE_VM make a new
   process; wait4, waitid, getppid and kill of another process are the kernel's;
   execve loads a static ELF the host checks (below, with the loader).
   Signals (below): actions, masks, the alternate stack, delivery to handlers with
   Linux's frame and rt_sigreturn (on the way back from a system call or an interrupt
   taken in user mode), faults with their si_code and si_addr; waits for a signal
   (rt_sigsuspend, pause, rt_sigtimedwait, sleeps a signal interrupts), POSIX timers,
   setitimer and alarm on the domain's clock, sigqueue are the kernel's too. Quad-precision FP instructions and
   ldqf/stqf, which the chip traps, are completed as Linux completes them (fpemu.c).

   Threads: each thread of the program is a kernel thread (sched.c) whose frame is a
   user frame; it runs on any online vCPU, so dr-cpu moves it like any other thread.
   An exited thread's record is used again by a later clone (up to 1024 live threads).
   The state that is a process's (struct proc, proc.h: its address space and MMU
   context, signal actions, timers, brk, CPU time) is the running thread's process's
   (P). The end: exit_group (or the last thread's exit) of the first process writes the
   status to the proxy area and the console, and the domain stops with it (mach_exit);
   another process's ends that process (proc.c). */
#include "kernel.h"
#include "hcall.h"
#include "vdc.h"
#include "prog.h"
#include "proc.h"

#define AT_FDCWD        (-100)
#define LX_EPERM   1
#define LX_ESRCH   3
#define LX_EINTR   4
#define LX_ENOEXEC 8
#define LX_EAGAIN  11
#define LX_ENOMEM  12
#define LX_EFAULT  14
#define LX_EINVAL  22
#define LX_ETIMEDOUT 60
#define LX_ENOSYS  90

#define MMAP_BASE       0x4000000000UL          /* qemu's TASK_UNMAPPED_BASE (loader.py) */
#define GUARD_SIZE      UPAGE_SIZE
#define REGWIN_SIZE     128
#define FPRS_FEF        4
#define ASI_PNF         0x82

/* Linux sparc64 system call numbers (asm/unistd_64.h) */
enum {
    NR_exit = 1, NR_fork = 2, NR_brk = 17, NR_getpid = 20, NR_sigaltstack = 28,
    NR_kill = 37, NR_execve = 59, NR_vfork = 66, NR_pread64 = 67, NR_mmap = 71,
    NR_munmap = 73, NR_mprotect = 74, NR_madvise = 75, NR_rt_sigreturn = 101,
    NR_rt_sigaction = 102, NR_rt_sigprocmask = 103, NR_futex = 142, NR_gettid = 143,
    NR_set_tid_address = 166, NR_tkill = 187, NR_exit_group = 188, NR_tgkill = 211,
    NR_clone = 217, NR_sched_yield = 245, NR_nanosleep = 249, NR_mremap = 250,
    NR_clock_nanosleep = 259, NR_openat = 284, NR_set_robust_list = 300,
    NR_close = 6, NR_clock_gettime = 257, NR_rt_sigpending = 104, NR_rt_sigtimedwait = 105,
    NR_rt_sigsuspend = 107, NR_pause = 29, NR_wait4 = 7, NR_waitid = 279,
    NR_getppid = 197,
};

#define CLONE_VM                0x00000100
#define CLONE_SETTLS            0x00080000
#define CLONE_PARENT_SETTID     0x00100000
#define CLONE_CHILD_CLEARTID    0x00200000
#define CLONE_CHILD_SETTID      0x01000000
#define CLONE_THREAD            0x00010000
#define CLONE_VFORK             0x00004000

#define MAP_FIXED       0x10
#define MAP_ANONYMOUS   0x20
#define MREMAP_MAYMOVE  1
#define MREMAP_FIXED    2

#define FUTEX_WAIT      0
#define FUTEX_WAKE      1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CMD_MASK  0x7f                    /* without PRIVATE (128), CLOCK_RT (256) */

#define SIGILL  4
#define SIGABRT 6
#define SIGFPE  8
#define SIGKILL 9
#define SIGBUS  10
#define SIGSEGV 11
#define SIGCHLD 20

/* the running process's state (proc.h; a kernel thread: the first process's) */
#define P (*curproc())
static int next_id;             /* the next thread or process id */
u64 prog_uid;                   /* the program's real user id (its children's si_uid) */

/* the program's live threads (slot 0: the main thread while it lives); an exited
   thread's record goes to ut_free and is used again by a later clone, so a program
   may create any number of threads over its life, UT_MAX at a time (then EAGAIN) */
#define UT_MAX 1024
static struct uthread *uthreads[UT_MAX];
static struct uthread *ut_free;
static const u64 fp_zero[33];   /* a new thread's FP registers when its parent had none */
static spinlock_t prog_lock;    /* P.live, the futex wait list, uthreads, ut_free */
static struct uthread *fwaiters;
static char progname[64];

/* ---- the end --------------------------------------------------------------------------- */
static volatile u64 quiesced;

/* every other online vCPU: its clock off, then it waits (MONDO_QUIESCE, intr.c) */
static void quiesce_others(void)
{
    struct cpu *mine = mycpu();
    u64 want = 0;
    for (int i = 0; i < MAXCPUS; i++)
        if (&cpus[i] != mine && cpus[i].state == CPU_ONLINE) {
            cpu_send_mondo(i, MONDO_QUIESCE);
            want++;
        }
    for (u64 spin = 0; quiesced < want && spin < 100000000; spin++)
        ;
}

void prog_quiesce(void)
{
    __asm__ __volatile__("wr %0, 0, %%asr25" : : "r"(1UL << 63));
    atomic_add_64(&quiesced, 1);
    for (;;)
        hv_cpu_yield();
}

/* the end of the running process (proc.c: the domain's end for the first one) */
static void prog_end(int state, u64 status) __attribute__((noreturn));
static void prog_end(int state, u64 status)
{
    proc_end(state, status);
}

void prog_domain_end(int state, u64 status)
{
    prog_area->status = status;
    membar_sync();
    prog_area->state = (u64)state;
    if (state == PS_EXITED)
        kprintf("program %s: exit status %lu\n", progname, status);
    else if (state == PS_KILLED)
        kprintf("program %s: killed by signal %lu\n", progname, status);
    else
        kprintf("program %s: not started (error %lu)\n", progname, status);
    /* the other vCPUs' clocks off (a compare left armed is a wake-up the machine
       would wait for after the domain stopped), then this one's, then stop */
    intr_off();
    quiesce_others();
    __asm__ __volatile__("wr %0, 0, %%asr25" : : "r"(1UL << 63));
    hv_mach_exit(state == PS_EXITED ? status & 0xff : 128 + (status & 0x7f));
    for (;;)
        hv_cpu_yield();
}

/* ---- user threads -------------------------------------------------------------------- */
static struct uthread *me(void) { return mycpu()->cur->user; }

static struct proc *ptimer_proc;        /* the process whose timers the ptimers thread */
static struct thread *ptimer_thr;       /* looks at */

struct proc *curproc(void)
{
    struct thread *t = mycpu()->cur;
    if (t && t->user)
        return t->user->proc;
    if (t && t == ptimer_thr && ptimer_proc)
        return ptimer_proc;
    return &procs[0];
}

int prog_alloc_id(void)
{
    u64 p = intr_off();
    spin_lock(&prog_lock);
    int id = next_id++;
    spin_unlock(&prog_lock);
    intr_restore(p);
    return id;
}

/* the next live thread of process p from slot *i on (the caller holds prog_lock or
   accepts a thread ending meanwhile), or 0 */
struct uthread *prog_each_thread(struct proc *p, int *i)
{
    while (*i < UT_MAX) {
        struct uthread *u = uthreads[(*i)++];
        if (u && u->tid && u->proc == p)
            return u;
    }
    return 0;
}

/* the live thread `tid`, or 0 */
static struct uthread *uthread_of(long tid)
{
    if (tid <= 0)
        return 0;
    struct proc *p = curproc();
    for (int i = 0; i < UT_MAX; i++)
        if (uthreads[i] && uthreads[i]->tid == tid && uthreads[i]->proc == p)
            return uthreads[i];
    return 0;
}

/* a zeroed thread record in a free slot of uthreads (tid 0 until the caller sets it),
   or 0 when UT_MAX threads live */
static struct uthread *ut_alloc(void)
{
    u64 p = intr_off();
    spin_lock(&prog_lock);
    int i;
    for (i = 0; i < UT_MAX && uthreads[i]; i++)
        ;
    struct uthread *u = 0;
    if (i < UT_MAX) {
        u = ut_free;
        if (u)
            ut_free = u->fnext;
        else
            u = (struct uthread *)1;        /* a new one, made below */
        uthreads[i] = u;
    }
    spin_unlock(&prog_lock);
    intr_restore(p);
    if (u == (struct uthread *)1) {
        struct uthread *n = kalloc(sizeof(*n), 64);
        uthreads[i] = n;                    /* (tid 0: no lookup finds it yet) */
        n->alt.flags = SS_DISABLE;
        return n;
    }
    if (u)
        memset(u, 0, sizeof(*u));
    if (u)
        u->alt.flags = SS_DISABLE;          /* a new thread: no alternate stack */
    return u;
}

/* thread u's record back to ut_free, its slot free (prog_lock held) */
static void ut_release(struct uthread *u)
{
    for (int i = 0; i < UT_MAX; i++)
        if (uthreads[i] == u)
            uthreads[i] = 0;
    u->fnext = ut_free;
    ut_free = u;
}

struct uthread *prog_ut_alloc(void) { return ut_alloc(); }
static int spawn(const struct trapframe *utf, struct uthread *u, const u64 *fpregs);

void prog_spawn(const struct trapframe *utf, struct uthread *u, const u64 *fpregs)
{
    spawn(utf, u, fpregs);
}

static int spawn(const struct trapframe *utf, struct uthread *u, const u64 *fpregs)
{
    char name[24];
    snprintf(name, sizeof(name), "%s.%d", progname, u->tid);
    u64 p = intr_off();
    spin_lock(&prog_lock);
    u->proc->live++;
    spin_unlock(&prog_lock);
    intr_restore(p);
    prog_area->threads++;
    thread_create_user(name, utf, u, fpregs);
    return 0;
}

/* sparc64 Linux's start_thread / a clone's child: user mode, FPU on, %asi ASI_PNF */
static u64 user_tstate(u64 ccr)
{
    return (ccr << TSTATE_CCR_SHIFT) | ((u64)ASI_PNF << TSTATE_ASI_SHIFT) |
           ((u64)(PSTATE_PEF | PSTATE_IE) << TSTATE_PSTATE_SHIFT);
}

/* ---- futexes --------------------------------------------------------------------------- */
static long futex_wait(u64 uaddr, u32 val, u64 us, u32 bitset)
{
    struct uthread *u = me();
    u32 *w = uvm_kva(uaddr, 4, 0);
    if (!w || (uaddr & 3))
        return -LX_EFAULT;
    if (!bitset)
        return -LX_EINVAL;
    u->ev.flag = 0;
    u->ev.waiter = mycpu()->cur;
    u->woken = 0;
    u64 p = intr_off();
    spin_lock(&prog_lock);
    if (*(volatile u32 *)w != val) {
        spin_unlock(&prog_lock);
        intr_restore(p);
        return -LX_EAGAIN;
    }
    u->futex_addr = uaddr;
    u->bitset = bitset;
    u->fnext = fwaiters;
    fwaiters = u;
    spin_unlock(&prog_lock);
    intr_restore(p);
    event_wait(&u->ev, us);
    p = intr_off();
    spin_lock(&prog_lock);
    if (!u->woken)
        for (struct uthread **pp = &fwaiters; *pp; pp = &(*pp)->fnext)
            if (*pp == u) {
                *pp = u->fnext;
                break;
            }
    u->futex_addr = 0;
    int woken = u->woken;
    spin_unlock(&prog_lock);
    intr_restore(p);
    return woken ? 0 : -LX_ETIMEDOUT;
}

static long futex_wake(u64 uaddr, u64 n, u32 bitset)
{
    long woke = 0;
    if (!bitset)
        return -LX_EINVAL;
    u64 p = intr_off();
    spin_lock(&prog_lock);
    /* oldest waiter first: the list is newest first, so take the last matches */
    while ((u64)woke < n) {
        struct uthread **pick = 0;
        for (struct uthread **pp = &fwaiters; *pp; pp = &(*pp)->fnext)
            if ((*pp)->futex_addr == uaddr && ((*pp)->bitset & bitset) &&
                (*pp)->proc == curproc())
                pick = pp;
        if (!pick)
            break;
        struct uthread *u = *pick;
        *pick = u->fnext;
        u->woken = 1;
        event_signal(&u->ev);
        woke++;
    }
    spin_unlock(&prog_lock);
    intr_restore(p);
    return woke;
}

/* a struct timespec (16 bytes: tv_sec, tv_nsec) in microseconds, rounded up */
static long timespec_us(u64 uts, u64 *us)
{
    u64 ts[2];
    if (uvm_copyin(ts, uts, 16))
        return -LX_EFAULT;
    if ((long)ts[0] < 0 || ts[1] >= 1000000000UL)
        return -LX_EINVAL;
    *us = ts[0] * 1000000 + (ts[1] + 999) / 1000;
    return 0;
}

/* ---- CPU-time clocks (clock_gettime(2), clock_getcpuclockid(3)) ---------------------------
   CLOCK_PROCESS_CPUTIME_ID (2) and CLOCK_THREAD_CPUTIME_ID (3) are the process's and the
   calling thread's CPU time on the domain's vCPUs (cputime.c). A negative id is Linux's
   CPU clock of a process or thread (include/linux/posix-timers.h: ~pid << 3 | perthread
   4 | CPUCLOCK_PROF 0 / VIRT 1 / SCHED 2; 3 is no clock): this process's (pid 0 or its
   own) and its threads' are answered here, a thread outside it is EINVAL (as Linux's
   thread clocks of another thread group), another process's is the host's. */
#define CPUCLOCK_PERTHREAD 4

/* CPU clock clk: *kind 2 (the process's) or 3 (thread *u's), *which CPUCLOCK_PROF 0
   (user + system), VIRT 1 (user) or SCHED 2 (user + system); returns 0, or 1 when clk
   is not one of ours (another process's, or no CPU clock), or -errno */
static long cpu_clock_parse(long clk, int *kind, struct uthread **u, int *which)
{
    *u = me();
    *which = 2;
    if (clk == 2 || clk == 3) {
        *kind = (int)clk;
        return 0;
    }
    if (clk >= 0)
        return 1;
    long pid = ~(clk >> 3);
    *which = (int)(clk & 3);
    if (*which == 3)
        return -LX_EINVAL;
    if (clk & CPUCLOCK_PERTHREAD) {
        if (pid != 0 && !(*u = uthread_of(pid)))
            return -LX_EINVAL;
        *kind = 3;
        return 0;
    }
    *kind = 2;
    return pid != 0 && pid != P.pid;
}

/* the CPU clock's value in %stick ticks */
static u64 cpu_clock_read(int kind, struct uthread *u, int which)
{
    cputime_clock(kind, u);                 /* (the caller's time counted up to now) */
    volatile u64 *c = kind == 3 ? u->cpu_ticks : P.cpu_ticks;
    return c[0] + (which == 1 ? 0 : c[1]);
}

/* clock clk in %stick ticks of CPU time: 0, or 1 when clk is not one of ours, or -errno */
static long cpu_clock_ticks(long clk, u64 *ticks)
{
    int kind, which;
    struct uthread *u;
    long r = cpu_clock_parse(clk, &kind, &u, &which);
    if (r == 0)
        *ticks = cpu_clock_read(kind, u, which);
    return r;
}

static void ticks_timespec(u64 ticks, u64 ts[2])
{
    ts[0] = ticks / stick_hz;
    ts[1] = ticks % stick_hz * 1000000000UL / stick_hz;
}

static long now_us(int clock, u64 *us)
{
    u64 ts[2], ticks;
    long c = cpu_clock_ticks(clock, &ticks);
    if (c <= 0) {
        if (c == 0)
            *us = ticks / (stick_hz / 1000000);
        return c;
    }
    long r = proxy_kcall(NR_clock_gettime, (u64)clock, (u64)ts, 0, 0, 0, 0);
    if (r < 0)
        return r;
    *us = ts[0] * 1000000 + ts[1] / 1000;
    return 0;
}

static long sys_futex(u64 uaddr, u64 op, u64 val, u64 uts, u64 uaddr2, u64 val3)
{
    (void)uaddr2;
    u64 us = 0;
    long r;
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
        if (uts && (r = timespec_us(uts, &us)) < 0)
            return r;
        if (uts && us == 0)
            return futex_wait(uaddr, (u32)val, 1, 0xffffffff) == -LX_EAGAIN ? -LX_EAGAIN
                                                                          : -LX_ETIMEDOUT;
        return futex_wait(uaddr, (u32)val, us, 0xffffffff);
    case FUTEX_WAIT_BITSET:
        if (uts) {                          /* an absolute time on the clock op names */
            u64 dl, now;
            if ((r = timespec_us(uts, &dl)) < 0)
                return r;
            if ((r = now_us((op & 256) ? 0 : 1, &now)) < 0)
                return r;
            if (dl <= now) {
                u32 *w = uvm_kva(uaddr, 4, 0);
                if (!w)
                    return -LX_EFAULT;
                return *(volatile u32 *)w != (u32)val ? -LX_EAGAIN : -LX_ETIMEDOUT;
            }
            us = dl - now;
        }
        return futex_wait(uaddr, (u32)val, us, (u32)val3);
    case FUTEX_WAKE:
        return futex_wake(uaddr, val, 0xffffffff);
    case FUTEX_WAKE_BITSET:
        return futex_wake(uaddr, val, (u32)val3);
    }
    return -LX_ENOSYS;
}

/* ---- threads: clone, exit ------------------------------------------------------------ */
static long sys_clone(struct trapframe *tf, u64 flags, u64 newsp, u64 ptid, u64 tls,
                      u64 ctid)
{
    flags &= 0xffffffff;
    if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
        return proc_fork(tf, flags, newsp, ptid, ctid);        /* a new process */
    if (!(flags & CLONE_THREAD))
        return -LX_EINVAL;              /* (CLONE_VM without CLONE_THREAD: not modelled) */
    struct uthread *parent = me();
    struct trapframe ctf = *tf;
    ctf.tpc = tf->tnpc;                     /* both continue after the ta */
    ctf.tnpc = tf->tnpc + 4;
    if (newsp) {
        /* process_64.c clone_stackframe: the caller's frame copied to the top of the new
           stack, its saved %fp pointing at that top (threads.py's twin) */
        u64 psp = tf->o[6] + STACK_BIAS;
        u64 dist = tf->i[6] + STACK_BIAS - psp;
        if (dist < 128 || dist > 65536)
            dist = 192;
        u64 csp = (newsp + STACK_BIAS) & ~15UL;
        u64 rval = csp - dist;
        u64 frame[32];                      /* a piece at a time (dist: 8-byte multiple) */
        dist &= ~7UL;
        for (u64 off = 0; off < dist; off += sizeof(frame)) {
            u64 n = MIN(sizeof(frame), dist - off);
            if (uvm_copyin(frame, psp + off, n))
                return -LX_EFAULT;
            if (off == 0) {                 /* the window: 16 words, dist >= 128 */
                for (int i = 0; i < 8; i++) {
                    frame[i] = tf->l[i];
                    frame[8 + i] = tf->i[i];
                }
                frame[8 + 6] = csp - STACK_BIAS;
            }
            if (uvm_copyout(rval + off, frame, n))
                return -LX_EFAULT;
        }
        ctf.i[6] = csp - STACK_BIAS;
        ctf.o[6] = rval - STACK_BIAS;
    }
    struct uthread *u = ut_alloc();
    if (!u)
        return -LX_EAGAIN;                  /* UT_MAX threads live (Linux: EAGAIN) */
    int tid;
    u64 p = intr_off();
    spin_lock(&prog_lock);
    tid = next_id++;
    spin_unlock(&prog_lock);
    intr_restore(p);
    u32 t32 = (u32)tid;
    if (((flags & CLONE_PARENT_SETTID) && uvm_copyout(ptid, &t32, 4)) ||
        ((flags & CLONE_CHILD_SETTID) && uvm_copyout(ctid, &t32, 4))) {
        p = intr_off();
        spin_lock(&prog_lock);
        ut_release(u);
        spin_unlock(&prog_lock);
        intr_restore(p);
        return -LX_EFAULT;
    }
    u->tid = tid;
    u->proc = parent->proc;
    u->sigmask = parent->sigmask;
    u->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
    ctf.o[0] = (u64)P.pid;                  /* child: %o0 = the parent's pid, %o1 = 1 */
    ctf.o[1] = 1;
    ctf.tstate &= ~((u64)0x11 << TSTATE_CCR_SHIFT);
    if (flags & CLONE_SETTLS)
        ctf.g[7] = tls;
    /* the FP registers: the parent's, saved when it trapped (prog_trap); copied */
    struct thread *pt = mycpu()->cur;
    spawn(&ctf, u, pt->fp_used ? pt->fpregs : fp_zero);
    tf->o[1] = 0;                           /* parent: %o1 = 0 */
    return tid;
}

static void thread_done(u64 status, int group) __attribute__((noreturn));
static void thread_done(u64 status, int group)
{
    struct uthread *u = me();
    if (group)
        prog_end(PS_EXITED, status & 0xff);
    if (u->clear_tid) {
        u32 zero = 0;
        if (!uvm_copyout(u->clear_tid, &zero, 4))
            futex_wake(u->clear_tid, 1, 0xffffffff);
    }
    u64 p = intr_off();
    spin_lock(&prog_lock);
    int last = P.live == 1;
    spin_unlock(&prog_lock);
    intr_restore(p);
    if (last)                               /* (a thread exiting meanwhile: the same) */
        prog_end(PS_EXITED, status & 0xff);
    prog_thread_end();
}

/* the calling thread leaves (its process goes on, or has ended: proc_end); the last
   one of a process other than the first finishes it (proc.c) */
void prog_thread_end(void)
{
    struct uthread *u = me();
    struct proc *pr = u->proc;
    u64 p = intr_off();
    spin_lock(&prog_lock);
    int left = --pr->live;
    /* tkill of it now: ESRCH; its record free for a later clone. It leaves this vCPU
       as a kernel thread (cur->user 0: no CPU time, no more signals) */
    mycpu()->cur->user = 0;
    ut_release(u);
    spin_unlock(&prog_lock);
    intr_restore(p);
    if (left == 0)
        proc_finish(pr);
    thread_exit();
}

/* ---- memory ---------------------------------------------------------------------------- */
static u64 find_free(u64 len, u64 hint)
{
    if (hint && !(hint & (UPAGE_SIZE - 1)) && uvm_is_free(hint, len))
        return hint;
    u64 a = P.mmap_next;
    for (;;) {
        u64 e = uvm_mapped_end(a, len);
        if (!e)
            break;
        a = e;
    }
    P.mmap_next = a + len;
    return a;
}

static int prot_bits(u64 prot) { return (int)(prot & 7); }

static long sys_brk(u64 addr)
{
    if (addr == 0 || addr < P.brk_start)
        return (long)P.brk_cur;
    u64 new_top = ALIGN_UP(addr, UPAGE_SIZE);
    if (new_top - P.brk_start > P.brk_max)
        return (long)P.brk_cur;
    u64 old_top = ALIGN_UP(P.brk_cur, UPAGE_SIZE);
    if (new_top > old_top) {
        if (!uvm_is_free(old_top, new_top - old_top))
            return (long)P.brk_cur;
        u64 dirty = MIN(new_top, P.brk_high);  /* pages given back earlier */
        if (dirty > old_top)
            memset((void *)(P.brk_kva + (old_top - P.brk_start)), 0, dirty - old_top);
        P.brk_high = MAX(P.brk_high, new_top);
    }
    if (uvm_set_range(P.brk_start, new_top, P.brk_kva, UPROT_R | UPROT_W | UPROT_X))
        return (long)P.brk_cur;
    P.brk_cur = addr;
    return (long)addr;
}

static long sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
    if (len == 0 || (addr & (UPAGE_SIZE - 1)) || (off & (UPAGE_SIZE - 1)))
        return -LX_EINVAL;
    len = ALIGN_UP(len, UPAGE_SIZE);
    if (len >= (1UL << 44))
        return -LX_ENOMEM;
    u64 where;
    if (flags & MAP_FIXED) {
        where = addr;
        uvm_unmap(where, len);
    } else {
        where = find_free(len, addr);
    }
    int prot_now = prot_bits(prot);
    if (uvm_map(where, len, (flags & MAP_ANONYMOUS) ? prot_now : UPROT_R | UPROT_W))
        return -LX_ENOMEM;
    if (!(flags & MAP_ANONYMOUS)) {         /* a private copy of the file's pages */
        void *k = uvm_kva_any(where, len);
        long r = proxy_kcall(NR_pread64, fd, (u64)k, len, off, 0, 0);
        if (r < 0) {
            uvm_unmap(where, len);
            return r;
        }
        if (prot_now != (UPROT_R | UPROT_W))
            uvm_protect(where, len, prot_now);
    }
    return (long)where;
}

static long sys_mremap(u64 old, u64 old_len, u64 new_len, u64 flags, u64 new_addr)
{
    if (old & (UPAGE_SIZE - 1))
        return -LX_EINVAL;
    old_len = ALIGN_UP(old_len, UPAGE_SIZE);
    new_len = ALIGN_UP(new_len, UPAGE_SIZE);
    if (new_len == 0)
        return -LX_EINVAL;
    int prot = uvm_prot(old);
    if (prot < 0)
        return -LX_EFAULT;
    if (new_len <= old_len) {
        if (new_len < old_len)
            uvm_unmap(old + new_len, old_len - new_len);
        return (long)old;
    }
    if (!(flags & MREMAP_FIXED) && uvm_is_free(old + old_len, new_len - old_len)) {
        if (uvm_map(old + old_len, new_len - old_len, prot))
            return -LX_ENOMEM;
        return (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -LX_ENOMEM;
    u64 where;
    if (flags & MREMAP_FIXED) {
        where = new_addr;
        uvm_unmap(where, new_len);
    } else {
        where = find_free(new_len, 0);
    }
    if (uvm_map(where, new_len, prot))
        return -LX_ENOMEM;
    void *dst = uvm_kva_any(where, old_len);
    for (u64 done = 0; done < old_len;) {   /* the old pages may span several ranges */
        int i;
        void *src = 0;
        u64 n = old_len - done;
        for (i = 0; i < (int)uspace.n; i++)
            if (uspace.r[i].va_lo <= old + done && old + done < uspace.r[i].va_hi) {
                n = MIN(n, uspace.r[i].va_hi - (old + done));
                src = (void *)(uspace.r[i].kva + (old + done - uspace.r[i].va_lo));
                break;
            }
        if (!src)
            break;
        memcpy((char *)dst + done, src, n);
        done += n;
    }
    uvm_unmap(old, old_len);
    return (long)where;
}

/* ---- signals (Linux signal_64.c; signals.py's twin) -----------------------------------
   Actions and each thread's mask are the kernel's; a signal sent to the program (kill,
   tkill, tgkill of its own threads, a fault) is pending on a thread and delivered when
   that thread goes back to user mode and does not block it: ignored, the default action
   (the end of the program, or nothing), or a handler: the rt_signal_frame (192-byte
   window save area, siginfo, pt_regs, FPU state, stack_t, mask) below %sp or on the
   alternate stack, %o0 = sig, %o1 = %o2 = &siginfo, %o7 = the restorer, PC = the
   handler; rt_sigreturn restores from the frame at %sp. Sparc numbering: SIGCHLD 20,
   SIGURG 16, SIGWINCH 28, SIGCONT 19 are ignored by default, SIGSTOP 17, SIGTSTP 18,
   SIGTTIN 21, SIGTTOU 22 stop (nothing to stop here: ignored). */
#define SA_ONSTACK      0x1
#define SA_RESETHAND    0x4
#define SA_NODEFER      0x20
#define SA_SIGINFO      0x200
#define SI_USER         0
#define SI_TKILL        (-6)
#define SI_NOINFO       32767
#define SF_INFO         192
#define SF_REGS         320
#define SF_FPU_SAVE     480
#define SF_STACK        488
#define SF_MASK         512
#define SF_SIZE         528
#define FPU_SIZE        280
#define PT_REGS_MAGIC   0x57ac6c00
#define UNBLOCKABLE     ((1UL << (SIGKILL - 1)) | (1UL << (17 - 1)))
#define SIGBIT(s)       (1UL << ((s) - 1))

#define altstack (me()->alt)   /* the calling thread's (proc.h) */

static int sig_default_ignored(int sig)
{
    return sig == 20 || sig == 16 || sig == 28 || sig == 19 || sig == 17 || sig == 18 ||
           sig == 21 || sig == 22;
}

static int on_altstack(u64 sp)
{
    return !(altstack.flags & SS_DISABLE) && altstack.sp < sp + STACK_BIAS &&
           sp + STACK_BIAS <= altstack.sp + altstack.size;
}

static void post(struct uthread *u, int sig, int code, u64 addr, int trapno);

void prog_post(struct uthread *u, int sig, int code, u64 addr, int trapno)
{
    post(u, sig, code, addr, trapno);
}

static void post(struct uthread *u, int sig, int code, u64 addr, int trapno)
{
    u->pending |= SIGBIT(sig);
    u->info[sig].code = code;
    u->info[sig].addr = addr;
    u->info[sig].trapno = trapno;
    u->info[sig].pid = (u64)P.pid;
    u->info[sig].uid = 0;
    membar_sync();
    if ((!(u->sigmask & SIGBIT(sig)) || (u->waitset & SIGBIT(sig))) && u->ev.waiter)
        event_signal(&u->ev);               /* a wait it is in ends (EINTR) */
}

static long send_signal(struct uthread *u, int sig, int code)
{
    if (sig == 0)
        return 0;
    if (sig < 0 || sig > 64)
        return -LX_EINVAL;
    u64 h = P.sigact[sig][0];
    if (h == 1 /* SIG_IGN */ || (h == 0 && sig_default_ignored(sig)))
        return 0;
    post(u, sig, code, 0, 0);
    return 0;
}

#define SI_TIMER        (-2)

/* the siginfo of a signal pending on u (128 bytes at info, zeroed by the caller):
   si_signo, si_code, then a fault's si_addr and si_trapno, a timer's si_tid (the
   timer's id), si_overrun and si_value, or the sender's si_pid and si_uid */
static void fill_siginfo(struct uthread *u, int sig, u8 *info)
{
    *(u32 *)(info + 0) = (u32)sig;
    *(u32 *)(info + 8) = (u32)u->info[sig].code;
    if (u->info[sig].code == SI_TIMER || u->info[sig].code == -1 /* SI_QUEUE */) {
        *(u32 *)(info + 16) = (u32)u->info[sig].pid;
        *(u32 *)(info + 20) = (u32)u->info[sig].uid;
        *(u64 *)(info + 24) = u->info[sig].addr;
    } else if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) {
        *(u64 *)(info + 16) = u->info[sig].addr;
        *(u32 *)(info + 24) = (u32)u->info[sig].trapno;
    } else if (sig == SIGCHLD && u->info[sig].code > 0) {
        /* a child's end (proc.c): si_pid, si_uid, si_status (si_utime, si_stime 0) */
        *(u32 *)(info + 16) = (u32)u->info[sig].pid;
        *(u32 *)(info + 20) = (u32)u->info[sig].uid;
        *(u32 *)(info + 24) = (u32)u->info[sig].addr;
    } else {
        *(u32 *)(info + 16) = (u32)u->info[sig].pid;
        *(u32 *)(info + 20) = (u32)u->info[sig].uid;
    }
}

static void setup_frame(struct trapframe *tf, int sig, const u64 *act, u64 mask)
{
    struct uthread *u = me();
    struct thread *t = mycpu()->cur;
    static const int zero = 0;
    (void)zero;
    flush_windows();                        /* the program's windows to its stack */
    int fef = (tf->fprs & FPRS_FEF) && t->fp_used;
    u64 size = SF_SIZE + (fef ? FPU_SIZE : 0);
    u64 sp = tf->o[6], frame_sp;
    if ((act[1] & SA_ONSTACK) && !(altstack.flags & SS_DISABLE) && !on_altstack(sp))
        frame_sp = altstack.sp + altstack.size - size;
    else
        frame_sp = sp + STACK_BIAS - size;
    u64 sf = frame_sp & ~15UL;
    u64 f[(SF_SIZE + FPU_SIZE) / 8];
    memset(f, 0, sizeof(f));
    for (int i = 0; i < 8; i++) {           /* the window save area */
        f[i] = tf->l[i];
        f[8 + i] = tf->i[i];
    }
    /* the interrupted window to its own stack too (synchronize_user_stack): the return
       from the handler fills it from there */
    if (uvm_copyout(sp + STACK_BIAS, f, 128)) {
        kprintf("program %s: bad stack for signal %d\n", progname, sig);
        prog_end(PS_KILLED, SIGSEGV);
    }
    u8 *info = (u8 *)f + SF_INFO;
    if (act[1] & SA_SIGINFO) {
        fill_siginfo(u, sig, info);
    } else {
        *(u32 *)(info + 0) = (u32)sig;
        *(u32 *)(info + 8) = SI_NOINFO;
    }
    u64 *regs = (u64 *)((u8 *)f + SF_REGS);
    for (int i = 1; i < 8; i++)
        regs[i] = tf->g[i];
    for (int i = 0; i < 8; i++)
        regs[8 + i] = tf->o[i];
    regs[16] = tf->tstate & ~(0xffUL << 40);
    regs[17] = tf->tpc;
    regs[18] = tf->tnpc;
    regs[19] = ((tf->y & 0xffffffff) << 32) | PT_REGS_MAGIC;
    u64 *tail = (u64 *)((u8 *)f + SF_SIZE);
    if (fef) {
        memcpy(tail, t->fpregs, 256);       /* %f0-%f63 */
        tail[32] = t->fpregs[32];           /* %fsr */
        tail[33] = 0;                       /* %gsr */
        tail[34] = tf->fprs;
        f[SF_FPU_SAVE / 8] = sf + SF_SIZE;
    }
    f[SF_STACK / 8] = altstack.sp;
    f[SF_STACK / 8 + 1] = (on_altstack(sp) ? (u64)SS_ONSTACK : altstack.flags) << 32;
    f[SF_STACK / 8 + 2] = altstack.size;
    f[SF_MASK / 8] = mask;
    if ((frame_sp & 15) == 15 || uvm_copyout(sf, f, size)) {
        kprintf("program %s: no room for the frame of signal %d\n", progname, sig);
        prog_end(PS_KILLED, SIGSEGV);
    }
    tf->o[6] = sf - STACK_BIAS;
    tf->o[0] = (u64)sig;
    tf->o[1] = sf + SF_INFO;
    tf->o[2] = sf + SF_INFO;
    tf->o[7] = act[2];                      /* the restorer */
    tf->tpc = act[0];
    tf->tnpc = act[0] + 4;
}

/* deliver what the current thread does not block (lowest number first) */
static void deliver_pending(struct trapframe *tf)
{
    struct uthread *u = me();
    for (;;) {
        u64 ready = u->pending & ~u->sigmask;
        if (!ready)
            return;
        int sig = 1 + fw_ctz64(ready);
        u->pending &= ~SIGBIT(sig);
        u64 *act = P.sigact[sig];
        if (act[0] == 1 || (act[0] == 0 && sig_default_ignored(sig)))
            continue;
        if (act[0] == 0)
            prog_end(PS_KILLED, (u64)sig);
        setup_frame(tf, sig, act, u->has_saved ? u->saved_mask : u->sigmask);
        u->has_saved = 0;                   /* the frame restores it (rt_sigreturn) */
        u->sigmask |= act[3];
        if (!(act[1] & SA_NODEFER))
            u->sigmask |= SIGBIT(sig);
        u->sigmask &= ~UNBLOCKABLE;
        if (act[1] & SA_RESETHAND)
            memset(act, 0, 32);
        return;                             /* one frame at a time */
    }
}

/* the end of a system call: pending signals delivered, then the mask that ppoll,
   pselect6 or sigsuspend replaced put back unless a handler's frame keeps it
   (restore_saved_sigmask) */
static void return_to_user(struct trapframe *tf)
{
    struct uthread *u = me();
    if (u->proc->exiting || u->exit_now)    /* another thread ended the process, or */
        prog_thread_end();                  /* replaced its image (execve) */
    deliver_pending(tf);
    if (u->has_saved) {
        u->sigmask = u->saved_mask;
        u->has_saved = 0;
    }
}

static long sys_rt_sigreturn(struct trapframe *tf)
{
    struct thread *t = mycpu()->cur;
    flush_windows();
    u64 sf = tf->o[6] + STACK_BIAS;
    u64 f[(SF_SIZE) / 8];
    if ((sf & 15) || uvm_copyin(f, sf, SF_SIZE))
        prog_end(PS_KILLED, SIGSEGV);
    u64 *regs = (u64 *)((u8 *)f + SF_REGS);
    u64 tpc = regs[17], tnpc = regs[18];
    if ((tpc | tnpc) & 3)
        prog_end(PS_KILLED, SIGSEGV);
    u64 fpu = f[SF_FPU_SAVE / 8];
    if (fpu) {
        u64 fp[35];
        if (uvm_copyin(fp, fpu, sizeof(fp)))
            prog_end(PS_KILLED, SIGSEGV);
        memcpy(t->fpregs, fp, 256);
        t->fpregs[32] = fp[32];
        t->fp_used = 1;
        fp_restore(t->fpregs);
        tf->fprs |= FPRS_FEF;
    }
    for (int i = 1; i < 8; i++)
        tf->g[i] = regs[i];
    for (int i = 0; i < 8; i++)
        tf->o[i] = regs[8 + i];
    u64 ccr_asi = (0xffUL << TSTATE_CCR_SHIFT) | (0xffUL << TSTATE_ASI_SHIFT);
    tf->tstate = (tf->tstate & ~ccr_asi) | (regs[16] & ccr_asi);
    tf->tpc = tpc;
    tf->tnpc = tnpc;
    tf->y = regs[19] >> 32;
    me()->sigmask = f[SF_MASK / 8] & ~UNBLOCKABLE;
    /* this window, filled from the restored %sp */
    u64 w[16];
    if (uvm_copyin(w, tf->o[6] + STACK_BIAS, 128))
        prog_end(PS_KILLED, SIGSEGV);
    for (int i = 0; i < 8; i++) {
        tf->l[i] = w[i];
        tf->i[i] = w[8 + i];
    }
    return 0;
}

static long sys_sigaltstack(u64 ss, u64 oss, u64 sp)
{
    u64 cur[3] = {altstack.sp, altstack.flags, altstack.size};
    if (on_altstack(sp))
        cur[1] = SS_ONSTACK;
    if (ss) {
        u64 n[3];
        if (uvm_copyin(n, ss, 24))
            return -LX_EFAULT;
        if (on_altstack(sp))
            return -LX_EPERM;
        u32 fl = (u32)(n[1] >> 32);         /* int ss_flags, then padding */
        if (fl != 0 && fl != SS_DISABLE && fl != SS_ONSTACK)
            return -LX_EINVAL;
        if (fl == SS_DISABLE) {
            altstack.sp = altstack.size = 0;
            altstack.flags = SS_DISABLE;
        } else {
            if (n[2] < 2048)
                return -LX_ENOMEM;
            altstack.sp = n[0];
            altstack.size = n[2];
            altstack.flags = 0;
        }
    }
    if (oss) {
        u64 o[3] = {cur[0], cur[1] << 32, cur[2]};
        if (uvm_copyout(oss, o, 24))
            return -LX_EFAULT;
    }
    return 0;
}

static long sys_rt_sigaction(u64 sig, u64 act, u64 oact, u64 restorer, u64 size)
{
    if (size != 8 || sig < 1 || sig > 64)
        return -LX_EINVAL;
    if (oact && uvm_copyout(oact, P.sigact[sig], 32))
        return -LX_EFAULT;
    if (act) {
        if (sig == SIGKILL || sig == 17 /* SIGSTOP */)
            return -LX_EINVAL;
        u64 n[4];
        if (uvm_copyin(n, act, 32))
            return -LX_EFAULT;
        n[2] = restorer;
        n[3] &= ~UNBLOCKABLE;
        memcpy(P.sigact[sig], n, 32);
        if (n[0] == 1 || (n[0] == 0 && sig_default_ignored((int)sig)))
            for (int i = 0; i < UT_MAX; i++)
                if (uthreads[i] && uthreads[i]->proc == curproc())
                    uthreads[i]->pending &= ~SIGBIT(sig);
    }
    return 0;
}

static long sys_rt_sigprocmask(u64 how, u64 set, u64 oset, u64 size)
{
    struct uthread *u = me();
    u64 old = u->sigmask, s;
    if (size != 8)
        return -LX_EINVAL;
    if (set) {
        if (uvm_copyin(&s, set, 8))
            return -LX_EFAULT;
        s &= ~((1UL << (SIGKILL - 1)) | (1UL << (17 - 1)));
        if (how == 1)                       /* sparc: SIG_BLOCK 1, SIG_UNBLOCK 2, */
            u->sigmask |= s;                /* SIG_SETMASK 4 */
        else if (how == 2)
            u->sigmask &= ~s;
        else if (how == 4)
            u->sigmask = s;
        else
            return -LX_EINVAL;
    }
    if (oset && uvm_copyout(oset, &old, 8))
        return -LX_EFAULT;
    return 0;
}

/* ---- waits a signal ends: sleeps, poll and select over the host's descriptors ----------
   The files (pipes included: they are the host's, like every descriptor of the
   program) are the host's; the wait is the kernel's: it asks the host whether the
   descriptors are ready (a zero-timeout ppoll / pselect6, sun4v/se/sys_poll.py: the
   same checks and results as `sun4v run`), and between two looks the thread sleeps on
   its event -- its vCPU runs other threads or yields to the hypervisor (cpu_yield) --
   2 us, doubling up to POLL_MAX_US, never past the timeout. A signal the thread does not
   block ends the wait (post() signals its event): -EINTR, as fs/select.c's
   -ERESTARTNOHAND after a handler. Order of the checks (do_poll, do_select): ready
   descriptors, then the timeout, then a signal. */
#define POLL_MAX_US     1000
#define NOFILE_CUR      1024
#define NSEC_PER_SEC    1000000000UL
enum { NR_poll = 153, NR_select = 93, NR__newselect = 230, NR_pselect6 = 297,
       NR_ppoll = 298 };

static int sig_ready(struct uthread *u) { return (u->pending & ~u->sigmask) != 0; }

/* sleep until stick `until` (U64_MAX: no limit) or a signal the thread takes:
   1 when a signal ended it */
static int sig_sleep_until(struct uthread *u, u64 until);
static void kick_running(struct uthread *u);

/* sleep up to `us` or until an event for u (a child's end): 1 when a signal u takes is
   pending */
int prog_wait_signal(struct uthread *u, u64 us)
{
    return sig_sleep_until(u, rd_stick() + us * (stick_hz / 1000000));
}

/* SIGCHLD for u's process: a child's end (si_code, si_status, si_pid) */
void prog_post_child(struct uthread *u, int code, u64 status, int pid)
{
    u->info[SIGCHLD].code = code;
    u->info[SIGCHLD].addr = status;
    u->info[SIGCHLD].trapno = 0;
    u->info[SIGCHLD].pid = (u64)pid;
    u->info[SIGCHLD].uid = prog_uid;
    membar_sync();
    u->pending |= SIGBIT(SIGCHLD);
    membar_sync();
    if ((!(u->sigmask & SIGBIT(SIGCHLD)) || (u->waitset & SIGBIT(SIGCHLD))) && u->ev.waiter)
        event_signal(&u->ev);
    kick_running(u);
}

static int sig_sleep_until(struct uthread *u, u64 until)
{
    for (;;) {
        u->ev.flag = 0;
        u->ev.waiter = mycpu()->cur;
        membar_sync();
        if (sig_ready(u))
            return 1;
        u64 now = rd_stick();
        if (now >= until)
            return 0;
        u64 per_us = stick_hz / 1000000;
        event_wait(&u->ev, until == U64_MAX ? 0 : (until - now + per_us - 1) / per_us);
    }
}

/* a timeout in ns -> the stick deadline (U64_MAX: none) */
static u64 deadline_of(u64 ns, int none)
{
    if (none)
        return U64_MAX;
    u64 us = (ns + 999) / 1000;
    if (us > (1UL << 40))
        return U64_MAX;
    return rd_stick() + us_to_stick(us);
}

static u64 left_ns(u64 until)
{
    u64 now = rd_stick();
    if (until == U64_MAX || now >= until)
        return 0;
    return (until - now) / (stick_hz / 1000000) * 1000;
}

struct fdcheck {
    int select;
    u64 ufds, nfds;                     /* poll */
    u64 n, nbytes, set[3];              /* select: the sets and their copies */
    u64 (*in)[16], (*out)[16];
};

static const u64 zero_ts[2];

/* the host's look at the descriptors: the number ready, 0, or -errno */
static long fd_check(struct fdcheck *c, int final)
{
    if (!c->select)
        return proxy_kcall(NR_ppoll, c->ufds, c->nfds, (u64)zero_ts, 0, 8, 0);
    u64 p[3];
    for (int k = 0; k < 3; k++) {
        memcpy(c->out[k], c->in[k], c->nbytes);
        p[k] = c->set[k] ? (u64)c->out[k] : 0;
    }
    long r = proxy_kcall(NR_pselect6, c->n, p[0], p[1], p[2], (u64)zero_ts, 0);
    if (r > 0 || (r == 0 && final))
        for (int k = 0; k < 3; k++)
            if (c->set[k] && uvm_copyout(c->set[k], c->out[k], c->nbytes))
                return -LX_EFAULT;
    return r;
}

static long fd_wait(struct fdcheck *c, u64 until)
{
    struct uthread *u = me();
    u64 us = 2;
    for (;;) {
        u64 now = rd_stick();
        long r = fd_check(c, now >= until);
        if (r != 0 || now >= until)
            return r;
        if (sig_ready(u))
            return -LX_EINTR;
        u64 step = now + us_to_stick(us);
        sig_sleep_until(u, MIN(step, until));
        us = MIN(us * 2, POLL_MAX_US);
    }
}

/* ppoll's and pselect6's mask for the wait (set_user_sigmask): the thread's own kept
   as the saved mask, put back on the way out unless a handler's frame keeps it */
static long wait_mask(u64 sigmask, u64 size)
{
    u64 m;
    if (!sigmask)
        return 0;
    if (size != 8)
        return -LX_EINVAL;
    if (uvm_copyin(&m, sigmask, 8))
        return -LX_EFAULT;
    struct uthread *u = me();
    u->saved_mask = u->sigmask;
    u->has_saved = 1;
    u->sigmask = m & ~UNBLOCKABLE;
    return 0;
}

/* restore_saved_sigmask_unless(r == -EINTR): after -EINTR the handler's frame keeps the
   thread's own mask (return_to_user puts it back when no handler ran) */
static void restore_mask_unless(long r)
{
    struct uthread *u = me();
    if (u->has_saved && r != -LX_EINTR) {
        u->sigmask = u->saved_mask;
        u->has_saved = 0;
    }
}

/* a struct timespec in ns: EINVAL when negative or denormal */
static long timespec_ns(u64 uts, u64 *ns)
{
    u64 ts[2];
    if (uvm_copyin(ts, uts, 16))
        return -LX_EFAULT;
    if ((long)ts[0] < 0 || ts[1] >= NSEC_PER_SEC)
        return -LX_EINVAL;
    *ns = ts[0] > (1UL << 32) ? (1UL << 62) : ts[0] * NSEC_PER_SEC + ts[1];
    return 0;
}

/* poll_select_finish: the time left back to the caller's timeout (not for a zero one;
   one in memory the program cannot write is left alone) */
static void put_left(u64 uts, u64 ns, int timeval)
{
    u64 t[2] = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};
    if (timeval)
        t[1] = (t[1] / 1000) << 32;         /* int tv_usec, then padding */
    uvm_copyout(uts, t, 16);
}

static long sys_poll(u64 ufds, u64 nfds, u64 uts, u64 sigmask, u64 size, int which)
{
    struct fdcheck c;                       /* (the poll fields only) */
    u64 ns = 0;
    long r;
    int none = 1;
    c.select = 0;
    c.ufds = ufds;
    c.nfds = nfds & 0xffffffff;
    if (which == NR_poll) {
        none = (int)uts < 0;
        ns = none ? 0 : (u64)(int)uts * 1000000;
    } else if (uts) {
        if ((r = timespec_ns(uts, &ns)) < 0)
            return r;
        none = 0;
    }
    if (c.nfds > NOFILE_CUR)
        return -LX_EINVAL;
    if (c.nfds && !uvm_kva(ufds, 8 * c.nfds, 1))
        return -LX_EFAULT;
    if (which == NR_ppoll && (r = wait_mask(sigmask, size)) < 0)
        return r;
    u64 until = deadline_of(ns, none);
    r = fd_wait(&c, until);
    restore_mask_unless(r);
    if (which == NR_ppoll && !none && ns)
        put_left(uts, left_ns(until), 0);
    return r;
}

static long sys_select(u64 n, u64 inp, u64 outp, u64 exp, u64 uts, u64 sig, int which)
{
    u64 sets[6][16];
    struct fdcheck cs, *c = &cs;
    c->in = sets;
    c->out = sets + 3;
    u64 ns = 0, sigmask = 0, size = 0;
    long r;
    int none = 1;
    if (which == NR_pselect6) {
        if (sig) {
            u64 a[2];
            if (uvm_copyin(a, sig, 16))
                return -LX_EFAULT;
            sigmask = a[0];
            size = a[1];
        }
        if (uts) {
            if ((r = timespec_ns(uts, &ns)) < 0)
                return r;
            none = 0;
        }
    } else if (uts) {                       /* struct timeval: usec may carry into sec */
        u64 tv[2];
        if (uvm_copyin(tv, uts, 16))
            return -LX_EFAULT;
        long sec = (long)tv[0], usec = (int)(tv[1] >> 32);
        long q = usec / 1000000;
        sec += q;
        long nsec = (usec - q * 1000000) * 1000;
        if (sec < 0 || nsec < 0 || nsec >= (long)NSEC_PER_SEC)
            return -LX_EINVAL;
        ns = (u64)sec > (1UL << 32) ? (1UL << 62) : (u64)sec * NSEC_PER_SEC + (u64)nsec;
        none = 0;
    }
    if ((int)n < 0)
        return -LX_EINVAL;
    u64 nn = MIN((u64)(int)n, (u64)NOFILE_CUR);
    u64 p[3] = {inp, outp, exp};
    c->select = 1;
    c->n = nn;
    c->nbytes = (nn + 63) / 64 * 8;
    for (int k = 0; k < 3; k++) {
        c->set[k] = c->nbytes ? p[k] : 0;
        if (c->set[k] && uvm_copyin(c->in[k], p[k], c->nbytes))
            return -LX_EFAULT;
    }
    if (which == NR_pselect6 && (r = wait_mask(sigmask, size)) < 0)
        return r;
    u64 until = deadline_of(ns, none);
    r = fd_wait(c, until);
    restore_mask_unless(r);
    if (!none && ns)
        put_left(uts, left_ns(until), which != NR_pselect6);
    return r;
}

/* ---- signal waits and POSIX timers -------------------------------------------------------
   rt_sigsuspend and pause sleep until a signal the thread takes (sigsuspend's mask in
   force meanwhile, Linux's saved-mask rules); rt_sigtimedwait takes a pending signal of
   its set without a handler (its siginfo to the caller), waiting up to the timeout
   (EAGAIN) -- a signal outside the set that the thread takes ends it with EINTR.
   POSIX timers (timer_create, timer_settime, timer_gettime, timer_getoverrun,
   timer_delete) run on the domain's clock (%stick): the `ptimers` kernel thread sleeps
   until the earliest expiry and sends the timer's signal (si_code SI_TIMER, si_tid the
   timer's id, si_overrun, si_value) to the process (the main thread unless it blocks
   the signal, then the first thread that does not) or, SIGEV_THREAD_ID, to one thread;
   a timer whose signal is still pending counts an overrun instead (kernel/time/
   posix-timers.c). */
enum { NR_timer_settime = 262, NR_timer_gettime = 263, NR_timer_getoverrun = 264,
       NR_timer_delete = 265, NR_timer_create = 266 };
#define SIGEV_SIGNAL    0
#define SIGEV_NONE      1
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME   1

#define ptimers (P.ptimers)     /* the process's (proc.h) */
static spinlock_t ptimer_lock;
static struct event ptimer_ev;
static int ptimer_thread_up;

static u64 ticks_per_us(void) { return stick_hz / 1000000; }

/* the thread of process p a signal for the process goes to: its main thread unless
   that blocks it, else the first that does not, else the main one (or the first) */
struct uthread *prog_signal_target(struct proc *p, int sig)
{
    struct uthread *main_u = 0, *first = 0;
    for (int i = 0; i < UT_MAX; i++) {
        struct uthread *u = uthreads[i];
        if (!u || !u->tid || u->proc != p)
            continue;
        if (u->tid == p->pid)
            main_u = u;
        if (!first)
            first = u;
    }
    if (main_u && !(main_u->sigmask & SIGBIT(sig)))
        return main_u;
    for (int i = 0; i < UT_MAX; i++) {
        struct uthread *u = uthreads[i];
        if (u && u->tid && u->proc == p && !(u->sigmask & SIGBIT(sig)))
            return u;
    }
    return main_u ? main_u : first;
}

static struct uthread *signal_target(int sig) { return prog_signal_target(curproc(), sig); }

static void kick_running(struct uthread *u);

void prog_kick(struct uthread *u) { kick_running(u); }

/* one expiry of timer k (ptimer_lock held) */
static void ptimer_fire(int k)
{
    struct ptimer *t = &ptimers[k];
    if (t->notify == SIGEV_NONE)
        return;
    struct uthread *u = t->notify == SIGEV_THREAD_ID ? uthread_of(t->tid)
                                                     : signal_target(t->sig);
    if (!u)
        return;
    u64 h = P.sigact[t->sig][0];
    if (h == 1 || (h == 0 && sig_default_ignored(t->sig)))
        return;
    if ((u->pending & SIGBIT(t->sig)) && t->code != SI_TIMER)
        return;                             /* (an itimer's: one pending at a time) */
    if ((u->pending & SIGBIT(t->sig)) && u->info[t->sig].code == SI_TIMER &&
        u->info[t->sig].pid == (u64)k) {
        t->overrun++;                       /* still pending: an overrun */
        u->info[t->sig].uid = (u64)t->overrun;
        t->last_overrun = t->overrun;       /* what its siginfo reports */
        return;
    }
    t->last_overrun = t->overrun;
    t->overrun = 0;
    u->info[t->sig].code = t->code;
    u->info[t->sig].pid = t->code == SI_TIMER ? (u64)k : 0;
    u->info[t->sig].uid = (u64)t->last_overrun;
    u->info[t->sig].addr = t->value;
    u->info[t->sig].trapno = 0;
    membar_sync();
    u->pending |= SIGBIT(t->sig);
    membar_sync();
    if ((!(u->sigmask & SIGBIT(t->sig)) || (u->waitset & SIGBIT(t->sig))) && u->ev.waiter)
        event_signal(&u->ev);
    kick_running(u);
}

/* timer k due at `now` on its clock (ptimer_lock held): its expiry, and the next one of
   a periodic timer (the periods missed counted as overruns) or none */
static void ptimer_expire(int k, u64 now)
{
    struct ptimer *t = &ptimers[k];
    ptimer_fire(k);
    if (t->interval) {
        u64 missed = (now - t->next) / t->interval;
        t->overrun += (int)missed;
        t->next += (missed + 1) * t->interval;
    } else {
        t->next = 0;
    }
}

/* a thread running on another vCPU takes a pending signal at its next trap: make one
   (MONDO_KICK) so that a computing thread gets it now */
static void kick_running(struct uthread *u)
{
    for (int i = 0; i < MAXCPUS; i++)
        if (cpus[i].state == CPU_ONLINE && cpus[i].cur && cpus[i].cur->user == u &&
            &cpus[i] != mycpu())
            cpu_send_mondo(i, MONDO_KICK);
}

static void ptimer_thread(void *arg)
{
    (void)arg;
    ptimer_thr = mycpu()->cur;
    for (;;) {
        u64 p = intr_off();
        spin_lock(&ptimer_lock);
        u64 now = rd_stick(), first = U64_MAX;
        for (int pi = 0; pi < NPROC; pi++) {        /* each live process's timers */
        if (procs[pi].state != PR_LIVE || procs[pi].exiting)
            continue;
        ptimer_proc = &procs[pi];
        for (int k = 0; k < NTIMERS + 1; k++) {     /* (not the CPU-time itimers) */
            struct ptimer *t = &ptimers[k];
            if (!t->used || !t->next || t->clock == 2 || t->clock == 3)
                continue;                           /* (the CPU-time clocks' too) */
            if (t->next <= now)
                ptimer_expire(k, now);
            if (t->next && t->next < first)
                first = t->next;
        }
        }
        ptimer_proc = 0;
        ptimer_ev.flag = 0;
        spin_unlock(&ptimer_lock);
        intr_restore(p);
        u64 per = ticks_per_us();
        now = rd_stick();
        if (first != U64_MAX && first <= now)
            continue;
        event_wait(&ptimer_ev, first == U64_MAX ? 0 : (first - now + per - 1) / per);
    }
}

static long sys_timer_create(u64 clock, u64 sevp, u64 idp)
{
    u64 ev[3] = {0, 0, 0};
    int kind = 0, which = 2;
    struct uthread *cu = me();
    if ((long)(int)clock < 0) {             /* a CPU clock (glibc's for 2 and 3 too) */
        if (cpu_clock_parse((long)(int)clock, &kind, &cu, &which))
            return -LX_EINVAL;              /* (another process's: not here) */
        clock = (u64)kind;
    } else if (clock > 7) {
        return -LX_EINVAL;
    }
    if (sevp && uvm_copyin(ev, sevp, 24))
        return -LX_EFAULT;
    int sig = sevp ? (int)(ev[1] >> 32) : 14 /* SIGALRM */;
    int notify = sevp ? (int)(u32)ev[1] : SIGEV_SIGNAL;
    int tid = (int)(ev[2] >> 32);
    if (notify != SIGEV_SIGNAL && notify != SIGEV_NONE && notify != SIGEV_THREAD_ID)
        return -LX_EINVAL;
    if (notify != SIGEV_NONE && (sig < 1 || sig > 64))
        return -LX_EINVAL;
    if (notify == SIGEV_THREAD_ID && !uthread_of(tid))
        return -LX_EINVAL;
    u64 p = intr_off();
    spin_lock(&ptimer_lock);
    int k;
    for (k = 0; k < NTIMERS && ptimers[k].used; k++)
        ;
    if (k < NTIMERS) {
        memset(&ptimers[k], 0, sizeof(ptimers[k]));
        ptimers[k].used = 1;
        ptimers[k].code = SI_TIMER;
        ptimers[k].clock = (int)clock;
        ptimers[k].sig = sig;
        ptimers[k].notify = notify;
        ptimers[k].tid = tid;
        ptimers[k].value = sevp ? ev[0] : (u64)k;
        ptimers[k].cpu_tid = cu->tid;
        ptimers[k].cpu_which = which;
        if (clock == 2 || clock == 3)
            P.cpu_clock_timers = 1;
    }
    spin_unlock(&ptimer_lock);
    intr_restore(p);
    if (k == NTIMERS)
        return -LX_EAGAIN;
    u32 id = (u32)k;
    if (uvm_copyout(idp, &id, 4)) {
        ptimers[k].used = 0;
        return -LX_EFAULT;
    }
    if (!ptimer_thread_up) {
        ptimer_thread_up = 1;
        thread_create("ptimers", ptimer_thread, 0, -1);
    }
    return 0;
}

static struct ptimer *ptimer_of(u64 id)
{
    if (id >= NTIMERS || !ptimers[id].used)
        return 0;
    return &ptimers[id];
}

static u64 ptimer_clock_now(struct ptimer *t);

static void itimerspec_now(struct ptimer *t, u64 out[4])
{
    u64 per = ticks_per_us(), now = ptimer_clock_now(t);
    u64 left_ns = t->next ? (t->next > now ? (t->next - now) / per * 1000 : 1) : 0;
    u64 iv_ns = t->interval / per * 1000;
    out[0] = iv_ns / NSEC_PER_SEC;
    out[1] = iv_ns % NSEC_PER_SEC;
    out[2] = left_ns / NSEC_PER_SEC;
    out[3] = left_ns % NSEC_PER_SEC;
}

static long sys_timer_settime(u64 id, u64 flags, u64 newp, u64 oldp)
{
    struct ptimer *t = ptimer_of(id);
    u64 n[4], old[4];
    if (!t)
        return -LX_EINVAL;
    if (uvm_copyin(n, newp, 32))
        return -LX_EFAULT;
    if ((long)n[0] < 0 || n[1] >= NSEC_PER_SEC || (long)n[2] < 0 || n[3] >= NSEC_PER_SEC)
        return -LX_EINVAL;
    u64 val_ns = n[2] * NSEC_PER_SEC + n[3];
    if (val_ns && (flags & TIMER_ABSTIME)) {
        u64 now, now_ns;
        if (t->clock == 2 || t->clock == 3) {   /* its CPU clock, in ns */
            u64 ts[2];
            ticks_timespec(ptimer_clock_now(t), ts);
            now_ns = ts[0] * NSEC_PER_SEC + ts[1];
        } else {
            long r = now_us(t->clock, &now);
            if (r < 0)
                return r;
            now_ns = now * 1000;
        }
        val_ns = val_ns > now_ns ? val_ns - now_ns : 1;
    }
    u64 per = ticks_per_us();
    u64 p = intr_off();
    spin_lock(&ptimer_lock);
    itimerspec_now(t, old);
    t->interval = (n[0] * NSEC_PER_SEC + n[1] + 999) / 1000 * per;
    t->next = val_ns ? ptimer_clock_now(t) + (val_ns + 999) / 1000 * per : 0;
    t->overrun = 0;
    spin_unlock(&ptimer_lock);
    intr_restore(p);
    event_signal(&ptimer_ev);
    if (oldp && uvm_copyout(oldp, old, 32))
        return -LX_EFAULT;
    return 0;
}

static long sys_timer_gettime(u64 id, u64 curp)
{
    struct ptimer *t = ptimer_of(id);
    u64 cur[4];
    if (!t)
        return -LX_EINVAL;
    itimerspec_now(t, cur);
    return uvm_copyout(curp, cur, 32);
}

static long sys_timer_delete(u64 id)
{
    struct ptimer *t = ptimer_of(id);
    if (!t)
        return -LX_EINVAL;
    u64 p = intr_off();
    spin_lock(&ptimer_lock);
    t->used = 0;
    t->next = 0;
    spin_unlock(&ptimer_lock);
    intr_restore(p);
    return 0;
}

/* ---- interval timers (setitimer, getitimer, alarm) and sigqueue -----------------------
   ITIMER_REAL is one more timer of the ptimers thread (SIGALRM, si_code SI_KERNEL, a
   pending one is not counted again). ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF
   (SIGPROF) count the program's CPU time (cputime.c: user, and user + system, of all
   its threads on the domain's vCPUs), checked as Linux checks them, when a thread's
   time is counted: at each trap from user mode (the 1 ms clock interrupt of a computing
   thread included) and at each return from a system call. */
enum { NR_alarm = 27, NR_setitimer = 83, NR_getitimer = 86, NR_rt_sigqueueinfo = 106 };
#define SI_KERNEL       0x80
#define SI_QUEUE        (-1)

static const int itimer_sig[3] = {14 /* SIGALRM */, 26 /* SIGVTALRM */, 27 /* SIGPROF */};

/* the clock timer t counts on: %stick, or the program's CPU time (ITIMER_VIRTUAL,
   ITIMER_PROF, a timer on CLOCK_PROCESS_CPUTIME_ID), or its thread's (on
   CLOCK_THREAD_CPUTIME_ID: 0 once that thread has ended, so that it never fires) */
static u64 ptimer_clock_now(struct ptimer *t)
{
    int k = (int)(t - ptimers);
    if (k > NTIMERS)
        return cputime_now(k - NTIMERS);
    if (t->clock == 2)
        return cpu_clock_read(2, 0, t->cpu_which);
    if (t->clock == 3) {
        struct uthread *u = uthread_of(t->cpu_tid);
        return u ? cpu_clock_read(3, u, t->cpu_which) : 0;
    }
    return rd_stick();
}

/* the CPU-time itimers and the timers on CPU-time clocks: fire those whose time has
   been consumed (interrupts off) */
static void cpu_itimers_check(void)
{
    int all = P.cpu_clock_timers;
    if (!all && !ptimers[NTIMERS + 1].next && !ptimers[NTIMERS + 2].next)
        return;
    spin_lock(&ptimer_lock);
    for (int k = all ? 0 : NTIMERS + 1; k < NTIMERS + 3; k++) {
        struct ptimer *t = &ptimers[k];
        if (!t->used || !t->next || k == NTIMERS || (k < NTIMERS && t->clock != 2 &&
                                                     t->clock != 3))
            continue;
        u64 now = ptimer_clock_now(t);
        if (now < t->next)
            continue;
        ptimer_expire(k, now);
    }
    spin_unlock(&ptimer_lock);
}

static void itimer_get(int which, u64 out[4])
{
    u64 its[4];
    itimerspec_now(&ptimers[NTIMERS + which], its);
    out[0] = its[0];
    out[1] = (its[1] / 1000) << 32;
    out[2] = its[2];
    out[3] = ((its[3] + 999) / 1000) << 32;
    if ((out[3] >> 32) >= 1000000) {
        out[2]++;
        out[3] = 0;
    }
}

static void itimer_set(int which, u64 iv_us, u64 val_us)
{
    struct ptimer *t = &ptimers[NTIMERS + which];
    u64 per = ticks_per_us();
    u64 p = intr_off();
    spin_lock(&ptimer_lock);
    t->used = 1;
    t->sig = itimer_sig[which];
    t->notify = SIGEV_SIGNAL;
    t->code = SI_KERNEL;
    t->interval = iv_us * per;
    t->next = val_us ? ptimer_clock_now(t) + val_us * per : 0;
    spin_unlock(&ptimer_lock);
    intr_restore(p);
    if (which == 0 && !ptimer_thread_up) {
        ptimer_thread_up = 1;
        thread_create("ptimers", ptimer_thread, 0, -1);
    }
    event_signal(&ptimer_ev);
}

static long sys_setitimer(u64 which, u64 newp, u64 oldp)
{
    u64 n[4] = {0, 0, 0, 0}, old[4];
    if (which > 2)
        return -LX_EINVAL;
    if (newp && uvm_copyin(n, newp, 32))
        return -LX_EFAULT;
    long iu = (int)(n[1] >> 32), vu = (int)(n[3] >> 32);
    if ((long)n[0] < 0 || (long)n[2] < 0 || iu < 0 || iu >= 1000000 || vu < 0 || vu >= 1000000)
        return -LX_EINVAL;
    itimer_get((int)which, old);
    itimer_set((int)which, n[0] * 1000000 + (u64)iu, n[2] * 1000000 + (u64)vu);
    if (oldp && uvm_copyout(oldp, old, 32))
        return -LX_EFAULT;
    return 0;
}

static long sys_alarm(u64 secs)
{
    u64 old[4];
    itimer_get(0, old);
    itimer_set(0, 0, (secs & 0xffffffff) * 1000000);
    u64 left = old[2] + ((old[3] >> 32) >= 500000);
    if (!left && (old[3] >> 32))
        left = 1;
    return (long)left;
}

static long sys_rt_sigqueueinfo(u64 pid, u64 sig, u64 uinfo)
{
    u8 info[128];
    if ((int)pid != P.pid)
        return -LX_ESRCH;
    if (sig < 1 || sig > 64)
        return -LX_EINVAL;
    if (uvm_copyin(info, uinfo, 128))
        return -LX_EFAULT;
    int code = *(int *)(info + 8);
    if (code >= 0 || code == SI_TKILL)
        return -LX_EPERM;                   /* only the kernel sends those */
    struct uthread *u = signal_target((int)sig);
    u64 h = P.sigact[sig][0];
    if (h == 1 || (h == 0 && sig_default_ignored((int)sig)))
        return 0;
    u->info[sig].code = code;
    u->info[sig].pid = *(u32 *)(info + 16);
    u->info[sig].uid = *(u32 *)(info + 20);
    u->info[sig].addr = *(u64 *)(info + 24);
    membar_sync();
    u->pending |= SIGBIT(sig);
    membar_sync();
    if ((!(u->sigmask & SIGBIT(sig)) || (u->waitset & SIGBIT(sig))) && u->ev.waiter)
        event_signal(&u->ev);
    return 0;
}

/* rt_sigtimedwait(set, info, timeout, sigsetsize) */
static long sys_rt_sigtimedwait(u64 setp, u64 infop, u64 uts, u64 size)
{
    struct uthread *u = me();
    u64 set, ns = 0;
    long r;
    if (size != 8)
        return -LX_EINVAL;
    if (uvm_copyin(&set, setp, 8))
        return -LX_EFAULT;
    set &= ~UNBLOCKABLE;
    if (uts && (r = timespec_ns(uts, &ns)) < 0)
        return r;
    u64 until = deadline_of(ns, !uts);
    u->waitset = set;
    int sig = 0;
    for (;;) {
        u64 mine = u->pending & set;
        if (mine) {
            sig = 1 + fw_ctz64(mine);
            break;
        }
        if (u->pending & ~u->sigmask & ~set) {
            u->waitset = 0;
            return -LX_EINTR;
        }
        if (rd_stick() >= until) {
            u->waitset = 0;
            return -LX_EAGAIN;
        }
        u->ev.flag = 0;
        u->ev.waiter = mycpu()->cur;
        membar_sync();
        if (u->pending & (set | ~u->sigmask))
            continue;
        u64 per = ticks_per_us(), now = rd_stick();
        event_wait(&u->ev, until == U64_MAX ? 0 : (until > now ? (until - now + per - 1) / per : 1));
    }
    u->waitset = 0;
    u8 info[128];
    memset(info, 0, sizeof(info));
    fill_siginfo(u, sig, info);
    u->pending &= ~SIGBIT(sig);
    if (infop && uvm_copyout(infop, info, 128))
        return -LX_EFAULT;
    return sig;
}

/* rt_sigsuspend(mask, size) / pause(): until a signal the thread takes, then EINTR */
static long sys_sigsuspend(u64 maskp, u64 size, int is_pause)
{
    struct uthread *u = me();
    if (!is_pause) {
        long r = wait_mask(maskp, size);
        if (r < 0)
            return r;
        if (!maskp)
            return -LX_EFAULT;
    }
    sig_sleep_until(u, U64_MAX);
    return -LX_EINTR;
}

/* nanosleep / clock_nanosleep: the sleep a signal the thread takes ends (EINTR, the time
   left written to `rem` for a relative sleep) */
static long sleep_interruptible(u64 us, u64 rem)
{
    struct uthread *u = me();
    u64 until = rd_stick() + us_to_stick(us);
    if (!sig_sleep_until(u, until))
        return 0;
    if (rem) {
        u64 ns = left_ns(until);
        u64 t[2] = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};
        if (uvm_copyout(rem, t, 16))
            return -LX_EFAULT;
    }
    return -LX_EINTR;
}

/* clock_nanosleep on a CPU clock (kernel/time/posix-cpu-timers.c posix_cpu_nsleep):
   a thread's clock is EINVAL; on the process's, the caller sleeps until the process's
   CPU time (its other threads computing) reaches the time asked, looking again after
   each span still missing as elapsed time */
static long cpu_clock_nanosleep(long clk, u64 flags, u64 req, u64 rem)
{
    int kind, which;
    struct uthread *u;
    u64 ns, per = ticks_per_us();
    long r = cpu_clock_parse(clk, &kind, &u, &which);
    if (r > 0)
        return -LX_EINVAL;                  /* (another process's: not here) */
    if (r < 0 || kind == 3)
        return -LX_EINVAL;
    if ((r = timespec_ns(req, &ns)) < 0)
        return r;
    u64 now = cpu_clock_read(2, u, which);
    u64 goal = ns / 1000 * per + ((flags & TIMER_ABSTIME) ? 0 : now);
    while ((now = cpu_clock_read(2, u, which)) < goal) {
        if (sig_sleep_until(me(), rd_stick() + (goal - now))) {
            if (rem && !(flags & TIMER_ABSTIME)) {
                now = cpu_clock_read(2, u, which);
                u64 left = now < goal ? (goal - now) / per * 1000 : 0;
                u64 t[2] = {left / NSEC_PER_SEC, left % NSEC_PER_SEC};
                if (uvm_copyout(rem, t, 16))
                    return -LX_EFAULT;
            }
            return -LX_EINTR;
        }
    }
    return 0;
}

/* ---- the system call dispatcher ------------------------------------------------------ */
static long sys_execve(struct trapframe *tf, u64 path, u64 argv, u64 envp);
#define LX_EJUSTRETURN  0x1001          /* internal: return to the frame as it is */

static long syscall(struct trapframe *tf)
{
    u64 nr = tf->g[1];
    u64 *a = tf->o;
    u64 us;
    long r;
    prog_area->syscalls++;
    switch (nr) {
    case NR_exit:
        thread_done(a[0], 0);
    case NR_exit_group:
        thread_done(a[0], 1);
    case NR_brk:
        return sys_brk(a[0]);
    case NR_mmap:
        return sys_mmap(a[0], a[1], a[2], a[3], a[4], a[5]);
    case NR_munmap:
        if ((a[0] & (UPAGE_SIZE - 1)) || a[1] == 0)
            return -LX_EINVAL;
        return uvm_unmap(a[0], a[1]);
    case NR_mprotect:
        if (a[0] & (UPAGE_SIZE - 1))
            return -LX_EINVAL;
        return uvm_protect(a[0], a[1], prot_bits(a[2]));
    case NR_mremap:
        return sys_mremap(a[0], a[1], a[2], a[3], a[4]);
    case NR_madvise:
        return 0;
    case NR_clone:
        return sys_clone(tf, a[0], a[1], a[2], a[3], a[4]);
    case NR_fork:
        return proc_fork(tf, 20 /* SIGCHLD */, 0, 0, 0);
    case NR_vfork:
        return proc_fork(tf, CLONE_VFORK | CLONE_VM | 20, 0, 0, 0);
    case NR_execve:
        return sys_execve(tf, a[0], a[1], a[2]);
    case NR_wait4:
        return proc_wait4(a[0], a[1], a[2], a[3]);
    case NR_waitid:
        return proc_waitid(a[0], a[1], a[2], a[3]);
    case NR_getppid: {
        int pp = proc_getppid();
        if (pp >= 0)
            return pp;
        break;                              /* the first process: the host's answer */
    }
    case NR_futex:
        return sys_futex(a[0], a[1], a[2], a[3], a[4], a[5]);
    case NR_set_tid_address:
        me()->clear_tid = a[0];
        return me()->tid;
    case NR_set_robust_list:
        return a[1] == 24 ? 0 : -LX_EINVAL;
    case NR_gettid:
        return me()->tid;
    case NR_getpid:
        return P.pid;
    case NR_sched_yield:
        thread_yield();
        return 0;
    case NR_rt_sigaction:
        return sys_rt_sigaction(a[0], a[1], a[2], a[3], a[4]);
    case NR_rt_sigprocmask:
        return sys_rt_sigprocmask(a[0], a[1], a[2], a[3]);
    case NR_kill:
        if ((int)a[0] != P.pid && (int)a[0] != 0 && (int)a[0] != -1)
            return proc_kill((int)a[0], (int)a[1]);
        return send_signal(me(), (int)a[1], SI_USER);
    case NR_tkill:
    case NR_tgkill: {
        long tid = (long)(int)(nr == NR_tgkill ? a[1] : a[0]);
        int sig = (int)(nr == NR_tgkill ? a[2] : a[1]);
        if (nr == NR_tgkill && (int)a[0] != P.pid)
            return -LX_ESRCH;
        if (tid <= 0)
            return -LX_EINVAL;
        u64 p = intr_off();                 /* (its record is not reused meanwhile) */
        spin_lock(&prog_lock);
        struct uthread *u = uthread_of(tid);
        long r = u ? send_signal(u, sig, SI_TKILL) : -LX_ESRCH;
        spin_unlock(&prog_lock);
        intr_restore(p);
        return r;
    }
    case NR_sigaltstack:
        return sys_sigaltstack(a[0], a[1], tf->o[6]);
    case NR_rt_sigpending: {
        u64 pend = me()->pending & me()->sigmask;
        if (a[1] != 8)
            return -LX_EINVAL;
        return uvm_copyout(a[0], &pend, 8);
    }
    case NR_rt_sigsuspend:
        return sys_sigsuspend(a[0], a[1], 0);
    case NR_pause:
        return sys_sigsuspend(0, 0, 1);
    case NR_rt_sigtimedwait:
        return sys_rt_sigtimedwait(a[0], a[1], a[2], a[3]);
    case NR_alarm:
        return sys_alarm(a[0]);
    case NR_setitimer:
        return sys_setitimer(a[0], a[1], a[2]);
    case NR_getitimer: {
        u64 cur[4];
        if (a[0] > 2)
            return -LX_EINVAL;
        itimer_get((int)a[0], cur);
        return uvm_copyout(a[1], cur, 32);
    }
    case NR_rt_sigqueueinfo:
        return sys_rt_sigqueueinfo(a[0], a[1], a[2]);
    case NR_timer_create:
        return sys_timer_create(a[0], a[1], a[2]);
    case NR_timer_settime:
        return sys_timer_settime(a[0], a[1], a[2], a[3]);
    case NR_timer_gettime:
        return sys_timer_gettime(a[0], a[1]);
    case NR_timer_getoverrun:
        return ptimer_of(a[0]) ? ptimer_of(a[0])->last_overrun : -LX_EINVAL;
    case NR_timer_delete:
        return sys_timer_delete(a[0]);
    case NR_clock_gettime: {
        u64 ticks, ts[2];
        if ((r = cpu_clock_ticks((long)(int)a[0], &ticks)) > 0)
            break;                          /* not a CPU-time clock: the host's */
        if (r < 0)
            return r;
        ticks_timespec(ticks, ts);
        return uvm_copyout(a[1], ts, 16) ? -LX_EFAULT : 0;
    }
    case NR_nanosleep:
        if ((r = timespec_us(a[0], &us)) < 0)
            return r;
        return us ? sleep_interruptible(us, a[1]) : 0;
    case NR_clock_nanosleep:
        if (cpu_clock_ticks((long)(int)a[0], &us) <= 0)
            return cpu_clock_nanosleep((long)(int)a[0], a[1], a[2], a[3]);
        if ((r = timespec_us(a[2], &us)) < 0)
            return r;
        if (a[1] & 1) {                     /* TIMER_ABSTIME */
            u64 now;
            if ((r = now_us((int)a[0], &now)) < 0)
                return r;
            us = us > now ? us - now : 0;
        }
        return us ? sleep_interruptible(us, (a[1] & 1) ? 0 : a[3]) : 0;
    case NR_rt_sigreturn:
        return sys_rt_sigreturn(tf);
    case NR_poll: case NR_ppoll:
        return sys_poll(a[0], a[1], a[2], a[3], a[4], (int)nr);
    case NR_select: case NR__newselect: case NR_pselect6:
        return sys_select(a[0], a[1], a[2], a[3], a[4], a[5], (int)nr);
    }
    int own;
    r = vdfile_syscall(nr, a, &own);        /* /dev/vdisk0: the kernel's (vdfile.c) */
    if (own)
        return r;
    if (nr == 3 /* read */ || nr == 120 /* readv */)
        return proxy_call_intr(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    return proxy_call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* a call a signal ended (-LX_ERESTARTSYS): made again after the handler of the
   signal about to be delivered when that has SA_RESTART (or when no signal is left to
   take: it was another thread's), else -EINTR (kernel/signal.c, arch/sparc
   signal_64.c syscall_restart) */
#define SA_RESTART      0x2
static int restart_after_signal(struct uthread *u)
{
    u64 ready = u->pending & ~u->sigmask;
    if (!ready)
        return 1;
    int sig = 1 + fw_ctz64(ready);
    u64 *act = P.sigact[sig];
    return act[0] > 1 && (act[1] & SA_RESTART);
}

/* ---- getcontext / setcontext (ta 0x6e / 0x6f: glibc's setjmp and longjmp) -------------
   Linux sparc64_get_context / sparc64_set_context (signal_64.c; signals.py's twin): the
   struct ucontext at %o0: the signal mask at 16, gregs at 32 (TSTATE, PC, NPC, Y,
   %g1-%g7, %o0-%o7), the caller's %fp at 184 and %i7 at 192; 512 bytes. */
#define UC_SIGMASK 16
#define UC_GREGS 32
#define UC_FP 184
#define UC_I7 192
#define UC_SIZE 512

static int get_context(struct trapframe *tf)
{
    u64 uc[UC_SIZE / 8];
    u64 ucp = tf->o[0];
    u64 pc = tf->tnpc, npc = tf->tnpc + 4;
    if (!uvm_kva(ucp, 1, 1))
        return -1;
    memset(uc, 0, sizeof(uc));
    uc[UC_SIGMASK / 8] = me()->sigmask;
    u64 *g = &uc[UC_GREGS / 8];
    g[0] = tf->tstate & ~(0xffUL << 40);
    g[1] = pc;
    g[2] = npc;
    g[3] = tf->y & 0xffffffff;
    for (int i = 1; i < 8; i++)
        g[3 + i] = tf->g[i];
    for (int i = 0; i < 8; i++)
        g[11 + i] = tf->o[i];
    uc[UC_FP / 8] = tf->i[6];
    uc[UC_I7 / 8] = tf->i[7];
    if (uvm_copyout(ucp, uc, UC_SIZE))
        return -1;
    tf->tpc = pc;
    tf->tnpc = npc;
    return 0;
}

static int set_context(struct trapframe *tf)
{
    u64 uc[UC_SIZE / 8];
    u64 ucp = tf->o[0];
    if ((ucp & 7) || uvm_copyin(uc, ucp, UC_SIZE))
        return -1;
    u64 *g = &uc[UC_GREGS / 8];
    if ((g[1] | g[2]) & 3)
        return -1;
    flush_windows();                        /* the program's windows to its stack */
    u64 new_sp = g[17];
    if (new_sp & 1) {
        u64 frame = new_sp + STACK_BIAS;
        u64 w[16];
        if (uvm_copyout(frame + 14 * 8, &uc[UC_FP / 8], 16) || uvm_copyin(w, frame, 128))
            return -1;
        for (int i = 0; i < 8; i++) {       /* this window, filled from the new %sp */
            tf->l[i] = w[i];
            tf->i[i] = w[8 + i];
        }
    }
    if (tf->o[1])
        me()->sigmask = uc[UC_SIGMASK / 8] & ~((1UL << (SIGKILL - 1)) | (1UL << (17 - 1)));
    tf->tpc = g[1];
    tf->tnpc = g[2];
    tf->y = g[3] & 0xffffffff;
    u64 keep = ~((0xffUL << TSTATE_CCR_SHIFT) | (0xffUL << TSTATE_ASI_SHIFT));
    tf->tstate = (tf->tstate & keep) | (g[0] & ((0xffUL << TSTATE_CCR_SHIFT) |
                                                (0xffUL << TSTATE_ASI_SHIFT)));
    for (int i = 1; i < 7; i++)             /* %g7 (the thread pointer) is kept */
        tf->g[i] = g[3 + i];
    for (int i = 0; i < 8; i++)
        tf->o[i] = g[11 + i];
    return 0;
}

/* ---- traps from user mode ------------------------------------------------------------- */
int prog_user_trap(u64 tt)
{
    if (tt > TT_INTR_LEVEL(0) && tt <= TT_INTR_LEVEL(15))
        return 0;
    return !(tt == TT_CPU_MONDO || tt == TT_DEV_MONDO || tt == TT_RESUMABLE_ERROR);
}

static int fault_signal(u64 tt)
{
    switch (tt) {
    case TT_ILLINST: case TT_PRIVOP: case TT_PRIV_ACTION: case TT_FP_DISABLED:
        return SIGILL;
    case TT_FP_IEEE: case TT_FP_OTHER: case TT_DIV0:
        return SIGFPE;
    case TT_ALIGN: case 0x35: case 0x36: case 0x39:
        return SIGBUS;
    }
    return SIGSEGV;
}

/* the address a load/store at tf->tpc used: rs1 + simm13 or rs1 + rs2 (cas: rs1) */
static u64 reg_of(struct trapframe *tf, u32 r)
{
    if (r == 0)
        return 0;
    if (r < 8)
        return tf->g[r];
    if (r < 16)
        return tf->o[r - 8];
    if (r < 24)
        return tf->l[r - 16];
    return tf->i[r - 24];
}

static int effective_address(struct trapframe *tf, u64 *ea)
{
    u32 insn;
    if (uvm_copyin(&insn, tf->tpc, 4) || (insn >> 30) != 3)
        return -1;
    u32 op3 = (insn >> 19) & 0x3f, rs1 = (insn >> 14) & 31;
    u64 a = reg_of(tf, rs1);
    if (op3 != 0x3c && op3 != 0x3e) {
        if (insn & (1 << 13))
            a += (u64)(((long)(insn & 0x1fff) << 51) >> 51);
        else
            a += reg_of(tf, insn & 31);
    }
    *ea = a;
    return 0;
}

/* a fault of the program: its signal, si_code and si_addr as Linux gives them
   (faults.py's table); with no handler to take it (or blocked), the end */
static void force_fault(struct trapframe *tf, u64 tt, int sig, int code, u64 addr,
                        int trapno);

static void fault(struct trapframe *tf, u64 tt, struct cpu *c)
{
    if (tt == TT_ILLINST || tt == TT_FP_OTHER) {
        /* what Linux completes in software (quad FPops, ldqf/stqf): fpemu.c */
        struct fpemu_rec rec;
        int n = fpemu_trap(tf, tt, &rec);
        if (n <= 0)
            return;
        force_fault(tf, tt, (int)rec.sig[0][0], (int)rec.sig[0][1], rec.sig[0][2], 0);
        if (n > 1)                          /* the second one, as Linux sends it */
            post(me(), (int)rec.sig[1][0], (int)rec.sig[1][1], rec.sig[1][2], 0);
        return;
    }
    int sig = fault_signal(tt), code = 1, trapno = 0;
    u64 addr = tf->tpc;
    u64 daddr = c->fault[9], iaddr = c->fault[1];
    switch (tt) {
    case 0x08: case 0x09: case 0x64:
        addr = tf->tpc;                             /* the fetch that failed */
        (void)iaddr;
        code = uvm_prot(addr) < 0 ? 1 : 2;          /* SEGV_MAPERR / SEGV_ACCERR */
        break;
    case 0x30: case 0x31: case 0x68: case TT_FAST_DMMU_PROT:
        effective_address(tf, &daddr);             /* (else the fault area's) */
        addr = daddr;
        code = uvm_prot(daddr) < 0 ? 1 : 2;
        break;
    case TT_ALIGN: case 0x35: case 0x36:
        effective_address(tf, &daddr);
        addr = daddr;                               /* BUS_ADRALN */
        break;
    case TT_PRIVOP: case TT_PRIV_ACTION:
        code = 5;                                   /* ILL_PRVOPC */
        break;
    case TT_FP_IEEE: case TT_FP_OTHER:
        code = 14;                                  /* FPE_FLTUNK */
        break;
    default:
        if (tt >= 0x100 && tt < 0x200) {            /* an unused `ta N`: ILL_ILLTRP */
            sig = SIGILL;
            code = 4;
            trapno = (int)(tt - 0x100);
        }
    }
    force_fault(tf, tt, sig, code, addr, trapno);
}

/* the signal of a fault: its handler's frame now, or (no handler, or blocked) the end */
static void force_fault(struct trapframe *tf, u64 tt, int sig, int code, u64 addr,
                        int trapno)
{
    struct uthread *u = me();
    u64 h = P.sigact[sig][0];
    if (h > 1 && !(u->sigmask & SIGBIT(sig))) {
        post(u, sig, code, addr, trapno);
        setup_frame(tf, sig, P.sigact[sig], u->sigmask);
        u->pending &= ~SIGBIT(sig);
        u->sigmask |= P.sigact[sig][3];
        if (!(P.sigact[sig][1] & SA_NODEFER))
            u->sigmask |= SIGBIT(sig);
        u->sigmask &= ~UNBLOCKABLE;
        if (P.sigact[sig][1] & SA_RESETHAND)
            memset(P.sigact[sig], 0, 32);
        return;
    }
    kprintf("program %s: %s at pc 0x%lx (tt 0x%lx, address 0x%lx)\n", progname,
            sig == SIGSEGV ? "segmentation fault" : "fault", tf->tpc, tt, addr);
    prog_end(PS_KILLED, (u64)sig);
}


u64 prog_trap(struct trapframe *tf)
{
    struct cpu *c = mycpu();
    struct thread *t = c->cur;
    u64 tt = tf->tt;
    if (tf->fprs & FPRS_FEF) {              /* the kernel may sleep: keep its FP state */
        fp_save(t->fpregs);
        t->fp_used = 1;
    }
    cputime_enter(t);
    intr_on();
    if (!t->user)
        panic("a trap from user mode on kernel thread %s", t->name);
    if (tt == TT_TRAP_INSTRUCTION(0x6d) && tf->g[1] == NR_rt_sigreturn) {
        prog_area->syscalls++;
        sys_rt_sigreturn(tf);               /* the whole state comes from the frame */
    } else if (tt == TT_TRAP_INSTRUCTION(0x6d)) {
        long r = syscall(tf);
        if (r == -LX_ERESTARTSYS && restart_after_signal(me())) {
            /* the ta again after the handler: its pc, its arguments unchanged */
            goto back;
        }
        if (r == -LX_EJUSTRETURN)           /* execve: the new image's first state */
            goto back;
        if (r == -LX_ERESTARTSYS)
            r = -LX_EINTR;
        tf->tpc = tf->tnpc;
        tf->tnpc += 4;
        u64 carry = (u64)0x11 << TSTATE_CCR_SHIFT;
        if (r < 0 && r > -4096) {
            tf->o[0] = (u64)-r;
            tf->tstate |= carry;
        } else {
            tf->o[0] = (u64)r;
            tf->tstate &= ~carry;
        }
    } else if (tt == TT_TRAP_INSTRUCTION(0x6e) || tt == TT_TRAP_INSTRUCTION(0x6f)) {
        if ((tt == TT_TRAP_INSTRUCTION(0x6e) ? get_context(tf) : set_context(tf)) < 0) {
            kprintf("program %s: bad context at 0x%lx\n", progname, tf->o[0]);
            prog_end(PS_KILLED, SIGSEGV);
        }
    } else if (tt == TT_TRAP_INSTRUCTION(3)) {
        flush_windows();                    /* ta 3: ST_FLUSH_WINDOWS */
        tf->tpc = tf->tnpc;
        tf->tnpc += 4;
    } else {
        fault(tf, tt, c);
    }
back:
    intr_off();
    cputime_leave(mycpu()->cur);
    cpu_itimers_check();
    return_to_user(tf);
    c = mycpu();
    c->in_trap = 1;
    u64 r = schedule(c, tf, WHY_INTR);
    c->in_trap = 0;
    return r;
}

/* an interrupt taken in user mode (intr.c): the thread's pending signals, as on the
   way back from a system call (interrupts off; its live FP registers saved first so a
   handler's frame holds them) */
void prog_intr_return(struct trapframe *tf)
{
    struct thread *t = mycpu()->cur;
    struct uthread *u = t ? t->user : 0;
    if (!u)
        return;
    cputime_charge(t);
    cpu_itimers_check();
    if (!(u->pending & ~u->sigmask))
        return;
    if (tf->fprs & FPRS_FEF) {
        fp_save(t->fpregs);
        t->fp_used = 1;
    }
    return_to_user(tf);
}

/* ---- TLB shootdown: other vCPUs running the program's threads drop their entries ------ */
void prog_tlb_shootdown(void)
{
    struct cpu *mine = mycpu();
    for (int i = 0; i < MAXCPUS; i++) {
        struct cpu *c = &cpus[i];
        if (c != mine && c->state == CPU_ONLINE)
            cpu_send_mondo(i, MONDO_DEMAP);
    }
}

/* ---- loading ------------------------------------------------------------------------- */
struct ehdr {
    u8 ident[16];
    u16 type, machine;
    u32 version;
    u64 entry, phoff, shoff;
    u32 flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
    u32 type, flags;
    u64 offset, vaddr, paddr, filesz, memsz, align;
};
#define PT_LOAD 1
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define MAXPH 32
#define INFO_SIZE 0x10000

static u64 loaded_kb;           /* what the last load_image loaded, in KB */
static void load_fail(const char *what, long err) __attribute__((noreturn));
static void load_fail(const char *what, long err)
{
    kprintf("program %s: %s\n", progname, what);
    prog_end(PS_FAILED, (u64)(err < 0 ? -err : err));
}

/* the image PROG_OP_INFO (or PROG_OP_EXEC) describes at info (`len` bytes of its
   INFO_SIZE), loaded into the running process's (empty) address space: its segments,
   heap, stack with the arguments, environment and auxiliary vector; *entry and *sp the
   first instruction and stack pointer. 0, or -errno with *why saying what failed. */
static long load_image(char *info, long len, u64 *entry, u64 *sp_out, u64 *argc_out,
                       const char **why);

static void loader(void *arg)
{
    (void)arg;
    char *info = kalloc(INFO_SIZE, 64);
    long r = proxy_kcall(PROG_OP_INFO, (u64)info, INFO_SIZE, 0, 0, 0, 0);
    if (r < 0)
        load_fail("the host gave no program", r);
    const char *path = info + sizeof(struct prog_info);
    const char *slash = path;
    for (const char *q = path; *q; q++)
        if (*q == '/')
            slash = q + 1;
    strlcpy(progname, slash, sizeof(progname));
    long pid = proxy_kcall(NR_getpid, 0, 0, 0, 0, 0, 0);
    procs[0].state = PR_LIVE;
    procs[0].us = &uspace;
    procs[0].ctx = PROG_CTX;
    P.pid = (int)pid;
    next_id = (int)pid + 1;
    u64 entry, sp, argc;
    const char *why = 0;
    r = load_image(info, r, &entry, &sp, &argc, &why);
    if (r < 0)
        load_fail(why, r);

    /* the main thread */
    struct uthread *u = ut_alloc();         /* slot 0 */
    u->tid = P.pid;
    u->proc = &procs[0];
    struct trapframe tf;
    memset(&tf, 0, sizeof(tf));
    tf.tpc = entry;
    tf.tnpc = entry + 4;
    tf.o[6] = sp - REGWIN_SIZE - STACK_BIAS;
    tf.tstate = user_tstate(0);
    tf.fprs = FPRS_FEF;
    prog_area->state = PS_RUNNING;
    kprintf("program %s: %lu arguments, entry 0x%lx, %lu KB loaded\n", progname, argc,
            entry, loaded_kb);
    spawn(&tf, u, fp_zero);
}

static long load_image(char *info, long info_len, u64 *entry, u64 *sp_out, u64 *argc_out,
                       const char **why)
{
#define FAIL(what, err) do { *why = (what); return (err) < 0 ? (err) : -(err); } while (0)
    struct prog_info pi;
    memcpy(&pi, info, sizeof(pi));
    const char *s = info + sizeof(pi);
    const char *path = s;
    s += strlen(s) + 1;
    const char *execfn = s;
    s += strlen(s) + 1;
    const char *argv0 = s;

    long fd = proxy_kcall(NR_openat, (u64)AT_FDCWD, (u64)path, 0, 0, 0, 0);
    if (fd < 0)
        FAIL("cannot open the program", fd);
    struct ehdr eh;
    struct phdr ph[MAXPH];
#define CLOSE_FAIL(what, err) do { proxy_kcall(NR_close, (u64)fd, 0, 0, 0, 0, 0); \
                                   FAIL(what, err); } while (0)
    if (proxy_kcall(NR_pread64, (u64)fd, (u64)&eh, sizeof(eh), 0, 0, 0) != sizeof(eh) ||
        memcmp(eh.ident, "\177ELF\2\2", 6) || eh.type != 2 || eh.machine != 43 ||
        eh.phentsize != sizeof(struct phdr) || eh.phnum == 0 || eh.phnum > MAXPH)
        CLOSE_FAIL("not a static sparc64 ELF executable", LX_ENOEXEC);
    u64 phsz = (u64)eh.phnum * sizeof(struct phdr);
    if ((u64)proxy_kcall(NR_pread64, (u64)fd, (u64)ph, phsz, eh.phoff, 0, 0) != phsz)
        CLOSE_FAIL("cannot read the program headers", LX_ENOEXEC);
    u64 end = 0, phdr_va = 0, first_va = U64_MAX, first_off = 0;
    int exec_stack = 1;
    for (int i = 0; i < eh.phnum; i++) {
        struct phdr *p = &ph[i];
        if (p->type == PT_PHDR)
            phdr_va = p->vaddr;
        if (p->type == PT_GNU_STACK)
            exec_stack = (p->flags & PF_X) != 0;
        if (p->type != PT_LOAD || p->memsz == 0)
            continue;
        if (p->vaddr < first_va) {
            first_va = p->vaddr;
            first_off = p->offset;
        }
        int prot = ((p->flags & PF_R) ? UPROT_R : 0) | ((p->flags & PF_W) ? UPROT_W : 0) |
                   ((p->flags & PF_X) ? UPROT_X : 0);
        u64 lo = ALIGN_DOWN(p->vaddr, UPAGE_SIZE);
        u64 hi = ALIGN_UP(p->vaddr + p->memsz, UPAGE_SIZE);
        u64 e = uvm_mapped_end(lo, hi - lo);
        if (e) {                            /* a page shared with the previous segment */
            uvm_protect(lo, e - lo, prot | uvm_prot(lo));
            lo = e;
        }
        if (lo < hi && uvm_map(lo, hi - lo, prot))
            CLOSE_FAIL("no memory for the program", LX_ENOMEM);
        for (u64 done = 0; done < p->filesz;) {
            u64 va = p->vaddr + done;
            int k;
            u64 n = p->filesz - done;
            void *dst = 0;
            struct uspace *us = P.us;
            for (k = 0; k < (int)us->n; k++)
                if (us->r[k].va_lo <= va && va < us->r[k].va_hi) {
                    n = MIN(n, us->r[k].va_hi - va);
                    dst = (void *)(us->r[k].kva + (va - us->r[k].va_lo));
                    break;
                }
            if (!dst || (u64)proxy_kcall(NR_pread64, (u64)fd, (u64)dst, n, p->offset + done,
                                        0, 0) != n)
                CLOSE_FAIL("cannot read the program", LX_ENOEXEC);
            done += n;
        }
        end = MAX(end, p->vaddr + p->memsz);
    }
    proxy_kcall(NR_close, (u64)fd, 0, 0, 0, 0, 0);
    if (!end)
        FAIL("the ELF has no loadable segment", LX_ENOEXEC);
    if (!phdr_va)
        phdr_va = first_va - first_off + eh.phoff;

    /* the heap: brk grows one range over a reservation (zeroed as it grows) */
    P.brk_start = P.brk_cur = ALIGN_UP(end, UPAGE_SIZE);
    if (!P.brk_kva) {                       /* (an exec keeps its reservation) */
        P.brk_max = MIN(md.memsize / 4, 1UL << 30);
        P.brk_kva = (u64)kalloc_high_try(P.brk_max, UPAGE_SIZE);
        P.brk_high = P.brk_start;
    } else {
        P.brk_high = P.brk_start + P.brk_max;   /* not fresh: brk clears what it gives */
    }
    if (!P.brk_kva)
        FAIL("no memory for the heap", LX_ENOMEM);

    /* the stack (loader.py's layout) */
    u64 size = pi.stack_size;
    u64 low = MMAP_BASE + GUARD_SIZE, top = low + size;
    if (uvm_map(low, size, UPROT_R | UPROT_W | (exec_stack ? UPROT_X : 0)))
        FAIL("no memory for the stack", LX_ENOMEM);
    char *kb = uvm_kva_any(low, size);
#define K(va) (kb + ((va) - low))
    u64 p = top - 8;
    u64 argc = pi.argc, envc = pi.envc;
    /* the string pointers: after the strings in info's buffer */
    u64 *argp = (u64 *)(info + ALIGN_UP((u64)info_len, 8));
    if (ALIGN_UP((u64)info_len, 8) + 8 * (argc + envc + 2) > INFO_SIZE)
        FAIL("too many arguments", 7 /* E2BIG */);
    /* strings: AT_EXECFN, then the environment and argv, each pushed last first */
    const char *strs[2];
    strs[0] = argv0;
    u64 len = strlen(execfn) + 1;
    p -= len;
    memcpy(K(p), execfn, len);
    u64 execfn_va = p;
    const char *envs = argv0;
    for (u64 i = 0; i < argc; i++)
        envs += strlen(envs) + 1;
    /* envp[envc-1] .. envp[0] */
    const char *e = envs;
    const char *elist[1];
    (void)elist;
    (void)strs;
    u64 *ev = argp + argc + 1;
    for (u64 i = 0; i < envc; i++) {        /* record where each string is */
        ev[i] = (u64)e;
        e += strlen(e) + 1;
    }
    for (u64 i = envc; i-- > 0;) {
        len = strlen((char *)ev[i]) + 1;
        p -= len;
        memcpy(K(p), (char *)ev[i], len);
        ev[i] = p;
    }
    const char *a0 = argv0;
    for (u64 i = 0; i < argc; i++) {
        argp[i] = (u64)a0;
        a0 += strlen(a0) + 1;
    }
    for (u64 i = argc; i-- > 0;) {
        len = strlen((char *)argp[i]) + 1;
        p -= len;
        memcpy(K(p), (char *)argp[i], len);
        argp[i] = p;
    }
    u64 sp = ALIGN_DOWN(p, 16) - 16;
    u64 random_va = sp;
    for (int i = 0; i < 16; i++)
        K(sp)[i] = (char)(0x5a + i);
    u64 aux[][2] = {
        {3, phdr_va}, {4, 56}, {5, eh.phnum}, {6, UPAGE_SIZE}, {7, 0}, {8, 0},
        {9, eh.entry}, {11, pi.uid}, {12, pi.euid}, {13, pi.gid}, {14, pi.egid},
        {16, pi.hwcap}, {17, 100}, {25, random_va}, {23, 0}, {31, execfn_va}, {0, 0},
    };
    u64 nwords = 1 + argc + 1 + envc + 1 + 2 * ARRAY_SIZE(aux);
    sp = ALIGN_DOWN(sp - 8 * nwords, 16);
    u64 *w = (u64 *)K(sp);
    *w++ = argc;
    for (u64 i = 0; i < argc; i++)
        *w++ = argp[i];
    *w++ = 0;
    for (u64 i = 0; i < envc; i++)
        *w++ = ev[i];
    *w++ = 0;
    for (u64 i = 0; i < ARRAY_SIZE(aux); i++) {
        *w++ = aux[i][0];
        *w++ = aux[i][1];
    }
#undef K
    P.mmap_next = top;
    prog_uid = pi.uid;
    loaded_kb = (end - first_va) >> 10;
    *entry = eh.entry;
    *sp_out = sp;
    *argc_out = argc;
    return 0;
#undef CLOSE_FAIL
#undef FAIL
}

/* ---- execve -------------------------------------------------------------------------
   The host checks the call as `sun4v run` does (PROG_OP_EXEC: the path, argv and envp
   read from the caller's memory, sys_process.resolve_exec: a static sparc64 ELF or a
   `#!` script's interpreter; an error changes nothing) and, at the point of no return,
   closes the close-on-exec descriptors and answers with what the loader needs (the
   PROG_OP_INFO format). Then, as fs/exec.c: the process's other threads end, its
   address space is emptied, its caught signals go back to SIG_DFL (SIG_IGN stays;
   flags and masks cleared), its POSIX timers go (the itimers stay), the signal mask and
   pending signals stay, a vfork parent goes on; load_image lays out the new image and
   the calling thread starts it with every register zero. A failure after the point of
   no return kills the process with SIGSEGV. The pid stays; the close-on-exec state and
   /proc/self/exe are the host's. */
static char *exec_buf;
static volatile u64 exec_busy;

static long sys_execve(struct trapframe *tf, u64 path, u64 argv, u64 envp)
{
    struct uthread *u = me();
    struct thread *t = mycpu()->cur;
    struct proc *pr = u->proc;
    while (atomic_cas_64(&exec_busy, 0, 1) != 0)
        sleep_us(10);
    if (!exec_buf)
        exec_buf = kalloc(INFO_SIZE, 64);
    long r = proxy_kcall(PROG_OP_EXEC, (u64)exec_buf, INFO_SIZE, path, argv, envp, 0);
    if (r < 0) {
        exec_busy = 0;
        return r;
    }
    /* the point of no return: the other threads leave (a pending SIGKILL ends their
       waits; exit_now makes them leave on the way to user mode) */
    struct uthread *o;
    int i = 0;
    while ((o = prog_each_thread(pr, &i)))
        if (o != u) {
            o->exit_now = 1;
            post(o, SIGKILL, 0, 0, 0);
            kick_running(o);
        }
    while (pr->live > 1)
        sleep_us(20);
    uvm_free_all(pr->us, pr->brk_start);
    uvm_demap_local();
    prog_tlb_shootdown();
    for (int sig = 1; sig <= 64; sig++) {
        if (pr->sigact[sig][0] != 1)
            pr->sigact[sig][0] = 0;
        pr->sigact[sig][1] = pr->sigact[sig][2] = pr->sigact[sig][3] = 0;
    }
    u64 p = intr_off();
    spin_lock(&ptimer_lock);
    for (int k = 0; k < NTIMERS; k++)
        ptimers[k].used = 0;                /* (P: pr) */
    spin_unlock(&ptimer_lock);
    intr_restore(p);
    u->clear_tid = 0;
    u->alt.sp = u->alt.size = 0;            /* the new image: no alternate stack */
    u->alt.flags = SS_DISABLE;
    if (pr->vfork_parent_waits) {
        pr->vfork_parent_waits = 0;
        event_signal(&pr->vfork_ev);
    }
    u64 entry, sp, argc;
    const char *why = 0;
    r = load_image(exec_buf, r, &entry, &sp, &argc, &why);
    exec_busy = 0;
    if (r < 0) {
        kprintf("program %s: execve: %s (error %ld)\n", progname, why, -r);
        prog_end(PS_KILLED, SIGSEGV);
    }
    u64 cwp = tf->tstate & TSTATE_CWP_MASK;
    memset(tf, 0, sizeof(*tf));
    tf->tpc = entry;
    tf->tnpc = entry + 4;
    tf->o[6] = sp - REGWIN_SIZE - STACK_BIAS;
    tf->tstate = user_tstate(0) | cwp;
    tf->fprs = FPRS_FEF;
    memset(t->fpregs, 0, sizeof(t->fpregs));
    t->fp_used = 1;
    fp_restore(t->fpregs);                  /* (the live FP registers too) */
    return -LX_EJUSTRETURN;
}

void prog_start(void)
{
    proxy_init();
    COUNTERS->state = CS_RUNNING;
    thread_create("loader", loader, 0, -1);
}
