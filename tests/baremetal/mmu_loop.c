/* The kernel of tests/bench/xlate_kernel.h in privileged mode with both MMUs on, through
   TLB entries of its own (`sun4v bench` compares its speed with tests/bench/xlate_loop
   under `sun4v run`; tests/test_xlate.py checks its result). Strand 0, hyperprivileged
   after crt0, maps in partition 0, context 1: the program's 4 MB at 0x400000 (code,
   data, stacks) by one ITLB and one DTLB entry at VA = PA, and the kernel's array at VA
   ARRAY_VA by 8 KB DTLB entries, one per page, to RAM at ARRAY_PA; turns both MMUs on
   and leaves hyperprivileged mode (wrhpr %hpstate); runs the kernel ROUNDS times over
   the array; returns to hyperprivileged mode through a hypervisor trap (ta 0x80: tt
   0x180, crt0's trap table calls trap() below) and powers off with the kernel's result
   folded to 8 bits. The result's 64 bits are left at RES. */
#include "rt.h"
#include "../bench/xlate_kernel.h"

#define ROUNDS    50
#define RES       0x200000UL
#define CODE      0x400000UL            /* the program: 4 MB page at VA = PA */
#define ARRAY_VA  0x10000000UL
#define ARRAY_PA  0x1000000UL
#define CTX       1
#define TTE_V     (1UL << 63)
#define TTE_X     0x80
#define TTE_W     0x40
#define SIZE_8K   0
#define SIZE_4M   3

static u64 din_flags;                   /* T1: 0x400 = sun4v format */

static void itlb_in(u64 va, u64 tte)
{
	STXA(va | CTX, 0x30, 0x50);
	STXA(tte, din_flags, 0x54);
}

static void dtlb_in(u64 va, u64 tte)
{
	STXA(va | CTX, 0x30, 0x58);
	STXA(tte, din_flags, 0x5c);
}

/* hyperprivileged trap handler (crt0): ta 0x80 from privileged mode returns to it
   hyperprivileged (HTSTATE.hpriv); anything else powers off with 0xE0 | tt */
void trap(u64 tt, u64 tpc)
{
	if (tt == 0x180) {
		WRHPR(1, RDHPR(1) | 4);         /* HTSTATE */
		return;
	}
	st64(RES + 8, tt);
	st64(RES + 16, tpc);
	__asm__ volatile("mov %0, %%o0\n\tta %%xcc, 0x71" : : "r"(0xe0 | (tt & 0xf)) : "o0");
}

int main(u64 id)
{
	unsigned long *a = (unsigned long *)ARRAY_VA;
	unsigned long r;
	din_flags = is_t1() ? 0x400 : 0;
	STXA(0, 0x80, 0x58);                            /* partition 0 */
	STXA(CTX, 0x8, 0x21);                           /* primary context 1 */
	itlb_in(CODE, TTE_V | CODE | TTE_X | SIZE_4M);
	dtlb_in(CODE, TTE_V | CODE | TTE_W | SIZE_4M);
	for (u64 p = 0; p < XK_WORDS * 8; p += 0x2000)
		dtlb_in(ARRAY_VA + p, TTE_V | (ARRAY_PA + p) | TTE_W | SIZE_8K);
	STXA(0xc, 0, 0x45);                             /* both MMUs on */
	WRHPR(HPR_HPSTATE, RDHPR(HPR_HPSTATE) & ~4UL);  /* privileged from here */
	xlate_init(a);
	r = xlate_kernel(a, ROUNDS);
	__asm__ volatile("ta %%xcc, 0x80" ::: "memory"); /* hyperprivileged again */
	st64(RES, r);
	return r & 0xff;
}
