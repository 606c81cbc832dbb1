/* The hypercall conformance guest: every hypercall of the API (include/sun4v/
   hypervisor.h) with valid arguments (status and effect) and with each kind of invalid
   argument (the architected error), on its boot vCPU, with vCPU 1 as a partner (started,
   stopped, sent mondos).  Run as the control domain, so it also has the hvctl channel and
   its own domain-services loopback pair (LDC).  Each check prints "ok NAME" or
   "FAIL NAME: ..."; the last line is "conformance: N checks, F failed" and the exit code
   is the number of failures.  Facts: reference/sun4v.md §1.4, §2, §3, §5, §6. */
#include "rt.h"
#include <sun4v/hvctl.h>

static int checks, failures;
static volatile unsigned long trap_tt, trap_count, expect_trap;
static volatile unsigned long mondo_word0, mondo_count, devmondo_cookie, devmondo_count;
static unsigned long cpu_q[64 * 8] __attribute__((aligned(4096)));
static unsigned long dev_q[64 * 8] __attribute__((aligned(4096)));
static volatile unsigned long partner_ready;
static uint8_t buf[65536] __attribute__((aligned(8192)));
static struct hv_fault_area fault_area __attribute__((aligned(64)));
static struct hv_tsb_entry tsb[512] __attribute__((aligned(8192)));
static unsigned long ldc_q[4][8 * 8] __attribute__((aligned(512)));
static unsigned long big_q[64 * 8] __attribute__((aligned(32768)));

#define CHECK(name, cond, ...) do {                                                 \
        checks++;                                                                   \
        if (cond) {                                                                 \
            printf("ok %s\n", name);                                                \
        } else {                                                                    \
            failures++;                                                             \
            printf("FAIL %s: ", name);                                              \
            printf(__VA_ARGS__);                                                    \
            printf("\n");                                                           \
        }                                                                           \
    } while (0)

#define EXPECT(name, call, want) do {                                               \
        struct hv_ret _r = (call);                                                  \
        CHECK(name, _r.status == (want), "status %ld, want %d", _r.status, (want)); \
    } while (0)

static void on_queue(int q, unsigned long *base, volatile unsigned long *word0,
                     volatile unsigned long *count)
{
    unsigned long headva = 0x3c0 + 16 * (q - CPU_MONDO_QUEUE), head, tail;
    __asm__ __volatile__("ldxa [%1] 0x25, %0" : "=r"(head) : "r"(headva));
    __asm__ __volatile__("ldxa [%1] 0x25, %0" : "=r"(tail) : "r"(headva + 8));
    while (head != tail) {
        *word0 = base[head / 8];
        (*count)++;
        head = (head + 64) & (64 * 8 - 1);
    }
    __asm__ __volatile__("stxa %0, [%1] 0x25" :: "r"(head), "r"(headva) : "memory");
}

int guest_trap(unsigned long tt, unsigned long tpc, unsigned long tl)
{
    if (tt == TT_CPU_MONDO) {
        on_queue(CPU_MONDO_QUEUE, cpu_q, &mondo_word0, &mondo_count);
        return 1;
    }
    if (tt == TT_DEV_MONDO) {
        on_queue(DEV_MONDO_QUEUE, dev_q, &devmondo_cookie, &devmondo_count);
        return 1;
    }
    if (expect_trap) {
        trap_tt = tt;
        trap_count++;
        expect_trap = 0;
        return 0;                           /* skip the instruction */
    }
    printf("unexpected trap %#lx at %#lx (TL %lu)\n", tt, tpc, tl);
    guest_exit(0xee);
    return 0;
}

void secondary_main(unsigned long vid)
{
    /* the partner: a cpu mondo queue, interrupts on, idle */
    HC3(CPU_QCONF, CPU_MONDO_QUEUE, ra_of(cpu_q), 8);
    __asm__ __volatile__("wrpr %%g0, 0x16, %%pstate" ::: "memory");   /* PRIV|PEF|IE */
    partner_ready = 1;
    for (;;)
        yield_for(20000);
}

static unsigned long ld_va(unsigned long va)
{
    unsigned long v = 0xdead;
    __asm__ __volatile__("ldx [%1], %0" : "+r"(v) : "r"(va) : "memory");
    return v;
}

/* the context-5 tests use the secondary context (ASI_SECONDARY loads): code keeps
   running in context 0, where the permanent mappings are */
static void set_sctx(unsigned long ctx)
{
    __asm__ __volatile__("stxa %0, [%1] 0x21" :: "r"(ctx), "r"(0x10UL) : "memory");
}

static unsigned long ld_sec(unsigned long va)
{
    unsigned long v = 0xdead;
    __asm__ __volatile__("ldxa [%1] 0x81, %0" : "+r"(v) : "r"(va) : "memory");
    return v;
}

