/* Reconfiguration from a hypervisor MD (reference/sun4v.md §4, §6; ldoms_protocols.md
   §1.4; order of operations from Sun's hypervisor common/src/reconf.c, res_*.c and
   init.c): parse the whole MD into a pending configuration, checking every node (a bad
   MD is refused, never trusted: the first problem is reported as {resource, code, node
   index, resource id}, status badmd), compare it with the running configuration
   (what may change while a guest runs is checked here: a vCPU bound to a guest can be
   unbound or rebound only while stopped, HVCTL_E_VCPU_REBIND_NA; memory blocks leave or
   change only with their guest stopped; a guest leaves only when stopped), then
   commit: unconfigure in reverse resource order (consoles and channels, vCPUs, memory,
   guests), configure (guests, memory, vCPUs, channels, consoles) and accept the MD.
   Power-on goes through here too (main.c).  A delayed reconfiguration is checked now
   and committed when its guest stops or resets (guest.c); a guest being reset (mach_sir)
   for its delayed reconfiguration has every vCPU stopped and counts as stopped, so its
   memory may change (Sun's init.c applies the control domain's delayed memory changes
   at its reboot).  Memory blocks must be RAM: outside
   the hypervisor's own memory and the device windows, and both ends readable.

   HV MD (ldm/mdwriter.py writes it): root {content-version major 1, stick-frequency,
   hvuart, tod} -> platform {max-cpus: strands of the machine}, guests -> guest
   {resource_id, name, pid (partition), mdpa, rombase, romsize, tod-offset} with fwd arcs
   to its cpu, mblock, ldc_endpoint and console nodes and its channel_devices
   {cfghandle}; cpus -> cpu {resource_id, pid (strand), vid, partid}; memory -> mblock
   {resource_id, membase, memsize, realbase}; ldc_endpoints -> ldc_endpoint {resource_id,
   channel, target_type, target_guest, target_channel, tx-ino, rx-ino, and svc_id on the
   hypervisor's own end}; consoles -> console {resource_id, ino, uartbase}.  A cpu,
   mblock, guest ldc_endpoint or console belongs to the guest its "back" arc names. */
#include "hv.h"

struct p_guest {
    int         present, node;
    char        name[32];
    uint64_t    partid, mdpa, md_size, rombase, romsize, tod_offset, uartbase, cons_ino;
    uint64_t    cdev, vdev;
    uint32_t    nmb;
    uint32_t    mb[GUEST_MBLOCKS];
};

struct p_vcpu {
    int         present, node;
    uint32_t    strand, vid, gid, partid;
};

struct p_mblock {
    int         present, node;
    uint64_t    ra, pa, size;
    uint32_t    gid;
};

struct p_ldc {
    int         present, node;
    uint32_t    hv;             /* the hypervisor's end */
    uint32_t    gid, channel, target_type, target_gid, target_channel, tx_ino, rx_ino;
    uint32_t    svc_id;
};

static struct pending {
    struct p_guest  g[NGUESTS];
    struct p_vcpu   v[NVCPUS];
    struct p_mblock m[NMBLOCKS];
    struct p_ldc    l[NLDC_RES];
    uint32_t        nstrands;
    uint64_t        stick, hvuart, tod;
} P;

static struct hvctl_rc_fail *F;

static int fail(uint32_t res, uint32_t code, int node, uint32_t resid)
{
    F->res = res;
    F->code = code;
    F->nodeidx = node < 0 ? 0 : (uint32_t)node;
    F->resid = resid;
    return HVCTL_ST_BADMD;
}

static int owner_guest(const struct md *md, int node, uint32_t *gid)
{
    int cur = 0;
    int gnode = md_next_arc(md, node, "back", "guest", &cur);
    uint64_t id;
    if (gnode < 0 || md_get_val(md, gnode, "resource_id", &id) || id >= NGUESTS)
        return -1;
    *gid = (uint32_t)id;
    return 0;
}

static int strands_per_core(void)
{
    return config.chip == CHIP_T1 ? 4 : 8;
}

