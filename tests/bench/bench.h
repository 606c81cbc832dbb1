/* Shared helpers of the sun4v microbenchmarks (tests/bench/NAME.c): the %tick timer, a
 * deterministic PRNG, argument parsing, thread start-up and the pointer-chase chain.
 *
 * Timing: `rd %tick` reads the simulated chip clock in `sun4v run --mode cycle` (the
 * host's TICK under qemu-sparc64, retired instructions in functional mode).  Threads:
 * the main thread is worker 0 and starts T-1 more, so T threads need exactly T strands.
 * Output: one line per figure, `NAME key=value ...`, parsed by sun4v/validate.py. */
#ifndef SUN4V_BENCH_H
#define SUN4V_BENCH_H
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline unsigned long tick(void)
{
    unsigned long t;
    __asm__ volatile("rd %%tick, %0" : "=r"(t) : : "memory");
    return t;
}

/* xorshift64*: fixed seeds make every run identical. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline long arg_long(int argc, char **argv, int i, long dflt, const char *name)
{
    if (i >= argc)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 0);
    if (errno || *end || v <= 0) {
        fprintf(stderr, "%s: bad %s '%s'\n", argv[0], name, argv[i]);
        exit(2);
    }
    return v;
}

static inline int is_pow2(unsigned long v) { return v && !(v & (v - 1)); }

static inline void *xalloc(size_t align, size_t size)
{
    void *p = aligned_alloc(align, (size + align - 1) / align * align);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", size);
        exit(1);
    }
    return p;
}

/* ---- threads: worker 0 is the main thread --------------------------------------- */
static pthread_barrier_t bench_barrier;

static inline void run_threads(int nthreads, void *(*fn)(void *), void *args,
                               size_t argsize)
{
    pthread_t tid[256];
    if (nthreads < 1 || nthreads > 256) {
        fprintf(stderr, "threads must be 1..256\n");
        exit(2);
    }
    pthread_barrier_init(&bench_barrier, NULL, nthreads);
    for (int t = 1; t < nthreads; t++) {
        int e = pthread_create(&tid[t], NULL, fn, (char *)args + t * argsize);
        if (e) {
            fprintf(stderr, "pthread_create of thread %d: %s\n", t, strerror(e));
            exit(1);
        }
    }
    fn(args);
    for (int t = 1; t < nthreads; t++)
        pthread_join(tid[t], NULL);
}

/* ---- pointer-chase chains ----------------------------------------------------------
 * A region of `size` bytes holds `size/stride` elements, one per `stride` bytes; each
 * element holds the address of the next in a randomised cyclic order.  The order is
 * page-local (all elements of an 8 KB page, shuffled, then the next page of a shuffled
 * page order) so a chase misses every cache level it should and the D-TLB only once
 * per page.  Position k of the order is computed, not stored:
 *     page(k) = page_perm[k / per_page]
 *     elem(k) = line_perm[k % per_page] ^ page_mask[page(k)]   (a bijection per page)  */
#define CHASE_PAGE 8192UL

struct chain {
    char *base;
    unsigned long size, stride, n, per_page, npages;
    unsigned stride_log2, page_shift;      /* log2(stride), log2(per_page) */
    uint32_t *page_perm, *page_mask, *line_perm;
};

static inline unsigned log2_of(unsigned long v)
{
    unsigned r = 0;
    while (v >>= 1)
        r++;
    return r;
}

static inline void shuffle(uint32_t *a, unsigned long n, uint64_t *seed)
{
    for (unsigned long i = 0; i < n; i++)
        a[i] = i;
    for (unsigned long i = n - 1; i > 0; i--) {
        unsigned long j = rng_next(seed) % (i + 1);
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static inline void chain_init(struct chain *c, char *base, unsigned long size,
                              unsigned long stride, uint64_t seed)
{
    if (!is_pow2(size) || !is_pow2(stride) || stride < sizeof(void *) || stride > size) {
        fprintf(stderr, "size and stride must be powers of two, %zu <= stride <= size\n",
                sizeof(void *));
        exit(2);
    }
    unsigned long page = size < CHASE_PAGE ? size : CHASE_PAGE;
    if (stride > page)
        page = stride;
    c->base = base;
    c->size = size;
    c->stride = stride;
    c->n = size / stride;
    c->per_page = page / stride;
    c->npages = size / page;
    c->stride_log2 = log2_of(stride);
    c->page_shift = log2_of(c->per_page);
    c->page_perm = xalloc(64, c->npages * 4);
    c->page_mask = xalloc(64, c->npages * 4);
    c->line_perm = xalloc(64, c->per_page * 4);
    shuffle(c->page_perm, c->npages, &seed);
    shuffle(c->line_perm, c->per_page, &seed);
    for (unsigned long p = 0; p < c->npages; p++)
        c->page_mask[p] = rng_next(&seed) & (c->per_page - 1);
}

/* Element k of the chase order, 0 <= k < n (shifts and masks only: n and per_page are
 * powers of two, and building an 8 MB chain stays cheap to simulate). */
static inline char *chain_elem(const struct chain *c, unsigned long k)
{
    unsigned long pg = c->page_perm[k >> c->page_shift];
    unsigned long e = c->line_perm[k & (c->per_page - 1)] ^ c->page_mask[pg];
    return c->base + (((pg << c->page_shift) + e) << c->stride_log2);
}

/* Write links k0..k1-1 of the chain (element k points to element k+1, the last to the
 * first).  Writing links in chase order leaves the start of the chain the least recently
 * used memory. */
static inline void chain_build(const struct chain *c, unsigned long k0, unsigned long k1)
{
    char *cur = chain_elem(c, k0);
    for (unsigned long k = k0; k < k1; k++) {
        char *next = chain_elem(c, (k + 1) & (c->n - 1));
        *(char **)cur = next;
        cur = next;
    }
}

#define CHASE1 p = *(char **)p;
#define CHASE10 CHASE1 CHASE1 CHASE1 CHASE1 CHASE1 CHASE1 CHASE1 CHASE1 CHASE1 CHASE1
#define CHASE100 CHASE10 CHASE10 CHASE10 CHASE10 CHASE10 CHASE10 CHASE10 CHASE10 CHASE10 CHASE10

/* Follow the chain for `loads` dependent loads (rounded up to a multiple of 100). */
static inline char *chase(char *p, unsigned long loads)
{
    for (unsigned long i = 0; i < loads; i += 100) {
        CHASE100
    }
    return p;
}
#endif