static void api_checks(void)
{
    /* before any negotiation: INTR, LDC and CORE 1.1 calls do not exist */
    EXPECT("vintr before INTR is negotiated", HC2(VINTR_GET_COOKIE, 0x200, 0), EBADTRAP);
    EXPECT("ldc before LDC is negotiated", HC1(LDC_TX_QINFO, 0), EBADTRAP);
    EXPECT("cpu_stop before CORE 1.1", HC1(CPU_STOP, 1), EBADTRAP);
    EXPECT("cons_write before CORE 1.1", HC2(CONS_WRITE, ra_of(buf), 1), EBADTRAP);
    EXPECT("mach_set_watchdog before CORE 1.1", HC1(MACH_SET_WATCHDOG, 1000), EBADTRAP);
    struct hv_ret r = htrap(0xff, API_GROUP_CORE, 1, 5, 0, API_SET_VERSION);
    CHECK("api_set_version CORE 1.5 -> 1.1", r.status == EOK && r.r1 == 1,
          "status %ld minor %lu", r.status, r.r1);
    EXPECT("api_set_version CORE 2.0", htrap(0xff, API_GROUP_CORE, 2, 0, 0, API_SET_VERSION),
           ENOTSUPPORTED);
    EXPECT("api_set_version unknown group", htrap(0xff, 0x777, 1, 0, 0, API_SET_VERSION),
           EINVAL);
    EXPECT("api_set_version INTR 1.0", htrap(0xff, API_GROUP_INTR, 1, 0, 0, API_SET_VERSION),
           ENOTSUPPORTED);
    EXPECT("api_set_version INTR 2.0", htrap(0xff, API_GROUP_INTR, 2, 0, 0, API_SET_VERSION),
           EOK);
    EXPECT("api_set_version LDC 1.0", htrap(0xff, API_GROUP_LDC, 1, 0, 0, API_SET_VERSION),
           EOK);
    r = htrap(0xff, API_GROUP_CORE, 0, 0, 0, API_GET_VERSION);
    CHECK("api_get_version CORE", r.status == EOK && r.r1 == 1 && r.r2 == 1,
          "status %ld %lu.%lu", r.status, r.r1, r.r2);
    EXPECT("api_get_version unknown group", htrap(0xff, 0x777, 0, 0, 0, API_GET_VERSION),
           EINVAL);
    EXPECT("core trap unknown function", htrap(0xff, 0, 0, 0, 0, 0x44), EBADTRAP);
    EXPECT("unknown fast trap function", HC0(0x99), EBADTRAP);
    r = HC1(MACH_SET_WATCHDOG, 5000);
    CHECK("mach_set_watchdog arms", r.status == EOK && r.r1 == 0, "status %ld left %lu",
          r.status, r.r1);
    r = HC1(MACH_SET_WATCHDOG, 1000);
    CHECK("mach_set_watchdog re-arms, returns the time left",
          r.status == EOK && r.r1 <= 5000 && r.r1 > 4900, "status %ld left %lu", r.status, r.r1);
    r = HC1(MACH_SET_WATCHDOG, 31536000001UL);
    CHECK("mach_set_watchdog beyond the maximum", r.status == EINVAL && r.r1 <= 1000 &&
          r.r1 > 900, "status %ld left %lu", r.status, r.r1);
    r = HC1(MACH_SET_WATCHDOG, 0);
    CHECK("mach_set_watchdog disarms", r.status == EOK && r.r1 > 900, "status %ld left %lu",
          r.status, r.r1);
    r = HC1(MACH_SET_WATCHDOG, 0);
    CHECK("mach_set_watchdog disarmed", r.status == EOK && r.r1 == 0, "left %lu", r.r1);
    EXPECT("ta 0x81", htrap(0x81, 0, 0, 0, 0, 0), EBADTRAP);
    EXPECT("api_putchar", htrap(0xff, '\n', 0, 0, 0, API_PUTCHAR), EOK);
    printf("\n");
}

