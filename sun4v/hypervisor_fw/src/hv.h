/*
 * The firmware hypervisor's own definitions: its limits, its data structures (strands,
 * guests, vCPUs, memory blocks, LDC endpoints, consoles) and the functions its files
 * share.  Public interfaces are in ../include/sun4v/.
 *
 * One concept per file: start.S (reset entry), traptable.S (HTBA and the guest-trap
 * glue), main.c (power-on: strands, first configuration), chip.c (T1/T2 differences:
 * strand start/halt, TLB loads, the T2 table walk registers), md_hv.c (HV MD parse and
 * validation), reconf.c (reconfigure: check, unconfigure, configure, commit), guest.c
 * (guest life cycle), watchdog.c (mach_set_watchdog), vcpu.c (vCPU life cycle and launch), xcall.c (strand-to-strand
 * messages), hcall.c (dispatch, API groups, core calls), mmu.c (MMU calls and the miss
 * path), intr.c (queues, cpu/dev mondos, vintr), mem.c (RA checks, scrub, sync),
 * cons.c (consoles), ldc.c (channels), hvctl.c (the control protocol), trap.c (guest
 * traps the hypervisor takes and re-vectors), print.c (the hypervisor's UART).
 */
#ifndef HV_H
#define HV_H

#include <fwlib.h>
#include <sun4v/hypervisor.h>
#include <sun4v/mmu.h>
#include <sun4v/asi.h>
#include <sun4v/traps.h>
#include <sun4v/md.h>
#include <sun4v/ldc.h>
#include <sun4v/hvctl.h>
#include "layout.h"

/* ---- limits --------------------------------------------------------------------------- */
#define NVCPUS              NSTRANDS_MAX    /* vCPU resource ids (= strand of first bind) */
#define NGUESTS             32
#define NMBLOCKS            128         /* memory block resource ids */
#define GUEST_MBLOCKS       8           /* memory blocks of one guest */
#define MAX_LDC_CHANNELS    32          /* channels of one guest */
#define NLDC_RES            256         /* ldc_endpoint resource ids */
#define NINOS               64          /* virtual devinos of one guest */
#define NPERMMAPS           MAX_PERM_MAPPINGS
#define MAX_RA              (1UL << 40)

/* ---- fixed addresses (the Legion map, reference/sun4v.md §7) --------------------------- */
#define HV_MEMBASE          0x00100000UL    /* hypervisor RAM */
#define HV_MEMSIZE          (63UL << 20)
#define HV_MD_ROM           0x1f12080000UL  /* the HV MD at power-on (64 KB ROM) */
#define HV_MD_ROM_SIZE      0x10000UL
#define HV_UART             0xfff0c2c000UL
#define HV_TOD              0xfff0c1fff8UL
#define BOOT_ROM            0xfff0000000UL
#define BOOT_ROM_SIZE       0x800000UL
#define GUEST_UART0         0x1f10000000UL
#define GUEST_UART_STEP     0x2000UL
#define GUEST_UARTS_MAX     8
#define IO_BIT              (1UL << 39)
#define DEVICE_HOLE         0x1f00000000UL  /* device windows, not RAM (to 0x20_0000_0000) */
#define DEVICE_HOLE_END     0x2000000000UL

/* ---- interrupt vectors the hypervisor uses (ASI 0x73 dispatch) ------------------------ */
#define VEC_XCALL           1           /* strand-to-strand message waiting */

/* ---- chips ------------------------------------------------------------------------------ */
#define CHIP_T1             1
#define CHIP_T2             2

/* ---- data structures -------------------------------------------------------------------- */
struct guest;
struct vcpu;
struct strand;

struct mblock {
    uint64_t        ra;             /* real base */
    uint64_t        pa;             /* physical base */
    uint64_t        size;
    uint32_t        resource_id;
    uint32_t        live;
    struct guest    *guest;
};

