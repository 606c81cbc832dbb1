/* vCPUs: their per-vCPU areas, starting them (cpu_start), stopping them (cpu_stop)
   and the cpu mondos they send each other.

   A vCPU the kernel starts gets, before its cpu_start: a struct cpu (the MMU fault
   status area the hypervisor writes on a miss, its stacks), an idle thread and a page
   for its four interrupt queues. It enters at secondary_entry (boot.S) with its id in
   %o0 and, with its MMU on, runs cpu_main: it registers the TSB and its queues
   (cpu_qconf: cpu mondo, device mondo, resumable and non-resumable error, 16 entries
   each) and becomes an online vCPU running its idle thread.

   Stopping one (dr-cpu UNCONFIGURE) is done from another vCPU, as the architecture
   wants (cpu_stop of oneself is refused): the vCPU is marked STOPPING and sent a
   mondo; its scheduler moves the running thread back to the run queue and runs the
   idle thread, which marks the vCPU PARKED and waits in cpu_yield; then cpu_stop
   (retried while the hypervisor says EWOULDBLOCK) stops it. Its sleeping threads move
   to the stopping vCPU. */
#include "kernel.h"
#include "hcall.h"

struct cpu cpus[MAXCPUS];
static int online;

_Static_assert(sizeof(struct cpu) == (1 << CPU_SHIFT), "struct cpu is CPU_SHIFT");
_Static_assert(__builtin_offsetof(struct cpu, boot_sp) == CPU_BOOT_SP, "CPU_BOOT_SP");
_Static_assert(__builtin_offsetof(struct cpu, panic_sp) == CPU_PANIC_SP, "CPU_PANIC_SP");
_Static_assert(__builtin_offsetof(struct cpu, panic_tt) == CPU_PANIC_TT, "CPU_PANIC_TT");
_Static_assert(__builtin_offsetof(struct cpu, id) == CPU_ID, "CPU_ID");
_Static_assert(__builtin_offsetof(struct cpu, prev) == CPU_PREV, "CPU_PREV");
_Static_assert(__builtin_offsetof(struct cpu, ksp) == CPU_KSP, "CPU_KSP");
_Static_assert(__builtin_offsetof(struct cpu, uctx) == CPU_UCTX, "CPU_UCTX");
_Static_assert(__builtin_offsetof(struct cpu, uspace) == CPU_USPACE, "CPU_USPACE");
_Static_assert(__builtin_offsetof(struct thread, on_cpu) == T_ONCPU, "T_ONCPU");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "TF_SIZE");
_Static_assert(__builtin_offsetof(struct counters, kmisses) == COUNTERS_KMISSES,
               "COUNTERS_KMISSES");

void sched_idle_thread(struct cpu *c, struct thread *t);

int cpus_online(void) { return online; }

/* struct cpu, stacks, idle thread and queue page of vCPU id (boot vCPU: its boot stack
   is already in use; the others get a fresh stack each time they start) */
void cpu_setup(int id)
{
    struct cpu *c = &cpus[id];
    c->id = (u64)id;
    if (!c->idle) {
        c->idle = kalloc(sizeof(struct thread), 64);
        if (!c->boot_sp) {
            c->idle->stack = (u64)kalloc(KSTACK_SIZE, 64);
            c->boot_sp = c->idle->stack + KSTACK_SIZE - 256 - STACK_BIAS;
        } else {
            c->idle->stack = (u64)boot_stack;
        }
        c->panic_sp = (u64)kalloc(4096, 64) + 4096 - 256 - STACK_BIAS;
        c->queues = (u64)kalloc(4096, 4096);
    }
}

