/* branchy THREADS [ITERS]: data-dependent branches.  Each thread walks a 4 KB table of
 * pseudo-random bytes (fixed seed) ITERS times (default 20) and takes two unpredictable
 * branches per byte (the empty asm in each arm keeps the compiler from turning them into
 * conditional moves).  Thread 0 times its loop between barriers.
 * Prints: branchy threads=.. elements=.. cycles=.. cycles_per_element=.. */
#include "bench.h"

#define TABLE 4096
static unsigned char table[TABLE];

struct worker { unsigned long iters, cycles, result; };

static void *work(void *arg)
{
    struct worker *w = arg;
    unsigned long s1 = 0, s2 = 0, s3 = 0;
    pthread_barrier_wait(&bench_barrier);
    unsigned long t0 = tick();
    for (unsigned long it = 0; it < w->iters; it++)
        for (unsigned i = 0; i < TABLE; i++) {
            unsigned v = table[i];
            if (v & 1) {
                __asm__ volatile("");
                s1 += v;
            } else {
                __asm__ volatile("");
                s2 ^= v << 3;
            }
            if (v & 0x40) {
                __asm__ volatile("");
                s3 += s1;
            } else {
                __asm__ volatile("");
                s3 -= s2;
            }
        }
    pthread_barrier_wait(&bench_barrier);
    w->cycles = tick() - t0;
    w->result = s1 ^ s2 ^ s3;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [ITERS]\n", argv[0]);
        return 2;
    }
    int nthreads = arg_long(argc, argv, 1, 1, "threads");
    unsigned long iters = arg_long(argc, argv, 2, 20, "iters");
    uint64_t seed = 0x5EED0200ULL;
    for (int i = 0; i < TABLE; i++)
        table[i] = rng_next(&seed) >> 56;
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    for (int t = 0; t < nthreads; t++)
        w[t].iters = iters;
    run_threads(nthreads, work, w, sizeof *w);
    unsigned long n = iters * TABLE, check = 0;
    for (int t = 0; t < nthreads; t++)
        check += w[t].result;
    printf("branchy threads=%d elements=%lu cycles=%lu cycles_per_element=%.2f check=%lx\n",
           nthreads, n, w[0].cycles, (double)w[0].cycles / n, check);
    return 0;
}
