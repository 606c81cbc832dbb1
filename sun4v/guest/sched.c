/* Threads and the scheduler.

   A thread is a kernel stack and the trapframe it was stopped in: every switch happens
   inside a trap (trap.S saves the interrupted context, trap_dispatch calls
   schedule(), trap_exit resumes the frame schedule() returns). A thread gives up its
   vCPU with a software trap (SWTRAP_YIELD, _SLEEP, _EXIT), or waits for an event
   (a flag an interrupt handler may set, with a time limit); the clock takes the vCPU
   away when the slice (TICK_US) is over and another thread waits.

   One run queue (FIFO) for the domain, under sched_lock, taken with interrupts off.
   System threads (domain services, the relay: thread_create_sys) are queued ahead of
   the others, and one woken while every vCPU is busy preempts a vCPU running a
   workload thread (as a kernel's system class outranks its time-sharing class): a
   dr-cpu request or a relayed packet is served within microseconds, not after the
   slices of the threads queued before it.
   A thread may be bound to one vCPU (the dr-cpu "bound thread" of illumos); a vCPU
   takes the first queued thread it may run, or runs its idle thread, which calls
   cpu_yield: the vCPU then sleeps in the hypervisor until an interrupt, so the
   hypervisor's yielded-cycle counters say how busy the domain really is. A vCPU that
   queues a thread another (idle) vCPU could run sends that vCPU a cpu mondo.

   The clock: each vCPU programs %stick_cmpr (interrupt_level_14) for the end of the
   running thread's slice or the first of its sleeping threads' wake-up times,
   whichever is sooner; an idle vCPU with no sleepers takes no clock interrupts.

   Switching: the outgoing thread's register windows are flushed to its stack and its
   FP registers (if it used them) saved; the incoming one gets its FP registers back.
   A thread that is still on its old vCPU's stack (on_cpu) is not taken by another vCPU
   until trap_exit there has left that stack. */
#include "kernel.h"
#include "hcall.h"

#define TICK_US         1000
#define FPRS_FEF        4

spinlock_t sched_lock;
u64 stick_hz;
static struct thread *runq_head, *runq_tail;
static struct thread *all_threads;
static int next_tid;

static u64 tick(void) { return us_to_stick(TICK_US); }

static int eligible(struct thread *t, struct cpu *c)
{
    return c->state == CPU_ONLINE && (t->bound < 0 || t->bound == (int)c->id);
}

/* ---- run queue (sched_lock held) ------------------------------------------------------ */
static void runq_append(struct thread *t)
{
    if (t->sys) {                       /* after the system threads already queued */
        struct thread **pp = &runq_head;
        while (*pp && (*pp)->sys)
            pp = &(*pp)->next;
        t->next = *pp;
        *pp = t;
        if (!t->next)
            runq_tail = t;
        return;
    }
    t->next = 0;
    if (runq_tail)
        runq_tail->next = t;
    else
        runq_head = t;
    runq_tail = t;
}

/* the first queued thread vCPU c may run now (not still on another vCPU's stack) */
static struct thread *runq_take(struct cpu *c)
{
    struct thread *t, *prev = 0;
    for (t = runq_head; t; prev = t, t = t->next) {
        if (!eligible(t, c) || (t->on_cpu && t != c->cur))
            continue;
        if (prev)
            prev->next = t->next;
        else
            runq_head = t->next;
        if (runq_tail == t)
            runq_tail = prev;
        t->next = 0;
        return t;
    }
    return 0;
}

static int runq_has(struct cpu *c)
{
    for (struct thread *t = runq_head; t; t = t->next)
        if (eligible(t, c))
            return 1;
    return 0;
}

/* note which vCPU to tell about runnable thread t (sched_lock held): its own vCPU if
   it is bound, else an idle one, unless this vCPU, idle and in a trap, takes it */
static void kick_for(struct thread *t)
{
    struct cpu *me = mycpu();
    if (t->bound >= 0) {
        if (t->bound != (int)me->id)
            me->kick[t->bound / 64] |= 1UL << (t->bound % 64);
        return;
    }
    if (me->in_trap && me->cur == me->idle && me->state == CPU_ONLINE)
        return;                         /* this vCPU takes it when the trap returns */
    for (int i = 0; i < MAXCPUS; i++) {
        struct cpu *c = &cpus[i];
        if (c != me && c->state == CPU_ONLINE && c->cur == c->idle) {
            me->kick[i / 64] |= 1UL << (i % 64);
            return;
        }
    }
    if (!t->sys)
        return;
    /* a system thread and no idle vCPU: preempt one running a workload thread, this
       one (in a trap: schedule() runs when it ends) or another (its cpu mondo) */
    if (me->in_trap && me->state == CPU_ONLINE && !me->cur->sys) {
        me->need_resched = 1;
        return;
    }
    for (int i = 0; i < MAXCPUS; i++) {
        struct cpu *c = &cpus[i];
        if (c != me && c->state == CPU_ONLINE && !c->cur->sys) {
            me->kick[i / 64] |= 1UL << (i % 64);
            return;
        }
    }
}