/* ---- parse ------------------------------------------------------------------------------- */
static int parse_root(const struct md *md)
{
    int root = md_find_node(md, -1, "root");
    uint64_t v;
    if (root < 0)
        return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_PROPERTY, -1, 0);
    if (md_get_val(md, root, "content-version", &v) || (v >> 32) != 1)
        return HVCTL_ST_MDNOTSUPP;
    P.stick = md_get_val(md, root, "stick-frequency", &v) ? 0 : v;
    P.hvuart = md_get_val(md, root, "hvuart", &v) ? HV_UART : v;
    P.tod = md_get_val(md, root, "tod", &v) ? HV_TOD : v;
    P.nstrands = config.chip == CHIP_T1 ? 32 : 64;
    int plat = md_find_node(md, -1, "platform");
    if (plat >= 0) {
        if (!md_get_val(md, plat, "max-cpus", &v))
            P.nstrands = (uint32_t)(v > NSTRANDS_MAX ? NSTRANDS_MAX : v);
        if (!P.stick && !md_get_val(md, plat, "stick-frequency", &v))
            P.stick = v;
    }
    if (config.chip == CHIP_T1 && P.nstrands > 32)
        P.nstrands = 32;
    if (P.hvuart != HV_UART && (P.hvuart < GUEST_UART0 ||
                                P.hvuart >= GUEST_UART0 + GUEST_UARTS_MAX * GUEST_UART_STEP ||
                                (P.hvuart - GUEST_UART0) % GUEST_UART_STEP))
        P.hvuart = HV_UART;
    P.tod = HV_TOD;
    return HVCTL_ST_OK;
}

static int parse_guests(const struct md *md)
{
    for (int n = md_find_node(md, -1, "guest"); n >= 0; n = md_find_node(md, n, "guest")) {
        uint64_t id, v;
        const char *s;
        if (md_get_val(md, n, "resource_id", &id))
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_ID, n, 0);
        if (id >= NGUESTS || P.g[id].present)
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_INVALID_ID, n, (uint32_t)id);
        struct p_guest *pg = &P.g[id];
        pg->present = 1;
        pg->node = n;
        if (md_get_str(md, n, "name", &s))
            s = "guest";
        strlcpy(pg->name, s, sizeof(pg->name));
        if (md_get_val(md, n, "pid", &pg->partid) || md_get_val(md, n, "mdpa", &pg->mdpa) ||
            md_get_val(md, n, "rombase", &pg->rombase) ||
            md_get_val(md, n, "romsize", &pg->romsize))
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_PROPERTY, n, (uint32_t)id);
        pg->tod_offset = md_get_val(md, n, "tod-offset", &v) ? 0 : v;
        if (pg->partid > 7)
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_PROPERTY, n, (uint32_t)id);
        /* the guest MD: inside the MD area, well formed */
        struct md gmd;
        if (pg->mdpa < HV_MDAREA_BASE || pg->mdpa >= HV_MDAREA_BASE + HV_MDAREA_SIZE ||
            (pg->mdpa & (MD_ALIGNMENT - 1)) ||
            md_init(&gmd, (const void *)pg->mdpa,
                    HV_MDAREA_BASE + HV_MDAREA_SIZE - pg->mdpa) != 0)
            return fail(HVCTL_RES_GUESTMD, HVCTL_E_GUEST_MISSING_PROPERTY, n, (uint32_t)id);
        pg->md_size = gmd.size;
        /* the ROM image: inside the boot ROM */
        if (pg->romsize == 0 || pg->rombase < BOOT_ROM || (pg->rombase & 7) ||
            pg->romsize > BOOT_ROM_SIZE || pg->rombase + pg->romsize > BOOT_ROM + BOOT_ROM_SIZE)
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_PROPERTY, n, (uint32_t)id);
        int cur = 0, d;
        pg->cdev = pg->vdev = 0;
        d = md_next_arc(md, n, "fwd", "channel_devices", &cur);
        if (d >= 0 && md_get_val(md, d, "cfghandle", &pg->cdev))
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_PROPERTY, d, (uint32_t)id);
        cur = 0;
        d = md_next_arc(md, n, "fwd", "virtual_devices", &cur);
        if (d >= 0 && md_get_val(md, d, "cfghandle", &pg->vdev))
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_PROPERTY, d, (uint32_t)id);
    }
    return HVCTL_ST_OK;
}

