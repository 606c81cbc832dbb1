/* Processes of the program: fork and vfork, a process's end, wait4 and waitid, kill of
   another process, SIGCHLD (Linux kernel/fork.c, kernel/exit.c, kernel/signal.c; the
   outputs those give are the ones `sun4v run` gives, sun4v/se/sys_process.py).

   A fork (fork, clone without CLONE_VM, vfork) makes a process with a copy of the
   caller's address space (every range copied at once into memory of its own, uvm.c),
   in an MMU context of its own (PROG_CTX + its slot: two processes never share a TLB
   entry), the caller's signal actions and mask, no pending signals, no timers, no CPU
   time; the host gives it a copy of the caller's descriptor table (PROG_OP_FORK:
   progproxy.py dups each descriptor as a fork does). Its one thread is the calling
   thread's copy: it returns %o0 = the caller's tid and %o1 = 1 (glibc makes that the
   0 a child sees), the caller %o0 = the child's pid and %o1 = 0. A vfork is a fork whose
   caller sleeps until the child ends (the child's memory is a copy, not the caller's).
   The brk heap of a child is a reservation of its own: twice what the caller uses, at
   least CHILD_HEAP, at most the caller's limit.

   The end of a process other than the first (exit_group, the last thread's exit, a
   signal's default action): its other threads get SIGKILL; the last to leave frees its
   memory, drops its context from every vCPU's TLB, closes its descriptors on the host
   (PROG_OP_EXIT), and makes it a zombie for its parent's wait -- or frees it at once
   when the parent ignores SIGCHLD (SIG_IGN or SA_NOCLDWAIT) -- then sends the parent
   SIGCHLD (si_code CLD_EXITED or CLD_KILLED, si_pid, si_uid, si_status) and wakes its
   threads that wait. Its children become orphans (freed when they end). The end of the
   first process is the domain's (prog.c).

   wait4 (waitpid, wait) and waitid: a zombie child that matches (pid > 0: that one;
   -1, 0 or a group: any), its status (exit code << 8, or the signal) and rusage (its
   user and system time, cputime.c) or siginfo; WNOHANG: 0 (waitid: si_signo, si_errno,
   si_code, si_pid, si_uid and si_status zero); WNOWAIT leaves it waitable; no child
   matches: ECHILD; a signal the caller takes while it waits: EINTR. */
#include "kernel.h"
#include "hcall.h"
#include "prog.h"
#include "proc.h"

#define LX_ESRCH   3
#define LX_EINTR   4
#define LX_ECHILD  10
#define LX_EAGAIN  11
#define LX_ENOMEM  12
#define LX_EFAULT  14
#define LX_EINVAL  22

#define WNOHANG         1
#define WUNTRACED       2
#define WEXITED         4
#define WCONTINUED      8
#define WNOWAIT         0x01000000
#define W_LINUX         0xe0000000UL            /* __WNOTHREAD, __WALL, __WCLONE */
#define P_ALL           0
#define P_PID           1
#define P_PGID          2
#define SIGKILL         9
#define SIGCHLD         20
#define SA_NOCLDWAIT    0x100                   /* sparc's value */
#define CLONE_VFORK             0x00004000
#define CLONE_PARENT_SETTID     0x00100000
#define CLONE_CHILD_CLEARTID    0x00200000
#define CLONE_CHILD_SETTID      0x01000000
#define CHILD_HEAP      (32UL << 20)

struct proc procs[NPROC];
spinlock_t proc_lock;
static struct uspace *us_tab[NPROC];            /* each slot's address space table */
static u64 heap_kva[NPROC], heap_size[NPROC];   /* each slot's heap reservation */
static const u64 fp_none[33];

static void demap_ctx(u64 ctx)
{
    hv_call(MMU_DEMAP_CTX, 0, 0, ctx, MAP_ITLB | MAP_DTLB, 0, 0, 0, 0);
}

/* MONDO_DEMAP (intr.c): a process unmapped pages, or one ended or began: every
   context in use here */
void proc_demap_all(void)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state != PR_FREE)
            demap_ctx(procs[i].ctx);
}

static void slot_free(struct proc *c)
{
    u64 s = intr_off();
    spin_lock(&proc_lock);
    c->state = PR_FREE;
    spin_unlock(&proc_lock);
    intr_restore(s);
}

