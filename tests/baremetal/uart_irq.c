/* A device interrupt from the UART: strand 0 routes the UARTs' interrupt (IOB/NCU device
   2) to itself with vector 9, enables the hypervisor UART's received-data interrupt and
   halts. Bytes typed on the UART raise it: interrupt_vector (0x60); the handler reads
   them while LSR.DR is set and echoes them. Returns vector * 256 + bytes read. */
#include "rt.h"

#define RES 0x200000UL

volatile u64 vec, nbytes;

void interrupt(u64 tt)
{
	if (tt != 0x60)
		return;
	vec = take_vector();
	while (ld8(HV_UART + 5) & 1) {
		char c = ld8(HV_UART);
		st64(RES + 8 * nbytes, c);
		nbytes++;
		putc_hv(c);
	}
}

int main(u64 id)
{
	route_device(DEV_SSI, 0, 9);
	st8(HV_UART + 1, 1);            /* IER: received data available */
	intr_enable();
	HALT_UNTIL(nbytes >= 4);
	return vec * 256 + nbytes;
}
