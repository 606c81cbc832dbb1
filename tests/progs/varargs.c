/* Variadic functions: own va_list walkers with mixed int/long/double/pointer
 * arguments, va_copy, vsnprintf wrappers, and many-argument calls. */
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <math.h>

static long sum_ints(int n, ...)
{
    va_list ap;
    long s = 0;
    va_start(ap, n);
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap);
    return s;
}

/* fmt letters: i=int l=long d=double s=string c=char u=unsigned long long */
static double mixed(const char *fmt, ...)
{
    va_list ap, cp;
    double acc = 0;
    va_start(ap, fmt);
    va_copy(cp, ap);
    for (const char *p = fmt; *p; p++) {
        switch (*p) {
        case 'i': { int v = va_arg(ap, int); printf(" i:%d", v); acc += v; break; }
        case 'l': { long v = va_arg(ap, long); printf(" l:%ld", v); acc += v; break; }
        case 'd': { double v = va_arg(ap, double); printf(" d:%.6g", v); acc += v; break; }
        case 's': { const char *v = va_arg(ap, const char *); printf(" s:%s", v); acc += strlen(v); break; }
        case 'c': { int v = va_arg(ap, int); printf(" c:%c", v); acc += v; break; }
        case 'u': { unsigned long long v = va_arg(ap, unsigned long long); printf(" u:%llx", v); acc += (double)(v & 0xffff); break; }
        }
    }
    /* walk again with the copy: count doubles only */
    int nd = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p == 'd') { (void)va_arg(cp, double); nd++; }
        else if (*p == 's') (void)va_arg(cp, const char *);
        else if (*p == 'l' || *p == 'u') (void)va_arg(cp, long);
        else (void)va_arg(cp, int);
    }
    va_end(cp);
    va_end(ap);
    printf(" => %.6f (%d doubles)\n", acc, nd);
    return acc;
}

static int my_printf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return r;
}

static void logf_(const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(prefix, stdout);
    vprintf(fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    fputs("[stderr] ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static double many(int a, double b, int c, double d, long e, float f, int g, double h,
                   long i, double j, int k, double l, char m, double n)
{
    return a + b + c + d + e + f + g + h + i + j + k + l + m + n;
}

int main(void)
{
    printf("sum0=%ld sum3=%ld sum12=%ld\n", sum_ints(0), sum_ints(3, 1, -2, 3),
           sum_ints(12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
    double t = 0;
    t += mixed("idid", 1, 2.5, -3, 4.25);
    t += mixed("dddddddddd", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.5);
    t += mixed("lscduil", 1L << 40, "word", 'Z', -1e10, 0xdeadbeefcafeULL, -7, -5L);
    t += mixed("iiiiiiiid", 1, 2, 3, 4, 5, 6, 7, 8, 0.125);
    t += mixed("ddidsidl", 0.1, 0.2, 3, 0.4, "five", 6, 7.7, 8L);
    char buf[128];
    int r = my_printf(buf, sizeof buf, "%s-%d-%.3f-%lx-%c", "x", 99, 2.0 / 3, 0xabcdefUL, '!');
    printf("my_printf %d '%s'\n", r, buf);
    r = my_printf(buf, 10, "%d %d %d %d", 1111, 2222, 3333, 4444);
    printf("truncated %d '%s'\n", r, buf);
    logf_("[log] ", "%d apples and %.2f pears, %s\n", 3, 4.5, "done");
    printf("many = %.6f\n", many(1, 2.5, 3, 4.5, 5, 6.5f, 7, 8.5, 9, 10.5, 11, 12.5, 'a', 14.5));
    printf("total %.6f\n", t);
    return (int)fmod(t, 256.0);
}