/* a 4-byte word of process c's memory (its copy, before it runs) */
static int poke32(struct proc *c, u64 va, u32 v)
{
    for (u64 i = 0; i < c->us->n; i++) {
        struct urange *r = &c->us->r[i];
        if (r->va_lo <= va && va + 4 <= r->va_hi && !(va & 3) && (r->tte & TTE_W)) {
            *(u32 *)(r->kva + (va - r->va_lo)) = v;
            return 0;
        }
    }
    return -LX_EFAULT;
}

long proc_fork(struct trapframe *tf, u64 flags, u64 newsp, u64 ptid, u64 ctid)
{
    struct proc *pp = curproc();
    struct thread *pt = mycpu()->cur;
    struct uthread *pu = pt->user;
    if (newsp)
        return -LX_EINVAL;              /* (a new process on another stack: not modelled) */
    int i;
    u64 s = intr_off();
    spin_lock(&proc_lock);
    for (i = 1; i < NPROC && procs[i].state != PR_FREE; i++)
        ;
    if (i < NPROC) {
        memset(&procs[i], 0, sizeof(procs[i]));
        procs[i].state = PR_ZOMBIE;     /* taken; no parent waits for it yet */
    }
    spin_unlock(&proc_lock);
    intr_restore(s);
    if (i == NPROC)
        return -LX_EAGAIN;
    struct proc *c = &procs[i];
    if (!us_tab[i])
        us_tab[i] = kalloc(sizeof(struct uspace), 64);
    u64 used = ALIGN_UP(pp->brk_cur, UPAGE_SIZE) - pp->brk_start;
    u64 want = MIN(pp->brk_max, MAX(2 * used, CHILD_HEAP));
    if (heap_size[i] < want) {
        u64 k = (u64)kalloc_high_try(want, UPAGE_SIZE);
        if (!k) {
            slot_free(c);
            return -LX_ENOMEM;
        }
        if (heap_size[i])
            uvm_give_back(heap_kva[i], heap_size[i]);
        heap_kva[i] = k;
        heap_size[i] = want;
    }
    c->ctx = PROG_CTX + (u64)i;
    c->us = us_tab[i];
    c->name = pp->name;
    c->brk_start = pp->brk_start;
    c->brk_cur = pp->brk_cur;
    c->brk_kva = heap_kva[i];
    c->brk_max = heap_size[i];
    c->brk_high = c->brk_start + c->brk_max;    /* (the reservation is not fresh) */
    c->mmap_next = pp->mmap_next;
    memcpy(c->sigact, pp->sigact, sizeof(c->sigact));
    if (uvm_fork(c->us, pp->brk_start, c->brk_kva)) {
        slot_free(c);
        return -LX_ENOMEM;
    }
    demap_ctx(c->ctx);                  /* an earlier process's entries, everywhere */
    prog_tlb_shootdown();
    c->pid = prog_alloc_id();
    long r = proxy_kcall(PROG_OP_FORK, (u64)pp->pid, (u64)c->pid, 0, 0, 0, 0);
    struct uthread *u = r < 0 ? 0 : prog_ut_alloc();
    if (!u) {
        if (r >= 0)
            proxy_kcall(PROG_OP_EXIT, (u64)c->pid, 0, 0, 0, 0, 0);
        uvm_free_all(c->us, c->brk_start);
        slot_free(c);
        return r < 0 ? r : -LX_EAGAIN;
    }
    u32 pid32 = (u32)c->pid;
    if ((flags & CLONE_CHILD_SETTID) && poke32(c, ctid, pid32) == 0)
        ;
    if (flags & CLONE_PARENT_SETTID)
        uvm_copyout(ptid, &pid32, 4);
    u->tid = c->pid;
    u->proc = c;
    u->sigmask = pu->sigmask;
    u->alt = pu->alt;                   /* (fork and vfork keep the alternate stack) */
    u->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
    struct trapframe ctf = *tf;
    ctf.tpc = tf->tnpc;                 /* both continue after the ta */
    ctf.tnpc = tf->tnpc + 4;
    ctf.o[0] = (u64)pu->tid;            /* child: %o0 = the caller's tid, %o1 = 1 */
    ctf.o[1] = 1;
    ctf.tstate &= ~((u64)0x11 << TSTATE_CCR_SHIFT);
    int vfork = (flags & CLONE_VFORK) != 0;
    c->vfork_parent_waits = vfork;
    c->parent = pp;
    s = intr_off();
    spin_lock(&proc_lock);
    c->state = PR_LIVE;
    spin_unlock(&proc_lock);
    intr_restore(s);
    prog_spawn(&ctf, u, pt->fp_used ? pt->fpregs : fp_none);
    tf->o[1] = 0;                       /* parent: %o1 = 0 */
    int pid = c->pid;
    while (vfork && c->vfork_parent_waits && c->pid == pid)
        event_wait(&c->vfork_ev, 1000);
    return pid;
}