/* on vCPU c itself, MMU on: TSB, interrupt queues, online */
void cpu_local_init(void)
{
    struct cpu *c = mycpu();
    static const u64 q[4] = { CPU_MONDO_QUEUE, DEV_MONDO_QUEUE, RESUMABLE_ERROR_QUEUE,
                              NONRESUMABLE_ERROR_QUEUE };
    vm_cpu_init();
    for (int i = 0; i < 4; i++) {
        u64 st = hv_cpu_qconf(q[i], va2ra((void *)(c->queues + 1024 * i)), 16);
        if (st != EOK)
            panic("cpu_qconf(0x%lx) failed (status %lu)", q[i], st);
    }
    sched_idle_thread(c, c->idle);
    c->sleepers = 0;
    c->need_resched = 0;
    __asm__ __volatile__("wrpr %%g0, 0, %%pil" ::: "memory");
    __atomic_add_fetch(&online, 1, __ATOMIC_SEQ_CST);
    COUNTERS->cpus_online = (u64)online;
    COUNTERS->cpu[c->id].state = VS_ONLINE;
    membar_sync();
    c->state = CPU_ONLINE;
}

void cpu_main(u64 id)
{
    (void)id;
    cpu_local_init();
    idle_loop();
}

/* start vCPU id (in the MD, stopped in the hypervisor); 0 when it came online,
   -1 when cpu_start failed, -2 when it did not come online in time */
int cpu_start_vcpu(int id, int can_sleep)
{
    struct cpu *c = &cpus[id];
    if (c->state == CPU_ONLINE)
        return 0;
    cpu_setup(id);
    c->state = CPU_STARTING;
    COUNTERS->cpu[id].state = VS_STARTING;
    membar_sync();
    u64 st = hv_cpu_start((u64)id, va2ra(secondary_entry), va2ra(trap_table), (u64)id);
    if (st != EOK) {
        kprintf("cpu %d: cpu_start failed (status %lu)\n", id, st);
        c->state = CPU_OFFLINE;
        COUNTERS->cpu[id].state = VS_OFFLINE;
        return -1;
    }
    /* it comes online within a few thousand instructions; allow 20 ms */
    u64 until = rd_stick() + us_to_stick(20000);
    while (c->state != CPU_ONLINE) {
        if (rd_stick() > until) {
            kprintf("cpu %d: started but did not come online\n", id);
            return -2;
        }
        if (can_sleep)
            sleep_us(20);
    }
    return 0;
}

/* stop vCPU id from another vCPU; 0 when stopped, -1 when the hypervisor refused */
int cpu_stop_vcpu(int id)
{
    struct cpu *c = &cpus[id];
    if (c->state == CPU_OFFLINE || c->state == CPU_ABSENT)
        return 0;
    c->state = CPU_STOPPING;
    membar_sync();
    if (c == mycpu())
        thread_yield();                 /* the caller moves to another vCPU first */
    else
        cpu_send_mondo(id, MONDO_STOP);
    for (int i = 0; c->state != CPU_PARKED; i++) {
        if (i == 1000) {
            kprintf("cpu %d: does not leave its thread\n", id);
            c->state = CPU_ONLINE;
            return -1;
        }
        sleep_us(20);
    }
    if (c == mycpu())
        panic("cpu %d: still running the thread that stops it", id);
    sched_cpu_leaving(c);
    u64 st;
    for (int i = 0;; i++) {
        st = hv_cpu_stop((u64)id);
        if (st != EWOULDBLOCK || i == 100)     /* Linux retries up to 100 times */
            break;
        sleep_us(20);
    }
    if (st != EOK) {
        kprintf("cpu %d: cpu_stop failed (status %lu)\n", id, st);
        c->state = CPU_ONLINE;
        return -1;
    }
    c->state = CPU_OFFLINE;
    __atomic_sub_fetch(&online, 1, __ATOMIC_SEQ_CST);
    COUNTERS->cpus_online = (u64)online;
    COUNTERS->cpu[id].state = VS_OFFLINE;
    return 0;
}

/* a cpu mondo to one vCPU (the payload's first word says what) */
void cpu_send_mondo(int target, u64 what)
{
    u64 p = intr_off();
    struct cpu *c = mycpu();
    for (int i = 0; i < 1000; i++) {
        c->mondo_list[0] = (u16)target;
        c->mondo_data[0] = what;
        u64 st = hv_cpu_mondo_send(1, va2ra(c->mondo_list), va2ra(c->mondo_data));
        if (st != EWOULDBLOCK)
            break;
    }
    intr_restore(p);
}