/* one end of an LDC channel owned by a guest (or the hypervisor's hvctl end) */
struct ldc_ep {
    uint32_t        live;
    uint32_t        channel;
    uint32_t        resource_id;
    uint32_t        target_type;    /* LDC_GUEST_ENDPOINT / LDC_HV_ENDPOINT */
    struct guest    *owner;         /* NULL: the hypervisor's end */
    struct guest    *peer_guest;
    uint32_t        peer_channel;
    uint32_t        svc_id;         /* hypervisor end: 1 = hvctl */
    uint32_t        tx_ino, rx_ino;
    uint64_t        tx_ra, tx_pa, tx_size;  /* bytes; 0 = not configured */
    uint64_t        rx_ra, rx_pa, rx_size;
    volatile uint64_t tx_head, tx_tail;
    volatile uint64_t rx_head, rx_tail;
    uint32_t        tx_reset, rx_reset;     /* report RESET once */
    uint64_t        map_ra, map_entries;
};

/* a virtual interrupt (vintr) of a guest: LDC tx/rx inos */
struct vino {
    uint64_t        cookie;
    uint32_t        valid;
    uint32_t        state;          /* INTR_IDLE / INTR_DELIVERED */
    uint32_t        target;         /* vCPU id */
    uint32_t        live;
};

struct perm_map {
    uint64_t        va;
    uint64_t        tte;            /* with the PA; V clear when unused */
    uint64_t        flags;
    uint64_t        cpuset[NSTRANDS_MAX / 64];
};

struct guest {
    uint32_t        gid;
    volatile uint32_t state;        /* GUEST_STATE_* */
    uint32_t        partid;
    uint32_t        configured;
    char            name[32];
    spinlock_t      lock;
    struct mblock   *mblocks[GUEST_MBLOCKS];
    uint32_t        nmblocks;
    uint64_t        real_base;      /* lowest real address */
    uint64_t        base_pa, base_size;     /* its memory block */
    uint64_t        rom_base, rom_size;
    uint64_t        md_pa, md_size;
    uint64_t        tod_offset;
    uint64_t        uartbase;       /* 0: no console */
    uint64_t        cons_ino;
    uint64_t        vdev_cfghandle, cdev_cfghandle;
    struct vcpu     *vcpus[NVCPUS]; /* by vid */
    uint32_t        nvcpus;
    uint32_t        api_major[16], api_minor[16];   /* by group index (hcall.c) */
    struct ldc_ep   ldc[MAX_LDC_CHANNELS];
    struct vino     vinos[NINOS];
    struct perm_map perm[NPERMMAPS];
    spinlock_t      perm_lock;
    uint64_t        start_stick;
    uint64_t        util_last;
    uint64_t        watchdog_deadline;  /* %stick value; 0: not armed */
    uint32_t        watchdog_strand;    /* whose HSTICK_CMPR times it */
    uint64_t        soft_state;
    char            soft_state_str[SOFT_STATE_SIZE];
    uint32_t        async_busy;
    uint64_t        exit_code;
};

struct vcpu {
    uint32_t        res_id;
    uint32_t        vid;
    volatile uint32_t state;        /* CPU_STATE_* */
    uint32_t        partid;
    struct guest    *guest;
    struct strand   *strand;
    uint64_t        rtba;
    uint64_t        start_pc, start_arg;
    uint64_t        mmu_area_ra, mmu_area_pa;
    uint32_t        ntsb[2];        /* [0] ctx0, [1] ctxnon0 */
    struct hv_tsb_descr tsb[2][MAX_TSBS];
    uint64_t        tsb_pa[2][MAX_TSBS];
    uint64_t        q_ra[4], q_pa[4], q_size[4];    /* by queue id - 0x3c; bytes */
    uint64_t        mmu_enabled;
    /* cpu mondo mailbox (cpu_mondo_send) */
    volatile uint64_t mbox_busy;
    uint64_t        mbox[8];
    /* device mondos waiting for this vCPU's queue */
    volatile uint64_t devq_pending; /* bit n: guest vino n */
    /* utilisation (%stick ticks) */
    volatile uint64_t yield_start;  /* nonzero while yielded */
    volatile uint64_t yield_count;
    uint64_t        last_yield_vcpu, last_yield_guest;
    uint64_t        start_stick, util_last;
    uint64_t        stop_stick;     /* when it last stopped (0 while it runs) */
    /* statistics */
    uint64_t        hcalls, traps, misses;
};