static int parse_mblocks(const struct md *md)
{
    for (int n = md_find_node(md, -1, "mblock"); n >= 0; n = md_find_node(md, n, "mblock")) {
        uint64_t id;
        uint32_t gid;
        if (md_get_val(md, n, "resource_id", &id))
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_MISSING_ID, n, 0);
        if (id >= NMBLOCKS || P.m[id].present)
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_INVALID_ID, n, (uint32_t)id);
        struct p_mblock *m = &P.m[id];
        m->present = 1;
        m->node = n;
        if (md_get_val(md, n, "membase", &m->pa))
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_MISSING_MEMBASE, n, (uint32_t)id);
        if (md_get_val(md, n, "memsize", &m->size))
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_MISSING_MEMSIZE, n, (uint32_t)id);
        if (md_get_val(md, n, "realbase", &m->ra))
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_MISSING_REALBASE, n, (uint32_t)id);
        if (owner_guest(md, n, &gid) || !P.g[gid].present)
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_MISSING_GUEST, n, (uint32_t)id);
        m->gid = gid;
        uint64_t hv_end = HV_MEMBASE + HV_MEMSIZE;
        if (m->size == 0 || ((m->pa | m->size) & 0x1fff) || m->pa + m->size < m->pa ||
            m->pa + m->size > IO_BIT || (m->pa < hv_end && HV_MEMBASE < m->pa + m->size) ||
            (m->pa < DEVICE_HOLE_END && DEVICE_HOLE < m->pa + m->size) ||
            !pa_readable(m->pa) || !pa_readable(m->pa + m->size - 8))
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_INVALID_PARANGE, n, (uint32_t)id);
        if ((m->ra & 0x1fff) || m->ra + m->size > MAX_RA || m->ra + m->size < m->ra)
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_INVALID_RARANGE, n, (uint32_t)id);
        for (uint32_t j = 0; j < id; j++) {
            struct p_mblock *o = &P.m[j];
            if (!o->present)
                continue;
            if (m->pa < o->pa + o->size && o->pa < m->pa + m->size)
                return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_INVALID_PARANGE, n, (uint32_t)id);
            if (o->gid == gid && m->ra < o->ra + o->size && o->ra < m->ra + m->size)
                return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_INVALID_RARANGE, n, (uint32_t)id);
        }
        struct p_guest *pg = &P.g[gid];
        if (pg->nmb >= GUEST_MBLOCKS)
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_INVALID_ID, n, (uint32_t)id);
        pg->mb[pg->nmb++] = (uint32_t)id;
    }
    /* every guest: memory, and its ROM image fits its base (lowest real) block */
    for (uint32_t i = 0; i < NGUESTS; i++) {
        struct p_guest *pg = &P.g[i];
        if (!pg->present)
            continue;
        if (!pg->nmb)
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_MISSING_PROPERTY, pg->node, i);
        struct p_mblock *base = &P.m[pg->mb[0]];
        for (uint32_t k = 1; k < pg->nmb; k++)
            if (P.m[pg->mb[k]].ra < base->ra)
                base = &P.m[pg->mb[k]];
        if (pg->romsize > base->size)
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_BASE_MBLOCK_TOO_SMALL, pg->node, i);
    }
    return HVCTL_ST_OK;
}

