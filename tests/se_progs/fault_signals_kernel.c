/* Synchronous traps whose signal qemu-sparc64 7.2 gets wrong (most it does not handle at
 * all: "Unhandled trap"), with what Linux sparc64 (sun4v) gives; the expected lines and
 * the kernel function behind each are in tests/test_se_process.py (FAULT_ROWS). */
#include <sys/mman.h>
#include <unistd.h>
#include <sys/syscall.h>

#define FAULT_WIDTH 26
#define FAULT_TRAPNO
#include "../progs/fault_catch.h"

#define AT(label, insn) asm volatile(".globl " label "\n" label ":\n\t" insn \
                                     ::: "memory", "g1", "o0", "o1")
extern char l_sdivx[], l_udiv[], l_rdpr[], l_wrpr[], l_done[], l_ta5[], l_ta1[], l_ta2[],
    l_taddcctv[], l_ldxa_priv[], l_fdivd[];

int main(void)
{
    catch_faults(SA_ONSTACK);
    static char alt[65536];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    sigaltstack(&ss, 0);

    TRY("sdivx by zero", l_sdivx,
        asm volatile("mov 0, %%o1\n\tmov 7, %%o0\n\t.globl l_sdivx\nl_sdivx:\n\t"
                     "sdivx %%o0, %%o1, %%o0" ::: "o0", "o1"));
    TRY("udiv by zero", l_udiv,
        asm volatile("mov 0, %%o1\n\twr %%g0, 0, %%y\n\t.globl l_udiv\nl_udiv:\n\t"
                     "udiv %%o0, %%o1, %%o0" ::: "o0", "o1"));
    TRY("rdpr %pstate", l_rdpr, AT("l_rdpr", "rdpr %%pstate, %%g1"));
    TRY("wrpr %pil", l_wrpr, AT("l_wrpr", "wrpr %%g0, 15, %%pil"));
    TRY("done", l_done, AT("l_done", "done"));
    TRY("ta 5", l_ta5, AT("l_ta5", "ta 5"));
    TRY("ta 1 (breakpoint)", l_ta1, AT("l_ta1", "ta 1"));
    TRY("ta 2 (divide by zero)", l_ta2, AT("l_ta2", "ta 2"));
    TRY("taddcctv overflow", l_taddcctv,
        asm volatile("mov 1, %%o0\n\tmov 2, %%o1\n\t.globl l_taddcctv\nl_taddcctv:\n\t"
                     "taddcctv %%o0, %%o1, %%o0" ::: "o0", "o1", "cc"));

    static char buf[64] __attribute__((aligned(16)));
    TRY("jmpl misaligned", (char *)main + 2,
        asm volatile("jmpl %0, %%g0\n\tnop" :: "r"((char *)main + 2)));
    /* an ASI that names no memory, and a store through a no-fault ASI: the hypervisor's
       "invalid ASI" data access exception */
    TRY("ldxa invalid ASI 0x85", buf + 8,
        asm volatile("ldxa [%0] 0x85, %%g1" :: "r"(buf + 8) : "g1"));
    TRY("stxa no-fault ASI 0x82", buf + 16,
        asm volatile("stxa %%g0, [%0] 0x82" :: "r"(buf + 16) : "memory"));
    /* a restricted ASI from user mode: privileged_action */
    TRY("ldxa restricted ASI 0x14", l_ldxa_priv,
        asm volatile("mov %0, %%o0\n\t.globl l_ldxa_priv\nl_ldxa_priv:\n\t"
                     "ldxa [%%o0] 0x14, %%g1" :: "r"(buf) : "g1", "o0"));
    /* a no-fault load of nothing reads 0 */
    long nf = 5;
    TRY("ldxa no-fault unmapped", 0,
        asm volatile("ldxa [%1] 0x82, %0" : "=r"(nf) : "r"(0x40UL)));
    printf("  no-fault load gave %ld\n", nf);
    /* LDDF/STDF at a word-aligned address: completed by the kernel, two words */
    double d = 0;
    unsigned int *w4 = (unsigned int *)((char *)buf + 4);
    w4[0] = 0x40091eb8, w4[1] = 0x51eb851f;
    TRY("lddf at 8n+4", 0,
        asm volatile("ldd [%1], %0" : "=e"(d) : "r"(w4) : "memory"));
    printf("  lddf at 8n+4 read %.2f\n", d);
    double two = 2.5;
    TRY("stdf at 8n+4", 0,
        asm volatile("std %0, [%1]" :: "e"(two), "r"(w4 + 2) : "memory"));
    printf("  stdf at 8n+4 wrote %08x %08x\n", w4[2], w4[3]);
    TRY("lddf at 8n+4 unmapped", 0x14,
        asm volatile("ldd [%1], %0" : "=e"(d) : "r"(0x14UL) : "memory"));
    /* an IEEE exception the program enabled (FSR.TEM.DZ) */
    unsigned long fsr = 0x01000000UL;         /* TEM bit 24 = DZ */
    asm volatile("ldx %0, %%fsr" :: "m"(fsr));
    double one = 1.0, zero = 0.0, q = 0;
    TRY("fdivd by zero (TEM.DZ)", l_fdivd,
        asm volatile(".globl l_fdivd\nl_fdivd:\n\tfdivd %1, %2, %0"
                     : "=e"(q) : "e"(one), "e"(zero)));
    fsr = 0;
    asm volatile("ldx %0, %%fsr" :: "m"(fsr));
    /* a register window that cannot be written to its stack (flushw with a bad %sp) */
    TRY("flushw, window at bad %sp", 0,
        asm volatile("save %%sp, -192, %%sp\n\t"
                     "mov 0x801, %%sp\n\t"              /* + 2047: address 0x1000 */
                     "save %%sp, -192, %%sp\n\t"
                     "flushw\n\t"
                     "restore\n\trestore" ::: "memory"));
    /* ta 3: the kernel writes every window to the stack and goes on */
    TRY("ta 3 (flush windows)", 0, asm volatile("ta 3" ::: "memory"));
    /* ta 0x11: the old 64-bit system call trap */
    long pid = 0;
    TRY("ta 0x11 getpid", 0,
        asm volatile("mov %1, %%g1\n\tta 0x11\n\tmov %%o0, %0"
                     : "=r"(pid) : "i"(SYS_getpid) : "g1", "o0", "o1", "cc"));
    printf("  ta 0x11 getpid matches: %d\n", pid == getpid());
    return 0;
}
