/* Every strand of the chip started by strand 0 the chip's way (T1: IOB INT_VEC_DIS
   resume; T2: ASI 0x41 CORE_RUNNING_W1S), each reporting in with its id, then halting;
   strand 0 waits for all, prints the count and powers off with it. */
#include "rt.h"

#define REPORTS 0x200000UL          /* report[n] = 0x5a00 | n */

int main(u64 id)
{
	u64 n = nstrands(), t;
	if (id != 0) {
		st64(REPORTS + 8 * id, 0x5a00 | id);
		for (;;)
			halt();
	}
	for (t = 1; t < n; t++)
		start_strand(t);
	for (t = 1; t < n; t++)
		while (ld64(REPORTS + 8 * t) == 0)
			;
	puts_hv("strands: ");
	putu_hv(n);
	putc_hv('\n');
	return n;
}
