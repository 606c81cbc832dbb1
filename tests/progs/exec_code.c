/* Code that runs outside the text segment, as Linux allows it:
 *  - GCC nested functions whose address is taken run through a trampoline written on the
 *    stack, so the linker marks PT_GNU_STACK executable (RWE) and Linux maps the stack
 *    with PROT_EXEC;
 *  - code copied into mmap(PROT_READ|PROT_WRITE|PROT_EXEC) memory, and into a page made
 *    executable with mprotect(PROT_READ|PROT_EXEC) (after a flush, __builtin___clear_cache);
 *  - and what Linux refuses: executing a mapped page without PROT_EXEC, or an unmapped
 *    one, is a SIGSEGV (SEGV_ACCERR / SEGV_MAPERR) at the target address. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef long (*fn2)(long, long);

static sigjmp_buf env;
static volatile void *fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(env, 1);
}

/* sum = a * b + a, built from words: mulx %o0, %o1, %o2; retl; add %o2, %o0, %o0 */
static const uint32_t muladd[] = {0x944a0009, 0x81c3e008, 0x90028008};

static int apply(int (*f)(int), int x)
{
    return f(x);
}

static void sort_with_trampoline(int *v, int n, int descending)
{
    int calls = 0;
    int cmp(const void *a, const void *b)      /* nested: reads and writes the frame */
    {
        int x = *(const int *)a, y = *(const int *)b;
        calls++;
        return descending ? (y > x) - (y < x) : (x > y) - (x < y);
    }
    qsort(v, n, sizeof *v, cmp);
    printf("qsort %s: %d %d %d %d %d %d (comparator called %s)\n",
           descending ? "down" : "up", v[0], v[1], v[2], v[3], v[4], v[5],
           calls > 0 ? "yes" : "no");
}

static void try_call(const char *what, fn2 f)
{
    fault_addr = 0;
    fault_code = 0;
    if (sigsetjmp(env, 1) == 0) {
        long r = f(6, 7);
        printf("%s: ran, result %ld\n", what, r);
    } else {
        printf("%s: SIGSEGV code %s, at the target: %s\n", what,
               fault_code == SEGV_ACCERR ? "SEGV_ACCERR" :
               fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other",
               fault_addr == (void *)f ? "yes" : "no");
    }
}

int main(int argc, char **argv)
{
    (void)argv;
    long page = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);

    /* nested functions through stack trampolines */
    int base = argc * 100;
    int add_base(int x) { return x + base; }
    int twice(int x) { return 2 * apply(add_base, x); }
    printf("nested: %d %d\n", apply(add_base, 5), apply(twice, 7));
    base = 1000;
    printf("nested after update: %d\n", apply(add_base, 5));
    int v[6] = {42, -7, 19, 0, 1000, 3};
    sort_with_trampoline(v, 6, 0);
    sort_with_trampoline(v, 6, 1);

    /* mmap'ed executable memory */
    char *rwx = mmap(0, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    memcpy(rwx, muladd, sizeof muladd);
    __builtin___clear_cache(rwx, rwx + sizeof muladd);
    try_call("mmap rwx", (fn2)rwx);

    /* a page filled while writable, then made executable (and not writable) */
    char *rw = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(rw + page - 4, muladd, sizeof muladd);       /* straddles two pages */
    try_call("rw, not yet executable", (fn2)(rw + page - 4));
    if (mprotect(rw, 2 * page, PROT_READ | PROT_EXEC) != 0)
        perror("mprotect");
    __builtin___clear_cache(rw + page - 4, rw + page + 8);
    try_call("mprotect r-x", (fn2)(rw + page - 4));
    mprotect(rw + page, page, PROT_READ);                /* second half loses exec */
    try_call("exec lost halfway", (fn2)(rw + page - 4));

    /* sparc's data segment is RWE (the PLT lives in .data); the stack is RWE here */
    static uint32_t in_data[3];
    memcpy(in_data, muladd, sizeof muladd);
    try_call("data segment (RWE)", (fn2)in_data);
    uint32_t on_stack[3];
    memcpy(on_stack, muladd, sizeof muladd);
    __builtin___clear_cache((char *)on_stack, (char *)on_stack + sizeof on_stack);
    try_call("stack", (fn2)on_stack);

    /* unmapped */
    munmap(rwx, page);
    try_call("unmapped", (fn2)rwx);
    return 0;
}
