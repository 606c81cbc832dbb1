/* The domain's machine description (MD), read with the mach_desc hypercall into a
   buffer of the kernel and walked with fwlib's reader (sun4v/md.h: what the domain
   manager writes). The kernel keeps what it uses in `md` (kernel.h):

     platform   domain-name (the domain's name), banner-name, stick-frequency
     cpu        id: the vCPUs this domain has (dr-cpu CONFIGURE looks here)
     mblock     base, size: its memory (real addresses)
     channel-devices           cfg-handle: the devhandle of its channels' interrupts
     domain-services-port -> channel-endpoint    id, tx-ino, rx-ino: its DS channel
     virtual-device-port  -> channel-endpoint    vldc-svc-name: channels the control
                                                 domain relays to the host (relay.c)
     workload   name and parameters (workload.c)

   mach_desc(RA, 0) fails with EINVAL and the MD's size; the MD is then copied into
   md_buf. md-update (svc_mdupdate.c) calls md_read again. */
#include "kernel.h"
#include "hcall.h"

struct mdinfo md;
static u8 md_buf[256 * 1024] __attribute__((aligned(16)));   /* a guest MD slot (mdwriter) */
static u64 md_len;

/* the workload parameters the kernel looks for (workload.c says what each means) */
static const char *const wl_param_names[] = {
    "threads", "iterations", "passes", "size", "requests", "duty", "work", "bind", "seed",
    "vdisk",                            /* vdc.c: the self-test's block count */
};

static void copy_str(char *dst, u64 cap, const struct md *m, int node, const char *prop)
{
    const char *s;
    if (md_get_str(m, node, prop, &s) == 0)
        strlcpy(dst, s, cap);
}

/* the channel-endpoint a port node points to (fwd arc) */
static int port_endpoint(const struct md *m, int port, u64 *ch, u64 *tx, u64 *rx)
{
    int cur = 0;
    int ep = md_next_arc(m, port, "fwd", "channel-endpoint", &cur);
    if (ep < 0 || md_get_val(m, ep, "id", ch) || md_get_val(m, ep, "tx-ino", tx) ||
        md_get_val(m, ep, "rx-ino", rx))
        return -1;
    return 0;
}

static int parse(const struct md *m, struct mdinfo *mi)
{
    int n;
    memset(mi, 0, sizeof(*mi));
    n = md_find_node(m, -1, "root");
    if (n >= 0)
        md_get_val(m, n, "md-generation#", &mi->generation);

    n = md_find_node(m, -1, "platform");
    if (n < 0) {
        kprintf("md: no platform node\n");
        return -1;
    }
    copy_str(mi->domain, sizeof(mi->domain), m, n, "sun4v-domain-name");
    copy_str(mi->domain, sizeof(mi->domain), m, n, "domain-name");
    copy_str(mi->platform, sizeof(mi->platform), m, n, "name");
    copy_str(mi->platform, sizeof(mi->platform), m, n, "banner-name");
    if (md_get_val(m, n, "stick-frequency", &mi->stick_hz) || mi->stick_hz < 1000000) {
        kprintf("md: platform stick-frequency missing or below 1 MHz\n");
        return -1;
    }

    for (n = md_find_node(m, -1, "cpu"); n >= 0; n = md_find_node(m, n, "cpu")) {
        u64 id;
        if (md_get_val(m, n, "id", &id) || id >= MAXCPUS) {
            kprintf("md: a cpu node without an id below %d\n", MAXCPUS);
            return -1;
        }
        if (!mi->cpu_in_md[id])
            mi->ncpus++;
        mi->cpu_in_md[id] = 1;
    }

    for (n = md_find_node(m, -1, "mblock"); n >= 0; n = md_find_node(m, n, "mblock")) {
        u64 base, size;
        if (md_get_val(m, n, "base", &base) || md_get_val(m, n, "size", &size))
            continue;
        if (mi->nmblocks == MD_MAXMBLOCKS) {
            kprintf("md: more than %d memory blocks; the rest are not used\n",
                    MD_MAXMBLOCKS);
            break;
        }
        mi->mblock[mi->nmblocks].base = base;
        mi->mblock[mi->nmblocks].size = size;
        mi->nmblocks++;
        mi->memsize += size;
    }

    n = md_find_node(m, -1, "channel-devices");
    if (n >= 0)
        md_get_val(m, n, "cfg-handle", &mi->devhandle);
    n = md_find_node(m, -1, "domain-services-port");
    if (n >= 0 && port_endpoint(m, n, &mi->ds_channel, &mi->ds_tx_ino, &mi->ds_rx_ino) == 0)
        mi->has_ds = 1;
    for (n = md_find_node(m, -1, "virtual-device-port"); n >= 0;
         n = md_find_node(m, n, "virtual-device-port")) {
        struct mdport *p = &mi->port[mi->nports];
        if (mi->nports == MD_MAXPORTS)
            break;
        const char *svc;
        if (md_get_str(m, n, "vldc-svc-name", &svc))
            continue;                   /* not relayed (a virtual disk's client port) */
        if (port_endpoint(m, n, &p->channel, &p->tx_ino, &p->rx_ino))
            continue;
        copy_str(p->name, sizeof(p->name), m, n, "vldc-svc-name");
        mi->nports++;
    }

    n = md_find_node(m, -1, "workload");
    if (n >= 0) {
        copy_str(mi->workload, sizeof(mi->workload), m, n, "name");
        for (u64 i = 0; i < ARRAY_SIZE(wl_param_names); i++) {
            u64 v;
            const char *str;
            typeof(&mi->param[0]) p = &mi->param[mi->nparams];
            if (md_get_val(m, n, wl_param_names[i], &v) == 0) {
                p->val = v;
            } else if (md_get_str(m, n, wl_param_names[i], &str) == 0) {
                p->is_str = 1;                  /* floats and booleans come as strings */
                strlcpy(p->str, str, sizeof(p->str));
            } else {
                continue;
            }
            strlcpy(p->name, wl_param_names[i], sizeof(p->name));
            mi->nparams++;
        }
    }
    return 0;
}

int md_read(void)
{
    u64 size = 0, st;
    struct md m;
    static struct mdinfo fresh;

    st = hv_mach_desc(va2ra(md_buf), 0, &size);
    if (st != EOK && st != EINVAL) {
        kprintf("md: mach_desc failed (status %lu)\n", st);
        return -1;
    }
    if (size > sizeof(md_buf)) {
        kprintf("md: the machine description is %lu bytes; the kernel reads %lu\n",
                size, (u64)sizeof(md_buf));
        return -1;
    }
    st = hv_mach_desc(va2ra(md_buf), sizeof(md_buf), &size);
    if (st != EOK) {
        kprintf("md: mach_desc failed (status %lu)\n", st);
        return -1;
    }
    md_len = size;
    if (md_init(&m, md_buf, md_len)) {
        kprintf("md: the machine description is malformed\n");
        return -1;
    }
    if (parse(&m, &fresh))
        return -1;
    md = fresh;
    COUNTERS->md_reads++;
    return 0;
}

int md_param(const char *name, u64 *val)
{
    for (int i = 0; i < md.nparams; i++)
        if (strcmp(md.param[i].name, name) == 0 && !md.param[i].is_str) {
            *val = md.param[i].val;
            return 0;
        }
    return -1;
}

const char *md_param_str(const char *name)
{
    for (int i = 0; i < md.nparams; i++)
        if (strcmp(md.param[i].name, name) == 0 && md.param[i].is_str)
            return md.param[i].str;
    return 0;
}
