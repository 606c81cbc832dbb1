/* lat_chase SIZE STRIDE [LOADS [WARMUP]]: lat_mem_rd-style load latency.
 * A chain of SIZE/STRIDE elements in a randomised cyclic, page-local order (bench.h) is
 * followed for LOADS dependent loads (rounded up to 100; default 10000), timed with
 * rd %tick.  WARMUP (default 1) full passes run first; with 0 the timed chase starts at
 * the least recently written element, so a region larger than the L2 misses it.
 * Prints: lat_chase size=.. stride=.. loads=.. cycles=.. cycles_per_load=.. */
#include "bench.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SIZE STRIDE [LOADS [WARMUP]]\n", argv[0]);
        return 2;
    }
    unsigned long size = arg_long(argc, argv, 1, 0, "size");
    unsigned long stride = arg_long(argc, argv, 2, 0, "stride");
    unsigned long loads = arg_long(argc, argv, 3, 10000, "loads");
    unsigned long warmup = argc > 4 ? strtoul(argv[4], NULL, 0) : 1;
    loads = (loads + 99) / 100 * 100;

    struct chain c;
    chain_init(&c, xalloc(CHASE_PAGE, size), size, stride, 0x5EED0001ULL);
    chain_build(&c, 0, c.n);

    char *p = chain_elem(&c, 0);
    if (warmup)
        p = chase(p, ((c.n * warmup) + 99) / 100 * 100);
    unsigned long t0 = tick();
    p = chase(p, loads);
    unsigned long t1 = tick();
    /* the final element proves the chase ran (and keeps it from being optimised away) */
    printf("lat_chase size=%lu stride=%lu loads=%lu cycles=%lu cycles_per_load=%.2f "
           "end=%lu\n", size, stride, loads, t1 - t0, (double)(t1 - t0) / loads,
           (unsigned long)(p - c.base));
    return 0;
}
