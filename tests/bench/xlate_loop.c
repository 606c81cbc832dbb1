/* xlate_loop THREADS [ROUNDS]: the kernel of xlate_kernel.h (loads and stores on a
 * different 8 KB page each, between shifts, adds and xors) over a private 256 KB array
 * per thread, ROUNDS passes (default 50).  tests/baremetal/mmu_loop.c runs the same
 * kernel on the full-system machine with the MMU on; `sun4v bench` compares the two.
 * Thread 0 times its loop between barriers.
 * Prints: xlate_loop threads=.. rounds=.. cycles=.. check=.. */
#include "bench.h"
#include "xlate_kernel.h"

struct worker { unsigned long rounds, cycles, result; unsigned long *a; };

static void *work(void *arg)
{
    struct worker *w = arg;
    xlate_init(w->a);
    pthread_barrier_wait(&bench_barrier);
    unsigned long t0 = tick();
    w->result = xlate_kernel(w->a, w->rounds);
    pthread_barrier_wait(&bench_barrier);
    w->cycles = tick() - t0;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [ROUNDS]\n", argv[0]);
        return 2;
    }
    int nthreads = arg_long(argc, argv, 1, 1, "threads");
    unsigned long rounds = arg_long(argc, argv, 2, 50, "rounds");
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    for (int t = 0; t < nthreads; t++) {
        w[t].rounds = rounds;
        w[t].a = xalloc(8192, XK_WORDS * sizeof(unsigned long));
    }
    run_threads(nthreads, work, w, sizeof *w);
    unsigned long check = 0;
    for (int t = 0; t < nthreads; t++)
        check ^= w[t].result;
    printf("xlate_loop threads=%d rounds=%lu cycles=%lu check=%lx\n", nthreads, rounds,
           w[0].cycles, check);
    return 0;
}
