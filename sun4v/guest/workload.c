/* The built-in workloads: chosen by the `workload` node of the domain's machine
   description (name + parameters, written by the domain manager from the `sun4v boot`
   configuration), run as worker threads over the domain's vCPUs.

     idle   no threads: the domain only answers its domain services
     int    integer compute: `iterations` work units in all (default 10000); a unit is
            256 xorshift64 steps and a 12-deep recursion (register windows spill and
            fill); result: the sum of the workers' final values (wl_int.c)
     mem    memory streaming: each worker makes `passes` passes (default 10) over a
            buffer of `size` bytes (default 256 KB) with a STREAM-like triad; result:
            the sum of the workers' checksums (wl_mem.c)
     fp     floating point: pi by the midpoint rule over `iterations` intervals in all
            (default 1000000), split among the workers; result: the bits of the IEEE
            double (wl_fp.c)
     mix    a request-like mix: each worker serves `requests` requests (default 200,
            0: forever), each `work` xorshift steps (default 4000) and some memory
            touches, then sleeps so that it is busy `duty` of the time (percent, or a
            fraction given as "0.1"; default 10 %); result: the sum of the workers'
            final values (wl_mix.c)
   Parameters common to all: `threads` (default: the vCPUs online), `bind` (1: worker
   i is bound to the i-th online vCPU, as a bound thread of illumos).

   Every worker adds its finished units to its vCPU's progress counter in the counters
   page (counters.h), which the host reads live. The coordinator thread prints the
   progress when it passes 25, 50 or 75 % (the share reached, one line per 1 ms sample),
   and the result line when all workers are done:
       workload int: done: result 0x0123456789abcdef (4 threads, 10000 units)
   The result does not depend on how the threads were scheduled: each worker's share
   of the work is fixed, and the shares are combined in worker order. */
#include "workload.h"
#include "prog.h"

static const char *const names[] = { "idle", "int", "mem", "fp", "mix" };
static const char *const unit_names[] = { "", "units", "passes", "kilo-intervals",
                                          "requests" };

static struct wl_params params;
static struct worker *workers;
static int code;

u64 wl_seed(int index)
{
    return 0x0123456789abcdefUL ^ params.seed ^ ((u64)(index + 1) * 0x9e3779b97f4a7c15UL);
}

void wl_progress(struct worker *w, u64 n)
{
    w->done += n;
    u64 p = intr_off();
    COUNTERS->cpu[mycpu()->id].progress += n;
    intr_restore(p);
}

static void worker_main(void *arg)
{
    struct worker *w = arg;
    switch (code) {
    case WL_INT: wl_int_worker(w); break;
    case WL_MEM: wl_mem_worker(w); break;
    case WL_FP: wl_fp_worker(w); break;
    case WL_MIX: wl_mix_worker(w); break;
    }
    membar_sync();
    w->finished = 1;
}

/* a parameter: an integer; or a string: "true"/"false" (TOML booleans), a decimal
   fraction for `duty` ("0.1" = 10 %), a number with an optional "%" */
static u64 param(const char *name, u64 dflt)
{
    u64 v = 0, frac = 0, scale = 1;
    const char *s = md_param_str(name);
    if (md_param(name, &v) == 0)
        return v;
    if (!s)
        return dflt;
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0)
        return 1;
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0)
        return 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (u64)(*s - '0');
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++)
            if (scale < 1000000) {
                frac = frac * 10 + (u64)(*s - '0');
                scale *= 10;
            }
        if (*s == 0)                    /* a fraction: percent (duty) */
            return ((v * scale + frac) * 100 + scale / 2) / scale;
    }
    if (*s == '%')
        s++;
    return *s == 0 ? v : dflt;
}

static void share(u64 total, int n)
{
    u64 first = 0;
    for (int i = 0; i < n; i++) {
        workers[i].units = total / (u64)n + ((u64)i < total % (u64)n);
        workers[i].first = first;
        first += workers[i].units;
    }
}

