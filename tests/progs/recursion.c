/* Deep and wide recursion: spills and fills the register windows many times.
 * Ackermann, a many-argument Fibonacci, mutual recursion and a deep chain. */
#include <stdio.h>

static unsigned long calls;

static unsigned long ack(unsigned long m, unsigned long n)
{
    calls++;
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

/* Many arguments: the last ones go on the stack. */
static long fib8(int n, long a, long b, long c, long d, long e, long f, long g)
{
    calls++;
    if (n < 2) return n + (a ^ b ^ c ^ d ^ e ^ f ^ g) % 3;
    return fib8(n - 1, b, c, d, e, f, g, a + 1) + fib8(n - 2, g, f, e, d, c, b, a - 1);
}

static int is_odd(unsigned n);
static int is_even(unsigned n) { calls++; return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { calls++; return n == 0 ? 0 : is_even(n - 1); }

/* Deep chain with a local array live across the call. */
static long chain(int depth, long seed)
{
    volatile long local[4];
    calls++;
    local[0] = seed; local[1] = seed * 3; local[2] = depth; local[3] = seed ^ depth;
    if (depth == 0) return seed;
    long r = chain(depth - 1, (seed * 1103515245 + 12345) & 0x7fffffff);
    return r + local[0] - local[1] + local[2] + local[3] % 5;
}

static int hanoi_moves;
static void hanoi(int n, int from, int to, int via)
{
    calls++;
    if (n == 0) return;
    hanoi(n - 1, from, via, to);
    hanoi_moves++;
    hanoi(n - 1, via, to, from);
}

int main(void)
{
    for (unsigned long m = 0; m <= 3; m++)
        for (unsigned long n = 0; n <= 5; n++) {
            calls = 0;
            unsigned long r = ack(m, n);
            printf("ack(%lu,%lu) = %lu (%lu calls)\n", m, n, r, calls);
        }
    calls = 0;
    unsigned long a2 = ack(2, 300);           /* calls must be read after the call */
    printf("ack(2,300) = %lu (%lu calls)\n", a2, calls);
    for (int n = 10; n <= 22; n += 4) {
        calls = 0;
        long r = fib8(n, 1, 2, 3, 4, 5, 6, 7);
        printf("fib8(%d) = %ld (%lu calls)\n", n, r, calls);
    }
    calls = 0;
    int ev = is_even(5001), od = is_odd(4321);
    printf("is_even(5001)=%d is_odd(4321)=%d (%lu calls)\n", ev, od, calls);
    calls = 0;
    long ch = chain(3000, 42);
    printf("chain(3000) = %ld (%lu calls)\n", ch, calls);
    calls = 0;
    hanoi(14, 1, 3, 2);
    printf("hanoi(14) = %d moves (%lu calls)\n", hanoi_moves, calls);
    return (int)(ack(3, 3) & 0x7f);
}
