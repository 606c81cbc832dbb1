/* Power-on: the master strand (the first one out of reset) initialises the hypervisor,
   takes the hypervisor MD from its ROM (0x1F_1208_0000; the platform's hv_md region)
   into the MD area, configures the machine from it through the same reconfigure path
   the control protocol uses (reconf.c; Sun's init.c "fake_reconfig"), and starts every
   configured guest (Sun's kickoff_guests: a guest_start for each).  Strands that carry
   vCPUs are started by the configuration; every strand then waits in the idle loop
   (xcall.c) for work.  The HV MD's root `hvuart` names this hypervisor's UART. */
#include "hv.h"

struct config config;
struct strand strands[NSTRANDS_MAX];
struct guest guests[NGUESTS];
struct vcpu vcpus[NVCPUS];
struct mblock mblocks[NMBLOCKS];

_Static_assert(sizeof(struct strand) == STRAND_SIZE, "strand size (layout.h)");
_Static_assert(__builtin_offsetof(struct strand, vcpu) == S_VCPU, "S_VCPU");
_Static_assert(__builtin_offsetof(struct strand, stack_top) == S_STACK, "S_STACK");
_Static_assert(__builtin_offsetof(struct strand, guest_hpstate) == S_GHPSTATE, "S_GHPSTATE");
_Static_assert(__builtin_offsetof(struct strand, o) == S_O, "S_O");
_Static_assert(__builtin_offsetof(struct strand, action) == S_ACTION, "S_ACTION");
_Static_assert(__builtin_offsetof(struct strand, revec_pc) == S_REVEC, "S_REVEC");
_Static_assert(__builtin_offsetof(struct strand, tt) == S_TT, "S_TT");
_Static_assert(__builtin_offsetof(struct strand, probe) == S_PROBE, "S_PROBE");
_Static_assert(__builtin_offsetof(struct strand, launch) == S_LAUNCH, "S_LAUNCH");
_Static_assert(__builtin_offsetof(struct launch, real_size) == L_REALSIZE, "L_REALSIZE");

static const char *chip_name(void)
{
    return config.chip == CHIP_T1 ? "UltraSPARC T1" : "UltraSPARC T2";
}

static void master_init(struct strand *s)
{
    chip_init();
    s->guest_hpstate = config.chip == CHIP_T1 ? 0x800 : 0;
    config.del_reconf_gid = HVCTL_INVALID_GID;
    config.boot_stick = read_stick();
    for (uint32_t i = 0; i < NGUESTS; i++) {
        guests[i].gid = i;
        guests[i].state = GUEST_STATE_UNCONFIGURED;
    }
    for (uint32_t i = 0; i < NVCPUS; i++) {
        vcpus[i].res_id = i;
        vcpus[i].state = CPU_STATE_UNCONFIGURED;
    }
    for (uint32_t i = 0; i < NMBLOCKS; i++)
        mblocks[i].resource_id = i;
    for (uint32_t i = 0; i < NSTRANDS_MAX; i++)
        strands[i].id = i;
    config.hvctl_ep.svc_id = 0;
    hv_printf("\nsun4v hypervisor (sun4v project firmware) on %s, strand %u\n",
              chip_name(), s->id);

    /* the HV MD: ROM -> MD area (the active MD must be readable through hvctl) */
    struct md md;
    const uint32_t *hdr = (const uint32_t *)HV_MD_ROM;
    uint64_t len = MD_HEADER_SIZE + (uint64_t)hdr[1] + hdr[2] + hdr[3];
    if (hdr[0] != MD_TRANSPORT_VERSION || len > HV_MD_ROM_SIZE ||
        md_init(&md, (const void *)HV_MD_ROM, HV_MD_ROM_SIZE) != 0)
        hv_panic("no valid hypervisor MD at %#lx", HV_MD_ROM);
    memcpy((void *)HV_MDAREA_BASE, (const void *)HV_MD_ROM, len);

    struct hvctl_rc_fail fail;
    memset(&fail, 0, sizeof(fail));
    int st = reconfigure(HV_MDAREA_BASE, &fail, 1);
    if (st != HVCTL_ST_OK)
        hv_panic("the hypervisor MD is refused: status %d, resource %u, code %u, "
                 "node %u, id %u", st, fail.res, fail.code, fail.nodeidx, fail.resid);
    uint32_t n = 0;
    for (uint32_t i = 0; i < NGUESTS; i++)
        n += guests[i].state != GUEST_STATE_UNCONFIGURED;
    hv_printf("%u strands, %u guests configured; stick %lu Hz\n", config.nstrands, n,
              config.stick_freq);
    for (uint32_t i = 0; i < NGUESTS; i++) {
        struct guest *g = &guests[i];
        if (g->state == GUEST_STATE_STOPPED && guest_start(g) != 0)
            hv_printf("guest %s: no vCPU to start\n", g->name);
    }
}

void hv_strand_main(uint32_t id, uint64_t not_master)
{
    struct strand *s = &strands[id];
    s->id = id;
    s->started = 1;
    if (!not_master)
        master_init(s);
    s->guest_hpstate = config.chip == CHIP_T1 ? 0x800 : 0;
    strand_idle(s);
}

/* Where the host finds the hypervisor's tables (sun4v/boot reads them for its summary
   and its tests): the symbols `guests`, `vcpus`, `strands`, `config` and this layout,
   one u64 each (HV_LAYOUT_MAGIC first). */
#define OFF(t, f)   ((uint64_t)__builtin_offsetof(struct t, f))
const uint64_t hv_layout[] = {
    0x73756e3476687600UL,                   /* "sun4vhv\0" */
    NGUESTS, sizeof(struct guest), OFF(guest, state), OFF(guest, partid),
    OFF(guest, name), OFF(guest, exit_code), OFF(guest, start_stick),
    NVCPUS, sizeof(struct vcpu), OFF(vcpu, state), OFF(vcpu, vid), OFF(vcpu, guest),
    OFF(vcpu, strand), OFF(vcpu, yield_count), OFF(vcpu, yield_start),
    OFF(vcpu, start_stick), OFF(vcpu, hcalls), OFF(vcpu, traps), OFF(vcpu, misses),
    OFF(vcpu, stop_stick),
    NSTRANDS_MAX, sizeof(struct strand), OFF(strand, id),
    OFF(config, panicked), OFF(config, active_hvmd), OFF(config, hvctl_state),
};
