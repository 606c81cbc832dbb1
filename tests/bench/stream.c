/* stream THREADS [ELEMENTS [CLOCK_MHZ]]: STREAM-like copy, scale, add and triad
 * (McCalpin's kernels, one pass each) over three arrays of ELEMENTS doubles (default
 * 2^18: 2 MB per array, a 4-6 MB footprint per kernel, above the T1's 3 MB L2).
 * Each thread works on its own contiguous slice; thread 0 times every kernel with
 * rd %tick between barriers.  Bytes are counted as STREAM does (copy/scale 16, add/triad
 * 24 per element); MB/s uses CLOCK_MHZ (default 1200, the T2000's T1).
 * Prints one line per kernel:
 *   stream kernel=NAME threads=.. bytes=.. cycles=.. MBps=..  and a checksum line. */
#include "bench.h"

#define NOLIBCALL __attribute__((noinline, optimize("no-tree-loop-distribute-patterns")))

static double *a, *b, *c;
static unsigned long n_elem;
static int nthreads;
static const double scalar = 3.0;
enum { COPY, SCALE, ADD, TRIAD, NKERNELS };
static const char *names[NKERNELS] = {"copy", "scale", "add", "triad"};
static const unsigned bytes_per_elem[NKERNELS] = {16, 16, 24, 24};
static unsigned long cycles[NKERNELS];

struct worker { unsigned long lo, hi; };

NOLIBCALL static void init(unsigned long lo, unsigned long hi)
{
    for (unsigned long j = lo; j < hi; j++) {
        a[j] = 1.0;
        b[j] = 2.0;
        c[j] = 0.0;
    }
}
NOLIBCALL static void copy(unsigned long lo, unsigned long hi)
{
    for (unsigned long j = lo; j < hi; j++)
        c[j] = a[j];
}
NOLIBCALL static void scale(unsigned long lo, unsigned long hi)
{
    for (unsigned long j = lo; j < hi; j++)
        b[j] = scalar * c[j];
}
NOLIBCALL static void add(unsigned long lo, unsigned long hi)
{
    for (unsigned long j = lo; j < hi; j++)
        c[j] = a[j] + b[j];
}
NOLIBCALL static void triad(unsigned long lo, unsigned long hi)
{
    for (unsigned long j = lo; j < hi; j++)
        a[j] = b[j] + scalar * c[j];
}

static void *work(void *arg)
{
    struct worker *w = arg;
    int first = w->lo == 0;
    init(w->lo, w->hi);
    for (int k = 0; k < NKERNELS; k++) {
        pthread_barrier_wait(&bench_barrier);
        unsigned long t0 = tick();
        switch (k) {
        case COPY: copy(w->lo, w->hi); break;
        case SCALE: scale(w->lo, w->hi); break;
        case ADD: add(w->lo, w->hi); break;
        case TRIAD: triad(w->lo, w->hi); break;
        }
        pthread_barrier_wait(&bench_barrier);
        if (first)
            cycles[k] = tick() - t0;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s THREADS [ELEMENTS [CLOCK_MHZ]]\n", argv[0]);
        return 2;
    }
    nthreads = arg_long(argc, argv, 1, 1, "threads");
    n_elem = arg_long(argc, argv, 2, 1UL << 18, "elements");
    double mhz = arg_long(argc, argv, 3, 1200, "clock");
    if (n_elem % (8UL * nthreads)) {
        fprintf(stderr, "ELEMENTS must be a multiple of 8*THREADS\n");
        return 2;
    }
    /* a page and a bit between arrays so they do not share L2 sets line for line */
    size_t bytes = n_elem * sizeof(double);
    a = xalloc(CHASE_PAGE, bytes + 3 * 1024);
    b = xalloc(CHASE_PAGE, bytes + 3 * 1024);
    c = xalloc(CHASE_PAGE, bytes + 3 * 1024);
    a += 128; b += 256; c += 384;
    struct worker *w = xalloc(64, nthreads * sizeof *w);
    unsigned long per = n_elem / nthreads;
    for (int t = 0; t < nthreads; t++) {
        w[t].lo = t * per;
        w[t].hi = w[t].lo + per;
    }
    run_threads(nthreads, work, w, sizeof *w);
    for (int k = 0; k < NKERNELS; k++) {
        double nbytes = (double)bytes_per_elem[k] * n_elem;
        printf("stream kernel=%s threads=%d bytes=%.0f cycles=%lu MBps=%.1f\n", names[k],
               nthreads, nbytes, cycles[k], nbytes * mhz / cycles[k]);
    }
    /* expected after one pass: a = 2+3*3*2... checked the way STREAM does */
    double aj = 1.0, bj = 2.0, cj = 0.0, sa = 0, sb = 0, sc = 0;
    cj = aj; bj = scalar * cj; cj = aj + bj; aj = bj + scalar * cj;
    for (unsigned long j = 0; j < n_elem; j += 15) {      /* a sample: cheap to simulate */
        sa += a[j] - aj;
        sb += b[j] - bj;
        sc += c[j] - cj;
    }
    printf("stream check=%s\n", sa == 0 && sb == 0 && sc == 0 ? "ok" : "FAILED");
    return 0;
}
