/* trap_dispatch: what a trap means, once trap.S has saved the interrupted context.

     interrupt_level_14      the %stick compare: the scheduler's clock (sched.c)
     interrupt_level_1..15   other soft interrupts: cleared (the kernel raises none)
     cpu_mondo (0x7c)        messages from other vCPUs (cpu.c)
     dev_mondo (0x7d)        device interrupts: here the LDC channels' vintrs; entry
                             word 0 is the cookie the kernel gave vintr_set_cookie
     resumable_error (0x7e)  error reports: counted and dropped
     0x150, 0x152, 0x153     the kernel's software traps (sched.c)
     anything else           a kernel bug or a hardware error: reported, domain stops
   Queues are rings of 64-byte entries in the kernel's memory; the head and tail
   registers (ASI_QUEUE) are byte offsets. The kernel consumes entries up to the tail
   and writes the new head; the hypervisor then frees the space. */
#include "kernel.h"
#include "hcall.h"
#include "prog.h"
#include "proc.h"

#define QSIZE   1024            /* bytes per queue: 16 entries (cpu.c) */

struct devmondo {
    u64 cookie;
    void (*fn)(void *);
    void *arg;
};
static struct devmondo devmondos[64];
static int ndevmondos;

void devmondo_register(u64 cookie, void (*fn)(void *), void *arg)
{
    for (int i = 0; i < ndevmondos; i++)
        if (devmondos[i].cookie == cookie) {
            devmondos[i].fn = fn;
            devmondos[i].arg = arg;
            return;
        }
    if (ndevmondos == (int)ARRAY_SIZE(devmondos))
        panic("too many device interrupt handlers");
    devmondos[ndevmondos].cookie = cookie;
    devmondos[ndevmondos].arg = arg;
    membar_sync();
    devmondos[ndevmondos].fn = fn;
    ndevmondos++;
}

static inline u64 q_get(u64 reg)
{
    u64 v;
    __asm__ __volatile__("ldxa [%1] %2, %0" : "=r"(v) : "r"(reg), "i"(ASI_QUEUE));
    return v;
}

static inline void q_set(u64 reg, u64 v)
{
    __asm__ __volatile__("stxa %0, [%1] %2" : : "r"(v), "r"(reg), "i"(ASI_QUEUE) : "memory");
}

/* the entries of one queue: fn(entry) for each, then head = tail */
static void drain(u64 base, u64 head_reg, void (*fn)(u64 *, struct cpu *), struct cpu *c)
{
    u64 head = q_get(head_reg), tail = q_get(head_reg + 8);
    while (head != tail) {
        fn((u64 *)(base + head), c);
        head = (head + QUEUE_ENTRY_SIZE) % QSIZE;
    }
    q_set(head_reg, head);
}

static void cpu_mondo_entry(u64 *e, struct cpu *c)
{
    c->mondos++;
    if (e[0] == MONDO_QUIESCE)  /* the program ended: the domain stops */
        prog_quiesce();
    if (e[0] == MONDO_DEMAP)    /* the program unmapped or protected pages */
        proc_demap_all();
    /* MONDO_KICK and MONDO_STOP: look at the run queue */
    c->need_resched = 1;
}

static void dev_mondo_entry(u64 *e, struct cpu *c)
{
    c->devmondos++;
    for (int i = 0; i < ndevmondos; i++)
        if (devmondos[i].cookie == e[0]) {
            devmondos[i].fn(devmondos[i].arg);
            return;
        }
    kprintf("cpu %lu: device mondo with unknown cookie 0x%lx\n", c->id, e[0]);
}

static u64 resumable_errors;
static void error_entry(u64 *e, struct cpu *c)
{
    if (resumable_errors++ == 0)
        kprintf("cpu %lu: resumable error report %016lx %016lx (further ones counted)\n",
                c->id, e[0], e[1]);
}

