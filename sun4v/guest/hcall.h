/* Hypercalls: `ta FAST_TRAP` with the function number in %o5 and arguments in
   %o0-%o4; the status comes back in %o0 and results in %o1-%o3 (sun4v/hypervisor.h,
   reference sun4v.md §1.4). The %o registers a call uses are volatile; the compiler is
   told so. Every address argument is a real address (va2ra). */
#ifndef GUEST_HCALL_H
#define GUEST_HCALL_H

#include "types.h"
#include <sun4v/hypervisor.h>

#define HV_STR_(x) #x
#define HV_STR(x) HV_STR_(x)

static inline u64 hv_call(u64 fn, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4,
                          u64 *r1, u64 *r2, u64 *r3)
{
    register u64 o0 __asm__("o0") = a0;
    register u64 o1 __asm__("o1") = a1;
    register u64 o2 __asm__("o2") = a2;
    register u64 o3 __asm__("o3") = a3;
    register u64 o4 __asm__("o4") = a4;
    register u64 o5 __asm__("o5") = fn;
    __asm__ __volatile__("ta " HV_STR(FAST_TRAP)
                         : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o3), "+r"(o4), "+r"(o5)
                         : : "memory");
    if (r1) *r1 = o1;
    if (r2) *r2 = o2;
    if (r3) *r3 = o3;
    return o0;
}

/* the unversioned core calls (ta CORE_TRAP) */
static inline u64 hv_core(u64 fn, u64 a0, u64 a1, u64 a2, u64 *r1, u64 *r2)
{
    register u64 o0 __asm__("o0") = a0;
    register u64 o1 __asm__("o1") = a1;
    register u64 o2 __asm__("o2") = a2;
    register u64 o5 __asm__("o5") = fn;
    __asm__ __volatile__("ta " HV_STR(CORE_TRAP)
                         : "+r"(o0), "+r"(o1), "+r"(o2), "+r"(o5) : : "o3", "o4", "memory");
    if (r1) *r1 = o1;
    if (r2) *r2 = o2;
    return o0;
}

#define HV0(fn)                 hv_call(fn, 0, 0, 0, 0, 0, 0, 0, 0)
#define HV1(fn, a)              hv_call(fn, a, 0, 0, 0, 0, 0, 0, 0)
#define HV2(fn, a, b)           hv_call(fn, a, b, 0, 0, 0, 0, 0, 0)
#define HV3(fn, a, b, c)        hv_call(fn, a, b, c, 0, 0, 0, 0, 0)
#define HV4(fn, a, b, c, d)     hv_call(fn, a, b, c, d, 0, 0, 0, 0)

static inline u64 hv_api_set_version(u64 group, u64 major, u64 minor, u64 *actual_minor)
{
    return hv_core(API_SET_VERSION, group, major, minor, actual_minor, 0);
}
static inline void hv_mach_exit(u64 code) { HV1(MACH_EXIT, code); }
static inline void hv_mach_sir(void) { HV0(MACH_SIR); }
static inline u64 hv_mach_desc(u64 ra, u64 len, u64 *size)
{
    return hv_call(MACH_DESC, ra, len, 0, 0, 0, size, 0, 0);
}
static inline u64 hv_cpu_start(u64 cpu, u64 pc, u64 rtba, u64 arg)
{
    return HV4(CPU_START, cpu, pc, rtba, arg);
}
static inline u64 hv_cpu_stop(u64 cpu) { return HV1(CPU_STOP, cpu); }
static inline u64 hv_cpu_yield(void) { return HV0(CPU_YIELD); }
static inline u64 hv_cpu_qconf(u64 queue, u64 ra, u64 n) { return HV3(CPU_QCONF, queue, ra, n); }
static inline u64 hv_cpu_myid(u64 *id) { return hv_call(CPU_MYID, 0, 0, 0, 0, 0, id, 0, 0); }
static inline u64 hv_cpu_state(u64 cpu, u64 *state)
{
    return hv_call(CPU_STATE, cpu, 0, 0, 0, 0, state, 0, 0);
}
static inline u64 hv_cpu_mondo_send(u64 n, u64 list_ra, u64 data_ra)
{
    return HV3(CPU_MONDO_SEND, n, list_ra, data_ra);
}
static inline u64 hv_mmu_tsb_ctx0(u64 n, u64 ra) { return HV2(MMU_TSB_CTX0, n, ra); }
static inline u64 hv_cons_putchar(u64 c) { return HV1(CONS_PUTCHAR, c); }
static inline u64 hv_cons_write(u64 ra, u64 len, u64 *done)
{
    return hv_call(CONS_WRITE, ra, len, 0, 0, 0, done, 0, 0);
}
static inline u64 hv_vintr_set_cookie(u64 dh, u64 ino, u64 cookie)
{
    return HV3(VINTR_SET_COOKIE, dh, ino, cookie);
}
static inline u64 hv_vintr_set_valid(u64 dh, u64 ino, u64 v) { return HV3(VINTR_SET_VALID, dh, ino, v); }
static inline u64 hv_vintr_set_state(u64 dh, u64 ino, u64 s) { return HV3(VINTR_SET_STATE, dh, ino, s); }
static inline u64 hv_vintr_set_target(u64 dh, u64 ino, u64 cpu)
{
    return HV3(VINTR_SET_TARGET, dh, ino, cpu);
}
static inline u64 hv_ldc_tx_qconf(u64 ch, u64 ra, u64 n) { return HV3(LDC_TX_QCONF, ch, ra, n); }
static inline u64 hv_ldc_rx_qconf(u64 ch, u64 ra, u64 n) { return HV3(LDC_RX_QCONF, ch, ra, n); }
static inline u64 hv_ldc_tx_get_state(u64 ch, u64 *head, u64 *tail, u64 *state)
{
    return hv_call(LDC_TX_GET_STATE, ch, 0, 0, 0, 0, head, tail, state);
}
static inline u64 hv_ldc_rx_get_state(u64 ch, u64 *head, u64 *tail, u64 *state)
{
    return hv_call(LDC_RX_GET_STATE, ch, 0, 0, 0, 0, head, tail, state);
}
static inline u64 hv_ldc_tx_set_qtail(u64 ch, u64 tail) { return HV2(LDC_TX_SET_QTAIL, ch, tail); }
static inline u64 hv_ldc_rx_set_qhead(u64 ch, u64 head) { return HV2(LDC_RX_SET_QHEAD, ch, head); }

#endif