static int parse_vcpus(const struct md *md)
{
    uint8_t strand_used[NSTRANDS_MAX];
    memset(strand_used, 0, sizeof(strand_used));
    for (int n = md_find_node(md, -1, "cpu"); n >= 0; n = md_find_node(md, n, "cpu")) {
        uint64_t id, pid, vid, partid;
        uint32_t gid;
        if (md_get_val(md, n, "resource_id", &id))
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_MISSING_ID, n, 0);
        if (id >= NVCPUS || P.v[id].present)
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_INVALID_ID, n, (uint32_t)id);
        if (md_get_val(md, n, "pid", &pid))
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_MISSING_STRANDID, n, (uint32_t)id);
        if (pid >= P.nstrands || strand_used[pid])
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_INVALID_STRANDID, n, (uint32_t)id);
        if (md_get_val(md, n, "vid", &vid))
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_MISSING_VID, n, (uint32_t)id);
        if (owner_guest(md, n, &gid) || !P.g[gid].present)
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_MISSING_GUEST, n, (uint32_t)id);
        if (md_get_val(md, n, "partid", &partid))
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_MISSING_PARTTAG, n, (uint32_t)id);
        if (partid != P.g[gid].partid)
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_INVALID_PARTTAG, n, (uint32_t)id);
        if (vid >= NVCPUS)
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_INVALID_VID, n, (uint32_t)id);
        for (uint32_t j = 0; j < id; j++)
            if (P.v[j].present && P.v[j].gid == gid && P.v[j].vid == vid)
                return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_INVALID_VID, n, (uint32_t)id);
        strand_used[pid] = 1;
        P.v[id] = (struct p_vcpu){ 1, n, (uint32_t)pid, (uint32_t)vid, gid, (uint32_t)partid };
    }
    /* partition IDs keep TLB entries apart: guests sharing a core need different ones */
    int spc = strands_per_core();
    for (uint32_t a = 0; a < NVCPUS; a++) {
        if (!P.v[a].present)
            continue;
        for (uint32_t b = a + 1; b < NVCPUS; b++) {
            if (!P.v[b].present || P.v[a].gid == P.v[b].gid ||
                P.v[a].strand / spc != P.v[b].strand / spc)
                continue;
            if (P.v[a].partid == P.v[b].partid)
                return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_INVALID_PARTTAG, P.v[b].node, b);
        }
    }
    return HVCTL_ST_OK;
}

static int parse_ldcs(const struct md *md)
{
    int hv_ends = 0;
    for (int n = md_find_node(md, -1, "ldc_endpoint"); n >= 0;
         n = md_find_node(md, n, "ldc_endpoint")) {
        uint64_t id, ch, tt, tg = 0, tc, v;
        if (md_get_val(md, n, "resource_id", &id))
            return fail(HVCTL_RES_LDC, HVCTL_E_LDC_MISSING_PROP, n, 0);
        if (id >= NLDC_RES || P.l[id].present)
            return fail(HVCTL_RES_LDC, HVCTL_E_LDC_ILLEGAL_PROP, n, (uint32_t)id);
        struct p_ldc *l = &P.l[id];
        l->present = 1;
        l->node = n;
        if (md_get_val(md, n, "channel", &ch) || md_get_val(md, n, "target_type", &tt) ||
            md_get_val(md, n, "target_channel", &tc))
            return fail(HVCTL_RES_LDC, HVCTL_E_LDC_MISSING_PROP, n, (uint32_t)id);
        if (ch >= MAX_LDC_CHANNELS || tc >= MAX_LDC_CHANNELS ||
            (tt != LDC_GUEST_ENDPOINT && tt != LDC_HV_ENDPOINT))
            return fail(HVCTL_RES_LDC, HVCTL_E_LDC_ILLEGAL_PROP, n, (uint32_t)id);
        if (tt == LDC_GUEST_ENDPOINT) {
            if (md_get_val(md, n, "target_guest", &tg) || tg >= NGUESTS || !P.g[tg].present)
                return fail(HVCTL_RES_LDC, HVCTL_E_LDC_ILLEGAL_PROP, n, (uint32_t)id);
        }
        l->channel = (uint32_t)ch;
        l->target_type = (uint32_t)tt;
        l->target_gid = (uint32_t)tg;
        l->target_channel = (uint32_t)tc;
        if (!md_get_val(md, n, "svc_id", &v)) {
            /* the hypervisor's end: the control channel only (svc_id 1) */
            if (v != 1 || tt != LDC_GUEST_ENDPOINT || hv_ends++)
                return fail(HVCTL_RES_HV_LDC, HVCTL_E_HV_LDC_ILLEGAL_PROP, n, (uint32_t)id);
            l->hv = 1;
            l->svc_id = 1;
            continue;
        }
        uint32_t gid;
        if (owner_guest(md, n, &gid) || !P.g[gid].present)
            return fail(HVCTL_RES_LDC, HVCTL_E_LDC_MISSING_PROP, n, (uint32_t)id);
        l->gid = gid;
        uint64_t txi, rxi;
        if (md_get_val(md, n, "tx-ino", &txi) || md_get_val(md, n, "rx-ino", &rxi))
            return fail(HVCTL_RES_LDC, HVCTL_E_LDC_MISSING_PROP, n, (uint32_t)id);
        if (txi >= NINOS || rxi >= NINOS || txi == rxi)
            return fail(HVCTL_RES_LDC, HVCTL_E_LDC_ILLEGAL_PROP, n, (uint32_t)id);
        l->tx_ino = (uint32_t)txi;
        l->rx_ino = (uint32_t)rxi;
    }
    /* per guest: channels and inos unique; every end's peer names it back */
    for (uint32_t a = 0; a < NLDC_RES; a++) {
        struct p_ldc *x = &P.l[a];
        if (!x->present)
            continue;
        for (uint32_t b = 0; b < NLDC_RES; b++) {
            struct p_ldc *y = &P.l[b];
            if (b == a || !y->present || x->hv || y->hv || x->gid != y->gid)
                continue;
            if (x->channel == y->channel || x->tx_ino == y->tx_ino || x->tx_ino == y->rx_ino ||
                x->rx_ino == y->rx_ino)
                return fail(HVCTL_RES_LDC, HVCTL_E_LDC_ILLEGAL_PROP, x->node, a);
        }
        int found = 0;
        for (uint32_t b = 0; b < NLDC_RES && !found; b++) {
            struct p_ldc *y = &P.l[b];
            if (b == a || !y->present)
                continue;
            if (x->hv) {
                found = !y->hv && y->target_type == LDC_HV_ENDPOINT &&
                    y->gid == x->target_gid && y->channel == x->target_channel &&
                    x->channel == y->target_channel;
            } else if (x->target_type == LDC_HV_ENDPOINT) {
                found = y->hv && y->target_gid == x->gid && y->target_channel == x->channel &&
                    y->channel == x->target_channel;
            } else {
                found = !y->hv && y->target_type == LDC_GUEST_ENDPOINT &&
                    y->gid == x->target_gid && y->channel == x->target_channel &&
                    y->target_gid == x->gid && y->target_channel == x->channel;
            }
        }
        if (!found)
            return fail(x->hv ? HVCTL_RES_HV_LDC : HVCTL_RES_LDC,
                        x->hv ? HVCTL_E_HV_LDC_ILLEGAL_PROP : HVCTL_E_LDC_ILLEGAL_PROP,
                        x->node, a);
    }
    return HVCTL_ST_OK;
}

