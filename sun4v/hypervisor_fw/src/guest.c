/* Guests: start (copy the ROM image into the guest's base memory block, launch the
   first vCPU that is not in error at real base + 0x20) and exit (stop every vCPU,
   reset the guest's channels, apply a pending delayed reconfiguration, tell the
   manager; a reset starts the guest again).  Facts and order: Sun's hypervisor
   common/src/init.c (c_guest_exit, guest_ignition), hvcontrol.c (op_guest_start,
   op_guest_stop), res_guest.c (the ROM image fits the base memory block).

   States (GUEST_STATE_*): STOPPED -> RESETTING (starting) -> NORMAL -> EXITING
   (mach_exit, guest_stop) -> STOPPED; NORMAL -> RESETTING (mach_sir) -> NORMAL. */
#include "hv.h"

void guest_reset_state(struct guest *g)
{
    memset(g->api_major, 0, sizeof(g->api_major));
    memset(g->api_minor, 0, sizeof(g->api_minor));
    g->api_major[0] = 1;            /* SUN4V 1.0 */
    g->api_major[1] = 1;            /* CORE 1.0 until negotiated */
    for (int i = 0; i < NPERMMAPS; i++)
        memset(&g->perm[i], 0, sizeof(g->perm[i]));
    for (int i = 0; i < NINOS; i++) {
        g->vinos[i].valid = INTR_NOTVALID;
        g->vinos[i].state = INTR_IDLE;
        g->vinos[i].cookie = 0;
        g->vinos[i].target = 0;
    }
    g->soft_state = 0;
    memset(g->soft_state_str, 0, sizeof(g->soft_state_str));
    g->watchdog_deadline = 0;
}

static struct vcpu *boot_vcpu(struct guest *g)
{
    for (uint32_t vid = 0; vid < NVCPUS; vid++) {
        struct vcpu *v = g->vcpus[vid];
        if (v && v->state != CPU_STATE_ERROR)
            return v->state == CPU_STATE_STOPPED ? v : 0;
    }
    return 0;
}

/* the guest is RESETTING: its image, then its boot vCPU */
static int ignite(struct guest *g)
{
    guest_reset_state(g);
    memcpy((void *)g->base_pa, (const void *)g->rom_base, g->rom_size);
    struct vcpu *v = boot_vcpu(g);
    if (!v) {
        g->state = GUEST_STATE_STOPPED;
        return -1;
    }
    /* utilisation starts again: yields counted from here */
    for (uint32_t vid = 0; vid < NVCPUS; vid++)
        if (g->vcpus[vid])
            g->vcpus[vid]->last_yield_guest = g->vcpus[vid]->yield_count;
    v->start_pc = g->real_base + GUEST_ENTRY_OFFSET;
    v->rtba = g->real_base;
    v->start_arg = 0;
    v->state = CPU_STATE_STARTING;
    g->start_stick = g->util_last = read_stick();
    membar_sync();
    g->state = GUEST_STATE_NORMAL;
    hv_printf("guest %s (gid %u): started on vCPU %u (strand %u)\n", g->name, g->gid,
              v->vid, v->strand->id);
    xcall_send(v->strand->id, XC_SCHED_VCPU, (uint64_t)v);
    return 0;
}

int guest_start(struct guest *g)
{
    spin_lock(&g->lock);
    if (g->state != GUEST_STATE_STOPPED) {
        spin_unlock(&g->lock);
        return -1;
    }
    g->state = GUEST_STATE_RESETTING;
    spin_unlock(&g->lock);
    int r = ignite(g);
    hvctl_guest_state_notify(g);
    return r;
}

/* Runs on any strand once the guest is EXITING or RESETTING (the caller set it) */
void guest_exit(struct guest *g, uint64_t code, int reset)
{
    struct strand *s = this_strand();
    int local = 0;
    for (uint32_t vid = 0; vid < NVCPUS; vid++) {
        struct vcpu *v = g->vcpus[vid];
        if (!v)
            continue;
        if (v->strand == s) {
            if (s->running && s->vcpu == v) {
                vcpu_stop_local(s);
                local = 1;
            } else if (v->state != CPU_STATE_ERROR) {
                v->state = CPU_STATE_STOPPED;
            }
            continue;
        }
        while (v->state == CPU_STATE_STARTING || v->state == CPU_STATE_STOPPING)
            xcall_poll(s);
        if (v->state == CPU_STATE_RUNNING) {
            v->state = CPU_STATE_STOPPING;
            xcall_send(v->strand->id, XC_STOP_VCPU, (uint64_t)v);
            while (v->state == CPU_STATE_STOPPING)
                xcall_poll(s);
        }
    }
    ldc_reset_guest(g);
    g->exit_code = code;
    hv_printf("guest %s (gid %u): %s\n", g->name, g->gid,
              reset ? "reset" : "stopped");
    if (!reset)
        g->state = GUEST_STATE_STOPPED;
    if (config.del_reconf_gid == g->gid)
        reconf_delayed_apply(g);
    hvctl_guest_state_notify(g);
    if (reset && g->configured) {
        if (ignite(g) == 0)
            hvctl_guest_state_notify(g);
    }
    if (local)
        strand_idle(s);
}

/* mach_exit / mach_sir from a vCPU of g running on this strand */
void guest_stop_here(struct guest *g, int reset)
{
    struct strand *s = this_strand();
    spin_lock(&g->lock);
    if (g->state != GUEST_STATE_NORMAL) {
        /* another vCPU is stopping or resetting the guest: it will stop us */
        spin_unlock(&g->lock);
        for (;;)
            xcall_poll(s);
    }
    g->state = reset ? GUEST_STATE_RESETTING : GUEST_STATE_EXITING;
    spin_unlock(&g->lock);
    guest_exit(g, g->exit_code, reset);
    strand_idle(s);
}