/* strand-to-strand messages (xcall.c) */
#define XC_NONE             0
#define XC_SCHED_VCPU       1           /* launch arg (a vcpu) on this strand */
#define XC_STOP_VCPU        2           /* stop the vcpu running here */
#define XC_STOP_GUEST       3           /* stop arg's guest (exit path) */
#define XC_RESET_GUEST      4           /* mach_sir */
#define XC_POKE             5           /* look at mailboxes and queues */
#define XC_PANIC_VCPU       6           /* hvctl guest_panic: a forced-panic error */
#define XC_RING             16

struct xmsg {
    uint64_t        cmd;
    uint64_t        arg;
};

struct strand {
    uint32_t        id;
    uint32_t        started;
    struct vcpu     *vcpu;          /* bound vCPU or NULL */
    uint64_t        stack_top;      /* biased %sp for C */
    uint64_t        guest_hpstate;  /* HPSTATE to enter a guest with */
    /* trap frame: the guest's %o0-%o7 at trap entry, the action asked of the glue */
    uint64_t        o[8];
    uint64_t        action;         /* ACT_* */
    uint64_t        revec_pc;
    uint64_t        tt;
    volatile uint64_t probe;        /* pa_readable: 1 armed, 2 the access faulted */
    struct launch {                 /* hv_enter_guest's input */
        uint64_t    pc, rtba, arg, partid, hpstate, real_base, real_size;
    } launch;
    /* messages */
    spinlock_t      xlock;
    uint64_t        xhead, xtail;
    struct xmsg     xring[XC_RING];
    uint64_t        tlb_real_rr;    /* T2: next real range register to replace */
    uint32_t        running;        /* its vCPU is in the guest (trapped into the HV) */
    uint32_t        start_sent;     /* strand_start sent (it runs the idle loop) */
    uint32_t        panic_pending;  /* deliver nonresumable_error (0x7F) to its vCPU */
} __attribute__((aligned(STRAND_SIZE)));


struct config {
    int             chip;           /* CHIP_T1 / CHIP_T2 */
    uint32_t        nstrands;
    uint32_t        vcid_mask;
    uint64_t        stick_freq;
    uint64_t        hvuart;
    uint64_t        tod;
    uint64_t        active_hvmd;    /* PA of the accepted HV MD */
    uint64_t        parse_hvmd;     /* delayed reconfiguration's MD */
    uint32_t        del_reconf_gid;
    spinlock_t      reconf_lock;
    spinlock_t      print_lock;
    /* hvctl */
    uint32_t        hvctl_state;
    uint16_t        hvctl_zeus_seq, hvctl_hv_seq;
    uint64_t        hvctl_rand;
    struct ldc_ep   hvctl_ep;       /* the hypervisor's end */
    uint64_t        hvctl_out[16][8];   /* replies waiting for room in the RX queue */
    uint32_t        hvctl_out_head, hvctl_out_tail;
    spinlock_t      hvctl_lock;
    uint64_t        boot_stick;
    uint32_t        panicked;
};

extern struct config config;
extern struct strand strands[NSTRANDS_MAX];
extern struct guest guests[NGUESTS];
extern struct vcpu vcpus[NVCPUS];
extern struct mblock mblocks[NMBLOCKS];

/* ---- low-level (start.S, traptable.S, chip.c) ------------------------------------------- */
static inline struct strand *this_strand(void)
{
    struct strand *s;
    __asm__ __volatile__("ldxa [%%g0] 0x4f, %0" : "=r"(s));
    return s;
}

static inline uint64_t read_stick(void)
{
    uint64_t v;
    __asm__ __volatile__("rd %%asr24, %0" : "=r"(v));
    return v & ~(1UL << 63);
}

#define LDXA(va, asi) ({ uint64_t _v; __asm__ __volatile__("ldxa [%1] " #asi ", %0" \
                         : "=r"(_v) : "r"((uint64_t)(va))); _v; })
#define STXA(v, va, asi) __asm__ __volatile__("stxa %0, [%1] " #asi \
                         :: "r"((uint64_t)(v)), "r"((uint64_t)(va)) : "memory")

/* chip.c */
void chip_init(void);
void strand_start(uint32_t id);
void strand_halt(void);
void strand_send_vec(uint32_t target, uint32_t vec);
uint32_t strand_take_vecs(void);
void tlb_load(int itlb, uint64_t va, uint64_t ctx, uint64_t tte, int real);
void tlb_demap_all_partition(void);
void tlb_demap(int op, int flags, uint64_t va, uint64_t ctx);
void chip_set_tsbs(struct vcpu *v);
void chip_set_ranges(struct guest *g);
void chip_clear_guest_state(void);

