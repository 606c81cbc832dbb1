/* hstick_match wakes a halted strand at the right count: strand 0 sets HSTICK_CMPR =
   %stick + DELTA, enables interrupts and halts (T1 %asr26, T2 %hpr30). The match wakes
   it and hstick_match (0x5E) is taken at once, at the match: crt0 records %stick and
   %tick at the trap. The handler clears HINTP. Results at RES: %stick read, the compare
   value, %stick and %tick at the trap. */
#include "rt.h"

#define RES 0x200000UL
#define DELTA 20000

volatile u64 fired;

void interrupt(u64 tt)
{
	if (tt == 0x5e) {
		WRHPR(HPR_HINTP, 0);
		fired = 1;
	}
}

int main(u64 id)
{
	u64 s0 = rd_stick() & ~(1UL << 63);
	WRHPR(HPR_HSTICK_CMPR, s0 + DELTA);
	intr_enable();
	halt();                 /* DELTA is far off: the match comes while halted */
	while (!fired)
		;
	st64(RES, s0);
	st64(RES + 8, s0 + DELTA);
	st64(RES + 16, trap_stick);
	st64(RES + 24, trap_tick);
	return (trap_stick & ~(1UL << 63)) >= s0 + DELTA ? 0x0d : 0xbad;
}