static void cpu_checks(void)
{
    struct hv_ret r = HC0(CPU_MYID);
    CHECK("cpu_myid", r.status == EOK && r.r1 == 0, "status %ld id %lu", r.status, r.r1);
    r = HC1(CPU_STATE, 0);
    CHECK("cpu_state self running", r.status == EOK && r.r1 == CPU_STATE_RUNNING,
          "status %ld state %lu", r.status, r.r1);
    r = HC1(CPU_STATE, 1);
    CHECK("cpu_state 1 stopped", r.status == EOK && r.r1 == CPU_STATE_STOPPED,
          "status %ld state %lu", r.status, r.r1);
    EXPECT("cpu_state bad id", HC1(CPU_STATE, 999), ENOCPU);
    /* rtba */
    EXPECT("cpu_set_rtba misaligned", HC1(CPU_SET_RTBA, rt_real_base + 8), EBADALIGN);
    EXPECT("cpu_set_rtba outside memory", HC1(CPU_SET_RTBA, 0x100000000000UL), ENORADDR);
    r = HC1(CPU_SET_RTBA, rt_real_base + 0x100);
    CHECK("cpu_set_rtba", r.status == EOK && r.r1 == rt_real_base, "status %ld prev %#lx",
          r.status, r.r1);
    r = HC0(CPU_GET_RTBA);
    CHECK("cpu_get_rtba", r.r1 == rt_real_base + 0x100, "rtba %#lx", r.r1);
    HC1(CPU_SET_RTBA, rt_real_base);
    /* queues */
    EXPECT("cpu_qconf bad queue", HC3(CPU_QCONF, 0x40, ra_of(big_q), 8), EINVAL);
    EXPECT("cpu_qconf not a power of 2", HC3(CPU_QCONF, CPU_MONDO_QUEUE, ra_of(big_q), 3),
           EINVAL);
    EXPECT("cpu_qconf 1 entry", HC3(CPU_QCONF, CPU_MONDO_QUEUE, ra_of(big_q), 1), EINVAL);
    EXPECT("cpu_qconf too many entries",
           HC3(CPU_QCONF, CPU_MONDO_QUEUE, ra_of(big_q), 8192), EINVAL);
    EXPECT("cpu_qconf misaligned", HC3(CPU_QCONF, CPU_MONDO_QUEUE, ra_of(big_q) + 64, 8),
           EBADALIGN);
    EXPECT("cpu_qconf outside memory",
           HC3(CPU_QCONF, CPU_MONDO_QUEUE, 0x100000000000UL, 8), ENORADDR);
    EXPECT("cpu_qconf", HC3(CPU_QCONF, RESUMABLE_ERROR_QUEUE, ra_of(big_q), 8), EOK);
    r = HC1(CPU_QINFO, RESUMABLE_ERROR_QUEUE);
    CHECK("cpu_qinfo", r.status == EOK && r.r1 == ra_of(big_q) && r.r2 == 8,
          "status %ld %#lx %lu", r.status, r.r1, r.r2);
    EXPECT("cpu_qinfo bad queue", HC1(CPU_QINFO, 0x3b), EINVAL);
    EXPECT("cpu_qconf unconfigure", HC3(CPU_QCONF, RESUMABLE_ERROR_QUEUE, 0, 0), EOK);
    r = HC1(CPU_QINFO, RESUMABLE_ERROR_QUEUE);
    CHECK("cpu_qinfo after unconfigure", r.status == EOK && r.r2 == 0, "%lu", r.r2);
    /* start / stop */
    EXPECT("cpu_start bad id", HC4(CPU_START, 77, ra_of(secondary), rt_real_base, 0), ENOCPU);
    EXPECT("cpu_start misaligned pc",
           HC4(CPU_START, 1, ra_of(secondary) + 2, rt_real_base, rt_real_base), EBADALIGN);
    EXPECT("cpu_start misaligned rtba",
           HC4(CPU_START, 1, ra_of(secondary), rt_real_base + 0x20, rt_real_base), EBADALIGN);
    EXPECT("cpu_start pc outside memory",
           HC4(CPU_START, 1, 0x100000000000UL, rt_real_base, rt_real_base), ENORADDR);
    EXPECT("cpu_start self (running)",
           HC4(CPU_START, 0, ra_of(secondary), rt_real_base, rt_real_base), EINVAL);
    EXPECT("cpu_start", HC4(CPU_START, 1, ra_of(secondary), rt_real_base, rt_real_base), EOK);
    EXPECT("cpu_start again", HC4(CPU_START, 1, ra_of(secondary), rt_real_base, rt_real_base),
           EINVAL);
    for (int i = 0; i < 1000 && !partner_ready; i++)
        yield_for(2000);
    r = HC1(CPU_STATE, 1);
    CHECK("cpu 1 running", partner_ready && r.r1 == CPU_STATE_RUNNING, "state %lu", r.r1);
    /* mondos */
    static uint16_t list[4] __attribute__((aligned(8)));
    static unsigned long data[8] __attribute__((aligned(64)));
    data[0] = 0x1234abcd;
    list[0] = 1;
    EXPECT("cpu_mondo_send misaligned list",
           HC3(CPU_MONDO_SEND, 1, ra_of(list) + 1, ra_of(data)), EBADALIGN);
    EXPECT("cpu_mondo_send misaligned data",
           HC3(CPU_MONDO_SEND, 1, ra_of(list), ra_of(data) + 8), EBADALIGN);
    EXPECT("cpu_mondo_send list outside memory",
           HC3(CPU_MONDO_SEND, 1, 0x100000000000UL, ra_of(data)), ENORADDR);
    list[0] = 55;
    EXPECT("cpu_mondo_send bad cpu", HC3(CPU_MONDO_SEND, 1, ra_of(list), ra_of(data)), ENOCPU);
    list[0] = 0;
    EXPECT("cpu_mondo_send to self", HC3(CPU_MONDO_SEND, 1, ra_of(list), ra_of(data)), EINVAL);
    list[0] = 1;
    EXPECT("cpu_mondo_send", HC3(CPU_MONDO_SEND, 1, ra_of(list), ra_of(data)), EOK);
    CHECK("cpu_mondo_send marks the entry done", list[0] == CPULIST_ENTRYDONE, "%#x", list[0]);
    for (int i = 0; i < 1000 && !mondo_count; i++)
        yield_for(2000);
    CHECK("cpu mondo delivered", mondo_count == 1 && mondo_word0 == 0x1234abcd,
          "count %lu word %#lx", mondo_count, mondo_word0);
    EXPECT("cpu_stop self", HC1(CPU_STOP, 0), EINVAL);
    EXPECT("cpu_stop bad id", HC1(CPU_STOP, 99), ENOCPU);
    EXPECT("cpu_stop", HC1(CPU_STOP, 1), EOK);
    r = HC1(CPU_STATE, 1);
    CHECK("cpu 1 stopped", r.r1 == CPU_STATE_STOPPED, "state %lu", r.r1);
    EXPECT("cpu_stop stopped", HC1(CPU_STOP, 1), EINVAL);
    printf("\n");
}

