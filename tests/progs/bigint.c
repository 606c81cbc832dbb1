/* Arbitrary-precision arithmetic with 32-bit limbs in base 10^9: factorials,
 * big Fibonacci numbers and powers of two, printed in full. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define BASE 1000000000u
#define MAXL 800

typedef struct { int n; uint32_t d[MAXL]; } big;

static void set_small(big *a, uint32_t v) { a->n = 1; a->d[0] = v; }

static void mul_small(big *a, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)(t % BASE);
        carry = t / BASE;
    }
    while (carry) { a->d[a->n++] = (uint32_t)(carry % BASE); carry /= BASE; }
}

static void add(big *r, const big *a, const big *b)
{
    uint32_t carry = 0;
    int n = a->n > b->n ? a->n : b->n;
    for (int i = 0; i < n; i++) {
        uint32_t s = carry + (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
        carry = s >= BASE;
        r->d[i] = carry ? s - BASE : s;
    }
    r->n = n;
    if (carry) r->d[r->n++] = 1;
}

static void mul(big *r, const big *a, const big *b)
{
    static uint64_t acc[2 * MAXL];
    memset(acc, 0, sizeof(uint64_t) * (a->n + b->n + 1));
    for (int i = 0; i < a->n; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < b->n; j++) {
            uint64_t t = acc[i + j] + (uint64_t)a->d[i] * b->d[j] + carry;
            acc[i + j] = t % BASE;
            carry = t / BASE;
        }
        int k = i + b->n;
        while (carry) { uint64_t t = acc[k] + carry; acc[k++] = t % BASE; carry = t / BASE; }
    }
    r->n = a->n + b->n;
    for (int i = 0; i < r->n; i++) r->d[i] = (uint32_t)acc[i];
    while (r->n > 1 && r->d[r->n - 1] == 0) r->n--;
}

static uint32_t digit_sum(const big *a)
{
    uint32_t s = 0;
    for (int i = 0; i < a->n; i++) for (uint32_t v = a->d[i]; v; v /= 10) s += v % 10;
    return s;
}

static void print(const char *label, const big *a)
{
    printf("%s = %u", label, a->d[a->n - 1]);
    for (int i = a->n - 2; i >= 0; i--) printf("%09u", a->d[i]);
    printf("\n");
}

static big f, x, y, z;

int main(void)
{
    set_small(&f, 1);
    for (uint32_t i = 2; i <= 100; i++) mul_small(&f, i);
    print("100!", &f);
    for (uint32_t i = 101; i <= 1000; i++) mul_small(&f, i);
    printf("1000! has %d limbs, digit sum %u, last limb %09u\n", f.n, digit_sum(&f), f.d[0]);
    set_small(&x, 0); set_small(&y, 1);
    for (int i = 0; i < 1000; i++) { add(&z, &x, &y); x = y; y = z; }
    print("fib(1001)", &y);
    set_small(&x, 2);
    for (int i = 0; i < 10; i++) { mul(&z, &x, &x); x = z; }
    printf("2^1024 digit sum %u\n", digit_sum(&x));
    print("2^1024", &x);
    mul(&z, &f, &f);
    printf("(1000!)^2 limbs %d digit sum %u\n", z.n, digit_sum(&z));
    return (int)(digit_sum(&f) % 128);
}
