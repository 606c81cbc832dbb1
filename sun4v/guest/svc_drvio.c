/* The dr-vio service: dynamic reconfiguration of virtual I/O devices, as illumos'
   dr_io.c registers it (sun4v/sys/dr_io.h, "VIO DR Control Protocol", DS service id
   "dr-vio" 1.0). The domain manager asks before it takes a virtual disk away from the
   running domain (ldm remove-vdisk) and after it gave it one (ldm add-vdisk):
   Request  {u64 req_num, u64 dev_id, u32 msg_type, char name[]}: msg_type CONFIGURE
            0x494f43 'IOC', UNCONFIGURE 0x494f55 'IOU', FORCE_UNCONFIG 0x494f46 'IOF',
            STATUS 0x494f53 'IOS'; dev_id = the vdisk id (cfg-handle); name "disk".
   Response {u64 req_num, u32 result (OK 0, FAILURE 1, BLOCKED 2, NOT_IN_MD 3),
            u32 status (NOT_PRESENT 0, UNCONFIGURED 1, CONFIGURED 2), char reason[]}.
   UNCONFIGURE of a disk a program holds open is BLOCKED, reason "device busy" (the
   disk stays); otherwise (and always with FORCE_UNCONFIG) its channel is closed
   (vdc.c). CONFIGURE attaches the disk of the machine description (read again by
   md-update just before) and answers once its vDisk handshake is done. */
#include "dsvc.h"
#include "vdc.h"

#define DR_VIO_CONFIGURE        0x494f43
#define DR_VIO_UNCONFIGURE      0x494f55
#define DR_VIO_FORCE_UNCONFIG   0x494f46
#define DR_VIO_STATUS           0x494f53
#define DR_VIO_RES_OK           0
#define DR_VIO_RES_FAILURE      1
#define DR_VIO_RES_BLOCKED      2
#define DR_VIO_RES_NOT_IN_MD    3
#define DR_VIO_STAT_NOT_PRESENT 0
#define DR_VIO_STAT_UNCONFIGURED 1
#define DR_VIO_STAT_CONFIGURED  2
#define DRVIO_READY_US          15000   /* a new disk's handshake done by then (the
                                           manager waits 20 ms for the answer) */

static void reply(struct ds_service *s, u64 req, u32 result, u32 status, const char *why)
{
    u8 r[16 + 80];
    u32 n = (u32)strlen(why);
    if (n > sizeof(r) - 17)
        n = sizeof(r) - 17;
    memcpy(r, &req, 8);
    memcpy(r + 8, &result, 4);
    memcpy(r + 12, &status, 4);
    memcpy(r + 16, why, n);
    r[16 + n] = 0;
    ds_send_data(s, r, 16 + n + 1);
}

static void drvio_data(struct ds_service *s, const u8 *p, u32 len)
{
    u64 req = 0, dev = 0;
    u32 type = 0;
    if (len < 21) {
        if (len >= 8)
            memcpy(&req, p, 8);
        return reply(s, req, DR_VIO_RES_FAILURE, DR_VIO_STAT_NOT_PRESENT,
                     "malformed request");
    }
    memcpy(&req, p, 8);
    memcpy(&dev, p + 8, 8);
    memcpy(&type, p + 16, 4);
    char name[16];
    u32 n = MIN(len - 20, (u32)sizeof(name) - 1);
    memcpy(name, p + 20, n);
    name[n] = 0;
    if (strcmp(name, "disk"))
        return reply(s, req, DR_VIO_RES_FAILURE, DR_VIO_STAT_NOT_PRESENT,
                     "only virtual disks are reconfigured here");
    int unit = dev < 100000 ? (int)dev : -1;
    switch (type) {
    case DR_VIO_UNCONFIGURE: case DR_VIO_FORCE_UNCONFIG: {
        int r = vdc_unconfigure(unit, type == DR_VIO_FORCE_UNCONFIG);
        if (r == VDC_BUSY) {
            kprintf("dr-vio: vdisk%lu busy (open)\n", dev);
            return reply(s, req, DR_VIO_RES_BLOCKED, DR_VIO_STAT_CONFIGURED,
                         "device busy");
        }
        if (r == VDC_NOT_PRESENT)
            return reply(s, req, DR_VIO_RES_NOT_IN_MD, DR_VIO_STAT_NOT_PRESENT, "");
        kprintf("dr-vio: vdisk%lu unconfigured\n", dev);
        return reply(s, req, DR_VIO_RES_OK, DR_VIO_STAT_UNCONFIGURED, "");
    }
    case DR_VIO_CONFIGURE:
        vdc_md_changed();
        if (!vdc_present(unit))
            return reply(s, req, DR_VIO_RES_NOT_IN_MD, DR_VIO_STAT_NOT_PRESENT, "");
        if (!vdc_wait_ready(unit, DRVIO_READY_US))
            return reply(s, req, DR_VIO_RES_FAILURE, DR_VIO_STAT_UNCONFIGURED,
                         "the disk server did not complete the handshake");
        kprintf("dr-vio: vdisk%lu configured\n", dev);
        return reply(s, req, DR_VIO_RES_OK, DR_VIO_STAT_CONFIGURED, "");
    case DR_VIO_STATUS:
        return reply(s, req, DR_VIO_RES_OK, vdc_ready(unit) ? DR_VIO_STAT_CONFIGURED :
                     vdc_present(unit) ? DR_VIO_STAT_UNCONFIGURED :
                     DR_VIO_STAT_NOT_PRESENT, "");
    }
    return reply(s, req, DR_VIO_RES_FAILURE, DR_VIO_STAT_NOT_PRESENT,
                 "unknown request type");
}

struct ds_service svc_drvio = {
    .name = "dr-vio", .major = 1, .minor = 0, .data = drvio_data,
};