static void mmu_checks(void)
{
    unsigned long fa = ra_of(&fault_area);
    EXPECT("mmu_fault_area_conf misaligned", HC1(MMU_FAULT_AREA_CONF, fa + 8), EBADALIGN);
    EXPECT("mmu_fault_area_conf outside memory",
           HC1(MMU_FAULT_AREA_CONF, 0x100000000000UL), ENORADDR);
    EXPECT("mmu_fault_area_conf", HC1(MMU_FAULT_AREA_CONF, fa), EOK);
    struct hv_ret r = HC0(MMU_FAULT_AREA_INFO);
    CHECK("mmu_fault_area_info", r.r1 == fa, "%#lx", r.r1);
    /* a TSB for context 5: VA 0x10_0000_0000 -> the page of buf */
    static struct hv_tsb_descr d __attribute__((aligned(16)));
    unsigned long va = 0x1000000000UL, pg = ra_of(buf);
    memset(tsb, 0, sizeof(tsb));
    tsb[(va >> 13) & 511].tag = va >> 22;
    tsb[(va >> 13) & 511].data = TTE_V | pg | TTE_CP | TTE_CV | TTE_P | TTE_W | TTE_8K;
    d = (struct hv_tsb_descr){ TTE_8K, 1, 512, 0, 1 << TTE_8K, ra_of(tsb), 0 };
    EXPECT("mmu_tsb_ctxnon0 too many", HC2(MMU_TSB_CTXNON0, 5, ra_of(&d)), EINVAL);
    EXPECT("mmu_tsb_ctxnon0 misaligned", HC2(MMU_TSB_CTXNON0, 1, ra_of(&d) + 8), EBADALIGN);
    EXPECT("mmu_tsb_ctxnon0 outside memory", HC2(MMU_TSB_CTXNON0, 1, 0x100000000000UL),
           ENORADDR);
    d.pgsz_idx = TTE_512K;
    EXPECT("mmu_tsb_ctxnon0 bad page size", HC2(MMU_TSB_CTXNON0, 1, ra_of(&d)), EBADPGSZ);
    d.pgsz_idx = TTE_8K;
    d.assoc = 2;
    EXPECT("mmu_tsb_ctxnon0 bad associativity", HC2(MMU_TSB_CTXNON0, 1, ra_of(&d)), EBADTSB);
    d.assoc = 1;
    d.tsb_base = ra_of(tsb) + 16;
    EXPECT("mmu_tsb_ctxnon0 misaligned TSB", HC2(MMU_TSB_CTXNON0, 1, ra_of(&d)), EBADALIGN);
    d.tsb_base = 0x100000000000UL;
    EXPECT("mmu_tsb_ctxnon0 TSB outside memory", HC2(MMU_TSB_CTXNON0, 1, ra_of(&d)), ENORADDR);
    d.tsb_base = ra_of(tsb);
    EXPECT("mmu_tsb_ctxnon0", HC2(MMU_TSB_CTXNON0, 1, ra_of(&d)), EOK);
    static struct hv_tsb_descr back[4] __attribute__((aligned(16)));
    r = HC2(MMU_TSB_CTXNON0_INFO, 4, ra_of(back));
    CHECK("mmu_tsb_ctxnon0_info", r.status == EOK && r.r1 == 1 && back[0].tsb_base == ra_of(tsb),
          "status %ld n %lu base %#lx", r.status, r.r1, back[0].tsb_base);
    EXPECT("mmu_tsb_ctxnon0_info short buffer", HC2(MMU_TSB_CTXNON0_INFO, 0, ra_of(back)),
           EINVAL);
    ((volatile unsigned long *)buf)[3] = 0x5a5a5a5a;
    set_sctx(5);
    unsigned long v = ld_sec(va + 24);
    CHECK("TSB mapping translates (miss path)", v == 0x5a5a5a5a, "read %#lx", v);
    expect_trap = 1;
    trap_count = 0;
    v = ld_sec(va + 0x2000);
    CHECK("TSB miss gives data_access_MMU_miss with the fault area",
          trap_count == 1 && trap_tt == TT_DMMU_MISS && fault_area.d_type == MMU_FT_MISS &&
          fault_area.d_addr == va + 0x2000 && fault_area.d_ctx == 5,
          "traps %lu tt %#lx type %lu addr %#lx ctx %lu", trap_count, trap_tt,
          fault_area.d_type, fault_area.d_addr, fault_area.d_ctx);
    /* a TTE with a real address outside the guest */
    tsb[((va + 0x4000) >> 13) & 511].tag = (va + 0x4000) >> 22;
    tsb[((va + 0x4000) >> 13) & 511].data = TTE_V | 0xf000000000UL | TTE_CP | TTE_P | TTE_8K;
    expect_trap = 1;
    trap_count = 0;
    v = ld_sec(va + 0x4000);
    CHECK("TSB entry outside the guest: data_access_exception, invalid TSB entry",
          trap_count == 1 && trap_tt == TT_DAX && fault_area.d_type == MMU_FT_INVTSBENTRY,
          "traps %lu tt %#lx type %lu", trap_count, trap_tt, fault_area.d_type);
    set_sctx(0);
    EXPECT("mmu_tsb_ctxnon0 none", HC2(MMU_TSB_CTXNON0, 0, 0), EOK);
    /* mmu_map_addr / mmu_unmap_addr (ta 0x83 / 0x84) */
    unsigned long va2 = 0x2000000000UL;
    unsigned long tte = TTE_V | pg | TTE_CP | TTE_CV | TTE_P | TTE_W | TTE_8K;
    EXPECT("mmu_map_addr bad flags", htrap(0x83, va2, 0, tte, 4, 0), EINVAL);
    EXPECT("mmu_map_addr bad context", htrap(0x83, va2, 8192, tte, MAP_DTLB, 0), EINVAL);
    EXPECT("mmu_map_addr VA hole", htrap(0x83, 0x0000900000000000UL, 0, tte, MAP_DTLB, 0),
           EINVAL);
    EXPECT("mmu_map_addr bad page size", htrap(0x83, va2, 0, (tte & ~0xfUL) | TTE_512K,
                                               MAP_DTLB, 0), EBADPGSZ);
    EXPECT("mmu_map_addr outside memory",
           htrap(0x83, va2, 0, (tte & ~TTE_RA_MASK) | 0xf000000000UL, MAP_DTLB, 0), ENORADDR);
    EXPECT("mmu_map_addr", htrap(0x83, va2, 0, tte, MAP_DTLB, 0), EOK);
    v = ld_va(va2 + 24);
    CHECK("mmu_map_addr translates", v == 0x5a5a5a5a, "read %#lx", v);
    EXPECT("mmu_unmap_addr bad flags", htrap(0x84, va2, 0, 0, 0, 0), EINVAL);
    EXPECT("mmu_unmap_addr", htrap(0x84, va2, 0, MAP_DTLB, 0, 0), EOK);
    expect_trap = 1;
    trap_count = 0;
    v = ld_va(va2 + 24);
    CHECK("after mmu_unmap_addr: fast_data_access_MMU_miss",
          trap_count == 1 && trap_tt == TT_FAST_DMMU_MISS && fault_area.d_addr == va2,
          "traps %lu tt %#lx addr %#lx", trap_count, trap_tt, fault_area.d_addr);
    /* demaps */
    htrap(0x83, va2, 0, tte, MAP_DTLB, 0);
    EXPECT("mmu_demap_page reserved args", hcall(MMU_DEMAP_PAGE, 1, 0, va2, 0, MAP_DTLB),
           EINVAL);
    EXPECT("mmu_demap_page bad flags", hcall(MMU_DEMAP_PAGE, 0, 0, va2, 0, 0), EINVAL);
    EXPECT("mmu_demap_page", hcall(MMU_DEMAP_PAGE, 0, 0, va2, 0, MAP_DTLB), EOK);
    expect_trap = 1;
    trap_count = 0;
    ld_va(va2);
    CHECK("after mmu_demap_page: miss", trap_count == 1, "traps %lu", trap_count);
    EXPECT("mmu_demap_ctx bad context", hcall(MMU_DEMAP_CTX, 0, 0, 9000, MAP_DTLB, 0), EINVAL);
    EXPECT("mmu_demap_ctx", hcall(MMU_DEMAP_CTX, 0, 0, 5, MAP_DTLB | MAP_ITLB, 0), EOK);
    EXPECT("mmu_demap_all bad flags", hcall(MMU_DEMAP_ALL, 0, 0, 8, 0, 0), EINVAL);
    EXPECT("mmu_demap_all", hcall(MMU_DEMAP_ALL, 0, 0, MAP_DTLB | MAP_ITLB, 0, 0), EOK);
    v = ld_va(LINK_BASE);                   /* the permanent mappings come back */
    CHECK("permanent mappings survive mmu_demap_all", v == *(volatile unsigned long *)LINK_BASE,
          "read %#lx", v);
    /* permanent mappings: 2 in use (crt0), 6 more fit */
    unsigned long pva = 0x3000000000UL;
    EXPECT("mmu_map_perm_addr misaligned", hcall(MMU_MAP_PERM_ADDR, pva + 0x1000, 0, tte,
                                                 MAP_DTLB, 0), EBADALIGN);
    EXPECT("mmu_map_perm_addr reserved arg", hcall(MMU_MAP_PERM_ADDR, pva, 1, tte, MAP_DTLB, 0),
           EINVAL);
    int ok = 1;
    for (int i = 0; i < 6; i++)
        ok &= hcall(MMU_MAP_PERM_ADDR, pva + i * 0x2000UL, 0, tte, MAP_DTLB, 0).status == EOK;
    CHECK("mmu_map_perm_addr up to 8", ok, "a map failed");
    EXPECT("mmu_map_perm_addr 9th", hcall(MMU_MAP_PERM_ADDR, pva + 0x100000, 0, tte,
                                          MAP_DTLB, 0), ETOOMANY);
    v = ld_va(pva + 0x2000 + 24);
    CHECK("permanent mapping translates", v == 0x5a5a5a5a, "read %#lx", v);
    ok = 1;
    for (int i = 0; i < 6; i++)
        ok &= hcall(MMU_UNMAP_PERM_ADDR, pva + i * 0x2000UL, 0, MAP_DTLB, 0, 0).status == EOK;
    CHECK("mmu_unmap_perm_addr", ok, "an unmap failed");
    EXPECT("mmu_unmap_perm_addr not mapped", hcall(MMU_UNMAP_PERM_ADDR, pva, 0, MAP_DTLB, 0, 0),
           ENOMAP);
    EXPECT("mmu_enable bad argument", HC2(MMU_ENABLE, 2, 0), EINVAL);
    EXPECT("mmu_enable misaligned target", HC2(MMU_ENABLE, 1, LINK_BASE + 2), EBADALIGN);
    printf("\n");
}

