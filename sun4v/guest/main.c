/* The boot vCPU's way from boot.S to a running domain:

     1. API groups: sun4v 1.0, core 1.1 (cons_write, cpu_stop), intr 2.0 (the vintr
        calls of the channel interrupts), ldc 1.0 (api_set_version, CORE_TRAP)
     2. the machine description (mach_desc): who we are and what we have
     3. the linear map and the TSB (vm.c), this vCPU's queues (cpu.c), the clock
     4. the banner: the domain's name, its vCPUs and its memory
     5. the other vCPUs of the machine description, started with cpu_start
     6. the domain services thread (ds.c), the control domain's relay (relay.c), the
        workload (workload.c), the console input thread (consin.c)
     7. this vCPU's idle thread */
#include "kernel.h"
#include "hcall.h"

extern int cons_have_write;

struct api {
    u64 group, major, minor;
    const char *name;
    u64 got_minor;
    int ok;
};

static struct api apis[] = {
    { API_GROUP_SUN4V, 1, 0, "sun4v", 0, 0 },
    { API_GROUP_CORE, 1, 1, "core", 0, 0 },
    { API_GROUP_INTR, 2, 0, "intr", 0, 0 },
    { API_GROUP_LDC, 1, 0, "ldc", 0, 0 },
};

static void negotiate(void)
{
    for (u64 i = 0; i < ARRAY_SIZE(apis); i++) {
        struct api *a = &apis[i];
        u64 minor = 0;
        a->ok = hv_api_set_version(a->group, a->major, a->minor, &minor) == EOK;
        a->got_minor = minor;
    }
    if (!apis[1].ok || apis[1].got_minor < 1)
        cons_have_write = 0;
}

static void print_apis(void)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "hypervisor API:");
    for (u64 i = 0; i < ARRAY_SIZE(apis); i++) {
        struct api *a = &apis[i];
        if (a->ok)
            n += snprintf(line + n, sizeof(line) - (u64)n, " %s %lu.%lu", a->name, a->major,
                          a->got_minor);
        else
            n += snprintf(line + n, sizeof(line) - (u64)n, " %s -", a->name);
    }
    kprintf("%s\n", line);
}

/* "0-3,8,10-11" */
static void cpu_list(char *buf, u64 cap)
{
    u64 n = 0;
    buf[0] = 0;
    for (int i = 0; i < MAXCPUS; i++) {
        if (!md.cpu_in_md[i])
            continue;
        int j = i;
        while (j + 1 < MAXCPUS && md.cpu_in_md[j + 1])
            j++;
        n += (u64)snprintf(buf + n, cap - n, n ? ",%d" : "%d", i);
        if (j > i)
            n += (u64)snprintf(buf + n, cap - n, "-%d", j);
        i = j;
        if (n >= cap - 8)
            break;
    }
}

void kmain(u64 id, u64 delta)
{
    char cpustr[128];
    kern_delta = delta;
    negotiate();
    if (md_read())
        panic("cannot read the machine description");
    vm_init();
    cpu_setup((int)id);
    cpu_local_init();
    sched_init();
    COUNTERS->version = COUNTERS_VERSION;
    COUNTERS->boot_stick = rd_stick();
    COUNTERS->state = CS_BOOTING;
    membar_sync();
    COUNTERS->magic = COUNTERS_MAGIC;

    cpu_list(cpustr, sizeof(cpustr));
    kprintf("sun4v guest kernel on %s\n", md.platform[0] ? md.platform : "a sun4v machine");
    kprintf("domain %s: %d vCPUs (%s), %lu MB memory\n",
            md.domain[0] ? md.domain : "(unnamed)", md.ncpus, cpustr, md.memsize >> 20);
    print_apis();

    for (int i = 0; i < MAXCPUS; i++)
        if (md.cpu_in_md[i] && i != (int)id)
            cpu_start_vcpu(i, 0);
    kprintf("%d vCPUs online, %lu MB mapped, stick %lu MHz\n", cpus_online(),
            vm_mapped_bytes() >> 20, md.stick_hz / 1000000);

    ds_start();
    relay_start();
    workload_start();
    console_input_start();
    idle_loop();
}
