/* A strand parked and resumed: strand 1 counts in a loop; strand 0 parks it (T1 IOB
   INT_VEC_DIS idle, T2 ASI 0x41 CORE_RUNNING_W1C), checks that the count stands still
   over 20000 of its own iterations, resumes it (IOB resume, CORE_RUNNING_W1S) and checks
   that it counts again. Results at RES: count at park, count after the wait, count after
   resume, T2 CORE_RUNNING_STATUS while parked and after resume. */
#include "rt.h"

#define RES 0x200000UL

volatile u64 counter;

int main(u64 id)
{
	u64 i, c1, c2;
	if (id == 1)
		for (;;)
			counter++;
	start_strand(1);
	while (counter < 100)
		;
	park_strand(1);
	c1 = counter;
	st64(RES + 24, is_t1() ? 0 : running_strands());
	for (i = 0; i < 20000; i++)
		__asm__ volatile("" ::: "memory");
	c2 = counter;
	start_strand(1);
	st64(RES + 32, is_t1() ? 0 : running_strands());
	while (counter == c2)
		;
	st64(RES, c1);
	st64(RES + 8, c2);
	st64(RES + 16, counter);
	return c1 == c2 && counter > c2 ? 0x0d : 0xbad;
}
