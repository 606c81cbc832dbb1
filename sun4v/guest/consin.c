/* Console input: what a user types on the domain's console (the hypervisor's
   cons_getchar, CORE 1.0; reference/sun4v.md §1.4: a character, or EWOULDBLOCK when
   none is waiting).  The hypervisor raises no interrupt for console input (Sun's
   guests poll it too: the qcn driver's polled input), so a system thread looks every
   CONSIN_POLL_US of the domain's time, takes every waiting character, and acts as a
   terminal line discipline: characters are echoed, DEL / BS erases, CR or LF ends the
   line (CR LF and CR NUL, as telnet sends them, end it once).  Nothing is printed
   until something is typed, so an untouched console shows only the kernel's output.

   A line is a command of the domain's small monitor; its answer is the domain's own
   view, then the prompt "NAME# ":
     help     the commands
     uptime   time since this kernel booted (%stick), vCPUs online
     vcpus    the vCPUs online, as a list ("0-3")
     (empty)  the prompt again
   anything else: "WORD: command not found". */
#include "kernel.h"
#include "hcall.h"

#define CONSIN_POLL_US  10000
#define LINE_MAX        128

static char line[LINE_MAX];
static u64 len;
static int last_cr;                 /* the previous character ended a line with CR */

static int cons_getc(void)
{
    u64 c = 0;
    if (hv_call(CONS_GETCHAR, 0, 0, 0, 0, 0, &c, 0, 0) != EOK)
        return -1;
    return (int)(c & 0xff);
}

static void online_list(char *buf, u64 cap, int *count)
{
    u64 n = 0;
    *count = 0;
    buf[0] = 0;
    for (int i = 0; i < MAXCPUS; i++) {
        if (cpus[i].state != CPU_ONLINE)
            continue;
        int j = i;
        while (j + 1 < MAXCPUS && cpus[j + 1].state == CPU_ONLINE)
            j++;
        *count += j - i + 1;
        if (n < cap - 12) {
            n += (u64)snprintf(buf + n, cap - n, n ? ",%d" : "%d", i);
            if (j > i)
                n += (u64)snprintf(buf + n, cap - n, "-%d", j);
        }
        i = j;
    }
}

static void prompt(void)
{
    kprintf("%s# ", md.domain[0] ? md.domain : "guest");
}

static void command(void)
{
    char cpu[128];
    int online;
    u64 s = 0, e;
    while (s < len && line[s] == ' ')
        s++;
    e = len;
    while (e > s && line[e - 1] == ' ')
        e--;
    line[e] = 0;
    const char *w = line + s;
    if (!*w) {
        /* an empty line: the prompt again */
    } else if (!strcmp(w, "help")) {
        kprintf("commands: help uptime vcpus\n");
    } else if (!strcmp(w, "uptime")) {
        u64 us = (rd_stick() - COUNTERS->boot_stick) / (stick_hz / 1000000);
        online_list(cpu, sizeof(cpu), &online);
        kprintf("up %lu.%03lu ms, %d vCPUs online\n", us / 1000, us % 1000, online);
    } else if (!strcmp(w, "vcpus")) {
        online_list(cpu, sizeof(cpu), &online);
        kprintf("%d vCPUs online: %s\n", online, cpu);
    } else {
        kprintf("%s: command not found\n", w);
    }
    prompt();
}

static void input(int c)
{
    char echo[2];
    if ((c == '\n' || c == 0) && last_cr) {     /* CR LF, CR NUL: one end of line */
        last_cr = 0;
        return;
    }
    last_cr = c == '\r';
    if (c == '\r' || c == '\n') {
        kprintf("\n");
        command();
        len = 0;
        return;
    }
    if (c == 0x7f || c == 0x08) {
        if (len) {
            len--;
            kprintf("\b \b");
        }
        return;
    }
    if (c < 0x20 || len >= LINE_MAX - 1)
        return;                                 /* other controls; a full line */
    line[len++] = (char)c;
    echo[0] = (char)c;
    echo[1] = 0;
    kprintf("%s", echo);
}

static void consin_thread(void *arg)
{
    (void)arg;
    for (;;) {
        int c;
        while ((c = cons_getc()) >= 0)
            input(c);
        sleep_us(CONSIN_POLL_US);
    }
}

void console_input_start(void)
{
    thread_create_sys("consin", consin_thread, 0);
}
