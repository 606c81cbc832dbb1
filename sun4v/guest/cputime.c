/* The program's CPU time: what ITIMER_VIRTUAL and ITIMER_PROF count (prog.c).

   Linux charges a process's time to user or system as its threads run on CPUs
   (kernel/sched/cputime.c; setitimer(2): ITIMER_VIRTUAL "counts down against the
   user-mode CPU time consumed by the process", ITIMER_PROF "against the total (i.e.,
   both user and system) CPU time"). Here each of the program's threads carries the
   %stick its time is counted from (acct_mark) and whether it is in the kernel for a
   system call (in_kernel): at each switch (sched.c), each trap from user mode and each
   return to it (prog.c) the time since the mark goes to user or system time, so a thread
   that sleeps, waits or stands in the run queue consumes none. The sums are the
   process's (all its threads: struct proc cpu_ticks) and each thread's own (struct
   uthread cpu_ticks), in %stick ticks: the clocks CLOCK_PROCESS_CPUTIME_ID and
   CLOCK_THREAD_CPUTIME_ID (clock_gettime(2), timer_create(2)) read them. */
#include "kernel.h"
#include "proc.h"

static void add_ticks(struct thread *t, u64 d)
{
    int k = t->in_kernel ? 1 : 0;           /* [0] user, [1] system */
    atomic_add_64(&t->user->proc->cpu_ticks[k], d);
    atomic_add_64(&t->user->cpu_ticks[k], d);
}

void cputime_charge(struct thread *t)
{
    u64 now = rd_stick();
    u64 d = now - t->acct_mark;
    t->acct_mark = now;
    add_ticks(t, d);
}

/* schedule() switching vCPU from cur to next (sched_lock held) */
void cputime_switch(struct thread *cur, struct thread *next, u64 now)
{
    if (cur->user) {
        u64 d = now - cur->acct_mark;
        add_ticks(cur, d);
    }
    if (next->user)
        next->acct_mark = now;
}

void cputime_enter(struct thread *t)
{
    cputime_charge(t);
    t->in_kernel = 1;
}

void cputime_leave(struct thread *t)
{
    cputime_charge(t);
    t->in_kernel = 0;
}

u64 cputime_now(int which)
{
    struct proc *p = curproc();
    return p->cpu_ticks[0] + (which == 2 ? p->cpu_ticks[1] : 0);
}

/* CPU-time clock `clock` (2: CLOCK_PROCESS_CPUTIME_ID, of the calling thread's process;
   3: CLOCK_THREAD_CPUTIME_ID, of thread u), user + system, in %stick ticks. The calling
   thread's time is counted up to now first; another thread running on another vCPU
   has its time counted at its own traps (its 1 ms clock interrupt at least). */
u64 cputime_clock(int clock, struct uthread *u)
{
    u64 s = intr_off();
    struct thread *t = mycpu()->cur;
    if (t && t->user)
        cputime_charge(t);
    intr_restore(s);
    if (clock == 3)
        return u ? u->cpu_ticks[0] + u->cpu_ticks[1] : 0;
    struct proc *p = curproc();
    return p->cpu_ticks[0] + p->cpu_ticks[1];
}
