/* int_loop THREADS [ITERS]: compute-bound integer kernel (add, xor, shifts, and/or: no
 * loads, multiplies or divides in the loop), ITERS iterations (default 50000) of 16 ALU
 * operations in two dependent chains plus the loop branch, in each of THREADS threads.
 * Thread 0 times its loop between barriers.
 * Prints: int_loop threads=.. iters=.. cycles=.. cycles_per_iter=.. */
#include "bench.h"

struct worker { unsigned long iters, cycles, result; };

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t x = 0x0123456789abcdefULL ^ (uint64_t)(uintptr_t)arg, y = ~x;
    pthread_barrier_wait(&bench_barrier);
    unsigned long t0 = tick();
    for (unsigned long i = 0; i < w->iters; i++) {
        x ^= x >> 7;
        y += x;
        x += i;
        y ^= y << 11;
        x |= y >> 3;
        y -= x;
        x ^= y << 5;
        y &= x + 0x777;
        x += y >> 13;
        y ^= x;
        x -= y << 2;
        y |= x >> 17;
    }
    pthread_barrier_wait(&bench_barrier);
    w->cycles = tick() - t0;
    w->result = x ^ y;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [ITERS]\n", argv[0]);
        return 2;
    }
    int nthreads = arg_long(argc, argv, 1, 1, "threads");
    unsigned long iters = arg_long(argc, argv, 2, 50000, "iters");
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    for (int t = 0; t < nthreads; t++)
        w[t].iters = iters;
    run_threads(nthreads, work, w, sizeof *w);
    unsigned long check = 0;
    for (int t = 0; t < nthreads; t++)
        check ^= w[t].result;
    printf("int_loop threads=%d iters=%lu cycles=%lu cycles_per_iter=%.2f check=%lx\n",
           nthreads, iters, w[0].cycles, (double)w[0].cycles / iters, check);
    return 0;
}
