/* Computes something, then stores through a bad pointer: killed by SIGSEGV. */
#include <stdio.h>
#include <stdint.h>

static volatile uintptr_t bad_address = 16;

int main(void)
{
    unsigned long h = 0;
    for (int i = 0; i < 1000; i++) h = h * 6364136223846793005UL + i;
    printf("hash %016lx\n", h);
    fprintf(stderr, "writing through a bad pointer\n");
    fflush(stdout);
    *(volatile int *)bad_address = 1;
    printf("unreachable\n");
    return 0;
}