static int parse_consoles(const struct md *md)
{
    for (int n = md_find_node(md, -1, "console"); n >= 0; n = md_find_node(md, n, "console")) {
        uint64_t id, base, ino;
        uint32_t gid;
        if (md_get_val(md, n, "resource_id", &id))
            return fail(HVCTL_RES_CONSOLE, HVCTL_E_CONS_MISSING_ID, n, 0);
        if (owner_guest(md, n, &gid) || !P.g[gid].present)
            return fail(HVCTL_RES_CONSOLE, HVCTL_E_CONS_MISSING_GUEST, n, (uint32_t)id);
        if (md_get_val(md, n, "ino", &ino))
            return fail(HVCTL_RES_CONSOLE, HVCTL_E_CONS_MISSING_INO, n, (uint32_t)id);
        if (md_get_val(md, n, "uartbase", &base))
            return fail(HVCTL_RES_CONSOLE, HVCTL_E_CONS_MISSING_UARTBASE, n, (uint32_t)id);
        if (base < GUEST_UART0 || base >= GUEST_UART0 + GUEST_UARTS_MAX * GUEST_UART_STEP ||
            (base - GUEST_UART0) % GUEST_UART_STEP)
            return fail(HVCTL_RES_CONSOLE, HVCTL_E_CONS_MISSING_UARTBASE, n, (uint32_t)id);
        P.g[gid].uartbase = base;
        P.g[gid].cons_ino = ino;
    }
    return HVCTL_ST_OK;
}

/* ---- compare with what runs -------------------------------------------------------------- */
/* the guest whose delayed reconfiguration is being applied as it resets */
static const struct guest *delayed_resetting;

static int not_running(const struct guest *g)
{
    return g->state == GUEST_STATE_STOPPED || g == delayed_resetting;
}

