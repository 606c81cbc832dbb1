/* A handler that makes the faulting stack usable and returns: the program goes on where
 * it faulted.  Deep recursion runs on a 2 MB stack of its own of which only the top
 * 256 KB are usable; the SIGSEGV handler (on the alternate stack) makes the rest
 * writable and returns.
 * In "tiny" the fault is a register window spill: Linux saves the windows it could not
 * write in the signal frame (__siginfo_rwin_t) and rt_sigreturn writes them back to the
 * stack, so the recursion's sums come out right.  "big" faults on an ordinary store. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define STK (2L << 20)
#define USABLE (256L << 10)
#define DEPTH 4000L

static ucontext_t main_ctx, run_ctx;
static char *stk;
static volatile long result;
static volatile int faults, code;
static char alt[65536];

__attribute__((noinline)) static long tiny(long n)
{
    if (n == 0)
        return 0;
    long r = tiny(n - 1);
    asm volatile("" : "+r"(r));
    return r + n;
}

__attribute__((noinline)) static long big(long n)
{
    volatile long buf[24];
    buf[0] = n;
    buf[23] = 2 * n;
    if (n == 0)
        return 0;
    return big(n - 1) + buf[0] + buf[23] - 2 * n;
}

static void run_tiny(void) { result = tiny(DEPTH); }
static void run_big(void) { result = big(DEPTH); }

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    faults++;
    code = si->si_code;
    mprotect(stk, STK - USABLE, PROT_READ | PROT_WRITE);
}

static void run(const char *name, void (*fn)(void))
{
    mprotect(stk, STK - USABLE, PROT_NONE);
    faults = 0;
    result = 0;
    getcontext(&run_ctx);
    run_ctx.uc_stack.ss_sp = stk;
    run_ctx.uc_stack.ss_size = STK;
    run_ctx.uc_link = &main_ctx;
    makecontext(&run_ctx, fn, 0);
    swapcontext(&main_ctx, &run_ctx);
    printf("%s: sum %ld (expected %ld), faults %d, si_code SEGV_ACCERR %d\n", name, result,
           DEPTH * (DEPTH + 1) / 2, faults, code == SEGV_ACCERR);
}

int main(void)
{
    stk = mmap(0, STK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    sigaltstack(&ss, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, 0);
    run("tiny", run_tiny);
    run("big", run_big);
    return 0;
}
