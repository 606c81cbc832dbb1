/* The `int` workload: integer compute. This file is built without -mflat, like the
   user programs to come: the recursion below uses a register window per call, so the
   12-deep calls spill to the stack and fill back (the kernel's spill/fill handlers),
   also across preemptions.

   A work unit: 256 xorshift64 steps (x ^= x << 13; x ^= x >> 7; x ^= x << 17), then
   x + rec(x, 12), where rec(x, 0) = x and rec(x, d) = rotl(rec(x * 0x9e3779b97f4a7c15
   + d, d - 1), 5) + (x >> 3), all modulo 2^64. Worker i starts from wl_seed(i), does
   its units one after the other, and its result is the last value. */
#include "workload.h"

static u64 __attribute__((noinline, noclone)) rec(u64 x, int d)
{
    if (d == 0)
        return x;
    u64 r = rec(x * 0x9e3779b97f4a7c15UL + (u64)d, d - 1);
    return ((r << 5) | (r >> 59)) + (x >> 3);
}

static u64 unit(u64 x)
{
    for (int i = 0; i < 256; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x + rec(x, 12);
}

void wl_int_worker(struct worker *w)
{
    u64 x = wl_seed(w->index);
    for (u64 u = 0; w->units == 0 || u < w->units; u++) {
        x = unit(x);
        wl_progress(w, 1);
    }
    w->result = x;
}
