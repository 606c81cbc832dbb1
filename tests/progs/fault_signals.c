/* Each synchronous trap of a user program and the signal Linux sparc64 (sun4v) sends:
 * caught with SA_SIGINFO, printed as signal name, si_code and where si_addr points
 * (the faulting instruction or the address used).  Only rows qemu-sparc64 7.2 gets right
 * are here (it is the corpus's oracle); the others, checked against the kernel source,
 * are tests/se_progs/fault_signals_kernel.c (tests/test_se_process.py). */
#include <sys/mman.h>
#include <unistd.h>

#include "fault_catch.h"

/* a trapping instruction at a known address: label it and return it */
#define AT(label, insn) asm volatile(".globl " label "\n" label ":\n\t" insn ::: "memory", "g1")
extern char l_illtrap[];

int main(void)
{
    catch_faults(0);

    /* illegal instruction: illtrap -> ILL_ILLOPC at the instruction */
    TRY("illtrap", l_illtrap, AT("l_illtrap", "illtrap 0"));
    /* misaligned loads and stores -> BUS_ADRALN at the address */
    static char buf[64] __attribute__((aligned(16)));
    TRY("ldx misaligned", buf + 4, asm volatile("ldx [%0], %%g1" :: "r"(buf + 4) : "g1"));
    TRY("stw misaligned", buf + 2, asm volatile("st %%g0, [%0]" :: "r"(buf + 2) : "memory"));
    TRY("lduh misaligned", buf + 1, asm volatile("lduh [%0], %%g1" :: "r"(buf + 1) : "g1"));
    TRY("casx misaligned", buf + 4,
        asm volatile("casx [%0], %%g0, %%g1" :: "r"(buf + 4) : "g1", "memory"));

    /* an unmapped address -> SEGV_MAPERR at it */
    TRY("load unmapped", 0x10, { volatile int v = *(volatile int *)0x10; (void)v; });
    TRY("store unmapped", 0x18, { *(volatile long *)0x18 = 1; });
    /* a mapped page without the access -> SEGV_ACCERR */
    char *ro = mmap(0, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TRY("store read-only", ro + 8, { *(volatile long *)(ro + 8) = 1; });
    char *none = mmap(0, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TRY("load PROT_NONE", none + 16, { volatile long v = *(volatile long *)(none + 16); (void)v; });
    /* jumping to an unmapped address -> SEGV_MAPERR at the target */
    TRY("call unmapped", 0x2000, ((void (*)(void))0x2000)());
    /* ... and to a page without execute permission -> SEGV_ACCERR at the target */
    TRY("call PROT_READ page", ro + 64, ((void (*)(void))(ro + 64))());
    return 0;
}
