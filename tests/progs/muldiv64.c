/* 64-bit multiply, divide and modulo, signed and unsigned, with big values,
 * plus a 128-bit product built from 64-bit halves and a modular-exponent loop. */
#include <stdio.h>
#include <stdint.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

static void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    *lo = (mid << 32) | (ll & 0xffffffffu);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{   /* double and add, no 128-bit type */
    uint64_t r = 0;
    a %= m;
    while (b) {
        if (b & 1) { r += a; if (r >= m || r < a) r -= m; }
        uint64_t a2 = a + a;
        if (a2 >= m || a2 < a) a2 -= m;
        a = a2;
        b >>= 1;
    }
    return r;
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1 % m;
    while (e) {
        if (e & 1) r = mulmod(r, b, m);
        b = mulmod(b, b, m);
        e >>= 1;
    }
    return r;
}

static int is_prime(uint64_t n)
{
    static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    if (n < 2) return 0;
    for (int i = 0; i < 12; i++) {
        if (n == bases[i]) return 1;
        if (n % bases[i] == 0) return 0;
    }
    uint64_t d = n - 1; int s = 0;
    while (!(d & 1)) { d >>= 1; s++; }
    for (int i = 0; i < 12; i++) {
        uint64_t x = powmod(bases[i], d, n);
        if (x == 1 || x == n - 1) continue;
        int k;
        for (k = 1; k < s; k++) { x = mulmod(x, x, n); if (x == n - 1) break; }
        if (k == s) return 0;
    }
    return 1;
}

int main(void)
{
    static const int64_t sv[] = {0, 1, -1, 3, -3, 1000000007, -1000000007,
        INT64_MAX, INT64_MIN, INT64_MAX / 3, INT64_MIN / 5, 0x123456789abcdefLL,
        -0x123456789abcdefLL, 4294967296LL, -4294967295LL};
    int n = sizeof sv / sizeof sv[0];
    uint64_t acc = 0;
    printf("== signed 64 ==\n");
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int64_t a = sv[i], b = sv[j];
            uint64_t p = (uint64_t)a * (uint64_t)b;
            acc = acc * 31 + p;
            if (b != 0 && !(a == INT64_MIN && b == -1)) {
                acc = acc * 31 + (uint64_t)(a / b);
                acc = acc * 31 + (uint64_t)(a % b);
                if ((i * 3 + j) % 11 == 0)
                    printf("%lld / %lld = %lld, %% = %lld, * = %016llx\n",
                           (long long)a, (long long)b, (long long)(a / b),
                           (long long)(a % b), (unsigned long long)p);
            }
        }
    printf("acc=%016llx\n", (unsigned long long)acc);

    printf("== unsigned 64 random ==\n");
    for (int i = 0; i < 2000; i++) {
        uint64_t a = next(), b = next();
        b >>= next() & 63;
        if (b == 0) b = 7;
        uint64_t hi, lo;
        mul128(a, b, &hi, &lo);
        uint64_t q = a / b, r = a % b;
        if (q * b + r != a) { printf("div identity broken at %d\n", i); return 1; }
        acc ^= hi + lo + q + r;
        if (i % 250 == 0)
            printf("%016llx * %016llx = %016llx:%016llx  /=%llu %%=%llu\n",
                   (unsigned long long)a, (unsigned long long)b,
                   (unsigned long long)hi, (unsigned long long)lo,
                   (unsigned long long)q, (unsigned long long)r);
    }
    printf("acc=%016llx\n", (unsigned long long)acc);

    printf("== primes near 2^61 ==\n");
    uint64_t base = (1ULL << 61) - 200;
    int found = 0;
    for (uint64_t c = base; c < base + 200 && found < 6; c++)
        if (is_prime(c)) { printf("prime %llu\n", (unsigned long long)c); found++; }
    printf("2^61-1 prime: %d\n", is_prime((1ULL << 61) - 1));
    printf("powmod(3, 10^18, 2^61-1) = %llu\n",
           (unsigned long long)powmod(3, 1000000000000000000ULL, (1ULL << 61) - 1));
    return (int)(acc & 63) + found;
}
