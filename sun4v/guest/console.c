/* Console output: the hypervisor's console calls (cons_write, CORE 1.1; cons_putchar
   with CORE 1.0). A line is formatted on the caller's stack and written whole under a
   lock, so the lines of different vCPUs do not mix. The console may be full for a
   while (EWOULDBLOCK): the writer tries again. */
#include "kernel.h"
#include "hcall.h"

static spinlock_t cons_lock;
int cons_have_write = 1;        /* main.c clears it when CORE 1.1 is not there */

void console_write(const char *s, u64 n)
{
    while (n) {
        u64 done = 0, st;
        if (cons_have_write) {
            st = hv_cons_write(va2ra(s), n, &done);
            if (st == EOK) {
                s += done;
                n -= done;
                continue;
            }
            if (st != EWOULDBLOCK)
                cons_have_write = 0;    /* fall back to one character at a time */
            continue;
        }
        st = hv_cons_putchar((u8)*s);
        if (st == EOK || st != EWOULDBLOCK) {
            s++;
            n--;
        }
    }
}

struct linebuf {
    char buf[512];
    u64 n;
};

static void line_out(void *arg, int c)
{
    struct linebuf *lb = arg;
    if (lb->n < sizeof(lb->buf))
        lb->buf[lb->n++] = (char)c;
}

static int vkprintf(const char *fmt, va_list ap)
{
    struct linebuf lb;
    lb.n = 0;
    int r = fw_vformat(line_out, &lb, fmt, ap);
    u64 p = intr_off();
    spin_lock(&cons_lock);
    console_write(lb.buf, lb.n);
    spin_unlock(&cons_lock);
    intr_restore(p);
    return r;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vkprintf(fmt, ap);
    va_end(ap);
    return r;
}

void panic(const char *fmt, ...)
{
    va_list ap;
    intr_off();
    kprintf("panic: cpu %lu: ", mycpu() ? mycpu()->id : 0UL);
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    for (;;)
        hv_mach_exit(1);
}
