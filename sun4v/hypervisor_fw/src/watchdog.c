/* The guest watchdog timer, mach_set_watchdog (CORE 1.1; reference/sun4v.md §2: ms ->
   ms remaining).  A guest arms it with a timeout in milliseconds (0 disarms; more than
   WATCHDOG_MAX_MS is EINVAL, and the remaining time is returned either way); if it is
   not armed again in time the hypervisor resets the guest (as mach_sir does: every vCPU
   stops and the guest starts again from its ROM image; Sun resets a guest whose
   watchdog expires).  Resolution 1 ms (the guest MD's watchdog-resolution).

   The timer is the hyperprivileged tick compare (HSTICK_CMPR, trap 0x5E hstick_match)
   of the strand that armed it last; its trap, or the wake-up of that strand's idle loop,
   checks every guest timed on that strand. */
#include "hv.h"

#define WATCHDOG_MAX_MS     31536000000UL   /* a year; the guest MD's watchdog-max-timeout */
#define HSTICK_DISABLE      (1UL << 63)

static uint64_t ticks_per_ms(void)
{
    uint64_t f = config.stick_freq ? config.stick_freq : 1000000000UL;
    return f / 1000 ? f / 1000 : 1;
}

static void hstick_set(uint64_t when)
{
    __asm__ __volatile__("wrhpr %0, %%hstick_cmpr" :: "r"(when) : "memory");
}

static uint64_t remaining_ms(struct guest *g, uint64_t now)
{
    if (!g->watchdog_deadline || g->watchdog_deadline <= now)
        return 0;
    return (g->watchdog_deadline - now + ticks_per_ms() - 1) / ticks_per_ms();
}

uint64_t mach_set_watchdog(struct strand *s, struct guest *g, uint64_t ms)
{
    uint64_t now = read_stick();
    s->o[1] = remaining_ms(g, now);
    if (ms > WATCHDOG_MAX_MS)
        return EINVAL;
    if (ms == 0) {
        g->watchdog_deadline = 0;
        return EOK;
    }
    g->watchdog_deadline = now + ms * ticks_per_ms();
    g->watchdog_strand = s->id;
    hstick_set(g->watchdog_deadline);
    return EOK;
}

/* hstick_match on strand s: reset the guests whose watchdog expired, re-arm for the
   others timed here */
void watchdog_tick(struct strand *s)
{
    uint64_t now = read_stick(), next = HSTICK_DISABLE;
    __asm__ __volatile__("wrhpr %%g0, %%hintp" ::: "memory");
    hstick_set(HSTICK_DISABLE);
    for (uint32_t i = 0; i < NGUESTS; i++) {
        struct guest *g = &guests[i];
        uint64_t d = g->watchdog_deadline;
        if (!d || g->watchdog_strand != s->id || g->state != GUEST_STATE_NORMAL)
            continue;
        if (d > now) {
            if (d < next)
                next = d;
            continue;
        }
        g->watchdog_deadline = 0;
        spin_lock(&g->lock);
        if (g->state != GUEST_STATE_NORMAL) {
            spin_unlock(&g->lock);
            continue;
        }
        g->state = GUEST_STATE_RESETTING;
        spin_unlock(&g->lock);
        hv_printf("guest %s (gid %u): watchdog expired\n", g->name, g->gid);
        int t = -1;
        for (uint32_t vid = 0; vid < NVCPUS && t < 0; vid++)
            if (g->vcpus[vid])
                t = (int)g->vcpus[vid]->strand->id;
        if (t >= 0)
            xcall_send((uint32_t)t, XC_RESET_GUEST, (uint64_t)g);
    }
    if (next != HSTICK_DISABLE)
        hstick_set(next);
}

int hstick_pending(void)
{
    uint64_t v;
    __asm__ __volatile__("rdhpr %%hintp, %0" : "=r"(v));
    return (int)(v & 1);
}
