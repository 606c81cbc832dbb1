/* The services the kernel offers over Domain Services (ds.c). */
#ifndef GUEST_DSVC_H
#define GUEST_DSVC_H

#include "kernel.h"

struct ds_service {
    const char *name;           /* the DS service id: "md-update", "dr-cpu", ... */
    u16 major, minor;           /* the version the kernel offers */
    u16 vminor;                 /* the minor version the peer acknowledged */
    u64 handle;
    int state;
    void (*data)(struct ds_service *s, const u8 *payload, u32 len);
};

extern struct ds_service svc_mdupdate, svc_drcpu, svc_shutdown, svc_drvio;
int ds_send_data(struct ds_service *s, const u8 *payload, u32 len);

#endif
