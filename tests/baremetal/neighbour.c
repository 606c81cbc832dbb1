/* Strand 4 times a fixed loop of loads and stores (L1 hits) with %tick while strand 0
   runs beside it (T1: on another core; T2: the same core, another thread group) until
   strand 4 is done, either reading the TOD at every iteration (a device: in cycle mode
   each read leaves the cycle loop for Python and comes back in the same cycle) or
   computing in registers, as the word at FLAG says (set by the test before the run).
   Results at RES: strand 4's loop in cycles, its checksum, strand 0's iterations. */
#include "rt.h"

#define RES 0x200000UL
#define FLAG (RES + 0x100)
#define BUF (RES + 0x200)

volatile u64 go, done4;

int main(u64 id)
{
	u64 acc = 0, n = 0;
	if (id == 4) {
		u64 t0, t1, i, x = 1;
		while (!go)
			;
		t0 = rd_tick();
		for (i = 0; i < 2000; i++) {
			x += i + (i << 1);
			st64(BUF + 8 * (i & 15), x);
			x ^= ld64(BUF + 8 * ((i + 7) & 15));
		}
		t1 = rd_tick();
		st64(RES, t1 - t0);
		st64(RES + 8, x);
		done4 = 1;
		for (;;)
			halt();
	}
	start_strand(4);
	go = 1;
	while (!done4) {
		if (ld64(FLAG))
			acc += ld64(TOD);
		else
			acc ^= (acc << 3) + n;
		n++;
	}
	st64(RES + 16, n);
	st64(RES + 24, acc);
	return 0x0d;
}
