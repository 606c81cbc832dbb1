/* The hypervisor's own console: its UART (the HV MD root's `hvuart`, else the Legion
   address 0xFF_F0C2_C000), a 16550 whose transmitter is always ready in this machine
   (sun4v/machine/devices/uart.py); lines from several strands are kept whole by a lock.
   hv_panic reports a hypervisor bug and powers the machine off (Legion's magic exit,
   ta 0x71 in hyperprivileged mode, with HV_PANIC_CODE). */
#include "hv.h"

#define UART_THR        0
#define UART_LSR        5
#define LSR_THRE        0x20
#define HV_PANIC_CODE   0xdead

static void uart_out(uint64_t base, int c)
{
    volatile uint8_t *u = (volatile uint8_t *)base;
    int n = 0;
    while (!(u[UART_LSR] & LSR_THRE) && n++ < 100000)
        ;
    u[UART_THR] = (uint8_t)c;
}

void hv_putc(int c)
{
    uint64_t base = config.hvuart ? config.hvuart : HV_UART;
    if (c == '\n')
        uart_out(base, '\r');
    uart_out(base, c);
}

static void out(void *arg, int c)
{
    (void)arg;
    hv_putc(c);
}

void hv_printf(const char *fmt, ...)
{
    va_list ap;
    spin_lock(&config.print_lock);
    va_start(ap, fmt);
    fw_vformat(out, 0, fmt, ap);
    va_end(ap);
    spin_unlock(&config.print_lock);
}

void hv_poweroff(uint64_t code)
{
    register uint64_t o0 __asm__("o0") = code;
    for (;;)
        __asm__ __volatile__("ta %%xcc, 0x71" :: "r"(o0) : "memory");
}

void hv_panic(const char *fmt, ...)
{
    va_list ap;
    config.panicked = 1;
    config.print_lock = 0;
    hv_printf("\nhypervisor panic on strand %u: ", this_strand()->id);
    va_start(ap, fmt);
    fw_vformat(out, 0, fmt, ap);
    va_end(ap);
    hv_putc('\n');
    hv_poweroff(HV_PANIC_CODE);
}