static void make_runnable(struct thread *t, int kick)
{
    t->state = T_RUNNABLE;
    runq_append(t);
    if (kick)
        kick_for(t);
}

/* send the mondos make_runnable noted (sched_lock free, interrupts off) */
static void send_kicks(struct cpu *me)
{
    for (int w = 0; w < MAXCPUS / 64; w++)
        while (me->kick[w]) {
            int b = __builtin_ctzl(me->kick[w]);
            me->kick[w] &= me->kick[w] - 1;
            cpu_send_mondo(w * 64 + b, MONDO_KICK);
        }
}

/* ---- threads ------------------------------------------------------------------------ */
static void thread_trampoline(void *arg, void (*fn)(void *))
{
    fn(arg);
    thread_exit();
}

/* a free thread (a zombie no vCPU is on), or a new one */
static struct thread *thread_alloc(void)
{
    struct thread *t = 0;
    u64 p = intr_off();
    spin_lock(&sched_lock);
    for (struct thread *x = all_threads; x; x = x->all)
        if (x->state == T_ZOMBIE && !x->on_cpu) {
            x->state = T_FREE;
            t = x;
            break;
        }
    spin_unlock(&sched_lock);
    intr_restore(p);
    if (!t) {
        t = kalloc(sizeof(*t), 64);
        t->stack = (u64)kalloc(KSTACK_SIZE, 64);
        p = intr_off();
        spin_lock(&sched_lock);
        t->all = all_threads;
        all_threads = t;
        spin_unlock(&sched_lock);
        intr_restore(p);
    }
    return t;
}

static struct thread *thread_new(const char *name, void (*fn)(void *), void *arg, int bound,
                                 int sys)
{
    struct thread *t = thread_alloc();
    u64 p;
    t->id = ++next_tid;
    strlcpy(t->name, name, sizeof(t->name));
    t->bound = bound;
    t->fp_used = 0;
    t->is_idle = 0;
    t->sys = sys;
    t->cpu = -1;
    t->user = 0;
    /* a frame that trap_exit resumes at thread_trampoline(arg, fn), interrupts on */
    u64 sp = t->stack + KSTACK_SIZE - 256 - STACK_BIAS;
    struct trapframe *tf = (struct trapframe *)(sp + STACK_BIAS - sizeof(*tf));
    memset(tf, 0, sizeof(*tf));
    tf->tpc = (u64)thread_trampoline;
    tf->tnpc = tf->tpc + 4;
    tf->tstate = ((u64)ASI_PRIMARY << TSTATE_ASI_SHIFT) |
                 ((u64)(PSTATE_PRIV | PSTATE_PEF | PSTATE_IE) << TSTATE_PSTATE_SHIFT);
    tf->o[0] = (u64)arg;
    tf->o[1] = (u64)fn;
    tf->o[6] = sp;
    t->tf = tf;

    p = intr_off();
    spin_lock(&sched_lock);
    make_runnable(t, 1);
    spin_unlock(&sched_lock);
    send_kicks(mycpu());
    intr_restore(p);
    return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, int bound)
{
    return thread_new(name, fn, arg, bound, 0);
}

/* a system thread (see the top of this file): unbound */
struct thread *thread_create_sys(const char *name, void (*fn)(void *), void *arg)
{
    return thread_new(name, fn, arg, -1, 1);
}

/* a thread of the program (prog.c): it starts in user mode from a copy of utf (a user
   frame: TSTATE without PRIV) with the FP registers fpregs (%f0-%f62, %fsr); the frame
   sits where trap_enter puts a trap from user mode, at the top of its kernel stack */
struct thread *thread_create_user(const char *name, const struct trapframe *utf,
                                  struct uthread *u, const u64 *fpregs)
{
    struct thread *t = thread_alloc();
    t->id = ++next_tid;
    strlcpy(t->name, name, sizeof(t->name));
    t->bound = -1;
    t->is_idle = 0;
    t->sys = 0;
    t->cpu = -1;
    t->user = u;
    memcpy(t->fpregs, fpregs, sizeof(t->fpregs));
    t->fp_used = 1;
    u64 sp = t->stack + KSTACK_SIZE - 256 - STACK_BIAS;
    struct trapframe *tf = (struct trapframe *)(sp + STACK_BIAS - TF_SIZE);
    *tf = *utf;
    t->tf = tf;
    u64 p = intr_off();
    spin_lock(&sched_lock);
    make_runnable(t, 1);
    spin_unlock(&sched_lock);
    send_kicks(mycpu());
    intr_restore(p);
    return t;
}