void proc_end(int state, u64 status)
{
    struct proc *p = curproc();
    if (p == &procs[0] || state == PS_FAILED)
        prog_domain_end(state, status);
    u64 s = intr_off();
    spin_lock(&proc_lock);
    if (!p->exiting) {
        p->exiting = 1;
        p->cld_code = state == PS_EXITED ? CLD_EXITED : CLD_KILLED;
        p->cld_status = (int)status;
    }
    spin_unlock(&proc_lock);
    intr_restore(s);
    struct uthread *me = mycpu()->cur->user, *u;
    int i = 0;
    while ((u = prog_each_thread(p, &i)))
        if (u != me) {
            prog_post(u, SIGKILL, 0, 0, 0);
            prog_kick(u);
        }
    prog_thread_end();
}

void proc_finish(struct proc *p)
{
    uvm_free_all(p->us, p->brk_start);
    demap_ctx(p->ctx);
    prog_tlb_shootdown();
    proxy_kcall(PROG_OP_EXIT, (u64)p->pid, 0, 0, 0, 0, 0);
    u64 s = intr_off();
    spin_lock(&proc_lock);
    p->cpu_done[0] = p->cpu_ticks[0];
    p->cpu_done[1] = p->cpu_ticks[1];
    for (int i = 0; i < NPROC; i++)         /* its children: orphans */
        if (procs[i].state != PR_FREE && procs[i].parent == p) {
            procs[i].parent = 0;
            if (procs[i].state == PR_ZOMBIE)
                procs[i].state = PR_FREE;
        }
    struct proc *par = p->parent;
    int tell = par && par->state == PR_LIVE && !par->exiting;
    int reap = !tell || par->sigact[SIGCHLD][0] == 1 /* SIG_IGN */ ||
               (par->sigact[SIGCHLD][1] & SA_NOCLDWAIT);
    int code = p->cld_code, status = p->cld_status, pid = p->pid;
    int vf = p->vfork_parent_waits;
    p->vfork_parent_waits = 0;
    p->state = reap ? PR_FREE : PR_ZOMBIE;
    spin_unlock(&proc_lock);
    intr_restore(s);
    if (vf)
        event_signal(&p->vfork_ev);
    if (!tell)
        return;
    /* SIGCHLD: to a handler; SIG_DFL ignores it (not even queued, so it ends no wait)
       unless the thread blocks it or waits for it (kernel/signal.c sig_ignored) */
    struct uthread *t = prog_signal_target(par, SIGCHLD);
    u64 bit = 1UL << (SIGCHLD - 1);
    if (t && (par->sigact[SIGCHLD][0] > 1 ||
              (par->sigact[SIGCHLD][0] == 0 && ((t->sigmask | t->waitset) & bit))))
        prog_post_child(t, code, (u64)status, pid);
    struct uthread *u;
    int i = 0;
    while ((u = prog_each_thread(par, &i)))     /* its waits look again */
        if (u->ev.waiter)
            event_signal(&u->ev);
}

/* a child of p that idtype/id names: the first zombie (taken unless nowait), else 0;
   *any: whether one matches at all (prog_lock free, proc_lock taken here) */
static struct proc *zombie_of(struct proc *p, int idtype, long id, int nowait,
                              struct proc *copy, int *any)
{
    struct proc *z = 0;
    *any = 0;
    u64 s = intr_off();
    spin_lock(&proc_lock);
    for (int i = 1; i < NPROC && !z; i++) {
        struct proc *c = &procs[i];
        if (c->state == PR_FREE || c->parent != p || (idtype == P_PID && c->pid != id))
            continue;
        *any = 1;
        if (c->state == PR_ZOMBIE) {
            z = c;
            copy->pid = c->pid;
            copy->cld_code = c->cld_code;
            copy->cld_status = c->cld_status;
            copy->cpu_done[0] = c->cpu_done[0];
            copy->cpu_done[1] = c->cpu_done[1];
            if (!nowait)
                c->state = PR_FREE;
        }
    }
    spin_unlock(&proc_lock);
    intr_restore(s);
    return z;
}

/* wait until a child of p matches (copy filled: 1), none can (-ECHILD), WNOHANG
   (0), or a signal (-EINTR) */
