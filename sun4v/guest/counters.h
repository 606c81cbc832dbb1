/* The counters page: what the host reads from a running domain without stopping it.

   Where: real address RA0 + COUNTERS_OFFSET (layout.h: 0x8000), RA0 being the
   domain's real base (the real address of its lowest memory block, where the
   hypervisor copies the kernel); the host turns it into a physical address with the
   domain's memory blocks. 16 KB, every field a big-endian u64 the kernel updates in
   place (the host sees each one whole; fields of one record may be from moments a few
   instructions apart). sun4v/guest/hostif.py reads it.

     0x000 magic          COUNTERS_MAGIC once the kernel has initialised the page
     0x008 version        1
     0x010 state          CS_BOOTING, CS_RUNNING (workload threads running),
                          CS_DONE (the workload ended: result is valid), CS_IDLE (no
                          workload), CS_SHUTDOWN (domain-shutdown accepted),
                          CS_REBOOT (a reboot asked for: mach_sir follows)
     0x018 workload       WL_* (workload.h)
     0x020 threads        worker threads
     0x028 units_total    work units the workload will do (0: it runs until stopped)
     0x030 result         the workload's result (CS_DONE)
     0x038 cpus_online    vCPUs online
     0x040 boot_stick     %stick when the kernel started
     0x048 done_stick     %stick when the workload ended
     0x050 md_reads       times the kernel read its machine description
     0x058 ds_state       0 no channel, 1 link down, 2 link up, 3 DS services registered
     0x060 ds_messages    domain-services data messages handled
     0x068 dr_ops         dr-cpu requests handled
     0x070 kmisses        MMU misses the kernel's own handler (kmiss) resolved
     0x078 prog_area      real address of the program's proxy area (prog.h), 0 if none
     0x100 + 48 * vcpu    per vCPU: progress (work units done on it), state (VS_*),
                          ticks (clock interrupts taken), yields (cpu_yield calls),
                          switches (threads switched to), preemptions (threads the
                          clock took the vCPU from) */
#ifndef GUEST_COUNTERS_H
#define GUEST_COUNTERS_H

#include "types.h"

#define COUNTERS_MAGIC  0x5334564743544e31UL   /* "S4VGCTN1" */
#define COUNTERS_VERSION 1

#define CS_BOOTING      0
#define CS_RUNNING      1
#define CS_DONE         2
#define CS_IDLE         3
#define CS_SHUTDOWN     4
#define CS_REBOOT       5

#define VS_ABSENT       0
#define VS_ONLINE       1
#define VS_OFFLINE      2
#define VS_STARTING     3

struct vcpu_counters {
    volatile u64 progress;
    volatile u64 state;
    volatile u64 ticks;
    volatile u64 yields;
    volatile u64 switches;
    volatile u64 preemptions;
};

struct counters {
    volatile u64 magic;
    volatile u64 version;
    volatile u64 state;
    volatile u64 workload;
    volatile u64 threads;
    volatile u64 units_total;
    volatile u64 result;
    volatile u64 cpus_online;
    volatile u64 boot_stick;
    volatile u64 done_stick;
    volatile u64 md_reads;
    volatile u64 ds_state;
    volatile u64 ds_messages;
    volatile u64 dr_ops;
    volatile u64 kmisses;
    volatile u64 prog_area;     /* RA of the program's proxy area (prog.h), or 0 */
    u64 resv[16];
    struct vcpu_counters cpu[256];
};

_Static_assert(sizeof(struct counters) <= 0x4000, "COUNTERS_SIZE");

#endif