static int check_changes(void)
{
    for (uint32_t i = 0; i < NGUESTS; i++) {
        struct guest *g = &guests[i];
        struct p_guest *pg = &P.g[i];
        if (g->state == GUEST_STATE_UNCONFIGURED || g->state == GUEST_STATE_STOPPED)
            continue;
        if (!pg->present)
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_ACTIVE, 0, i);
        if (pg->partid != g->partid || pg->rombase != g->rom_base ||
            pg->romsize != g->rom_size)
            return fail(HVCTL_RES_GUEST, HVCTL_E_GUEST_ACTIVE, pg->node, i);
    }
    for (uint32_t i = 0; i < NVCPUS; i++) {
        struct vcpu *v = &vcpus[i];
        struct p_vcpu *pv = &P.v[i];
        if (v->state == CPU_STATE_UNCONFIGURED)
            continue;
        int same = pv->present && pv->strand == v->strand->id && pv->vid == v->vid &&
            pv->gid == v->guest->gid && pv->partid == v->partid;
        if (!same && v->state != CPU_STATE_STOPPED && v->state != CPU_STATE_ERROR)
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_REBIND_NA, pv->present ? pv->node : 0, i);
    }
    /* a new vCPU on a strand another vCPU keeps */
    for (uint32_t i = 0; i < NVCPUS; i++) {
        struct p_vcpu *pv = &P.v[i];
        if (!pv->present)
            continue;
        struct vcpu *o = strands[pv->strand].vcpu;
        if (o && o->res_id != i && P.v[o->res_id].present &&
            P.v[o->res_id].strand == pv->strand)
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_INVALID_STRANDID, pv->node, i);
        if (o && o->res_id != i && o->state != CPU_STATE_STOPPED &&
            o->state != CPU_STATE_ERROR)
            return fail(HVCTL_RES_VCPU, HVCTL_E_VCPU_REBIND_NA, pv->node, i);
    }
    for (uint32_t i = 0; i < NMBLOCKS; i++) {
        struct mblock *m = &mblocks[i];
        struct p_mblock *pm = &P.m[i];
        if (!m->live)
            continue;
        int same = pm->present && pm->ra == m->ra && pm->pa == m->pa && pm->size == m->size &&
            pm->gid == m->guest->gid;
        if (!same && !not_running(m->guest))
            return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_GUEST_ACTIVE,
                        pm->present ? pm->node : 0, i);
    }
    /* new memory of a running guest may not be memory another running guest holds */
    for (uint32_t i = 0; i < NMBLOCKS; i++) {
        struct p_mblock *pm = &P.m[i];
        if (!pm->present)
            continue;
        for (uint32_t j = 0; j < NMBLOCKS; j++) {
            struct mblock *m = &mblocks[j];
            if (!m->live || j == i || not_running(m->guest))
                continue;
            if (pm->pa < m->pa + m->size && m->pa < pm->pa + pm->size)
                return fail(HVCTL_RES_MEMORY, HVCTL_E_MBLOCK_REBIND_NA, pm->node, i);
        }
    }
    return HVCTL_ST_OK;
}

/* ---- commit ------------------------------------------------------------------------------ */
static void unconfigure(void)
{
    /* channels and consoles of every guest are rebuilt below */
    for (uint32_t i = 0; i < NVCPUS; i++) {
        struct vcpu *v = &vcpus[i];
        struct p_vcpu *pv = &P.v[i];
        if (v->state == CPU_STATE_UNCONFIGURED)
            continue;
        if (pv->present && pv->strand == v->strand->id && pv->vid == v->vid &&
            pv->gid == v->guest->gid && pv->partid == v->partid)
            continue;
        v->guest->vcpus[v->vid] = 0;
        v->guest->nvcpus--;
        if (v->strand->vcpu == v)
            v->strand->vcpu = 0;
        v->state = CPU_STATE_UNCONFIGURED;
        v->guest = 0;
        v->strand = 0;
    }
    for (uint32_t i = 0; i < NMBLOCKS; i++) {
        struct mblock *m = &mblocks[i];
        struct p_mblock *pm = &P.m[i];
        if (m->live && !(pm->present && pm->ra == m->ra && pm->pa == m->pa &&
                         pm->size == m->size && pm->gid == m->guest->gid))
            m->live = 0;
    }
    for (uint32_t i = 0; i < NGUESTS; i++) {
        struct guest *g = &guests[i];
        if (g->state != GUEST_STATE_UNCONFIGURED && !P.g[i].present) {
            ldc_reset_guest(g);
            memset(g->ldc, 0, sizeof(g->ldc));
            g->state = GUEST_STATE_UNCONFIGURED;
            g->configured = 0;
        }
    }
}