static void coordinator(void *arg)
{
    (void)arg;
    const char *name = names[code];
    int n = (int)params.threads;
    char what[96];
    workers = kalloc(sizeof(struct worker) * (u64)n, 64);
    for (int i = 0; i < n; i++) {
        workers[i].index = i;
        workers[i].nthreads = n;
        workers[i].p = &params;
    }
    switch (code) {
    case WL_INT:
        share(params.iterations, n);
        snprintf(what, sizeof(what), "%lu units", params.iterations);
        break;
    case WL_MEM:
        for (int i = 0; i < n; i++) {
            workers[i].units = params.passes;
            workers[i].nbuf = params.size / 8;
            workers[i].buf = kalloc_high(params.size, 64);
        }
        snprintf(what, sizeof(what), "%lu passes over %lu KB each", params.passes,
                 params.size >> 10);
        break;
    case WL_FP:
        share(params.iterations / 1000, n);     /* units of 1000 intervals */
        snprintf(what, sizeof(what), "%lu intervals", params.iterations);
        break;
    case WL_MIX:
        for (int i = 0; i < n; i++) {
            workers[i].units = params.requests;
            workers[i].nbuf = 8192;
            workers[i].buf = kalloc(8192 * 8, 64);
        }
        snprintf(what, sizeof(what), "%lu requests each, %lu steps, duty %lu%%",
                 params.requests, params.work, params.duty);
        break;
    }
    u64 total = 0, done;
    int forever = 0;
    for (int i = 0; i < n; i++) {
        total += workers[i].units;
        forever |= workers[i].units == 0;
    }
    COUNTERS->workload = (u64)code;
    COUNTERS->threads = (u64)n;
    COUNTERS->units_total = forever ? 0 : total;
    COUNTERS->state = CS_RUNNING;
    kprintf("workload %s: %d threads, %s%s\n", name, n, what,
            params.bind ? ", bound" : "");
    int on = 0;
    for (int i = 0; i < n; i++) {
        char tname[24];
        int bound = -1;
        if (params.bind) {
            while (cpus[on].state != CPU_ONLINE)
                on = (on + 1) % MAXCPUS;
            bound = on;
            on = (on + 1) % MAXCPUS;
        }
        snprintf(tname, sizeof(tname), "%s%d", name, i);
        thread_create(tname, worker_main, &workers[i], bound);
    }
    u64 quarter = 1, last_report = rd_stick();
    for (;;) {
        sleep_us(1000);
        int all = 1;
        done = 0;
        for (int i = 0; i < n; i++) {
            done += workers[i].done;
            all &= workers[i].finished;
        }
        if (forever) {
            if (rd_stick() - last_report >= us_to_stick(100000)) {
                last_report = rd_stick();
                kprintf("workload %s: %lu %s done\n", name, done, unit_names[code]);
            }
            continue;
        }
        /* one line when the work passes a quarter mark, with the share reached: a
           sample that jumps over several marks reports once, not once per mark */
        if (quarter < 4 && done * 4 >= total * quarter && !all) {
            kprintf("workload %s: %lu%% (%lu of %lu %s)\n", name, done * 100 / total,
                    done, total, unit_names[code]);
            while (quarter < 4 && done * 4 >= total * quarter)
                quarter++;
        }
        if (all)
            break;
    }
    u64 result = 0;
    char text[64] = "";
    if (code == WL_FP) {
        result = wl_fp_combine(workers, n, params.iterations, text, sizeof(text));
    } else {
        for (int i = 0; i < n; i++)
            result += workers[i].result;
    }
    COUNTERS->result = result;
    COUNTERS->done_stick = rd_stick();
    membar_sync();
    COUNTERS->state = CS_DONE;
    kprintf("workload %s: done: result 0x%016lx%s%s (%d threads, %lu %s)\n", name, result,
            text[0] ? " " : "", text, n, total, unit_names[code]);
}

void workload_start(void)
{
    if (strcmp(md.workload, "program") == 0) {  /* a static sparc64 program (prog.c) */
        COUNTERS->workload = WL_IDLE;
        prog_start();
        return;
    }
    if (md.workload[0] == 0 || strcmp(md.workload, "idle") == 0) {
        COUNTERS->workload = WL_IDLE;
        COUNTERS->state = CS_IDLE;
        kprintf("workload idle\n");
        return;
    }
    code = -1;
    for (int i = 1; i < (int)ARRAY_SIZE(names); i++)
        if (strcmp(md.workload, names[i]) == 0)
            code = i;
    if (code < 0) {
        kprintf("workload %s: unknown (known: int, mem, fp, mix, idle); running none\n",
                md.workload);
        COUNTERS->state = CS_IDLE;
        return;
    }
    params.threads = param("threads", (u64)cpus_online());
    params.iterations = param("iterations", code == WL_FP ? 1000000 : 10000);
    params.passes = param("passes", 10);
    params.size = param("size", 256 * 1024);
    params.requests = param("requests", 200);
    params.duty = param("duty", 10);
    params.work = param("work", 4000);
    params.bind = param("bind", 0);
    params.seed = param("seed", 0);
    if (params.threads < 1 || params.threads > 1024 || params.duty < 1 ||
        params.duty > 100 || params.size < 64 || params.size > (1UL << 30) ||
        (code == WL_FP && params.iterations == 0)) {
        kprintf("workload %s: parameters out of range (threads 1-1024, duty 1-100, "
                "size 64 B-1 GB, fp iterations > 0); running none\n", md.workload);
        COUNTERS->state = CS_IDLE;
        return;
    }
    if (code == WL_FP)
        params.iterations = (params.iterations + 999) / 1000 * 1000;
    thread_create("workload", coordinator, 0, -1);
}
