/* fp_heavy THREADS [ITERS]: double-precision add, multiply and divide.  Each thread runs
 * three timed phases of dependent chains: ITERS (default 2000) iterations of 10 faddd,
 * of 10 fmuld, then ITERS/10 iterations of 10 fdivd.  Thread 0 times each phase between
 * barriers.  (No -ffast-math: the compiler keeps every operation and its order.)
 * Prints: fp_heavy threads=.. op=fadd|fmul|fdiv ops=.. cycles=.. cycles_per_op=.. */
#include "bench.h"

struct worker { unsigned long iters, cycles[3]; double result; };

#define R10(s) s s s s s s s s s s

static void *work(void *arg)
{
    struct worker *w = arg;
    volatile double seed_add = 1.0e-3, seed_mul = 1.0000001;
    double dadd = seed_add, dmul = seed_mul, x = 1.0, y = 1.0, z = 1.0;
    unsigned long t[4];
    pthread_barrier_wait(&bench_barrier);
    t[0] = tick();
    for (unsigned long i = 0; i < w->iters; i++) {
        R10(x += dadd;)
        __asm__ volatile("" : "+f"(x));
    }
    pthread_barrier_wait(&bench_barrier);
    t[1] = tick();
    for (unsigned long i = 0; i < w->iters; i++) {
        R10(y *= dmul;)
        __asm__ volatile("" : "+f"(y));
    }
    pthread_barrier_wait(&bench_barrier);
    t[2] = tick();
    for (unsigned long i = 0; i < w->iters / 10; i++) {
        R10(z /= dmul;)
        __asm__ volatile("" : "+f"(z));
    }
    pthread_barrier_wait(&bench_barrier);
    t[3] = tick();
    for (int k = 0; k < 3; k++)
        w->cycles[k] = t[k + 1] - t[k];
    w->result = x + y + z;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [ITERS]\n", argv[0]);
        return 2;
    }
    int nthreads = arg_long(argc, argv, 1, 1, "threads");
    unsigned long iters = arg_long(argc, argv, 2, 2000, "iters");
    if (iters < 10) {
        fprintf(stderr, "ITERS must be at least 10\n");
        return 2;
    }
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    for (int t = 0; t < nthreads; t++)
        w[t].iters = iters;
    run_threads(nthreads, work, w, sizeof *w);
    static const char *ops[3] = {"fadd", "fmul", "fdiv"};
    unsigned long n[3] = {iters * 10, iters * 10, iters / 10 * 10};
    double check = 0;
    for (int t = 0; t < nthreads; t++)
        check += w[t].result;
    for (int k = 0; k < 3; k++)
        printf("fp_heavy threads=%d op=%s ops=%lu cycles=%lu cycles_per_op=%.2f\n",
               nthreads, ops[k], n[k], w[0].cycles[k], (double)w[0].cycles[k] / n[k]);
    printf("fp_heavy check=%.6f\n", check);
    return 0;
}
