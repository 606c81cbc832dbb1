/* Cross-strand interrupt ping-pong: strand 0 and strand 1 send each other interrupt
   vectors (ASI 0x73, INT_VEC_DIS type 0) ROUNDS times. Each waits for the other's
   vector halted (T1 %asr26, T2 %hpr30; rt.h HALT_UNTIL, with no window in which the
   vector could be taken before the halt): the vector wakes it, interrupt_vector (0x60)
   runs `interrupt`, which takes the vector from ASI 0x74 and logs it. The log holds
   (strand << 8 | vector) in arrival order; main returns the two counts. */
#include "rt.h"

#define ROUNDS 10
#define LOG 0x200000UL              /* [0] count, then entries */

volatile u64 got[2];

void interrupt(u64 tt)
{
	if (tt != 0x60)
		return;
	u64 me = strand_id();
	u64 v = take_vector();
	u64 n = ld64(LOG);
	st64(LOG + 8 + 8 * n, (me << 8) | v);
	st64(LOG, n + 1);
	got[me]++;
}

int main(u64 id)
{
	u64 i;
	if (id == 1) {
		intr_enable();
		for (i = 0; i < ROUNDS; i++) {
			HALT_UNTIL(got[1] > i);
			dispatch(DIS_INTR, 0, 20 + i);
		}
		for (;;)
			halt();
	}
	start_strand(1);
	intr_enable();
	for (i = 0; i < ROUNDS; i++) {
		dispatch(DIS_INTR, 1, 40 + i);
		HALT_UNTIL(got[0] > i);
	}
	return got[0] + 100 * got[1];
}
