/* Quad-precision FPops on a chip without quad hardware (from the shared case
 * quad_fpops.c). UltraSPARC T1/T2 trap every quad FPop (T1 fp_exception_other with
 * ftt = unimplemented_FPop, T2 illegal_instruction) and Linux completes them in software
 * (arch/sparc/math-emu/math_64.c, do_mathemu), as it completes ldqf (handle_ldf_stq), so
 * the program sees IEEE binary128 results, FSR flags and no signal.  Registers are filled
 * with ldd (and ldq) and read back with std: qemu 7.2 stores the high half twice with
 * stq, and rewrites fcc0/aexc/cexc on fcmpq, so neither is used where its result shows. */
#include <stdio.h>
#include <stdint.h>

typedef struct { uint64_t hi, lo; } q_t;

#define QOP2(name, insn)                                                               \
    static q_t name(q_t a, q_t b)                                                      \
    {                                                                                  \
        q_t r;                                                                         \
        asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\t"                          \
                     "ldd [%2], %%f8\n\tldd [%2+8], %%f10\n\t"                         \
                     insn " %%f4, %%f8, %%f12\n\t"                                     \
                     "std %%f12, [%0]\n\tstd %%f14, [%0+8]"                            \
                     : : "r"(&r), "r"(&a), "r"(&b)                                     \
                     : "memory", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11",     \
                       "f12", "f13", "f14", "f15");                                    \
        return r;                                                                      \
    }
QOP2(q_add, "faddq")
QOP2(q_sub, "fsubq")
QOP2(q_mul, "fmulq")
QOP2(q_div, "fdivq")

#define QOP1(name, insn)                                                               \
    static q_t name(q_t a)                                                             \
    {                                                                                  \
        q_t r;                                                                         \
        asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\t" insn " %%f4, %%f12\n\t"  \
                     "std %%f12, [%0]\n\tstd %%f14, [%0+8]"                            \
                     : : "r"(&r), "r"(&a)                                              \
                     : "memory", "f4", "f5", "f6", "f7", "f12", "f13", "f14", "f15");  \
        return r;                                                                      \
    }
QOP1(q_sqrt, "fsqrtq")
QOP1(q_neg, "fnegq")
QOP1(q_abs, "fabsq")
QOP1(q_mov, "fmovq")

static q_t q_dtoq(double d)
{
    q_t r;
    asm volatile("ldd [%1], %%f2\n\tfdtoq %%f2, %%f12\n\t"
                 "std %%f12, [%0]\n\tstd %%f14, [%0+8]"
                 : : "r"(&r), "r"(&d) : "memory", "f2", "f3", "f12", "f13", "f14", "f15");
    return r;
}

static q_t q_stoq(float f)
{
    q_t r;
    asm volatile("ld [%1], %%f3\n\tfstoq %%f3, %%f12\n\t"
                 "std %%f12, [%0]\n\tstd %%f14, [%0+8]"
                 : : "r"(&r), "r"(&f) : "memory", "f3", "f12", "f13", "f14", "f15");
    return r;
}

static q_t q_itoq(int i)
{
    q_t r;
    asm volatile("ld [%1], %%f3\n\tfitoq %%f3, %%f12\n\t"
                 "std %%f12, [%0]\n\tstd %%f14, [%0+8]"
                 : : "r"(&r), "r"(&i) : "memory", "f3", "f12", "f13", "f14", "f15");
    return r;
}

static q_t q_xtoq(long x)
{
    q_t r;
    asm volatile("ldd [%1], %%f2\n\tfxtoq %%f2, %%f12\n\t"
                 "std %%f12, [%0]\n\tstd %%f14, [%0+8]"
                 : : "r"(&r), "r"(&x) : "memory", "f2", "f3", "f12", "f13", "f14", "f15");
    return r;
}

static q_t q_dmulq(double a, double b)
{
    q_t r;
    asm volatile("ldd [%1], %%f2\n\tldd [%2], %%f36\n\tfdmulq %%f2, %%f36, %%f40\n\t"
                 "std %%f40, [%0]\n\tstd %%f42, [%0+8]"
                 : : "r"(&r), "r"(&a), "r"(&b)
                 : "memory", "f2", "f3", "f36", "f37", "f40", "f41", "f42", "f43");
    return r;
}

static double q_qtod(q_t a)
{
    double d;
    asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\tfqtod %%f4, %%f2\n\tstd %%f2, [%0]"
                 : : "r"(&d), "r"(&a) : "memory", "f2", "f3", "f4", "f5", "f6", "f7");
    return d;
}

static float q_qtos(q_t a)
{
    float f;
    asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\tfqtos %%f4, %%f3\n\tst %%f3, [%0]"
                 : : "r"(&f), "r"(&a) : "memory", "f3", "f4", "f5", "f6", "f7");
    return f;
}

static long q_qtox(q_t a)
{
    long x;
    asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\tfqtox %%f4, %%f2\n\tstd %%f2, [%0]"
                 : : "r"(&x), "r"(&a) : "memory", "f2", "f3", "f4", "f5", "f6", "f7");
    return x;
}

static int q_qtoi(q_t a)
{
    int i;
    asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\tfqtoi %%f4, %%f3\n\tst %%f3, [%0]"
                 : : "r"(&i), "r"(&a) : "memory", "f3", "f4", "f5", "f6", "f7");
    return i;
}

