/* Float and double arithmetic, int<->float conversions, comparisons including
 * NaN and infinities, rounding behaviour, float accumulation. */
#include <stdio.h>
#include <math.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

static volatile double vd[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, -2.5, 3.75, 1e10, -1e10,
                               1e-310, 4503599627370497.0, 9007199254740993.0, 1e300, DBL_MAX};
static volatile float vf[] = {0.0f, 1.0f, -1.0f, 0.1f, 3.3f, 16777217.0f, 1e30f, FLT_MAX,
                              1e-40f, -7.5f};

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

int main(void)
{
    int nd = sizeof vd / sizeof vd[0], nf = sizeof vf / sizeof vf[0];
    for (int i = 0; i < nd; i++) {
        double a = vd[i];
        double b = vd[(i * 5 + 3) % nd];
        printf("%-24.17g %-24.17g + %.17g - %.17g * %.17g / %.17g\n", a, b, a + b, a - b, a * b,
               b != 0 ? a / b : 0.0);
        printf("    bits %016llx %016llx cmp lt=%d le=%d eq=%d ne=%d gt=%d ge=%d\n",
               (unsigned long long)bits(a), (unsigned long long)bits(b), a < b, a <= b, a == b,
               a != b, a > b, a >= b);
        if (fabs(a) < 9e18) {
            long l = (long)a; int k = fabs(a) < 2e9 ? (int)a : -1;
            unsigned long ul = a >= 0 ? (unsigned long)a : 0;
            printf("    to long %ld to int %d to ulong %lu to float %.9g\n", l, k, ul, (float)a);
        }
    }
    for (int i = 0; i < nf; i++) {
        float a = vf[i], b = vf[(i + 3) % nf];
        printf("f %.9g %.9g: + %.9g * %.9g / %.9g sqrt %.9g bits %08x -> double %.17g\n", a, b,
               a + b, a * b, b != 0 ? a / b : 0.0f, sqrtf(fabsf(a)), fbits(a), (double)a);
    }
    static const long ls[] = {0, 1, -1, 123456789, -987654321, 9007199254740993L, LONG_MAX,
                              LONG_MIN, 1L << 53, (1L << 53) + 1, INT_MAX, INT_MIN};
    for (unsigned i = 0; i < sizeof ls / sizeof ls[0]; i++) {
        volatile long l = ls[i];
        unsigned long ul = (unsigned long)l;
        printf("long %ld -> double %.17g float %.9g; ulong %lu -> double %.17g float %.9g; int %d -> float %.9g\n",
               (long)l, (double)l, (float)l, ul, (double)ul, (float)ul, (int)l, (float)(int)l);
    }
    double inf = INFINITY, nan = NAN;
    volatile double z = 0.0;
    double nz = -z;
    printf("inf: %f %f %f %f\n", inf + 1, inf - inf, inf * 0 , 1 / inf);
    printf("1/0=%f -1/0=%f 0/0=%f 1/-0=%f\n", 1 / z, -1 / z, z / z, 1 / nz);
    printf("nan cmp: lt=%d le=%d eq=%d ne=%d gt=%d ge=%d self-eq=%d isnan=%d unordered=%d\n",
           nan < 1, nan <= 1, nan == 1, nan != 1, nan > 1, nan >= 1, nan == nan, isnan(nan),
           __builtin_isunordered(nan, 1.0));
    printf("inf cmp: %d %d %d; -0 == 0: %d signbit %d\n", inf > DBL_MAX, -inf < -DBL_MAX,
           inf == inf, nz == 0.0, signbit(nz) != 0);
    printf("fmax/fmin with nan: %g %g\n", fmax(nan, 3.0), fmin(2.0, nan));
    printf("rint: %g %g %g %g lrint %ld %ld\n", rint(2.5), rint(3.5), rint(-2.5), nearbyint(0.5),
           lrint(2.5), lrint(-3.5));
    /* accumulation: float vs double, Kahan sum */
    float fs = 0; double ds = 0, ks = 0, kc = 0;
    for (int i = 1; i <= 100000; i++) {
        double t = 1.0 / i;
        fs += (float)t; ds += t;
        double y = t - kc, s2 = ks + y;
        kc = (s2 - ks) - y; ks = s2;
    }
    printf("harmonic float %.9g double %.17g kahan %.17g\n", fs, ds, ks);
    double x = 1.0;
    int steps = 0;
    while (1.0 + x != 1.0) { x /= 2; steps++; }
    printf("epsilon steps %d x=%.17g\n", steps, x);
    double den = 1.0; int dsteps = 0;
    while (den > 0) { den /= 3; dsteps++; }
    printf("underflow after %d divisions\n", dsteps);
    double poly = 0;
    for (int i = 0; i < 1000; i++) {
        double t = i * 0.001;
        poly += ((((3.1 * t - 2.2) * t + 1.3) * t - 0.4) * t + 0.05) / (1.0 + t * t);
    }
    printf("poly %.17g\n", poly);
    return (int)fmod(poly * 1000, 100) + steps;
}