/* the idle thread of vCPU c: the context its boot code runs in */
void sched_idle_thread(struct cpu *c, struct thread *t)
{
    t->is_idle = 1;
    t->bound = (int)c->id;
    t->state = T_RUNNING;
    t->cpu = (int)c->id;
    t->on_cpu = 1;
    snprintf(t->name, sizeof(t->name), "idle%lu", c->id);
    c->idle = c->cur = t;
    c->timer = U64_MAX;
}

static inline void swtrap(int n, u64 a0, u64 a1)
{
    register u64 o0 __asm__("o0") = a0;
    register u64 o1 __asm__("o1") = a1;
    __asm__ __volatile__("ta %2" : "+r"(o0), "+r"(o1) : "i"(n) : "memory");
}

void thread_yield(void) { swtrap(SWTRAP_YIELD, 0, 0); }

void thread_exit(void)
{
    swtrap(SWTRAP_EXIT, 0, 0);
    panic("an exited thread ran again");
}

void sleep_until(u64 stick) { swtrap(SWTRAP_SLEEP, stick, 0); }
void sleep_us(u64 us) { sleep_until(rd_stick() + us_to_stick(us)); }

/* an event: a flag a thread can wait for with a timeout; event_signal (also from an
   interrupt handler) sets it and wakes the waiter. The SLEEP trap looks at the flag
   under sched_lock, so a signal just before the wait is not lost. */
int event_wait(struct event *ev, u64 us)
{
    ev->waiter = mycpu()->cur;
    u64 until = us ? rd_stick() + us_to_stick(us) : U64_MAX;
    while (!ev->flag && rd_stick() < until)
        swtrap(SWTRAP_SLEEP, until, (u64)&ev->flag);
    int got = ev->flag != 0;
    ev->flag = 0;
    return got;
}

void event_signal(struct event *ev)
{
    ev->flag = 1;
    membar_sync();
    struct thread *t = ev->waiter;
    if (!t)
        return;
    u64 p = intr_off();
    spin_lock(&sched_lock);
    if (t->state == T_SLEEPING && t->cpu >= 0) {
        struct thread **pp = &cpus[t->cpu].sleepers;
        while (*pp && *pp != t)
            pp = &(*pp)->next;
        if (*pp) {
            *pp = t->next;
            make_runnable(t, 1);
        }
    }
    spin_unlock(&sched_lock);
    send_kicks(mycpu());
    intr_restore(p);
}

/* ---- the clock ------------------------------------------------------------------------ */
static void timer_program(struct cpu *c, u64 now)
{
    u64 d = U64_MAX;
    if (c->sleepers)
        d = c->sleepers->wake;
    if (!c->cur->is_idle && c->tick_deadline < d)
        d = c->tick_deadline;
    if (d == c->timer)
        return;
    c->timer = d;
    if (d == U64_MAX) {
        __asm__ __volatile__("wr %0, 0, %%asr25" : : "r"(1UL << 63));
        return;
    }
    /* a compare value in the past never matches: `now` was read at the start of the
       schedule, so check against %stick after the write, and move it on if passed */
    if (d < now + 64)
        d = now + 64;
    for (;;) {
        __asm__ __volatile__("wr %0, 0, %%asr25" : : "r"(d));
        u64 t = rd_stick();
        if (t < d)
            break;
        d = t + 64;
    }
    c->timer = d;
}

/* interrupt_level_14: %stick reached %stick_cmpr */
void sched_timer_intr(struct cpu *c)
{
    __asm__ __volatile__("wr %0, 0, %%asr21" : : "r"((u64)(SOFTINT_SM | SOFTINT_TM)));
    c->timer = U64_MAX;
    COUNTERS->cpu[c->id].ticks++;
    u64 now = rd_stick();
    spin_lock(&sched_lock);
    while (c->sleepers && c->sleepers->wake <= now) {
        struct thread *t = c->sleepers;
        c->sleepers = t->next;
        make_runnable(t, 1);
    }
    spin_unlock(&sched_lock);
}

static void sleeper_insert(struct cpu *c, struct thread *t)
{
    struct thread **pp = &c->sleepers;
    while (*pp && (*pp)->wake <= t->wake)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
}

