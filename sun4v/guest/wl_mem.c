/* The `mem` workload: memory streaming over each worker's own buffer of `size` bytes,
   three arrays a, b, c of n = size / 24 words (u64, modulo 2^64):
     start:     a[i] = 0, b[i] = i * 0x9e3779b97f4a7c15 + w, c[i] = (i ^ 0x5555) + w
     pass p:    a[i] = b[i] + (p + 3) * c[i] for all i, then c[i] = a[i] ^ (b[i] >> 1)
     result:    sum of a[i] * (2i + 1)
   (w: the worker's index; p from 0). Each pass is one work unit. */
#include "workload.h"

void wl_mem_worker(struct worker *w)
{
    u64 n = w->nbuf / 3, t = (u64)w->index;
    u64 *a = w->buf, *b = a + n, *c = b + n;
    for (u64 i = 0; i < n; i++) {
        a[i] = 0;
        b[i] = i * 0x9e3779b97f4a7c15UL + t;
        c[i] = (i ^ 0x5555) + t;
    }
    for (u64 p = 0; w->units == 0 || p < w->units; p++) {
        u64 s = p + 3;
        for (u64 i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        for (u64 i = 0; i < n; i++)
            c[i] = a[i] ^ (b[i] >> 1);
        wl_progress(w, 1);
    }
    u64 sum = 0;
    for (u64 i = 0; i < n; i++)
        sum += a[i] * (2 * i + 1);
    w->result = sum;
}