static void configure(uint64_t hvmdp)
{
    config.stick_freq = P.stick;
    config.hvuart = P.hvuart;
    config.tod = P.tod;
    config.nstrands = P.nstrands;
    /* guests and their memory */
    for (uint32_t i = 0; i < NGUESTS; i++) {
        struct guest *g = &guests[i];
        struct p_guest *pg = &P.g[i];
        if (!pg->present)
            continue;
        if (g->state == GUEST_STATE_UNCONFIGURED) {
            g->state = GUEST_STATE_STOPPED;
            g->nvcpus = 0;
            memset(g->vcpus, 0, sizeof(g->vcpus));
            memset(g->ldc, 0, sizeof(g->ldc));
            guest_reset_state(g);
        }
        g->configured = 1;
        strlcpy(g->name, pg->name, sizeof(g->name));
        g->partid = (uint32_t)pg->partid;
        g->md_pa = pg->mdpa;
        g->md_size = pg->md_size;
        g->rom_base = pg->rombase;
        g->rom_size = pg->romsize;
        if (g->state == GUEST_STATE_STOPPED)
            g->tod_offset = pg->tod_offset;
        g->uartbase = pg->uartbase;
        g->cons_ino = pg->cons_ino;
        g->cdev_cfghandle = pg->cdev;
        g->vdev_cfghandle = pg->vdev;
        g->nmblocks = 0;
        struct mblock *base = 0;
        for (uint32_t k = 0; k < pg->nmb; k++) {
            uint32_t id = pg->mb[k];
            struct mblock *m = &mblocks[id];
            struct p_mblock *pm = &P.m[id];
            m->ra = pm->ra;
            m->pa = pm->pa;
            m->size = pm->size;
            m->guest = g;
            m->live = 1;
            g->mblocks[g->nmblocks++] = m;
            if (!base || m->ra < base->ra)
                base = m;
        }
        g->real_base = base->ra;
        g->base_pa = base->pa;
        g->base_size = base->size;
    }
    /* vCPUs: bound STOPPED; their strands run the idle loop */
    for (uint32_t i = 0; i < NVCPUS; i++) {
        struct vcpu *v = &vcpus[i];
        struct p_vcpu *pv = &P.v[i];
        if (!pv->present || v->state != CPU_STATE_UNCONFIGURED)
            continue;
        struct guest *g = &guests[pv->gid];
        struct strand *s = &strands[pv->strand];
        v->guest = g;
        v->strand = s;
        v->vid = pv->vid;
        v->partid = pv->partid;
        v->yield_count = v->yield_start = 0;
        v->last_yield_vcpu = v->last_yield_guest = 0;
        v->start_stick = v->util_last = 0;
        v->hcalls = v->traps = v->misses = 0;
        vcpu_reset_state(v);
        g->vcpus[pv->vid] = v;
        g->nvcpus++;
        s->vcpu = v;
        v->state = CPU_STATE_STOPPED;
        if (!s->start_sent && s != this_strand()) {
            s->start_sent = 1;
            strand_start(s->id);
        }
    }
    /* channels: endpoints of every configured guest, from the MD */
    for (uint32_t i = 0; i < NGUESTS; i++) {
        struct guest *g = &guests[i];
        if (!P.g[i].present)
            continue;
        for (int c = 0; c < MAX_LDC_CHANNELS; c++) {
            struct ldc_ep *e = &g->ldc[c];
            int keep = 0;
            for (uint32_t k = 0; k < NLDC_RES && e->live; k++) {
                struct p_ldc *l = &P.l[k];
                if (l->present && !l->hv && l->gid == i && l->channel == (uint32_t)c &&
                    l->target_type == e->target_type && l->tx_ino == e->tx_ino &&
                    l->rx_ino == e->rx_ino &&
                    (l->target_type == LDC_HV_ENDPOINT ||
                     (e->peer_guest == &guests[l->target_gid] &&
                      e->peer_channel == l->target_channel)))
                    keep = 1;
            }
            if (e->live && !keep) {
                e->tx_size = e->rx_size = 0;
                e->live = 0;
            }
        }
        for (int ino = 0; ino < NINOS; ino++)
            g->vinos[ino].live = 0;
    }
    memset(&config.hvctl_ep, 0, sizeof(config.hvctl_ep));
    for (uint32_t k = 0; k < NLDC_RES; k++) {
        struct p_ldc *l = &P.l[k];
        if (!l->present)
            continue;
        if (l->hv) {
            struct ldc_ep *h = &config.hvctl_ep;
            h->live = 1;
            h->channel = l->channel;
            h->resource_id = k;
            h->target_type = LDC_GUEST_ENDPOINT;
            h->owner = 0;
            h->peer_guest = &guests[l->target_gid];
            h->peer_channel = l->target_channel;
            h->svc_id = l->svc_id;
            continue;
        }
        struct guest *g = &guests[l->gid];
        struct ldc_ep *e = &g->ldc[l->channel];
        if (!e->live) {
            memset(e, 0, sizeof(*e));
            e->live = 1;
        }
        e->channel = l->channel;
        e->resource_id = k;
        e->target_type = l->target_type;
        e->owner = g;
        e->peer_guest = l->target_type == LDC_GUEST_ENDPOINT ? &guests[l->target_gid] : 0;
        e->peer_channel = l->target_channel;
        e->tx_ino = l->tx_ino;
        e->rx_ino = l->rx_ino;
        g->vinos[l->tx_ino].live = 1;
        g->vinos[l->rx_ino].live = 1;
    }
    config.active_hvmd = hvmdp;
}