static long wait_child(int idtype, long id, u64 options, struct proc *copy)
{
    struct proc *p = curproc();
    struct uthread *u = mycpu()->cur->user;
    for (;;) {
        int any, sig;
        if (zombie_of(p, idtype, id, (options & WNOWAIT) != 0, copy, &any))
            return 1;
        if (!any)
            return -LX_ECHILD;
        if (options & WNOHANG)
            return 0;
        sig = prog_wait_signal(u, 1000);
        if (zombie_of(p, idtype, id, (options & WNOWAIT) != 0, copy, &any))
            return 1;
        if (sig)
            return -LX_EINTR;
    }
}

static void put_timeval(u8 *b, u64 ticks)
{
    u64 ns = ticks * 1000 / (stick_hz / 1000000);
    *(u64 *)b = ns / 1000000000UL;
    *(u32 *)(b + 8) = (u32)(ns % 1000000000UL / 1000);
    *(u32 *)(b + 12) = 0;
}

long proc_wait4(u64 upid, u64 ustatus, u64 options, u64 urusage)
{
    long pid = (long)(int)upid;
    if (options & ~(u64)(WNOHANG | WUNTRACED | WCONTINUED | W_LINUX))
        return -LX_EINVAL;
    struct proc z;
    long r = wait_child(pid > 0 ? P_PID : P_ALL, pid, options & WNOHANG, &z);
    if (r <= 0)
        return r;
    u32 st = z.cld_code == CLD_EXITED ? (u32)(z.cld_status & 0xff) << 8
                                      : (u32)(z.cld_status & 0x7f);
    if (ustatus && uvm_copyout(ustatus, &st, 4))
        return -LX_EFAULT;
    if (urusage) {
        u8 ru[144];
        memset(ru, 0, sizeof(ru));
        put_timeval(ru, z.cpu_done[0]);
        put_timeval(ru + 16, z.cpu_done[1]);
        if (uvm_copyout(urusage, ru, sizeof(ru)))
            return -LX_EFAULT;
    }
    return z.pid;
}

long proc_waitid(u64 idtype, u64 id, u64 infop, u64 options)
{
    if (options & ~(u64)(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | W_LINUX))
        return -LX_EINVAL;
    if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
        return -LX_EINVAL;
    if (idtype > P_PGID || (idtype == P_PID && (long)(int)id <= 0))
        return -LX_EINVAL;
    struct proc z;
    long r = (options & WEXITED) ? wait_child((int)idtype, (long)(int)id,
                                              options & (WNOHANG | WNOWAIT), &z)
                                 : -LX_ECHILD;
    if (r < 0)
        return r;
    u8 info[48];
    memset(info, 0, sizeof(info));
    if (r > 0) {
        *(u32 *)(info + 0) = SIGCHLD;
        *(u32 *)(info + 8) = (u32)z.cld_code;
        *(u32 *)(info + 16) = (u32)z.pid;
        *(u32 *)(info + 20) = (u32)prog_uid;
        *(u32 *)(info + 24) = (u32)z.cld_status;
        u64 per = stick_hz / 100;              /* clock_t: USER_HZ 100 */
        *(u64 *)(info + 32) = z.cpu_done[0] / per;
        *(u64 *)(info + 40) = z.cpu_done[1] / per;
    }
    if (infop && uvm_copyout(infop, info, r > 0 ? 48 : 28))
        return -LX_EFAULT;
    return 0;
}

static int default_ignored(int sig)
{
    return sig == 20 || sig == 16 || sig == 28 || sig == 19 || sig == 17 || sig == 18 ||
           sig == 21 || sig == 22;
}

long proc_kill(long pid, int sig)
{
    if (sig < 0 || sig > 64)
        return -LX_EINVAL;
    if (pid <= 0)
        return -LX_ESRCH;               /* (process groups: the caller's only, prog.c) */
    struct proc *q = 0;
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state != PR_FREE && procs[i].pid == pid)
            q = &procs[i];
    if (!q)
        return -LX_ESRCH;
    if (q->state != PR_LIVE || q->exiting || sig == 0)
        return 0;
    u64 h = q->sigact[sig][0];
    if (h == 1 || (h == 0 && default_ignored(sig)))
        return 0;
    struct uthread *u = prog_signal_target(q, sig);
    if (u) {
        prog_post(u, sig, 0 /* SI_USER */, 0, 0);
        prog_kick(u);
    }
    return 0;
}

int proc_getppid(void)
{
    struct proc *p = curproc();
    if (p == &procs[0])
        return -1;
    return p->parent ? p->parent->pid : 1;      /* an orphan: init's */
}
