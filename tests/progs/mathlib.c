/* libm functions printed with full precision. */
#include <stdio.h>
#include <math.h>

int main(void)
{
    static const double xs[] = {0.0, 0.5, 1.0, -1.0, 2.0, 3.0, 10.0, -7.25, 0.1, 1e-8,
                                100.0, 1234.5678, 3.141592653589793, 0.7853981633974483};
    double acc = 0;
    for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = xs[i];
        printf("x=%.17g\n", x);
        printf("  sin %.17g cos %.17g tan %.17g\n", sin(x), cos(x), tan(x));
        printf("  exp %.17g log|x| %.17g log10|x| %.17g\n", exp(x / 4), log(fabs(x) + 1e-3),
               log10(fabs(x) + 1));
        printf("  sqrt|x| %.17g cbrt %.17g floor %.17g ceil %.17g round %.17g trunc %.17g\n",
               sqrt(fabs(x)), cbrt(x), floor(x), ceil(x), round(x), trunc(x));
        printf("  pow(x,1.5)=%.17g pow(2,x)=%.17g pow(x,3)=%.17g\n", pow(fabs(x), 1.5),
               pow(2.0, x), pow(x, 3.0));
        printf("  fmod(x,0.7)=%.17g atan2(x,1.5)=%.17g hypot(x,3)=%.17g atan=%.17g\n",
               fmod(x, 0.7), atan2(x, 1.5), hypot(x, 3.0), atan(x));
        printf("  asin %.17g acos %.17g sinh %.17g cosh %.17g tanh %.17g\n",
               asin(x / 2000), acos(x / 2000), sinh(x / 10), cosh(x / 10), tanh(x));
        acc += sin(x) + cos(x) + sqrt(fabs(x)) + exp(x / 20);
    }
    for (int i = -5; i <= 5; i++) {
        double x = i * 0.75;
        int e;
        double m = frexp(x, &e);
        printf("frexp(%g) = %.17g * 2^%d; ldexp(x,7)=%.17g; modf int part ", x, m, e, ldexp(x, 7));
        double ip;
        double fp = modf(x, &ip);
        printf("%.17g frac %.17g; expm1 %.17g log1p %.17g\n", ip, fp, expm1(x / 3),
               log1p(fabs(x)));
    }
    printf("specials: sqrt(-1)=%f log(0)=%f exp(1000)=%f pow(0,0)=%f atan2(0,-0)=%.17g\n",
           sqrt(-1.0), log(0.0), exp(1000.0), pow(0.0, 0.0), atan2(0.0, -0.0));
    printf("isnan %d isinf %d signbit(-0.0) %d copysign %.17g nextafter %.17g\n",
           isnan(sqrt(-2.0)), isinf(1.0 / 0.0), signbit(-0.0), copysign(3.0, -0.0),
           nextafter(1.0, 2.0));
    float f = 0.0f;
    for (int i = 1; i <= 50; i++) f += sinf((float)i) * sqrtf((float)i);
    printf("float sum %.9g\n", f);
    double series = 0;
    for (int k = 1; k <= 20000; k++) series += 1.0 / ((double)k * k);
    printf("basel %.17g pi %.17g\n", series, sqrt(series * 6));
    printf("acc %.17g\n", acc);
    return (int)fmod(fabs(acc) * 1000, 100);
}
