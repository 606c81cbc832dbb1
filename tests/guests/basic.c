/* The basic test guest: what a domain of the hypervisor's boot tests runs.  It reads its
   MD, prints a banner (domain name, vCPUs, memory), starts its other vCPUs, has every
   vCPU count to the workload's `iterations` (default 20000), yielding every `yield`
   iterations (default 1000), prints its result line with a checksum of its counters and
   exits with status 0. */
#include "rt.h"

static volatile uint64_t counters[16];
static volatile uint64_t finished;
static uint64_t iterations, yield_every;

int guest_trap(unsigned long tt, unsigned long tpc, unsigned long tl)
{
    printf("%s: unexpected trap %#lx at %#lx (TL %lu)\n", rt_domain_name(), tt, tpc, tl);
    guest_exit(0xee);
    return 0;
}

static void work(unsigned long vid)
{
    for (uint64_t i = 1; i <= iterations; i++) {
        counters[vid] = i * (vid + 1);
        if (yield_every && i % yield_every == 0)
            yield_for(2000);
    }
    atomic_add_64(&finished, 1);
}

void secondary_main(unsigned long vid)
{
    printf("%s: vCPU %lu running\n", rt_domain_name(), vid);
    work(vid);
    for (;;)
        yield_for(1000000);
}

int main(unsigned long real_base)
{
    rt_real_base = real_base;
    if (htrap(0xff, API_GROUP_CORE, 1, 1, 0, API_SET_VERSION).status != EOK)
        guest_exit(0xe1);
    if (rt_read_md() != 0)
        guest_exit(0xe2);
    uint64_t ncpu = (uint64_t)md_node_count(&rt_md, "cpu"), mem = 0, v;
    for (int n = md_find_node(&rt_md, -1, "mblock"); n >= 0;
         n = md_find_node(&rt_md, n, "mblock"))
        if (!md_get_val(&rt_md, n, "size", &v))
            mem += v;
    /* `watchdog` ms: the first boot arms the watchdog and never pats it; the reset one
       (a mark in memory the image does not cover survives it) goes on normally */
    uint64_t wd = rt_workload_val("watchdog", 0);
    volatile uint64_t *mark = (volatile uint64_t *)(LINK_BASE + 0x600000);
    if (wd && *mark != 0x57d0) {
        *mark = 0x57d0;
        printf("%s: arming the watchdog, %lu ms\n", rt_domain_name(), wd);
        HC1(MACH_SET_WATCHDOG, wd);
        for (;;)
            ;
    }
    if (wd) {
        *mark = 0;
        printf("%s: restarted by the watchdog\n", rt_domain_name());
    }
    iterations = rt_workload_val("iterations", 20000);
    yield_every = rt_workload_val("yield", 1000);
    printf("%s: sun4v test guest, %lu vCPUs, %lu MB\n", rt_domain_name(), ncpu, mem >> 20);
    uint64_t started = 1;
    for (int n = md_find_node(&rt_md, -1, "cpu"); n >= 0; n = md_find_node(&rt_md, n, "cpu")) {
        if (md_get_val(&rt_md, n, "id", &v) || v == 0 || v >= 16)
            continue;
        long st = start_cpu(v);
        if (st != EOK)
            printf("%s: cpu_start(%lu) = %ld\n", rt_domain_name(), v, st);
        else
            started++;
    }
    work(0);
    while (finished < started)
        yield_for(5000);
    uint64_t sum = 0;
    for (int i = 0; i < 16; i++)
        sum = sum * 31 + counters[i];
    printf("%s: result %lu iterations on %lu vCPUs, checksum %016lx\n", rt_domain_name(),
           iterations, started, sum);
    return 0;
}
