/* The channel to the host's syscall-emulation layer: the proxy area (prog.h).

   proxy_call(nr, args) is a Linux system call the guest kernel does not carry out
   itself (files, the clock, ids, the console's file descriptors): a thread claims a
   slot, fills it and marks it REQUEST; the host (sun4v/boot/progproxy.py) looks at the
   area at a fixed simulated-time period, serves every REQUEST slot in slot order with
   sun4v/se and marks it DONE. The thread sleeps meanwhile (PROXY_POLL_US at a time,
   doubling to PROXY_POLL_MAX_US: the host's period grows while it finds nothing, so that
   an idle domain lets simulated time jump), so its vCPU runs other threads or yields. Called in thread context
   (interrupts on); the answer is the value or -errno. */
#include "kernel.h"
#include "prog.h"
#include "proc.h"

#define PROXY_POLL_US   2               /* the host looks every 2 us too (progproxy.py) */
#define PROXY_POLL_MAX_US 64            /* ... doubling while nothing comes */
#define LX_EAGAIN          11

struct prog_area *prog_area;

void proxy_init(void)
{
    prog_area = kalloc(PROG_AREA_SIZE, 8192);
    _Static_assert(sizeof(struct prog_area) <= PROG_AREA_SIZE, "PROG_AREA_SIZE");
    prog_area->version = 1;
    prog_area->state = PS_LOADING;
    prog_area->uspace_ra = va2ra(&uspace);
    prog_area->nslots = PROG_SLOTS;
    membar_sync();
    prog_area->magic = PROG_MAGIC;
    COUNTERS->prog_area = va2ra(prog_area);
}

static long call(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 kernel);
static long call_intr(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, int intr);

/* the program's system call: its addresses are the program's (the host refuses the
   kernel's, EFAULT, as Linux does) */
long proxy_call(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
    return call(nr, a0, a1, a2, a3, a4, a5, 0);
}

/* the same for a call that may wait for data (read, readv): once the host says it
   waits, a signal the thread takes ends it (-LX_ERESTARTSYS: prog.c restarts it after
   an SA_RESTART handler, else -EINTR), as Linux's pipe_read */
long proxy_call_intr(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
    return call_intr(nr, a0, a1, a2, a3, a4, a5, 1);
}

/* the kernel's own (loading, the clock for a futex timeout): kernel addresses allowed */
long proxy_kcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
    return call(nr, a0, a1, a2, a3, a4, a5, 1);
}

static long call(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 kernel)
{
    return kernel ? call_intr(nr, a0, a1, a2, a3, a4, a5, 2)
                  : call_intr(nr, a0, a1, a2, a3, a4, a5, 0);
}

static long call_intr(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, int intr)
{
    u64 kernel = intr == 2;
    struct prog_slot *s = 0;
    while (!s) {
        for (int i = 0; i < PROG_SLOTS; i++)
            if (atomic_cas_64(&prog_area->slot[i].state, SL_FREE, SL_CLAIMED) == SL_FREE) {
                s = &prog_area->slot[i];
                break;
            }
        if (!s)
            sleep_us(PROXY_POLL_US);    /* every slot busy: wait for one */
    }
    struct thread *t = mycpu()->cur;
    s->nr = nr;
    s->args[0] = a0;
    s->args[1] = a1;
    s->args[2] = a2;
    s->args[3] = a3;
    s->args[4] = a4;
    s->args[5] = a5;
    s->tid = t ? (u64)t->id : 0;
    s->kernel = kernel;
    struct proc *p = curproc();
    s->pid = (u64)p->pid;
    s->uspace = p->us ? va2ra(p->us) : 0;     /* (0: the loader, before it is set) */
    s->ret = (u64)-LX_EAGAIN;
    s->waiting = 0;
    membar_sync();
    s->state = SL_REQUEST;
    u64 us = PROXY_POLL_US;
    struct uthread *u = t ? t->user : 0;
    while (s->state != SL_DONE) {           /* the host backs off when idle: so do we */
        if (intr == 1 && u && s->waiting) {
            if (prog_wait_signal(u, us) &&
                atomic_cas_64(&s->state, SL_REQUEST, SL_FREE) == SL_REQUEST)
                return -LX_ERESTARTSYS;     /* taken back before the host answered */
        } else {
            sleep_us(us);
        }
        us = MIN(us * 2, PROXY_POLL_MAX_US);
    }
    membar_sync();
    long r = (long)s->ret;
    s->state = SL_FREE;
    prog_area->forwarded++;
    return r;
}