static void mem_tod_cons_checks(void)
{
    struct hv_ret r = HC2(MACH_DESC, ra_of(buf), 0);
    unsigned long mdsz = r.r1;
    CHECK("mach_desc probe", r.status == EINVAL && mdsz > 16, "status %ld size %lu",
          r.status, mdsz);
    EXPECT("mach_desc misaligned", HC2(MACH_DESC, ra_of(buf) + 8, sizeof(buf)), EBADALIGN);
    EXPECT("mach_desc outside memory", HC2(MACH_DESC, 0x100000000000UL, sizeof(buf)), ENORADDR);
    r = HC2(MACH_DESC, ra_of(buf), sizeof(buf));
    CHECK("mach_desc", r.status == EOK && r.r1 == mdsz && *(uint32_t *)buf == 0x10000,
          "status %ld size %lu", r.status, r.r1);
    memset(buf, 0xaa, 16384);
    EXPECT("mem_scrub misaligned", HC2(MEM_SCRUB, ra_of(buf) + 8, 8192), EBADALIGN);
    EXPECT("mem_scrub length", HC2(MEM_SCRUB, ra_of(buf), 100), EBADALIGN);
    EXPECT("mem_scrub outside memory", HC2(MEM_SCRUB, 0x100000000000UL, 8192), ENORADDR);
    r = HC2(MEM_SCRUB, ra_of(buf), 16384);
    CHECK("mem_scrub", r.status == EOK && r.r1 == 16384 && buf[0] == 0 && buf[16383] == 0,
          "status %ld done %lu byte %x", r.status, r.r1, buf[100]);
    r = HC2(MEM_SYNC, ra_of(buf), 8192);
    CHECK("mem_sync", r.status == EOK && r.r1 == 8192, "status %ld", r.status);
    EXPECT("mem_sync outside memory", HC2(MEM_SYNC, 0x100000000000UL, 8192), ENORADDR);
    r = HC0(TOD_GET);
    unsigned long t0 = r.r1;
    CHECK("tod_get", r.status == EOK && t0 > 1600000000UL, "status %ld tod %lu", r.status, t0);
    EXPECT("tod_set", HC1(TOD_SET, t0 + 86400), EOK);
    r = HC0(TOD_GET);
    CHECK("tod_set moves this domain's clock", r.r1 >= t0 + 86400 && r.r1 < t0 + 86400 + 10,
          "tod %lu", r.r1);
    EXPECT("cons_putchar not a byte", HC1(CONS_PUTCHAR, 0x100), EINVAL);
    /* the test types "hi" on this domain's console before it boots */
    r = HC0(CONS_GETCHAR);
    CHECK("cons_getchar", r.status == EOK && r.r1 == 'h', "status %ld char %lu", r.status, r.r1);
    EXPECT("cons_read outside memory", HC2(CONS_READ, 0x100000000000UL, 16), ENORADDR);
    buf[0] = 0;
    r = HC2(CONS_READ, ra_of(buf), 16);
    CHECK("cons_read", r.status == EOK && r.r1 == 1 && buf[0] == 'i', "status %ld n %lu",
          r.status, r.r1);
    EXPECT("cons_getchar nothing typed", HC0(CONS_GETCHAR), EWOULDBLOCK);
    EXPECT("cons_read nothing typed", HC2(CONS_READ, ra_of(buf), 16), EWOULDBLOCK);
    EXPECT("cons_write outside memory", HC2(CONS_WRITE, 0x100000000000UL, 4), ENORADDR);
    memcpy(buf, "cons_write!\n", 12);
    r = HC2(CONS_WRITE, ra_of(buf), 12);
    CHECK("cons_write", r.status == EOK && r.r1 == 12, "status %ld n %lu", r.status, r.r1);
    printf("\n");
}

