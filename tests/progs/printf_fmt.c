/* printf/snprintf formatting of integers and floating point with flags,
 * widths and precisions; snprintf truncation and return values. */
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <float.h>
#include <math.h>
#include <stddef.h>

int main(void)
{
    static const long long ints[] = {0, 1, -1, 42, -42, 255, 65535, INT_MAX, INT_MIN,
                                     LLONG_MAX, LLONG_MIN, 1234567890123LL};
    static const double dbl[] = {0.0, -0.0, 1.0, -1.5, 0.1, 3.14159265358979,
                                 1e-300, 6.02214076e23, 123456789.125, 1.0 / 3.0,
                                 DBL_MAX, DBL_MIN, 5e-324, 2.5, 0.5, 1e15, 9.999999};
    char buf[256];
    int total = 0;

    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        long long v = ints[i];
        int iv = (int)v;
        printf("[%d] [%5d] [%-5d] [%+d] [% d] [%05d] [%.3d]\n", iv, iv, iv, iv, iv, iv, iv);
        printf("[%u] [%x] [%X] [%#x] [%o] [%#o] [%8.4x]\n",
               (unsigned)iv, (unsigned)iv, (unsigned)iv, (unsigned)iv, (unsigned)iv,
               (unsigned)iv, (unsigned)iv);
        printf("[%ld] [%lu] [%lx] [%lld] [%llu] [%#llo] [%20lld] [%-20llx|]\n",
               (long)v, (unsigned long)v, (unsigned long)v, v, (unsigned long long)v,
               (unsigned long long)v, v, (unsigned long long)v);
        printf("[%hd] [%hu] [%hhd] [%hhu] [%zu] [%td]\n", (short)v, (unsigned short)v,
               (signed char)v, (unsigned char)v, (size_t)v, (ptrdiff_t)v);
    }
    for (unsigned i = 0; i < sizeof dbl / sizeof dbl[0]; i++) {
        double d = dbl[i];
        printf("f[%f] [%.0f] [%.2f] [%12.5f] [%-12.3f|] [%+.1f]\n", d, d, d, d, d, d);
        printf("e[%e] [%.0e] [%.3E] [%15.8e] [%#.0e]\n", d, d, d, d, d);
        printf("g[%g] [%.3g] [%.17g] [%#g] [%G] [%10.4g]\n", d, d, d, d, d, d);
        printf("a[%a] [%.3a] [%A]\n", d, d, d);
    }
    {
        double specials[] = {INFINITY, -INFINITY, NAN, -NAN};
        for (int i = 0; i < 4; i++)
            printf("special [%f] [%e] [%g] [%10.3f] [%-8g|] [%a]\n", specials[i], specials[i],
                   specials[i], specials[i], specials[i], specials[i]);
    }
    printf("float promoted: %f %g %e\n", 1.1f, 3.4028235e38f, 1.17549435e-38f);
    printf("long double: %Lf %Lg %.30Le\n", (long double)1 / 3, (long double)2.5e100L,
           (long double)1 / 7);
    printf("chars: [%c] [%3c] [%-3c|] strings: [%s] [%10s] [%-10s|] [%.3s] [%*s] [%-*.*s|]\n",
           'A', 'b', 'c', "hello", "right", "left", "truncate", 6, "star", 8, 2, "prec");
    printf("percent %% and star width [%*d] [%-*d|] [%.*f]\n", 7, 42, 7, 42, 3, 2.71828);
    int cnt = 0;
    printf("count before n%n after\n", &cnt);
    printf("n counted %d\n", cnt);

    for (int sz = 0; sz <= 12; sz += 3) {
        memset(buf, '#', sizeof buf);
        int r = snprintf(buf, sz, "value=%d:%s", 123456, "tail");
        printf("snprintf size %2d -> ret %d buf '%s' next '%c'\n", sz, r,
               sz ? buf : "(none)", buf[sz < 1 ? 0 : sz]);
        total += r;
    }
    for (int k = 0; k < 40; k++) {
        double x = (k - 20) * 0.37 + k * k * 1e-3;
        int n = snprintf(buf, sizeof buf, "%d|%.*f|%.*e|%g|%x", k, k % 9, x, k % 7, x * 1e10,
                         x / 7, k * 0x1111);
        total += n;
        printf("%s\n", buf);
    }
    printf("total %d\n", total);
    return total % 200;
}
