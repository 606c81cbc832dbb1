/* The hostile guest: tries to reach outside its domain every way a privileged guest
   can, and checks that each attempt gets its architected error or trap (reference/
   sun4v.md §1.3, §2, §3, §6).  Workload parameter `target` (a physical address of
   another domain's memory, which the test fills with a canary) is what it aims at.
   Each attack prints "ok ATTACK" or "FAIL ATTACK: ..."; then "hostile: N attacks, F got
   through"; last, it takes a guest watchdog (a trap at TL = MAXPTL) whose real-mode
   handler exits the guest with 0x57. */
#include "rt.h"
#include <sun4v/hvctl.h>

static int attacks, through;
static volatile unsigned long trap_tt, trap_count, expect_trap;
static struct hv_fault_area fault_area __attribute__((aligned(64)));
static uint8_t buf[16384] __attribute__((aligned(8192)));
extern char wdr_table[];

#define CHECK(name, cond, ...) do {                                                 \
        attacks++;                                                                  \
        if (cond) {                                                                 \
            printf("ok %s\n", name);                                                \
        } else {                                                                    \
            through++;                                                              \
            printf("FAIL %s: ", name);                                              \
            printf(__VA_ARGS__);                                                    \
            printf("\n");                                                           \
        }                                                                           \
    } while (0)

#define REFUSED(name, call, want) do {                                              \
        struct hv_ret _r = (call);                                                  \
        CHECK(name, _r.status == (want), "status %ld, want %d", _r.status, (want)); \
    } while (0)

/* run `stmt` expecting one trap of type `tt` (skipped by the handler) */
#define TRAPS(name, tt, stmt) do {                                                  \
        trap_count = 0;                                                             \
        expect_trap = 1;                                                            \
        stmt;                                                                       \
        expect_trap = 0;                                                            \
        CHECK(name, trap_count == 1 && trap_tt == (tt), "traps %lu, tt %#lx, want %#x",\
              trap_count, trap_tt, (tt));                                           \
    } while (0)

int guest_trap(unsigned long tt, unsigned long tpc, unsigned long tl)
{
    if (expect_trap) {
        trap_tt = tt;
        trap_count++;
        return 0;
    }
    return rt_unexpected_trap(tt, tpc, tl);
}

void secondary_main(unsigned long vid)
{
    rt_idle(100000);
}