static q_t q_ldq_add(const q_t *a16, q_t b)     /* ldqf for one operand */
{
    q_t r;
    asm volatile("ldq [%1], %%f16\n\tldd [%2], %%f8\n\tldd [%2+8], %%f10\n\t"
                 "faddq %%f16, %%f8, %%f12\n\tstd %%f12, [%0]\n\tstd %%f14, [%0+8]"
                 : : "r"(&r), "r"(a16), "r"(&b)
                 : "memory", "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", "f16",
                   "f17", "f18", "f19");
    return r;
}

static int q_cmp_lt(q_t a, q_t b)     /* fcmpq then fbl */
{
    int r = 0;
    asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\tldd [%2], %%f8\n\tldd [%2+8], %%f10\n\t"
                 "fcmpq %%fcc1, %%f4, %%f8\n\tnop\n\t"
                 "fbl,a %%fcc1, 1f\n\t mov 1, %0\n1:"
                 : "+r"(r) : "r"(&a), "r"(&b)
                 : "memory", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "cc");
    return r;
}

static int q_cmp_u(q_t a, q_t b)      /* fcmpeq then fbu */
{
    int r = 0;
    asm volatile("ldd [%1], %%f4\n\tldd [%1+8], %%f6\n\tldd [%2], %%f8\n\tldd [%2+8], %%f10\n\t"
                 "fcmpeq %%fcc2, %%f4, %%f8\n\tnop\n\t"
                 "fbu,a %%fcc2, 1f\n\t mov 1, %0\n1:"
                 : "+r"(r) : "r"(&a), "r"(&b)
                 : "memory", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "cc");
    return r;
}

static unsigned long get_fsr(void)
{
    unsigned long f;
    asm volatile("stx %%fsr, [%0]" : : "r"(&f) : "memory");
    return f;
}

static void set_fsr(unsigned long f)
{
    asm volatile("ldx [%0], %%fsr" : : "r"(&f) : "memory");
}

static void show(const char *n, q_t q)
{
    printf("%-8s %016llx %016llx\n", n, (unsigned long long)q.hi, (unsigned long long)q.lo);
}

int main(void)
{
    q_t one = {0x3fff000000000000ULL, 0}, two = {0x4000000000000000ULL, 0};
    q_t three = {0x4000800000000000ULL, 0}, big = {0x7ffeffffffffffffULL, ~0ULL};
    q_t tiny = {0x0000000000000000ULL, 1}, inf = {0x7fff000000000000ULL, 0};
    q_t minus_two = {0xc000000000000000ULL, 0}, qnan = {0x7fff800000000000ULL, 0};
    static q_t third16 __attribute__((aligned(16)));
    static const char *mode[4] = {"nearest", "zero", "+inf", "-inf"};

    set_fsr(0);
    q_t third = q_div(one, three);
    show("1/3", third);                       /* 3ffd5555555555555555555555555555 */
    show("sqrt2", q_sqrt(two));               /* 3fff6a09e667f3bcc908b2fb1366ea95 */
    show("1/3+2", q_add(third, two));
    show("1/3-2", q_sub(third, two));
    show("1/3*3", q_mul(third, three));
    show("0.1", q_dtoq(0.1));
    printf("qtod     %.17g\n", q_qtod(third));
    printf("qtox     %ld\n", q_qtox(q_mul(three, three)));
    printf("lt       %d %d\n", q_cmp_lt(third, two), q_cmp_lt(two, third));
    printf("unord    %d %d\n", q_cmp_u(qnan, two), q_cmp_u(two, two));

    /* rounding modes (FSR.rd) and the accrued flags */
    for (int rd = 0; rd < 4; rd++) {
        set_fsr((unsigned long)rd << 30);
        q_t a = q_div(one, three), b = q_div(minus_two, three), c = q_sqrt(three);
        printf("rd %-7s 1/3 %016llx%016llx -2/3 %016llx%016llx sqrt3 ..%016llx"
               " aexc %02lx\n", mode[rd], (unsigned long long)a.hi, (unsigned long long)a.lo,
               (unsigned long long)b.hi, (unsigned long long)b.lo, (unsigned long long)c.lo,
               (get_fsr() >> 5) & 0x1f);
    }
    set_fsr(0);
    show("big*2", q_mul(big, two));
    printf("aexc overflow %02lx\n", (get_fsr() >> 5) & 0x1f);
    set_fsr(0);
    show("tiny/2", q_div(tiny, two));
    printf("aexc underflow %02lx\n", (get_fsr() >> 5) & 0x1f);
    set_fsr(0);
    show("inf-inf", q_sub(inf, inf));
    show("1/0", q_div(one, (q_t){0, 0}));
    show("sqrt-2", q_sqrt(minus_two));
    printf("aexc invalid/dz %02lx\n", (get_fsr() >> 5) & 0x1f);
    set_fsr(0);

    show("neg", q_neg(third));
    show("abs", q_abs(q_neg(third)));
    show("mov", q_mov(third));
    show("stoq", q_stoq(-1.5f));
    show("itoq", q_itoq(-2147483647 - 1));
    show("xtoq", q_xtoq(0x7fffffffffffffffL));
    show("dmulq", q_dmulq(0.1, 3.0));
    printf("qtos     %.9g\n", (double)q_qtos(third));
    printf("qtoi     %d %d\n", q_qtoi(q_mul(third, (q_t){0x4009000000000000ULL, 0})),
           q_qtoi(big));
    printf("qtox     %ld\n", q_qtox(q_neg(q_xtoq(123456789012345L))));
    third16 = third;
    show("ldq+", q_ldq_add(&third16, two));
    printf("aexc %02lx\n", (get_fsr() >> 5) & 0x1f);
    return 0;
}
