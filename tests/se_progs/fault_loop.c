/* A fault whose handler cannot run a single instruction: the handler's address is not
 * mapped, so every delivery faults again at once (SA_NODEFER lets it), pushing one more
 * signal frame each time until the stack is full and SIGSEGV kills the program. No
 * instruction completes in that loop; sun4v's --max-insns must count the attempts. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = (void (*)(int))0x2000;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, 0);
    printf("looping\n");
    fflush(stdout);
    *(volatile int *)8 = 1;
    printf("not reached\n");
    return 0;
}
