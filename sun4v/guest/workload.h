/* The built-in workloads (workload.c runs them; wl_*.c is each one's work). */
#ifndef GUEST_WORKLOAD_H
#define GUEST_WORKLOAD_H

#include "kernel.h"

#define WL_IDLE 0
#define WL_INT  1
#define WL_MEM  2
#define WL_FP   3
#define WL_MIX  4

struct wl_params {
    u64 threads;        /* worker threads (default: the vCPUs online at boot) */
    u64 iterations;     /* int: work units in all; fp: integration intervals in all */
    u64 passes;         /* mem: passes over its buffer, per thread */
    u64 size;           /* mem: bytes of each thread's buffer */
    u64 requests;       /* mix: requests per thread */
    u64 duty;           /* mix: percent of the time busy (1-100) */
    u64 work;           /* mix: xorshift steps per request */
    u64 bind;           /* 1: worker i is bound to the i-th online vCPU */
    u64 seed;           /* xor-ed into every worker's starting value (default 0) */
};

struct worker {
    int index, nthreads;
    u64 units;          /* work units to do; 0: until the domain stops */
    u64 first;          /* fp: first interval of this worker */
    volatile u64 done;
    u64 result;
    volatile int finished;
    const struct wl_params *p;
    u64 *buf;
    u64 nbuf;           /* u64 words in buf */
};

void wl_progress(struct worker *w, u64 n);
u64 wl_seed(int index);

void wl_int_worker(struct worker *w);
void wl_mem_worker(struct worker *w);
void wl_fp_worker(struct worker *w);
void wl_mix_worker(struct worker *w);
u64 wl_fp_combine(struct worker *ws, int n, u64 intervals, char *text, u64 textlen);

#endif
