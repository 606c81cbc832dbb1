/* The runtime of the hypervisor's test guests (crt0.S, guest.ld): hypercalls, console
   output, the guest's own MD, a few helpers.  Each test guest is one C file that
   includes this; its main(real_base) runs on the boot vCPU, secondary_main(vid) on the
   others (started with start_cpu). */
#ifndef TG_RT_H
#define TG_RT_H

#include <fwlib.h>
#include <sun4v/hypervisor.h>
#include <sun4v/mmu.h>
#include <sun4v/asi.h>
#include <sun4v/traps.h>
#include <sun4v/ldc.h>

#define LINK_BASE   0x40000000UL

struct hv_ret {
    long status;
    unsigned long r1, r2, r3;
};

static inline struct hv_ret hcall(unsigned long fn, unsigned long a0, unsigned long a1,
                                  unsigned long a2, unsigned long a3, unsigned long a4)
{
    register unsigned long o0 __asm__("o0") = a0;
    register unsigned long o1 __asm__("o1") = a1;
    register unsigned long o2 __asm__("o2") = a2;
    register unsigned long o3 __asm__("o3") = a3;
    register unsigned long o4 __asm__("o4") = a4;
    register unsigned long o5 __asm__("o5") = fn;
    __asm__ __volatile__("ta 0x80"
                         : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o3), "+r"(o4), "+r"(o5)
                         :: "memory");
    struct hv_ret r = { (long)o0, o1, o2, o3 };
    return r;
}

static inline struct hv_ret htrap(unsigned long trapno, unsigned long a0,
                                  unsigned long a1, unsigned long a2, unsigned long a3,
                                  unsigned long fn)
{
    register unsigned long o0 __asm__("o0") = a0;
    register unsigned long o1 __asm__("o1") = a1;
    register unsigned long o2 __asm__("o2") = a2;
    register unsigned long o3 __asm__("o3") = a3;
    register unsigned long o4 __asm__("o4") = 0;
    register unsigned long o5 __asm__("o5") = fn;
    switch (trapno) {
    case 0x83:
        __asm__ __volatile__("ta 0x83" : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o3), "+r"(o4),
                             "+r"(o5) :: "memory");
        break;
    case 0x84:
        __asm__ __volatile__("ta 0x84" : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o3), "+r"(o4),
                             "+r"(o5) :: "memory");
        break;
    case 0xff:
        __asm__ __volatile__("ta 0xff" : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o3), "+r"(o4),
                             "+r"(o5) :: "memory");
        break;
    default:
        __asm__ __volatile__("ta 0x81" : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o3), "+r"(o4),
                             "+r"(o5) :: "memory");
        break;
    }
    struct hv_ret r = { (long)o0, o1, o2, o3 };
    return r;
}

#define HC0(fn)                 hcall(fn, 0, 0, 0, 0, 0)
#define HC1(fn, a)              hcall(fn, a, 0, 0, 0, 0)
#define HC2(fn, a, b)           hcall(fn, a, b, 0, 0, 0)
#define HC3(fn, a, b, c)        hcall(fn, a, b, c, 0, 0)
#define HC4(fn, a, b, c, d)     hcall(fn, a, b, c, d, 0)

/* ---- console ------------------------------------------------------------------------- */
static spinlock_t rt_cons_lock;

static void rt_putc(void *arg, int c)
{
    (void)arg;
    if (c == '\n')
        HC1(CONS_PUTCHAR, '\r');
    while (HC1(CONS_PUTCHAR, (unsigned long)c).status == EWOULDBLOCK)
        ;
}

static inline void printf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void printf_(const char *fmt, ...)
{
    va_list ap;
    spin_lock(&rt_cons_lock);
    va_start(ap, fmt);
    fw_vformat(rt_putc, 0, fmt, ap);
    va_end(ap);
    spin_unlock(&rt_cons_lock);
}
#define printf printf_

static inline void guest_exit(unsigned long code)
{
    for (;;)
        HC1(MACH_EXIT, code);
}

/* ---- addresses: VA <-> RA of the image (mapped at LINK_BASE) --------------------------- */
static unsigned long rt_real_base;
static inline unsigned long ra_of(const volatile void *va)
{
    return (unsigned long)va - LINK_BASE + rt_real_base;
}

/* ---- the guest MD ----------------------------------------------------------------------- */
static uint8_t rt_md_buf[65536] __attribute__((aligned(16)));
static struct md rt_md;

static inline int rt_read_md(void)
{
    struct hv_ret r = HC2(MACH_DESC, ra_of(rt_md_buf), sizeof(rt_md_buf));
    if (r.status != EOK)
        return -1;
    return md_init(&rt_md, rt_md_buf, r.r1);
}

static inline const char *rt_domain_name(void)
{
    const char *s;
    int p = md_find_node(&rt_md, -1, "platform");
    if (p < 0 || md_get_str(&rt_md, p, "domain-name", &s))
        return "?";
    return s;
}

static inline uint64_t rt_workload_val(const char *name, uint64_t dflt)
{
    uint64_t v;
    int w = md_find_node(&rt_md, -1, "workload");
    if (w < 0 || md_get_val(&rt_md, w, name, &v))
        return dflt;
    return v;
}

/* start vCPU `vid` at crt0's `secondary` (real address) */
extern char secondary[];
static inline long start_cpu(unsigned long vid)
{
    return HC4(CPU_START, vid, ra_of(secondary), rt_real_base, rt_real_base).status;
}

static inline unsigned long rd_stick(void)
{
    unsigned long v;
    __asm__ __volatile__("rd %%asr24, %0" : "=r"(v));
    return v & ~(1UL << 63);
}

/* idle for about `ticks` %stick ticks: a STICK compare interrupt wakes cpu_yield (the
   match stays in SOFTINT; it is cleared after) */
static inline void yield_for(unsigned long ticks)
{
    unsigned long t = rd_stick() + ticks;
    __asm__ __volatile__("wr %0, 0, %%asr25" :: "r"(t));
    HC0(CPU_YIELD);
    __asm__ __volatile__("wr %0, 0, %%asr21" :: "r"(SOFTINT_SM | SOFTINT_TM));
}

/* The guest_trap of a test guest that expects no trap: report it and exit 0xee. */
static inline int rt_unexpected_trap(unsigned long tt, unsigned long tpc, unsigned long tl)
{
    printf("unexpected trap %#lx at %#lx (TL %lu)\n", tt, tpc, tl);
    guest_exit(0xee);
    return 0;
}

/* A secondary vCPU with nothing to do: yield to the hypervisor for ever. */
static inline void rt_idle(unsigned long ticks)
{
    for (;;)
        yield_for(ticks);
}

static inline unsigned long ld_real(unsigned long ra)
{
    unsigned long v;
    __asm__ __volatile__("ldxa [%1] 0x14, %0" : "=r"(v) : "r"(ra) : "memory");
    return v;
}

static inline void st_real(unsigned long ra, unsigned long v)
{
    __asm__ __volatile__("stxa %0, [%1] 0x14" :: "r"(v), "r"(ra) : "memory");
}

#endif
