/* sigaction handlers for SIGUSR1/SIGUSR2/SIGABRT invoked with raise(), masks via
 * sigprocmask, an abort() caught and escaped with siglongjmp, then a normal exit. */
#include <stdio.h>
#include <signal.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t hits[65];
static volatile sig_atomic_t last_sig;
static sigjmp_buf escape;
static volatile int escape_armed;

static void handler(int sig)
{
    hits[sig]++;
    last_sig = sig;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "handler: signal %d (count %d)\n", sig, (int)hits[sig]);
    write(1, msg, n);
}

static void info_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    hits[sig]++;
    char msg[80];
    int n = snprintf(msg, sizeof msg, "info handler: sig %d si_signo %d code_is_tkill %d\n",
                     sig, si->si_signo, si->si_code == SI_TKILL);
    write(1, msg, n);
}

static void abort_handler(int sig)
{
    hits[sig]++;
    write(1, "abort handler entered\n", 22);
    if (escape_armed)
        siglongjmp(escape, 7);
}

static long work(int n)
{
    long s = 0;
    for (int i = 0; i < n; i++) s += (long)i * i % 13;
    return s;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGUSR2, &sa, NULL)) { perror("sigaction"); return 1; }
    setvbuf(stdout, NULL, _IONBF, 0);

    for (int i = 0; i < 3; i++) {
        printf("raising SIGUSR1 #%d\n", i);
        raise(SIGUSR1);
        printf("back, work=%ld\n", work(1000 * (i + 1)));
    }
    raise(SIGUSR2);
    printf("last signal %d\n", (int)last_sig);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    printf("blocked: count still %d\n", (int)hits[SIGUSR1]);
    sigset_t pend;
    sigpending(&pend);
    printf("pending SIGUSR1: %d\n", sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: count now %d\n", (int)hits[SIGUSR1]);

    struct sigaction si;
    memset(&si, 0, sizeof si);
    si.sa_sigaction = info_handler;
    si.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &si, NULL);
    raise(SIGUSR2);

    struct sigaction ab, prev;
    memset(&ab, 0, sizeof ab);
    ab.sa_handler = abort_handler;
    sigaction(SIGABRT, &ab, &prev);
    printf("previous SIGABRT handler was default: %d\n", prev.sa_handler == SIG_DFL);
    raise(SIGABRT);              /* handler returns, we continue */
    printf("survived raise(SIGABRT)\n");
    int code = sigsetjmp(escape, 1);
    if (code == 0) {
        escape_armed = 1;
        abort();                 /* handler escapes with siglongjmp */
    }
    escape_armed = 0;
    printf("escaped abort with code %d, SIGABRT hits %d\n", code, (int)hits[SIGABRT]);

    signal(SIGUSR1, SIG_IGN);
    raise(SIGUSR1);
    printf("ignored SIGUSR1, count %d\n", (int)hits[SIGUSR1]);
    fprintf(stderr, "signals done\n");
    return hits[SIGUSR1] * 10 + hits[SIGUSR2] + hits[SIGABRT];
}
