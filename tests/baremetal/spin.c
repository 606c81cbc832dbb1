/* A long run for the worker-thread tests: strands 0 and 1 each add up their counters
   COUNT times; strand 0 waits for strand 1 and powers off with a checksum. */
#include "rt.h"

#define COUNT 1500000

volatile u64 sum[2], done1;

int main(u64 id)
{
	u64 i;
	if (id == 0)
		start_strand(1);
	for (i = 0; i < COUNT; i++)
		sum[id] += i ^ id;
	if (id == 1) {
		done1 = 1;
		for (;;)
			halt();
	}
	while (!done1)
		;
	return (sum[0] + sum[1]) & 0xff;
}
