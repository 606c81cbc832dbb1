/* Catching a synchronous trap's signal in a test program: the handler keeps the siginfo
 * and jumps back; TRY(what, expect, body) runs `body`, which must trap, and prints one
 * line: the signal's name, si_code and whether si_addr is `expect` (the faulting
 * instruction or the address used).  FAULT_WIDTH sets the width of the `what` column;
 * with FAULT_TRAPNO the line ends with si_trapno.  Used by tests/progs/fault_signals.c
 * and tests/se_progs/fault_signals_kernel.c. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef FAULT_WIDTH
#define FAULT_WIDTH 28
#endif

static sigjmp_buf env;
static volatile siginfo_t got;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    memcpy((void *)&got, si, sizeof got);
    siglongjmp(env, 1);
}

static const char *signame(int s)
{
    switch (s) {
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGFPE: return "SIGFPE";
    case SIGBUS: return "SIGBUS";
    case SIGSEGV: return "SIGSEGV";
    case SIGEMT: return "SIGEMT";
    default: return "other";
    }
}

static void report(const char *what, uintptr_t expect_addr)
{
    uintptr_t a = (uintptr_t)got.si_addr;
    printf("%-*s %s code %d addr %s", FAULT_WIDTH, what, signame(got.si_signo),
           got.si_code, a == expect_addr ? "as expected" : "OTHER");
#ifdef FAULT_TRAPNO
    printf(" trapno %d", got.si_trapno);
#endif
    printf("\n");
}

/* the handler for every signal a synchronous trap sends, with `flags` besides
   SA_SIGINFO | SA_NODEFER */
static void catch_faults(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | flags;
    int sigs[] = {SIGILL, SIGTRAP, SIGFPE, SIGBUS, SIGSEGV, SIGEMT};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, 0);
}

/* run `body` (a statement), which must trap */
#define TRY(what, expect, body)                                  \
    do {                                                         \
        memset((void *)&got, 0, sizeof got);                     \
        if (sigsetjmp(env, 1) == 0) {                            \
            body;                                                \
            printf("%-*s no signal\n", FAULT_WIDTH, what);       \
        } else                                                   \
            report(what, (uintptr_t)(expect));                   \
    } while (0)