/* print.c */
void hv_putc(int c);
void hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hv_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void hv_poweroff(uint64_t code) __attribute__((noreturn));

/* mem.c */
int ra2pa(struct guest *g, uint64_t ra, uint64_t len, uint64_t *pa);
int pa_readable(uint64_t pa);
int ra_is_io(uint64_t ra);
uint64_t mem_scrub(struct guest *g, uint64_t ra, uint64_t len, uint64_t *done);
uint64_t mem_sync(struct guest *g, uint64_t ra, uint64_t len, uint64_t *done);

/* vcpu.c */
void vcpu_launch(struct strand *s, struct vcpu *v) __attribute__((noreturn));
void vcpu_stop_local(struct strand *s);
int vcpu_start(struct vcpu *self, uint64_t cpuid, uint64_t pc, uint64_t rtba,
               uint64_t arg);
int vcpu_stop(struct vcpu *self, uint64_t cpuid);
void vcpu_yield(struct vcpu *v);
void vcpu_reset_state(struct vcpu *v);
struct vcpu *guest_vcpu(struct guest *g, uint64_t vid);

/* guest.c */
int guest_start(struct guest *g);
void guest_exit(struct guest *g, uint64_t code, int reset);
void guest_stop_here(struct guest *g, int reset);
void guest_reset_state(struct guest *g);

/* xcall.c */
void xcall_send(uint32_t target, uint64_t cmd, uint64_t arg);
void xcall_poll(struct strand *s);
int xcall_pending(struct strand *s);
void strand_idle(struct strand *s) __attribute__((noreturn));

/* intr.c */
int queue_append(struct vcpu *v, int q, const uint64_t *entry);
void intr_forced_panic(struct strand *s);
void intr_deliver_pending(struct strand *s);
int cpu_mondo_send(struct vcpu *self, uint64_t n, uint64_t list_ra, uint64_t data_ra);
void vino_raise(struct guest *g, uint32_t ino);
uint64_t hcall_intr(struct strand *s, uint64_t fn);

/* mmu.c */
uint64_t hcall_mmu(struct strand *s, uint64_t fn);
uint64_t mmu_map_addr_fast(struct strand *s);
uint64_t mmu_unmap_addr_fast(struct strand *s);
uint64_t mmu_miss(struct strand *s, uint64_t tt);
uint64_t mmu_real_miss(struct strand *s, uint64_t tt);
uint64_t mmu_invalid_tsb_entry(struct strand *s, uint64_t tt);
void mmu_perm_reload(struct vcpu *v);

/* trap.c */
uint64_t revector(struct strand *s, uint64_t tt, uint64_t pc);
uint64_t fault_revector(struct strand *s, uint64_t tt, int d, uint64_t ft,
                        uint64_t addr, uint64_t ctx);
void guest_watchdog(struct strand *s);

/* cons.c: cons_getchar gives a character, CONS_BREAK, CONS_HUP or CONS_NONE */
#define CONS_NONE           (-3)
int cons_putchar(struct guest *g, uint64_t c);
int64_t cons_getchar(struct guest *g);

/* ldc.c */
uint64_t hcall_ldc(struct strand *s, uint64_t fn);
void ldc_reset_guest(struct guest *g);
void ldc_pump(struct ldc_ep *tx);
void hvctl_send(const void *msg64);
struct ldc_ep *ldc_peer(struct ldc_ep *e);

/* hvctl.c */
void hvctl_receive(const uint64_t *pkt);
void hvctl_guest_state_notify(struct guest *g);

/* reconf.c */
int reconfigure(uint64_t hvmdp, struct hvctl_rc_fail *fail, int apply);
void reconf_delayed_apply(struct guest *g);

/* watchdog.c */
uint64_t mach_set_watchdog(struct strand *s, struct guest *g, uint64_t ms);
void watchdog_tick(struct strand *s);
int hstick_pending(void);

/* hcall.c */
int api_supported(struct guest *g, uint32_t group, uint32_t minmajor, uint32_t minminor);

#endif /* HV_H */
