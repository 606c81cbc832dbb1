/* setjmp/longjmp: simple jumps, longjmp out of deep recursion, values preserved
 * in volatile locals, nested jump buffers, sigsetjmp without mask saving. */
#include <stdio.h>
#include <setjmp.h>
#include <string.h>

static jmp_buf top, inner;
static int depth_reached;

static unsigned long deep(int n, int limit, unsigned long acc)
{
    char pad[40];
    memset(pad, n & 0xff, sizeof pad);
    depth_reached = n;
    if (n == limit)
        longjmp(top, (int)(acc % 1000) + 1);
    return deep(n + 1, limit, acc * 3 + (unsigned char)pad[n % 40]) + 1;
}

static int try_div(int a, int b)
{
    if (b == 0)
        longjmp(inner, 42);
    return a / b;
}

static int guarded(int a, int b)
{
    volatile int result = -1;
    int code = setjmp(inner);
    if (code == 0)
        result = try_div(a, b);
    else
        printf("  caught code %d dividing %d by %d\n", code, a, b);
    return result;
}

int main(void)
{
    volatile int rounds = 0;
    volatile long total = 0;
    int r = setjmp(top);
    if (r != 0) {
        printf("longjmp returned %d from depth %d\n", r, depth_reached);
        total += r;
    }
    if (rounds < 8) {
        int limit = 50 + rounds * 170;
        rounds++;
        deep(0, limit, rounds);
        printf("not reached\n");
    }
    printf("rounds=%d total=%ld\n", rounds, total);

    for (int i = -2; i <= 2; i++)
        printf("guarded(100, %d) = %d\n", i, guarded(100, i));

    /* longjmp(…, 0) must make setjmp return 1 */
    {
        jmp_buf b;
        volatile int times = 0;
        int v = setjmp(b);
        times++;
        printf("setjmp returned %d (time %d)\n", v, times);
        if (times == 1)
            longjmp(b, 0);
    }
    {
        sigjmp_buf sb;
        volatile int k = 0;
        int v = sigsetjmp(sb, 0);
        if (k < 3) {
            k++;
            siglongjmp(sb, k * 10);
        }
        printf("sigsetjmp last value %d k=%d\n", v, k);
    }
    return (int)(total % 100);
}