/* the domain-services loopback pair and the hvctl channel (control domain) */
static int chan_of(const char *port, const char *svc)
{
    for (int n = md_find_node(&rt_md, -1, port); n >= 0; n = md_find_node(&rt_md, n, port)) {
        const char *s;
        uint64_t id;
        if (svc && (md_get_str(&rt_md, n, "vldc-svc-name", &s) || strcmp(s, svc)))
            continue;
        if (!md_get_val(&rt_md, n, "id", &id))
            return (int)id;
    }
    return -1;
}

static void ldc_checks(void)
{
    int a = chan_of("domain-services-port", 0), b = chan_of("virtual-device-port", "ds:primary");
    int h = chan_of("virtual-device-port", "hvctl");
    CHECK("MD names the DS loopback pair and hvctl", a >= 0 && b >= 0 && h >= 0,
          "ds %d manager %d hvctl %d", a, b, h);
    if (a < 0 || b < 0 || h < 0)
        return;
    EXPECT("ldc bad channel", HC1(LDC_TX_QINFO, 31), ECHANNEL);
    EXPECT("ldc_tx_qconf not a power of 2", HC3(LDC_TX_QCONF, a, ra_of(ldc_q[0]), 3), EINVAL);
    EXPECT("ldc_tx_qconf misaligned", HC3(LDC_TX_QCONF, a, ra_of(ldc_q[0]) + 64, 8), EBADALIGN);
    EXPECT("ldc_tx_qconf outside memory", HC3(LDC_TX_QCONF, a, 0x100000000000UL, 8), ENORADDR);
    struct hv_ret r = HC1(LDC_TX_GET_STATE, a);
    CHECK("ldc_tx_get_state unconfigured: down", r.status == EOK && r.r3 == LDC_CHANNEL_DOWN,
          "status %ld state %lu", r.status, r.r3);
    EXPECT("ldc_tx_qconf", HC3(LDC_TX_QCONF, a, ra_of(ldc_q[0]), 8), EOK);
    EXPECT("ldc_rx_qconf", HC3(LDC_RX_QCONF, a, ra_of(ldc_q[1]), 8), EOK);
    EXPECT("ldc_tx_set_qtail peer down", HC2(LDC_TX_SET_QTAIL, a, 64), EWOULDBLOCK);
    EXPECT("ldc_tx_qconf peer", HC3(LDC_TX_QCONF, b, ra_of(ldc_q[2]), 8), EOK);
    EXPECT("ldc_rx_qconf peer", HC3(LDC_RX_QCONF, b, ra_of(ldc_q[3]), 8), EOK);
    r = HC1(LDC_TX_QINFO, a);
    CHECK("ldc_tx_qinfo", r.r1 == ra_of(ldc_q[0]) && r.r2 == 8, "%#lx %lu", r.r1, r.r2);
    r = HC1(LDC_TX_GET_STATE, a);
    CHECK("ldc_tx_get_state: reset once after the peer configured",
          r.r3 == LDC_CHANNEL_RESET, "state %lu", r.r3);
    r = HC1(LDC_RX_GET_STATE, b);
    CHECK("ldc_rx_get_state up", r.r3 == LDC_CHANNEL_UP, "state %lu", r.r3);
    r = HC1(LDC_TX_GET_STATE, a);
    CHECK("ldc_tx_get_state up", r.r3 == LDC_CHANNEL_UP && r.r1 == 0 && r.r2 == 0,
          "state %lu head %lu tail %lu", r.r3, r.r1, r.r2);
    /* b's rx interrupt: cookie, valid, target vCPU 0, idle; a dev mondo queue */
    uint64_t rxi, txi;
    int ep = md_find_node(&rt_md, -1, "channel-endpoint");
    for (; ep >= 0; ep = md_find_node(&rt_md, ep, "channel-endpoint")) {
        uint64_t id;
        if (!md_get_val(&rt_md, ep, "id", &id) && id == (uint64_t)b)
            break;
    }
    md_get_val(&rt_md, ep, "rx-ino", &rxi);
    md_get_val(&rt_md, ep, "tx-ino", &txi);
    EXPECT("vintr bad devhandle", HC3(VINTR_SET_COOKIE, 0x100, rxi, 7), EINVAL);
    EXPECT("vintr bad ino", HC3(VINTR_SET_COOKIE, 0x200, 63, 7), EINVAL);
    EXPECT("vintr_set_cookie", HC3(VINTR_SET_COOKIE, 0x200, rxi, 0xc00c1e), EOK);
    r = HC2(VINTR_GET_COOKIE, 0x200, rxi);
    CHECK("vintr_get_cookie", r.status == EOK && r.r1 == 0xc00c1e, "%#lx", r.r1);
    EXPECT("vintr_set_target bad cpu", HC3(VINTR_SET_TARGET, 0x200, rxi, 40), ENOCPU);
    EXPECT("vintr_set_target", HC3(VINTR_SET_TARGET, 0x200, rxi, 0), EOK);
    r = HC2(VINTR_GET_TARGET, 0x200, rxi);
    CHECK("vintr_get_target", r.r1 == 0, "%lu", r.r1);
    EXPECT("vintr_set_valid bad", HC3(VINTR_SET_VALID, 0x200, rxi, 5), EINVAL);
    EXPECT("vintr_set_state bad", HC3(VINTR_SET_STATE, 0x200, rxi, 9), EINVAL);
    EXPECT("vintr_set_state idle", HC3(VINTR_SET_STATE, 0x200, rxi, INTR_IDLE), EOK);
    EXPECT("cpu_qconf dev mondo", HC3(CPU_QCONF, DEV_MONDO_QUEUE, ra_of(dev_q), 8), EOK);
    EXPECT("vintr_set_valid", HC3(VINTR_SET_VALID, 0x200, rxi, INTR_VALID), EOK);
    r = HC2(VINTR_GET_VALID, 0x200, rxi);
    CHECK("vintr_get_valid", r.r1 == INTR_VALID, "%lu", r.r1);
    /* a packet a -> b */
    ldc_q[0][0] = 0x0201000000000001UL;
    ldc_q[0][7] = 0x7777;
    EXPECT("ldc_tx_set_qtail misaligned", HC2(LDC_TX_SET_QTAIL, a, 32), EINVAL);
    EXPECT("ldc_tx_set_qtail beyond the queue", HC2(LDC_TX_SET_QTAIL, a, 512), EINVAL);
    __asm__ __volatile__("wrpr %%g0, 0x16, %%pstate" ::: "memory");   /* interrupts on */
    EXPECT("ldc_tx_set_qtail", HC2(LDC_TX_SET_QTAIL, a, 64), EOK);
    for (int i = 0; i < 100 && !devmondo_count; i++)
        yield_for(1000);
    __asm__ __volatile__("wrpr %%g0, 0x14, %%pstate" ::: "memory");
    r = HC1(LDC_RX_GET_STATE, b);
    CHECK("packet delivered to the peer's RX queue",
          r.r1 == 0 && r.r2 == 64 && ldc_q[3][0] == 0x0201000000000001UL && ldc_q[3][7] == 0x7777,
          "head %lu tail %lu word %#lx", r.r1, r.r2, ldc_q[3][0]);
    CHECK("rx interrupt: a dev mondo with the cookie", devmondo_count == 1 &&
          devmondo_cookie == 0xc00c1e, "count %lu cookie %#lx", devmondo_count, devmondo_cookie);
    r = HC2(VINTR_GET_STATE, 0x200, rxi);
    CHECK("vintr state delivered", r.r1 == INTR_DELIVERED, "%lu", r.r1);
    r = HC1(LDC_TX_GET_STATE, a);
    CHECK("sender's head advanced", r.r1 == 64, "head %lu", r.r1);
    EXPECT("ldc_rx_set_qhead beyond tail", HC2(LDC_RX_SET_QHEAD, b, 128), EINVAL);
    EXPECT("ldc_rx_set_qhead", HC2(LDC_RX_SET_QHEAD, b, 64), EOK);
    EXPECT("ldc_rx_qconf unconfigure", HC3(LDC_RX_QCONF, b, 0, 0), EOK);
    r = HC1(LDC_TX_GET_STATE, a);
    CHECK("peer gone: reset, then down", r.r3 == LDC_CHANNEL_RESET &&
          HC1(LDC_TX_GET_STATE, a).r3 == LDC_CHANNEL_DOWN, "state %lu", r.r3);

    /* hvctl: hello, challenge, response, get_hvconfig, get_res_stat, ldc_copy */
    HC3(LDC_TX_QCONF, h, ra_of(ldc_q[0]), 8);
    HC3(LDC_RX_QCONF, h, ra_of(ldc_q[1]), 8);
    struct hvctl_msg *out = (struct hvctl_msg *)ldc_q[0], *in;
    unsigned long tail = 0, head = 0;
#define SEND(m) do { out = (struct hvctl_msg *)&ldc_q[0][tail / 8]; *out = (m);       \
        tail = (tail + 64) & 511; HC2(LDC_TX_SET_QTAIL, h, tail); } while (0)
