/* hstick_match at the right count: strand 0 sets HSTICK_CMPR = %stick + DELTA (the counter
   is bits 62:0: bit 63 of %stick is NPT, of HSTICK_CMPR the interrupt disable) and counts
   with interrupts enabled (hyperprivileged, PSTATE.ie = 1); hstick_match (0x5E) is taken
   when %stick reaches the compare value: crt0 records %stick and %tick at the trap. The
   handler clears HINTP. Results at RES: %stick read, the compare value, %stick and %tick
   at the trap, %tick read, loop count. */
#include "rt.h"

#define RES 0x200000UL
#define DELTA 5000

volatile u64 fired, count;

void interrupt(u64 tt)
{
	if (tt == 0x5e) {
		WRHPR(HPR_HINTP, 0);
		fired = 1;
	}
}

int main(u64 id)
{
	u64 t0 = rd_tick();
	u64 s0 = rd_stick() & ~(1UL << 63);
	WRHPR(HPR_HSTICK_CMPR, s0 + DELTA);
	intr_enable();
	while (!fired)
		count++;
	st64(RES, s0);
	st64(RES + 8, s0 + DELTA);
	st64(RES + 16, trap_stick);
	st64(RES + 24, trap_tick);
	st64(RES + 32, t0);
	st64(RES + 40, count);
	/* functional mode: at the match; cycle mode: the handler's first instruction
	   issues a trap refill (and an I-cache miss) later */
	return (trap_stick & ~(1UL << 63)) >= s0 + DELTA ? 0x0d : 0xbad;
}