int main(unsigned long real_base)
{
    rt_real_base = real_base;
    htrap(0xff, API_GROUP_CORE, 1, 1, 0, API_SET_VERSION);
    htrap(0xff, API_GROUP_LDC, 1, 0, 0, API_SET_VERSION);
    htrap(0xff, API_GROUP_INTR, 2, 0, 0, API_SET_VERSION);
    if (rt_read_md() != 0)
        guest_exit(0xe2);
    unsigned long target = rt_workload_val("target", 0x8000000UL);
    HC1(MMU_FAULT_AREA_CONF, ra_of(&fault_area));
    printf("%s: hostile guest, target PA %#lx\n", rt_domain_name(), target);
    unsigned long v = 0;

    /* 1. memory outside its blocks, as real addresses (ASI_REAL) */
    unsigned long ras[] = { target, 0, 0x100000, HV_MDAREA_BASE, 0x8000000,
                            rt_real_base - 8192, 1UL << 39, 0xfff0000000UL };
    for (unsigned i = 0; i < ARRAY_SIZE(ras); i++) {
        char name[64];
        snprintf(name, sizeof(name), "load real %#lx", ras[i]);
        TRAPS(name, TT_DAX, v = ld_real(ras[i]));
        CHECK("... fault area: invalid RA", fault_area.d_type == MMU_FT_INVALIDRA &&
              fault_area.d_addr == (ras[i] & ~0x1fffUL), "type %lu addr %#lx",
              fault_area.d_type, fault_area.d_addr);
        snprintf(name, sizeof(name), "store real %#lx", ras[i]);
        TRAPS(name, TT_DAX, st_real(ras[i], 0xbadbadbadUL));
    }
    /* 2. through the MMU: mappings of foreign real addresses are refused */
    unsigned long tte = TTE_V | TTE_CP | TTE_P | TTE_W | TTE_8K;
    REFUSED("mmu_map_addr of the target", htrap(0x83, 0x5000000000UL, 0, tte | target,
                                               MAP_DTLB, 0), ENORADDR);
    REFUSED("mmu_map_perm_addr of the target", hcall(MMU_MAP_PERM_ADDR, 0x5000000000UL, 0,
                                                     tte | target, MAP_DTLB, 0), ENORADDR);
    /* the 256M page holding its last byte runs past its end unless the end is 256M
       aligned; then the page at its end, wholly outside */
    uint64_t msize = 0;
    md_get_val(&rt_md, md_find_node(&rt_md, -1, "mblock"), "size", &msize);
    unsigned long end = rt_real_base + msize;
    unsigned long big = (end - 1) & ~((1UL << 28) - 1);
    if (big + (1UL << 28) <= end)
        big = end;
    REFUSED("mmu_map_addr 256M page over its own end",
            htrap(0x83, 0x6000000000UL, 0, (tte & ~0xfUL) | TTE_256M | big, MAP_DTLB, 0),
            ENORADDR);
    static struct hv_tsb_entry tsb[512] __attribute__((aligned(8192)));
    static struct hv_tsb_descr d __attribute__((aligned(16)));
    unsigned long va = 0x7000000000UL;
    tsb[(va >> 13) & 511].tag = va >> 22;
    tsb[(va >> 13) & 511].data = tte | target;
    d = (struct hv_tsb_descr){ TTE_8K, 1, 512, 0, 1, ra_of(tsb), 0 };
    HC2(MMU_TSB_CTX0, 1, ra_of(&d));
    TRAPS("TSB entry with the target's address", TT_DAX,
          __asm__ __volatile__("ldx [%1], %0" : "=r"(v) : "r"(va) : "memory"));
    CHECK("... fault area: invalid TSB entry", fault_area.d_type == MMU_FT_INVTSBENTRY,
          "type %lu", fault_area.d_type);
    HC2(MMU_TSB_CTX0, 0, 0);
    d.tsb_base = target;
    REFUSED("TSB placed over the target", HC2(MMU_TSB_CTX0, 1, ra_of(&d)), ENORADDR);
    REFUSED("TSB descriptors read from the target", HC2(MMU_TSB_CTX0, 1, target), ENORADDR);
    /* 3. hypervisor calls aimed at foreign memory */
    REFUSED("cpu_qconf over the target", HC3(CPU_QCONF, CPU_MONDO_QUEUE, target, 8), ENORADDR);
    REFUSED("mmu_fault_area_conf on the target", HC1(MMU_FAULT_AREA_CONF, target), ENORADDR);
    REFUSED("mach_desc into the target", HC2(MACH_DESC, target, 65536), ENORADDR);
    REFUSED("mem_scrub of the target", HC2(MEM_SCRUB, target, 8192), ENORADDR);
    REFUSED("cons_write from the target", HC2(CONS_WRITE, target, 8), ENORADDR);
    REFUSED("cons_read into the target", HC2(CONS_READ, target, 8), ENORADDR);
    REFUSED("cpu_set_rtba to the target", HC1(CPU_SET_RTBA, target), ENORADDR);
    REFUSED("cpu_start at the target", HC4(CPU_START, 1, target, rt_real_base, 0), ENORADDR);
    REFUSED("mmu_enable to... (bad arg)", HC2(MMU_ENABLE, 7, 0), EINVAL);
    int ds = md_find_node(&rt_md, -1, "domain-services-port");
    uint64_t ch = 0;
    md_get_val(&rt_md, ds, "id", &ch);
    REFUSED("ldc_tx_qconf over the target", HC3(LDC_TX_QCONF, ch, target, 8), ENORADDR);
    REFUSED("ldc_rx_qconf over the target", HC3(LDC_RX_QCONF, ch, target, 8), ENORADDR);
    REFUSED("ldc_set_map_table on the target", HC3(LDC_SET_MAP_TABLE, ch, target, 4), ENORADDR);
    REFUSED("ldc_copy into the target", hcall(LDC_COPY, ch, LDC_COPY_IN, 0, target, 64),
            ENORADDR);
    REFUSED("ldc_copy of hypervisor memory (not the hvctl channel)",
            hcall(LDC_COPY, ch, LDC_COPY_IN, HV_MDAREA_BASE, ra_of(buf), 64), EINVAL);
    for (uint64_t c = 0; c < 32; c++)
        if (c != ch && HC1(LDC_TX_QINFO, c).status != ECHANNEL) {
            CHECK("another domain's channel", 0, "channel %lu answers", c);
            break;
        }
    REFUSED("a channel it does not have", HC3(LDC_TX_QCONF, 5, ra_of(buf), 8), ECHANNEL);
    /* 3b. ranges that start in its memory and run past its end */
    REFUSED("mach_desc across its end", HC2(MACH_DESC, end - 16, 65536), ENORADDR);
    REFUSED("cons_write across its end", HC2(CONS_WRITE, end - 4, 64), ENORADDR);
    REFUSED("cons_read across its end", HC2(CONS_READ, end - 4, 64), ENORADDR);
    REFUSED("mem_scrub across its end", HC2(MEM_SCRUB, end - 8192, 16384), ENORADDR);
    REFUSED("mem_sync across its end", HC2(MEM_SYNC, end - 8192, 16384), ENORADDR);
    REFUSED("ldc_copy across its end", hcall(LDC_COPY, ch, LDC_COPY_IN, 0, end - 8, 64),
            ENORADDR);
    REFUSED("mmu_fault_area_conf across its end", HC1(MMU_FAULT_AREA_CONF, end - 64),
            ENORADDR);
    REFUSED("TSB descriptors across its end", HC2(MMU_TSB_CTX0, 2, end - 32), ENORADDR);
    static uint16_t xlist[32] __attribute__((aligned(64)));
    REFUSED("cpu_mondo_send list across its end", HC3(CPU_MONDO_SEND, 8, end - 2,
                                                     ra_of(xlist)), ENORADDR);
    /* 4. other domains' vCPUs */
    static uint16_t list[8] __attribute__((aligned(8)));
    static unsigned long data[8] __attribute__((aligned(64)));
    unsigned long mine = (unsigned long)md_node_count(&rt_md, "cpu");
    for (unsigned long id = mine; id < mine + 4; id++) {
        REFUSED("cpu_start of a vCPU not its own", HC4(CPU_START, id, ra_of(secondary),
                                                     rt_real_base, 0), ENOCPU);
        REFUSED("cpu_stop of a vCPU not its own", HC1(CPU_STOP, id), ENOCPU);
        REFUSED("cpu_state of a vCPU not its own", HC1(CPU_STATE, id), ENOCPU);
        list[0] = (uint16_t)id;
        REFUSED("cpu_mondo_send to a vCPU not its own",
                HC3(CPU_MONDO_SEND, 1, ra_of(list), ra_of(data)), ENOCPU);
        REFUSED("vintr_set_target to a vCPU not its own",
                HC3(VINTR_SET_TARGET, 0x200, 2 * ch, id), ENOCPU);
    }
    REFUSED("cpu_mondo_send to 0xfffe", (list[0] = 0xfffe,
            HC3(CPU_MONDO_SEND, 1, ra_of(list), ra_of(data))), ENOCPU);
    /* 5. hyperprivileged instructions, registers and ASIs */
    TRAPS("rdhpr %hpstate", TT_ILLINST, __asm__ __volatile__("rdhpr %%hpstate, %0" : "=r"(v)));
    TRAPS("wrhpr %htba", TT_ILLINST, __asm__ __volatile__("wrhpr %%g0, %%htba" ::: "memory"));
    TRAPS("wrhpr %hpstate (become hyperprivileged)", TT_ILLINST,
          __asm__ __volatile__("wrhpr %0, %%hpstate" :: "r"(4UL)));
    TRAPS("sir", TT_ILLINST, __asm__ __volatile__("sir 0"));
    TRAPS("hyperprivileged scratchpad (ASI 0x4f)", TT_PRIV_ACTION,
          __asm__ __volatile__("ldxa [%%g0] 0x4f, %0" : "=r"(v)));
    TRAPS("write the partition ID (ASI 0x58 VA 0x80)", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %0, [%1] 0x58" :: "r"(0UL), "r"(0x80UL) : "memory"));
    TRAPS("read the partition ID", TT_PRIV_ACTION,
          __asm__ __volatile__("ldxa [%1] 0x58, %0" : "=r"(v) : "r"(0x80UL)));
    TRAPS("DTLB data-in (insert a translation)", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %0, [%%g0] 0x5c" :: "r"(tte | target) : "memory"));
    TRAPS("ITLB data access", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %0, [%%g0] 0x55" :: "r"(tte | target) : "memory"));
    TRAPS("DTLB demap (ASI 0x5f)", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %%g0, [%0] 0x5f" :: "r"(0x80UL) : "memory"));
    TRAPS("LSU control (ASI 0x45)", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %%g0, [%%g0] 0x45" ::: "memory"));
    TRAPS("interrupt dispatch to another strand (ASI 0x73)", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %0, [%%g0] 0x73" :: "r"((3UL << 16) | (1 << 8)) : "memory"));
    TRAPS("strand running registers (ASI 0x41)", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %0, [%1] 0x41" :: "r"(0xffUL), "r"(0x68UL) : "memory"));
    TRAPS("T2 real range registers (ASI 0x52)", TT_PRIV_ACTION,
          __asm__ __volatile__("stxa %0, [%1] 0x52" :: "r"(~0UL), "r"(0x108UL) : "memory"));
    TRAPS("interrupt receive register (ASI 0x72)", TT_PRIV_ACTION,
          __asm__ __volatile__("ldxa [%%g0] 0x72, %0" : "=r"(v)));
    TRAPS("queue tail (written by the hypervisor only)", TT_DAX,
          __asm__ __volatile__("stxa %0, [%1] 0x25" :: "r"(64UL), "r"(0x3c8UL) : "memory"));
    /* 6. TLB demaps stay in its partition (the victims keep running) */
    REFUSED("mmu_demap_all", hcall(MMU_DEMAP_ALL, 0, 0, MAP_DTLB | MAP_ITLB, 0, 0), EOK);
    REFUSED("mmu_demap_ctx 0", hcall(MMU_DEMAP_CTX, 0, 0, 0, MAP_DTLB | MAP_ITLB, 0), EOK);
    /* 7. trap state tricks: done from a forged TSTATE does not give hyperprivilege */
    unsigned long hp = 0;
    TRAPS("rdhpr after a forged done", TT_ILLINST, do {
        __asm__ __volatile__(
            "wrpr %%g0, 1, %%tl\n\t"
            "setx 1f, %%g1, %%g2\n\t"
            "wrpr %%g2, %%tnpc\n\t"
            "setx (0x80 << 24) | (0x14 << 8), %%g1, %%g2\n\t"
            "wrpr %%g2, %%tstate\n\t"
            "done\n"
            "1:\trdhpr %%hpstate, %0\n\t"
            : "=r"(hp) :: "g1", "g2", "memory");
    } while (0));
    printf("hostile: %d attacks, %d got through\n", attacks, through);
    /* 8. a guest watchdog: the hypervisor enters RTBA + 0x40, MMU off -> exit 0x57 */
    HC1(CPU_SET_RTBA, ra_of(wdr_table));
    __asm__ __volatile__("wrpr %%g0, 2, %%tl\n\tta 0x30" ::: "memory");
    printf("FAIL watchdog: still running\n");
    return 0xee;
}