static const char *trap_name(u64 tt)
{
    switch (tt) {
    case TT_IAX: return "instruction_access_exception";
    case TT_ILLINST: return "illegal_instruction";
    case TT_PRIVOP: return "privileged_opcode";
    case TT_FP_DISABLED: return "fp_disabled";
    case TT_FP_IEEE: return "fp_exception_ieee_754";
    case TT_FP_OTHER: return "fp_exception_other";
    case TT_DIV0: return "division_by_zero";
    case TT_DAX: return "data_access_exception";
    case TT_DAE: return "data_access_error";
    case TT_ALIGN: return "mem_address_not_aligned";
    case TT_PRIV_ACTION: return "privileged_action";
    case TT_FAST_DMMU_PROT: return "fast_data_access_protection";
    case 0x7f: return "nonresumable_error";
    }
    return "unexpected trap";
}

static void trap_fatal(struct trapframe *tf, struct cpu *c)
{
    kprintf("cpu %lu: %s (tt 0x%lx) at pc 0x%lx npc 0x%lx tstate 0x%lx\n", c->id,
            trap_name(tf->tt), tf->tt, tf->tpc, tf->tnpc, tf->tstate);
    kprintf("cpu %lu: fault area: I type %lu addr 0x%lx ctx %lu; D type %lu addr 0x%lx "
            "ctx %lu\n", c->id, c->fault[0], c->fault[1], c->fault[2], c->fault[8],
            c->fault[9], c->fault[10]);
    if (c->cur)
        kprintf("cpu %lu: thread %s, sp 0x%lx, o7 0x%lx\n", c->id, c->cur->name, tf->o[6],
                tf->o[7]);
    panic("fatal trap");
}

void panic_tl(struct cpu *c)
{
    kprintf("cpu %lu: fatal trap at TL %lu: %s (tt 0x%lx) at pc 0x%lx\n", c->id,
            c->panic_tl, trap_name(c->panic_tt), c->panic_tt, c->panic_tpc);
    kprintf("cpu %lu: fault area: I type %lu addr 0x%lx ctx %lu; D type %lu addr 0x%lx "
            "ctx %lu\n", c->id, c->fault[0], c->fault[1], c->fault[2], c->fault[8],
            c->fault[9], c->fault[10]);
    panic("fatal trap at TL > 0");
}

u64 trap_dispatch(struct trapframe *tf)
{
    struct cpu *c = mycpu();
    u64 tt = tf->tt;
    int why = WHY_INTR;
    if (!(tf->tstate & ((u64)PSTATE_PRIV << TSTATE_PSTATE_SHIFT)) && prog_user_trap(tt))
        return prog_trap(tf);   /* the program's system call or fault (prog.c) */
    c->in_trap = 1;
    c->intrs++;
    if (tt == TT_INTR_LEVEL(14)) {
        sched_timer_intr(c);
    } else if (tt > TT_INTR_LEVEL(0) && tt <= TT_INTR_LEVEL(15)) {
        u64 bit = 1UL << (tt - TT_INTR_LEVEL(0));
        __asm__ __volatile__("wr %0, 0, %%asr21" : : "r"(bit));
    } else if (tt == TT_CPU_MONDO) {
        drain(c->queues, CPU_MONDO_QUEUE_HEAD, cpu_mondo_entry, c);
    } else if (tt == TT_DEV_MONDO) {
        drain(c->queues + QSIZE, DEV_MONDO_QUEUE_HEAD, dev_mondo_entry, c);
    } else if (tt == TT_RESUMABLE_ERROR) {
        drain(c->queues + 2 * QSIZE, RESUMABLE_QUEUE_HEAD, error_entry, c);
    } else if (tt >= TT_TRAP_INSTRUCTION(SWTRAP_YIELD) &&
               tt <= TT_TRAP_INSTRUCTION(SWTRAP_EXIT)) {
        tf->tpc = tf->tnpc;                 /* continue after the ta */
        tf->tnpc += 4;
        switch (tt - TT_TRAP_INSTRUCTION(0)) {
        case SWTRAP_YIELD: why = WHY_YIELD; break;
        case SWTRAP_SLEEP: why = WHY_SLEEP; break;
        case SWTRAP_EXIT: why = WHY_EXIT; break;
        default: trap_fatal(tf, c);
        }
    } else {
        trap_fatal(tf, c);
    }
    if (!(tf->tstate & ((u64)PSTATE_PRIV << TSTATE_PSTATE_SHIFT)))
        prog_intr_return(tf);   /* back to the program: its pending signals (prog.c) */
    u64 r = schedule(c, tf, why);
    c->in_trap = 0;
    return r;
}
