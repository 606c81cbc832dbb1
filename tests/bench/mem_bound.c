/* mem_bound THREADS [LOADS [SIZE]]: memory-bound kernel for the latency-hiding test.
 * Each of THREADS threads follows its own pointer chain (bench.h) over SIZE/THREADS
 * bytes of one SIZE-byte region (default 8 MB, larger than every L2 modelled), LOADS
 * dependent loads each (default 4000, rounded up to 100).  The main thread writes the
 * links of all chains interleaved (a page of each in turn) in chase order, so the start
 * of every chain is the least recently written memory: with LOADS below a quarter of a
 * chain every load misses the L2.  Thread 0 times the chase between two barriers.
 * Prints: mem_bound threads=.. loads=.. cycles=.. loads_per_kcycle=.. */
#include "bench.h"

struct worker {
    struct chain c;
    unsigned long loads, cycles;
    char *end;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    char *p = chain_elem(&w->c, 0);
    pthread_barrier_wait(&bench_barrier);
    unsigned long t0 = tick();
    p = chase(p, w->loads);
    pthread_barrier_wait(&bench_barrier);
    w->cycles = tick() - t0;
    w->end = p;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [LOADS [SIZE]]\n", argv[0]);
        return 2;
    }
    int nthreads = arg_long(argc, argv, 1, 1, "threads");
    unsigned long loads = arg_long(argc, argv, 2, 4000, "loads");
    unsigned long size = arg_long(argc, argv, 3, 8UL << 20, "size");
    loads = (loads + 99) / 100 * 100;
    if (!is_pow2(nthreads) || size / nthreads < CHASE_PAGE) {
        fprintf(stderr, "threads must be a power of two and SIZE/THREADS >= 8 KB\n");
        return 2;
    }
    unsigned long slice = size / nthreads;
    char *region = xalloc(CHASE_PAGE, size);
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    for (int t = 0; t < nthreads; t++) {
        chain_init(&w[t].c, region + t * slice, slice, 64, 0x5EED0100ULL + t);
        w[t].loads = loads;
    }
    for (unsigned long k = 0; k < w[0].c.n; k += w[0].c.per_page)   /* a page at a time */
        for (int t = 0; t < nthreads; t++)
            chain_build(&w[t].c, k, k + w[t].c.per_page);
    run_threads(nthreads, work, w, sizeof *w);
    unsigned long total = loads * nthreads, check = 0;
    for (int t = 0; t < nthreads; t++)
        check += w[t].end - w[t].c.base;
    printf("mem_bound threads=%d loads=%lu cycles=%lu loads_per_kcycle=%.3f end=%lu\n",
           nthreads, total, w[0].cycles, 1000.0 * total / w[0].cycles, check);
    return 0;
}
