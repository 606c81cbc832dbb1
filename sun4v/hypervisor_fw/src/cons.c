/* Guest consoles: each guest's console is its own 16550 UART (the HV MD console node's
   `uartbase`, one of the platform's guest UARTs at 0x1F_1000_0000 + n * 0x2000; the
   host reads and feeds it).  cons_putchar waits for the transmitter (always ready in
   this machine); cons_getchar returns a received byte or CONS_NONE.  A guest without a
   console loses its output and reads nothing. */
#include "hv.h"

#define UART_RBR    0
#define UART_THR    0
#define UART_LSR    5
#define LSR_DR      0x01
#define LSR_THRE    0x20

int cons_putchar(struct guest *g, uint64_t c)
{
    if (c > 0xff)
        return EINVAL;
    if (!g->uartbase)
        return EOK;
    volatile uint8_t *u = (volatile uint8_t *)g->uartbase;
    if (!(u[UART_LSR] & LSR_THRE))
        return EWOULDBLOCK;
    u[UART_THR] = (uint8_t)c;
    return EOK;
}

int64_t cons_getchar(struct guest *g)
{
    if (!g->uartbase)
        return CONS_NONE;
    volatile uint8_t *u = (volatile uint8_t *)g->uartbase;
    if (!(u[UART_LSR] & LSR_DR))
        return CONS_NONE;
    return u[UART_RBR];
}
