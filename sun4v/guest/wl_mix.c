/* The `mix` workload: requests with idle time between them, like the lightly loaded
   servers a domain replaces. A request: `work` xorshift64 steps on x, 16 touches of
   the worker's 8192-word buffer (for k = 0..15: i = (x >> 3k) & 8191, buf[i] += x,
   x ^= buf[i] >> 1), then x = x * 6364136223846793005 + 1442695040888963407, all
   modulo 2^64; x starts at wl_seed(worker) and the result is its last value. After each request the worker sleeps (100 - duty) / duty
   times as long as the request took, so it is busy `duty` percent of the time: the
   vCPUs yield the rest to the hypervisor. */
#include "workload.h"

void wl_mix_worker(struct worker *w)
{
    u64 x = wl_seed(w->index), *buf = w->buf, mask = w->nbuf - 1;
    u64 duty = w->p->duty, steps = w->p->work;
    for (u64 r = 0; w->units == 0 || r < w->units; r++) {
        u64 t0 = rd_stick();
        for (u64 k = 0; k < steps; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        for (int k = 0; k < 16; k++) {
            u64 i = (x >> (3 * k)) & mask;
            buf[i] += x;
            x ^= buf[i] >> 1;
        }
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        wl_progress(w, 1);
        u64 t1 = rd_stick();
        if (duty < 100)
            sleep_until(t1 + (t1 - t0) * (100 - duty) / duty);
    }
    w->result = x;
}
