/* The `fp` workload: floating point. Pi by the midpoint rule with N intervals (the
   `iterations` parameter, a multiple of 1000): h = 1.0 / N, and each worker sums
   4.0 / (1.0 + x * x) with x = (i + 0.5) * h over its own intervals, 1000 at a time
   (a work unit), in IEEE double precision. The result is sum * h, the worker sums
   added in worker order; its 64 bits are the workload's result.

   Built with the FP unit (the rest of the kernel is not): a worker turns FP on
   (FPRS.FEF) and the scheduler keeps its FP registers across switches. */
#include "workload.h"

static inline void fp_enable(void)
{
    __asm__ __volatile__("wr %%g0, 4, %%fprs" ::: "memory");
}

void wl_fp_worker(struct worker *w)
{
    fp_enable();
    double h = 1.0 / (double)w->p->iterations;
    double s = 0.0;
    for (u64 blk = w->first; blk < w->first + w->units; blk++) {
        for (u64 i = blk * 1000; i < blk * 1000 + 1000; i++) {
            double x = ((double)i + 0.5) * h;
            s += 4.0 / (1.0 + x * x);
        }
        wl_progress(w, 1);
    }
    memcpy(&w->result, &s, sizeof(s));
}

u64 wl_fp_combine(struct worker *ws, int n, u64 intervals, char *text, u64 textlen)
{
    fp_enable();
    double sum = 0.0, s;
    for (int i = 0; i < n; i++) {
        memcpy(&s, &ws[i].result, sizeof(s));
        sum += s;
    }
    double pi = sum * (1.0 / (double)intervals);
    u64 bits, scaled = (u64)(pi * 1e9);
    memcpy(&bits, &pi, sizeof(bits));
    snprintf(text, textlen, "pi %lu.%09lu", scaled / 1000000000, scaled % 1000000000);
    return bits;
}