/* ---- schedule: called by trap_dispatch with interrupts off, on cur's stack ---------- */
u64 schedule(struct cpu *c, struct trapframe *tf, int why)
{
    struct thread *cur = c->cur, *next;
    u64 now = rd_stick();
    int sw = 0;

    spin_lock(&sched_lock);
    cur->tf = tf;
    switch (why) {
    case WHY_YIELD:
        sw = 1;
        break;
    case WHY_SLEEP:
        cur->wake = tf->o[0];
        if (cur->wake > now && !cur->is_idle &&
            !(tf->o[1] && *(volatile u64 *)tf->o[1])) {
            cur->state = T_SLEEPING;
            sleeper_insert(c, cur);
        }
        sw = 1;
        break;
    case WHY_EXIT:
        cur->state = T_ZOMBIE;
        sw = 1;
        break;
    default:
        if (c->need_resched)
            sw = 1;
        else if (cur->is_idle)
            sw = runq_has(c);
        else if (!eligible(cur, c))
            sw = 1;                         /* this vCPU is leaving, or cur bound elsewhere */
        else if (now >= c->tick_deadline) {
            sw = runq_has(c);
            if (!sw)
                c->tick_deadline = now + tick();
            else
                COUNTERS->cpu[c->id].preemptions++;
        }
    }
    c->need_resched = 0;
    next = cur;
    if (sw) {
        int requeued = cur->state == T_RUNNING && !cur->is_idle;
        if (requeued)
            make_runnable(cur, 0);
        next = runq_take(c);
        if (!next)
            next = c->idle;
        if (requeued && next != cur)
            kick_for(cur);              /* another vCPU may be idle and able to run it */
        if (next != cur) {
            cputime_switch(cur, next, now);
            uvm_switch(c, next);
            flush_windows();
            if (tf->fprs & FPRS_FEF) {
                fp_save(cur->fpregs);
                cur->fp_used = 1;
            }
            if (next->fp_used)
                fp_restore(next->fpregs);
            next->on_cpu = 1;
            c->prev = cur;              /* trap_exit clears cur->on_cpu */
            COUNTERS->cpu[c->id].switches++;
        }
        next->state = T_RUNNING;
        next->cpu = (int)c->id;
        c->cur = next;
        c->ksp = next->stack + KSTACK_SIZE - 256 - STACK_BIAS;
        c->tick_deadline = now + tick();
    }
    timer_program(c, now);
    spin_unlock(&sched_lock);
    send_kicks(c);
    return (u64)next->tf | (next != cur);
}

/* ---- vCPUs coming and going -------------------------------------------------------- */
/* a vCPU stopping for good: hand its sleeping threads to the caller's vCPU */
void sched_cpu_leaving(struct cpu *c)
{
    struct cpu *me = mycpu();
    u64 p = intr_off();
    spin_lock(&sched_lock);
    while (c->sleepers) {
        struct thread *t = c->sleepers;
        c->sleepers = t->next;
        t->cpu = (int)me->id;
        sleeper_insert(me, t);
    }
    me->timer = 0;                      /* reprogram at the next schedule */
    spin_unlock(&sched_lock);
    intr_restore(p);
}

/* threads bound to vCPU `cpu` (dr-cpu: "cpu has bound thread(s)") */
int sched_bound_threads(int cpu)
{
    int n = 0;
    u64 p = intr_off();
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all)
        if (!t->is_idle && t->bound == cpu && t->state != T_ZOMBIE && t->state != T_FREE)
            n++;
    spin_unlock(&sched_lock);
    intr_restore(p);
    return n;
}

/* a forced unconfigure unbinds them (illumos: they are unbound before the offline) */
void sched_unbind(int cpu)
{
    u64 p = intr_off();
    spin_lock(&sched_lock);
    for (struct thread *t = all_threads; t; t = t->all)
        if (!t->is_idle && t->bound == cpu)
            t->bound = -1;
    spin_unlock(&sched_lock);
    intr_restore(p);
}

/* ---- the idle thread ---------------------------------------------------------------- */
void idle_loop(void)
{
    struct cpu *c = mycpu();
    intr_on();
    for (;;) {
        if (c->state == CPU_STOPPING) {
            c->state = CPU_PARKED;      /* cpu_stop_vcpu stops us now */
            for (;;)
                hv_cpu_yield();
        }
        int work;
        u64 p = intr_off();
        spin_lock(&sched_lock);
        work = 0;
        for (struct thread *t = runq_head; t; t = t->next)
            if (eligible(t, c))
                work = 1;               /* (maybe still leaving another vCPU: try again) */
        spin_unlock(&sched_lock);
        intr_restore(p);
        if (work) {
            thread_yield();
            continue;
        }
        COUNTERS->cpu[c->id].yields++;
        hv_cpu_yield();
    }
}

void sched_init(void)
{
    stick_hz = md.stick_hz;
}
