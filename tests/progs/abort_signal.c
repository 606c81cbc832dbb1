/* Calls abort(): the process is killed by SIGABRT. Output is flushed first. */
#include <stdio.h>
#include <stdlib.h>

static int collatz_len(unsigned long n)
{
    int len = 1;
    while (n != 1) { n = n & 1 ? 3 * n + 1 : n / 2; len++; }
    return len;
}

int main(void)
{
    int best = 0; unsigned long arg = 0;
    for (unsigned long n = 1; n < 20000; n++) {
        int l = collatz_len(n);
        if (l > best) { best = l; arg = n; printf("new best %lu -> %d\n", n, l); }
    }
    printf("longest chain below 20000: %lu (%d steps)\n", arg, best);
    fprintf(stderr, "about to abort\n");
    fflush(stdout);
    abort();
    printf("unreachable\n");
    return 0;
}