#define RECV() (in = (struct hvctl_msg *)&ldc_q[1][head / 8], head = (head + 64) & 511, \
                HC2(LDC_RX_SET_QHEAD, h, head), in)
    struct hvctl_msg m;
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_GET_HVCONFIG;
    m.hdr.seqn = 1;
    SEND(m);
    r = HC1(LDC_RX_GET_STATE, h);
    in = RECV();
    CHECK("hvctl: a command before hello is eauth", r.r2 == 64 && in->hdr.status == HVCTL_ST_EAUTH,
          "tail %lu status %u", r.r2, in->hdr.status);
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_HELLO;
    m.hdr.seqn = 7;
    m.msg.hello.major = 1;
    SEND(m);
    in = RECV();
    unsigned long code = in->msg.clnge.code;
    uint16_t hvseq = in->hdr.seqn;
    CHECK("hvctl hello -> challenge", in->hdr.op == HVCTL_OP_CHALLENGE && in->hdr.status == 0 &&
          hvseq == 8 + HVCTL_SEQ_OFFSET, "op %u status %u seqn %u", in->hdr.op,
          in->hdr.status, hvseq);
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_RESPONSE;
    m.hdr.seqn = 8;
    m.msg.clnge.code = code ^ HVCTL_HV_CHALLENGE_K ^ HVCTL_ZEUS_CHALLENGE_K;
    SEND(m);
    in = RECV();
    CHECK("hvctl response accepted", in->hdr.op == HVCTL_OP_RESPONSE && in->hdr.status == 0 &&
          in->hdr.seqn == hvseq + 1, "op %u status %u", in->hdr.op, in->hdr.status);
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_GET_HVCONFIG;
    m.hdr.seqn = 9;
    SEND(m);
    in = RECV();
    unsigned long hvmdp = in->msg.hvcnf.hvmdp;
    CHECK("hvctl get_hvconfig", in->hdr.status == 0 && hvmdp == HV_MDAREA_BASE &&
          in->msg.hvcnf.del_reconf_gid == HVCTL_INVALID_GID, "status %u hvmdp %#lx",
          in->hdr.status, hvmdp);
    r = hcall(LDC_COPY, h, LDC_COPY_IN, hvmdp, ra_of(buf), 16);
    CHECK("ldc_copy reads the HV MD", r.status == EOK && r.r1 == 16 &&
          *(uint32_t *)buf == 0x10000, "status %ld", r.status);
    EXPECT("ldc_copy outside the MD area", hcall(LDC_COPY, h, LDC_COPY_IN, 0x100000, ra_of(buf),
                                                 16), ENORADDR);
    EXPECT("ldc_copy misaligned", hcall(LDC_COPY, h, LDC_COPY_IN, hvmdp + 4, ra_of(buf), 16),
           EBADALIGN);
    EXPECT("ldc_copy bad direction", hcall(LDC_COPY, h, 7, hvmdp, ra_of(buf), 16), EINVAL);
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_GET_RES_STAT;
    m.hdr.seqn = 10;
    m.msg.resstat.res = HVCTL_RES_GUEST;
    m.msg.resstat.resid = 0;
    m.msg.resstat.infoid = HVCTL_INFO_GUEST_STATE;
    SEND(m);
    in = RECV();
    CHECK("hvctl get_res_stat guest state", in->hdr.status == 0 &&
          ((struct hvctl_rs_guest_state *)in->msg.resstat.data)->state == GUEST_STATE_NORMAL,
          "status %u", in->hdr.status);
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_GUEST_START;
    m.hdr.seqn = 11;
    m.msg.guestop.guestid = 0;
    SEND(m);
    in = RECV();
    CHECK("hvctl guest_start of a running guest: eillegal, guest active",
          in->hdr.status == HVCTL_ST_EILLEGAL && in->msg.guestop.code == HVCTL_E_GUEST_ACTIVE,
          "status %u code %u", in->hdr.status, in->msg.guestop.code);
    memset(&m, 0, sizeof(m));
    m.hdr.op = HVCTL_OP_GET_HVCONFIG;
    m.hdr.seqn = 99;
    SEND(m);
    in = RECV();
    CHECK("hvctl wrong sequence number", in->hdr.status == HVCTL_ST_BAD_SEQN, "status %u",
          in->hdr.status);
    printf("\n");
}

int main(unsigned long real_base)
{
    rt_real_base = real_base;
    if (rt_read_md() != 0)
        guest_exit(0xe2);
    printf("%s: hypercall conformance\n", rt_domain_name());
    api_checks();
    cpu_checks();
    mmu_checks();
    mem_tod_cons_checks();
    ldc_checks();
    printf("conformance: %d checks, %d failed\n", checks, failures);
    return failures;
}
