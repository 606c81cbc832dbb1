/* The md-update service: the domain manager changed this domain's machine description
   (after adding a vCPU, before its dr-cpu CONFIGURE; after removing one; after a
   virtual disk was added or removed). The kernel reads it again with mach_desc, brings
   the relay's ports (control domain) and its virtual disks (vdc.c) in line with it,
   and answers.
   Request {u64 req_num}; response {u64 req_num, u32 result: 0 ok, 1 failure, 2 invalid}
   (reference ldoms_protocols.md §1.3; Linux ds.c md_update_data). */
#include "dsvc.h"
#include <sun4v/ds.h>
#include "vdc.h"

static void mdupdate_data(struct ds_service *s, const u8 *p, u32 len)
{
    u8 r[12];
    u64 req = 0;
    u32 result;
    if (len < 8) {
        result = MD_UPDATE_INVALID_MSG;
    } else {
        memcpy(&req, p, 8);
        result = md_read() == 0 ? MD_UPDATE_SUCCESS : MD_UPDATE_FAILURE;
        if (result == MD_UPDATE_SUCCESS) {
            relay_md_changed();
            vdc_md_changed();           /* virtual disks added or removed (vdc.c) */
        }
        kprintf("md-update: machine description read again (generation %lu, %d vCPUs)\n",
                md.generation, md.ncpus);
    }
    memcpy(r, &req, 8);
    memcpy(r + 8, &result, 4);
    ds_send_data(s, r, sizeof(r));
}

struct ds_service svc_mdupdate = {
    .name = DS_SVC_MD_UPDATE, .major = 1, .minor = 0, .data = mdupdate_data,
};
