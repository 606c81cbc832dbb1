/* rmw THREADS [ELEMENTS [CLOCK_MHZ]]: the memory-bandwidth kernel of RWTH Aachen's "Taking a
 * look at the memory performance" (reference/cmt_microarch.md §2, where a pre-production
 * T5x20, UltraSPARC T2 at 1.4 GHz, gave 1.24 GB/s with one thread and about 15.6 GB/s at
 * 16 threads): every thread xors a mask into its own private array of 64-bit words,
 *     for (x = xstart; x < xend; x++) *x ^= mask;
 * ELEMENTS words in all (default 2^20: 8 MB, twice the T2's 4 MB L2), split evenly.  Each
 * thread allocates and first-touches its own array (private data), then one pass is
 * timed by thread 0 with rd %tick between two barriers (the slowest thread ends it).
 * Bytes are counted 16 per word (8 read, 8 written back); GB/s uses CLOCK_MHZ (default
 * 1400, the T5x20's clock).
 * Prints: rmw threads=.. elements=.. bytes=.. cycles=.. GBps=..  and a checksum line. */
#include "bench.h"

#define NOLIBCALL __attribute__((noinline, optimize("no-tree-loop-distribute-patterns")))

struct worker {
    unsigned long n, cycles;
    long long *x;
    long long sum;
};

static const long long mask = 0x5a5a5a5a5a5a5a5aLL;

NOLIBCALL static void touch(long long *x, unsigned long n, unsigned long first)
{
    for (unsigned long i = 0; i < n; i++)
        x[i] = (long long)(first + i);
}

NOLIBCALL static void rmw(long long *xstart, long long *xend)
{
    for (long long *x = xstart; x < xend; x++)
        *x ^= mask;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    w->x = xalloc(CHASE_PAGE, w->n * sizeof *w->x);
    touch(w->x, w->n, 0);
    pthread_barrier_wait(&bench_barrier);
    unsigned long t0 = tick();
    rmw(w->x, w->x + w->n);
    pthread_barrier_wait(&bench_barrier);
    w->cycles = tick() - t0;
    long long s = 0;
    for (unsigned long i = 0; i < w->n; i += 61)          /* a sample: cheap to simulate */
        s += (w->x[i] ^ mask) - (long long)i;
    w->sum = s;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [ELEMENTS [CLOCK_MHZ]]\n", argv[0]);
        return 2;
    }
    int nthreads = arg_long(argc, argv, 1, 1, "threads");
    unsigned long n_elem = arg_long(argc, argv, 2, 1UL << 20, "elements");
    double mhz = arg_long(argc, argv, 3, 1400, "clock");
    if (n_elem % (8UL * nthreads)) {
        fprintf(stderr, "ELEMENTS must be a multiple of 8*THREADS\n");
        return 2;
    }
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    for (int t = 0; t < nthreads; t++)
        w[t].n = n_elem / nthreads;
    run_threads(nthreads, work, w, sizeof *w);
    double nbytes = 16.0 * n_elem;
    printf("rmw threads=%d elements=%lu bytes=%.0f cycles=%lu GBps=%.3f\n", nthreads, n_elem,
           nbytes, w[0].cycles, nbytes * mhz / 1000.0 / w[0].cycles);
    long long s = 0;
    for (int t = 0; t < nthreads; t++)
        s |= w[t].sum;
    printf("rmw check=%s\n", s == 0 ? "ok" : "FAILED");
    return 0;
}