int reconfigure(uint64_t hvmdp, struct hvctl_rc_fail *fail_out, int apply)
{
    struct md md;
    int st;
    spin_lock(&config.reconf_lock);
    F = fail_out;
    memset(&P, 0, sizeof(P));
    if (hvmdp < HV_MDAREA_BASE || hvmdp >= HV_MDAREA_BASE + HV_MDAREA_SIZE ||
        (hvmdp & (MD_ALIGNMENT - 1)) ||
        md_init(&md, (const void *)hvmdp, HV_MDAREA_BASE + HV_MDAREA_SIZE - hvmdp) != 0) {
        spin_unlock(&config.reconf_lock);
        return HVCTL_ST_BADMD;
    }
    if ((st = parse_root(&md)) != HVCTL_ST_OK || (st = parse_guests(&md)) != HVCTL_ST_OK ||
        (st = parse_mblocks(&md)) != HVCTL_ST_OK || (st = parse_vcpus(&md)) != HVCTL_ST_OK ||
        (st = parse_ldcs(&md)) != HVCTL_ST_OK || (st = parse_consoles(&md)) != HVCTL_ST_OK ||
        (apply && (st = check_changes()) != HVCTL_ST_OK)) {
        spin_unlock(&config.reconf_lock);
        return st;
    }
    if (apply) {
        unconfigure();
        configure(hvmdp);
    }
    spin_unlock(&config.reconf_lock);
    return HVCTL_ST_OK;
}

void reconf_delayed_apply(struct guest *g)
{
    struct hvctl_rc_fail fail;
    memset(&fail, 0, sizeof(fail));
    uint64_t mdp = config.parse_hvmd;
    config.del_reconf_gid = HVCTL_INVALID_GID;
    config.parse_hvmd = 0;
    delayed_resetting = g;
    int st = reconfigure(mdp, &fail, 1);
    delayed_resetting = 0;
    if (st != HVCTL_ST_OK)
        hv_printf("guest %s: delayed reconfiguration refused: status %d, resource %u, "
                  "code %u\n", g->name, st, fail.res, fail.code);
    else
        hv_printf("guest %s: delayed reconfiguration applied (MD %#lx)\n", g->name, mdp);
}
