/* Integer edge cases: signed/unsigned division and remainder near the limits,
 * shifts, unsigned wrap-around, char/short sign and zero extension. */
#include <stdio.h>
#include <limits.h>
#include <stdint.h>

static volatile int vi[] = {0, 1, -1, 2, -2, 3, -3, 7, -7, 100, -100,
                            INT_MAX, INT_MIN, INT_MAX - 1, INT_MIN + 1,
                            0x7fff, -0x8000, 65535, 1 << 30};
static volatile unsigned vu[] = {0u, 1u, 2u, 3u, 0x7fffffffu, 0x80000000u,
                                 0xffffffffu, 0xfffffffeu, 12345u, 0xdeadbeefu};
static volatile long vl[] = {0L, 1L, -1L, LONG_MAX, LONG_MIN, LONG_MIN + 1,
                             0x100000000L, -0x100000000L, 0x7fffffffL, -0x80000000L};

static unsigned long checksum;
static void mix(unsigned long x) { checksum = (checksum ^ x) * 0x100000001b3UL; }

int main(void)
{
    int n = sizeof vi / sizeof vi[0];
    int i, j;
    printf("== int div/rem ==\n");
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            int a = vi[i], b = vi[j];
            if (b == 0 || (a == INT_MIN && b == -1))
                continue;
            int q = a / b, r = a % b;
            mix((unsigned)q); mix((unsigned)r);
            if ((i * n + j) % 7 == 0)
                printf("%d / %d = %d rem %d\n", a, b, q, r);
        }
    printf("INT_MIN/3=%d INT_MIN%%3=%d INT_MAX/-3=%d INT_MIN/-2=%d\n",
           vi[12] / 3, vi[12] % 3, vi[11] / -3, vi[12] / -2);

    printf("== unsigned div/rem and wrap ==\n");
    n = sizeof vu / sizeof vu[0];
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            unsigned a = vu[i], b = vu[j];
            unsigned s = a + b, d = a - b, m = a * b;
            mix(s); mix(d); mix(m);
            if (b) { mix(a / b); mix(a % b); }
            if ((i + j) % 4 == 0)
                printf("%u %u: + %u - %u * %u / %u %% %u\n", a, b, s, d, m,
                       b ? a / b : 0u, b ? a % b : 0u);
        }

    printf("== shifts ==\n");
    for (i = 0; i < 32; i += 3) {
        int x = vi[12] >> i;           /* arithmetic on gcc */
        unsigned y = vu[5] >> i;
        unsigned z = vu[6] << i;
        printf("sh %2d: %d %u %u %08x\n", i, x, y, z, (unsigned)(vi[8] >> (i & 7)));
        mix(x); mix(y); mix(z);
    }
    for (i = 0; i < 64; i += 5) {
        long x = vl[4] >> i;
        unsigned long y = (unsigned long)vl[4] >> i;
        unsigned long z = 0xfedcba9876543210UL << i;
        printf("shl %2d: %ld %lu %016lx\n", i, x, y, z);
        mix(x); mix(y); mix(z);
    }

    printf("== char/short extension ==\n");
    for (i = 0; i < 256; i += 17) {
        signed char sc = (signed char)i;
        unsigned char uc = (unsigned char)i;
        short ss = (short)(i * 257);
        unsigned short us = (unsigned short)(i * 257);
        long widened = sc + ss;
        printf("%3d: sc=%d uc=%u ss=%d us=%u w=%ld\n", i, sc, uc, ss, us, widened);
        mix((unsigned long)widened);
    }
    {
        volatile int big = 0x12345678;
        signed char c = (signed char)big;
        short s = (short)big;
        unsigned char uc = (unsigned char)(big >> 3);
        printf("trunc: %d %d %u\n", c, s, uc);
    }

    printf("== long edges ==\n");
    n = sizeof vl / sizeof vl[0];
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            long a = vl[i], b = vl[j];
            if (b == 0 || (a == LONG_MIN && b == -1))
                continue;
            mix(a / b); mix(a % b);
            unsigned long ua = a, ub = b;
            mix(ua / ub); mix(ua % ub);
            mix(ua * ub); mix(ua + ub);
        }
    printf("LONG_MIN/3=%ld LONG_MIN%%7=%ld ULONG_MAX/3=%lu\n",
           vl[4] / 3, vl[4] % 7, (unsigned long)vl[2] / 3);
    {   /* signed overflow avoided: compute in unsigned then convert */
        unsigned long w = (unsigned long)vl[3] + 1;
        printf("LONG_MAX+1 (unsigned)=%lu as long=%ld\n", w, (long)w);
        unsigned int w32 = (unsigned)vi[11] + 1u;
        printf("INT_MAX+1 (unsigned)=%u as int=%d\n", w32, (int)w32);
    }
    printf("checksum %016lx\n", checksum);
    return (int)(checksum % 97);
}
