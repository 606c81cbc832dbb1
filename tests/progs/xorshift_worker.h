/* The compute worker the threaded corpus programs share: thread `arg` runs `rounds`
   rounds of 64 xorshift64 steps from its own seed and leaves the value in result[arg].
   Included by threads_work.c and threads_files.c (one translation unit each). */
#ifndef XORSHIFT_WORKER_H
#define XORSHIFT_WORKER_H
#include <stddef.h>

#define MAXT 64

static long rounds = 2000;
static unsigned long result[MAXT];

static void *worker(void *arg)
{
    unsigned long x = 0x9E3779B97F4A7C15UL * ((long)arg + 1);
    for (long r = 0; r < rounds; r++)
        for (int k = 0; k < 64; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    result[(long)arg] = x;
    return NULL;
}

#endif
