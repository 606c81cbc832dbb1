/* muldiv THREADS [ITERS]: multiply and divide heavy.  Each thread runs two timed phases:
 * ITERS (default 10000) iterations of 10 dependent mulx, then ITERS/10 iterations of a
 * dependent udivx (with an xor, and, or around it).  Thread 0 times both between barriers.
 * Prints: muldiv threads=.. muls=.. mul_cycles=.. cycles_per_mul=.. divs=.. div_cycles=..
 *         cycles_per_div=.. */
#include "bench.h"

struct worker { unsigned long iters, mul_cycles, div_cycles, result; };

#define M1 x *= 0x9E3779B97F4A7C15ULL; __asm__ volatile("" : "+r"(x));
#define M10 M1 M1 M1 M1 M1 M1 M1 M1 M1 M1

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t x = 0x0123456789abcdefULL + (uintptr_t)arg, d = x;
    pthread_barrier_wait(&bench_barrier);
    unsigned long t0 = tick();
    for (unsigned long i = 0; i < w->iters; i++) {
        M10
    }
    pthread_barrier_wait(&bench_barrier);
    unsigned long t1 = tick();
    for (unsigned long i = 0; i < w->iters / 10; i++)
        d = (0xFEDCBA9876543210ULL ^ d) / ((d & 0xffff) | 3);
    pthread_barrier_wait(&bench_barrier);
    unsigned long t2 = tick();
    w->mul_cycles = t1 - t0;
    w->div_cycles = t2 - t1;
    w->result = x ^ d;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [ITERS]\n", argv[0]);
        return 2;
    }
    int nthreads = arg_long(argc, argv, 1, 1, "threads");
    unsigned long iters = arg_long(argc, argv, 2, 10000, "iters");
    if (iters < 10) {
        fprintf(stderr, "ITERS must be at least 10\n");
        return 2;
    }
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    for (int t = 0; t < nthreads; t++)
        w[t].iters = iters;
    run_threads(nthreads, work, w, sizeof *w);
    unsigned long muls = iters * 10, divs = iters / 10, check = 0;
    for (int t = 0; t < nthreads; t++)
        check ^= w[t].result;
    printf("muldiv threads=%d muls=%lu mul_cycles=%lu cycles_per_mul=%.2f divs=%lu "
           "div_cycles=%lu cycles_per_div=%.2f check=%lx\n", nthreads, muls,
           w[0].mul_cycles, (double)w[0].mul_cycles / muls, divs, w[0].div_cycles,
           (double)w[0].div_cycles / divs, check);
    return 0;
}
