/* The hypercall fuzzer: `calls` (default 3000) hypercalls with random function numbers
   (the API's functions, then any number 0-0x1ff) and random arguments (zero, small
   numbers, real addresses inside and outside its memory, aligned and not, huge values,
   all ones), and random software traps ta 0x81-0xfe; seed from the workload parameter
   `seed`.  Every status must be one of the architected codes (include/sun4v/
   hypervisor.h).  Calls that would only destroy the fuzzer itself are kept from its
   own code: it does not exit or reset itself, turn its MMU off, scrub or overwrite the
   memory it runs from (addresses those calls write are drawn from the upper part of
   its memory, or outside it), remap its own code, start its vCPUs at random pcs or
   leave a random watchdog armed.
   Prints "fuzz: N calls, F bad statuses" and the status histogram. */
#include "rt.h"

static uint64_t rng_state;
static unsigned long hist[32];
static int bad;
static unsigned long mem_end;
#define SAFE_BASE   (rt_real_base + (16UL << 20))   /* the fuzzer's scratch memory */

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

int guest_trap(unsigned long tt, unsigned long tpc, unsigned long tl)
{
    return rt_unexpected_trap(tt, tpc, tl);
}

void secondary_main(unsigned long vid)
{
    rt_idle(50000);
}

/* an argument: any of the interesting kinds */
static unsigned long arg(void)
{
    unsigned long r = rnd();
    switch (r % 12) {
    case 0: return 0;
    case 1: return 1 + (r >> 8) % 8;
    case 2: return (r >> 8) % 0x200;
    case 3: return r;
    case 4: return ~0UL;
    case 5: return SAFE_BASE + (((r >> 8) % (mem_end - SAFE_BASE)) & ~0x3fUL);
    case 6: return SAFE_BASE + (((r >> 8) % (mem_end - SAFE_BASE)) & ~0x1fffUL);
    case 7: return SAFE_BASE + ((r >> 8) % (mem_end - SAFE_BASE)) + 1;
    case 8: return (r >> 8) & 0xfffffffffUL;             /* below 64 GB: anyone's */
    case 9: return mem_end + ((r >> 8) & 0xffff000UL);
    case 10: return TTE_V | (r & 0xfffffff000UL & ~TTE_RA_MASK) | (SAFE_BASE & TTE_RA_MASK) |
                    (r & 0x1fff);
    default: return 1UL << ((r >> 8) % 64);
    }
}

/* an address the hypervisor may write: in the scratch part, or not the fuzzer's */
static unsigned long write_arg(void)
{
    unsigned long a = arg();
    if (a >= rt_real_base && a < SAFE_BASE)
        a = SAFE_BASE + (a - rt_real_base);
    return a;
}

static unsigned long va_arg_safe(void)
{
    unsigned long a = arg();
    if (a >= LINK_BASE && a < LINK_BASE + (8UL << 20))
        a += 8UL << 20;
    return a;
}

static const unsigned long fns[] = {
    MACH_DESC, CPU_START, CPU_STOP, CPU_YIELD, CPU_QCONF, CPU_QINFO, CPU_MYID, CPU_STATE,
    CPU_SET_RTBA, CPU_GET_RTBA, MMU_TSB_CTX0, MMU_TSB_CTXNON0, MMU_DEMAP_PAGE,
    MMU_DEMAP_CTX, MMU_DEMAP_ALL, MMU_MAP_PERM_ADDR, MMU_FAULT_AREA_CONF,
    MMU_UNMAP_PERM_ADDR, MMU_TSB_CTX0_INFO, MMU_TSB_CTXNON0_INFO, MMU_FAULT_AREA_INFO,
    MEM_SCRUB, MEM_SYNC, CPU_MONDO_SEND, TOD_GET, TOD_SET, CONS_GETCHAR, CONS_PUTCHAR,
    CONS_READ, CONS_WRITE, VINTR_GET_COOKIE, VINTR_SET_COOKIE, VINTR_GET_VALID,
    VINTR_SET_VALID, VINTR_GET_STATE, VINTR_SET_STATE, VINTR_GET_TARGET, VINTR_SET_TARGET,
    LDC_TX_QCONF, LDC_TX_QINFO, LDC_TX_GET_STATE, LDC_TX_SET_QTAIL, LDC_RX_QCONF,
    LDC_RX_QINFO, LDC_RX_GET_STATE, LDC_RX_SET_QHEAD, LDC_SET_MAP_TABLE, LDC_GET_MAP_TABLE,
    LDC_COPY, MACH_SET_WATCHDOG,
};

static int architected(long st)
{
    return (st >= EOK && st <= EBUSY) || st == EUNAVAILABLE;
}

static void record(const char *what, unsigned long fn, const unsigned long *a, long st)
{
    if (!architected(st)) {
        bad++;
        printf("%s %#lx (%#lx %#lx %#lx %#lx %#lx): bad status %ld\n", what, fn, a[0], a[1],
               a[2], a[3], a[4], st);
    } else {
        hist[st]++;
    }
}

