/* The domain-shutdown service: the domain manager asks the domain to stop.
   Request {u64 req_num, u32 ms_delay}; response {u64 req_num, u32 result, char reason[]}
   (reference ldoms_protocols.md §1.3; Linux ds.c domain_shutdown_data). The kernel
   answers at once, waits ms_delay milliseconds, and exits the guest (mach_exit 0).
   A reboot (svc_reboot_now: the control domain's relay passes on the domain manager's
   request, relay.h) is a software-initiated reset, mach_sir (sun4v.md hypervisor API,
   CORE fn 0x02): the hypervisor stops every vCPU of the domain, resets its channels,
   applies a pending delayed reconfiguration of it, copies the image again and starts
   it from its first vCPU (ldoms_protocols.md §1.4, Sun's init.c). */
#include "dsvc.h"
#include "hcall.h"
#include <sun4v/ds.h>

static void shutdown_data(struct ds_service *s, const u8 *p, u32 len)
{
    u8 r[13];
    u64 req = 0;
    u32 delay = 0, result = 0;
    if (len >= 12) {
        memcpy(&req, p, 8);
        memcpy(&delay, p + 8, 4);
    } else {
        result = 1;
    }
    memcpy(r, &req, 8);
    memcpy(r + 8, &result, 4);
    r[12] = 0;
    ds_send_data(s, r, sizeof(r));
    if (result)
        return;
    kprintf("domain-shutdown: requested by the domain manager (in %u ms)\n", delay);
    sleep_us((u64)delay * 1000);
    svc_shutdown_now();
}

void svc_shutdown_now(void)
{
    COUNTERS->state = CS_SHUTDOWN;
    kprintf("domain-shutdown: stopping\n");
    for (;;)
        hv_mach_exit(0);
}

void svc_reboot_now(void)
{
    COUNTERS->state = CS_REBOOT;
    kprintf("reboot: requested by the domain manager: mach_sir\n");
    for (;;)
        hv_mach_sir();
}

struct ds_service svc_shutdown = {
    .name = DS_SVC_DOMAIN_SHUTDOWN, .major = 1, .minor = 0, .data = shutdown_data,
};