static long soft_trap(unsigned long t, unsigned long a0, unsigned long a1)
{
    register unsigned long o0 __asm__("o0") = a0;
    register unsigned long o5 __asm__("o5") = a1;
    __asm__ __volatile__("ta %2" : "+r"(o0), "+r"(o5) : "r"(t)
                         : "memory", "o1", "o2", "o3", "o4");
    return (long)o0;
}

static void one(void)
{
    unsigned long r = rnd(), fn;
    unsigned long a[5] = { arg(), arg(), arg(), arg(), arg() };
    struct hv_ret ret;
    if (r % 10 == 0) {                          /* a random software trap */
        unsigned long t = 0x81 + (r >> 8) % 0x7e;
        if (t == 0x83 || t == 0x84)
            t = 0x85;
        record("ta", t, a, soft_trap(t, a[0], a[1]));
        return;
    }
    if (r % 10 == 1) {                          /* the hyper-fast MMU traps */
        a[0] = va_arg_safe();
        ret = htrap((r >> 8) & 1 ? 0x83 : 0x84, a[0], a[1], a[2], a[3], 0);
        record("mmu trap", (r >> 8) & 1 ? 0x83 : 0x84, a, ret.status);
        return;
    }
    if (r % 10 == 2) {
        fn = (r >> 8) % 0x200;                  /* any function number */
    } else {
        fn = fns[(r >> 8) % ARRAY_SIZE(fns)];
    }
    switch (fn) {
    case MACH_EXIT: case MACH_SIR: case MMU_ENABLE:
        return;                                 /* would end the fuzzer itself */
    case MACH_DESC: case CPU_QCONF: case MMU_FAULT_AREA_CONF: case MEM_SCRUB:
    case CONS_READ: case MMU_TSB_CTX0_INFO: case MMU_TSB_CTXNON0_INFO:
        a[0] = write_arg();
        a[1] = write_arg();
        break;
    case CPU_MONDO_SEND:
        a[1] = write_arg();
        break;
    case LDC_TX_QCONF: case LDC_RX_QCONF:
        a[1] = write_arg();
        break;
    case CONS_WRITE:
        a[1] &= 0xfff;                          /* a readable amount of console */
        break;

    case LDC_COPY:
        a[3] = write_arg();
        break;
    case CPU_START:
        if ((r >> 20) & 1)
            a[1] = ra_of(secondary);
        else if (a[1] >= rt_real_base && a[1] < mem_end)
            a[1] |= 2;                          /* a pc that is refused */
        break;
    case MMU_MAP_PERM_ADDR: case MMU_UNMAP_PERM_ADDR:
        a[0] = va_arg_safe();
        break;
    default:
        break;
    }
    if (fn == CPU_YIELD || fn == 0x12) {
        unsigned long t = rd_stick() + 2000;
        __asm__ __volatile__("wr %0, 0, %%asr25" :: "r"(t));
    }
    ret = hcall(fn, a[0], a[1], a[2], a[3], a[4]);
    __asm__ __volatile__("wr %0, 0, %%asr21" :: "r"(SOFTINT_SM | SOFTINT_TM));
    if (fn == MACH_SET_WATCHDOG)
        HC1(MACH_SET_WATCHDOG, 0);              /* a random watchdog would reset it */
    record("fn", fn, a, ret.status);
    if ((r >> 24) % 16 == 0) {                  /* and the core trap, with any group */
        struct hv_ret v = htrap(0xff, (r >> 32) % 0x400, rnd() % 4, rnd() % 4, 0,
                                (r >> 40) % 5 == 2 ? 0 : (r >> 40) % 5);
        record("core trap", 0xff, a, v.status);
        /* keep CORE 1.1 for the fuzzer's own printing */
        htrap(0xff, API_GROUP_CORE, 1, 1, 0, API_SET_VERSION);
        htrap(0xff, API_GROUP_SUN4V, 1, 0, 0, API_SET_VERSION);
    }
}

int main(unsigned long real_base)
{
    rt_real_base = real_base;
    htrap(0xff, API_GROUP_CORE, 1, 1, 0, API_SET_VERSION);
    htrap(0xff, API_GROUP_LDC, 1, 0, 0, API_SET_VERSION);
    htrap(0xff, API_GROUP_INTR, 2, 0, 0, API_SET_VERSION);
    if (rt_read_md() != 0)
        guest_exit(0xe2);
    uint64_t v;
    int mb = md_find_node(&rt_md, -1, "mblock");
    md_get_val(&rt_md, mb, "size", &v);
    mem_end = rt_real_base + v;
    rng_state = rt_workload_val("seed", 12345) | 1;
    unsigned long calls = rt_workload_val("calls", 3000);
    printf("%s: hypercall fuzzer, %lu calls, seed %lu\n", rt_domain_name(), calls,
           rt_workload_val("seed", 12345));
    for (unsigned long i = 0; i < calls; i++)
        one();
    printf("fuzz: %lu calls, %d bad statuses;", calls, bad);
    for (int s = 0; s < 32; s++)
        if (hist[s])
            printf(" %d:%lu", s, hist[s]);
    printf("\n");
    return bad;
}
