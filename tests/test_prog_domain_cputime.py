"""A domain program's CPU-time clocks (clock_gettime(2), timer_create(2)):
CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID read the guest kernel's count of
the process's and the calling thread's time on the domain's vCPUs (sun4v/guest/
cputime.c), and a POSIX timer on either counts down that time, not elapsed time:

- across a 200 ms sleep neither clock moves (by less than 5 ms), a 20 ms timer on each
  has not fired and has more than 10 ms left (timer_gettime); computing afterwards
  fires both, and both clocks have counted those 20 ms -- the same lines as under `sun4v run` (whose CPU time is the
  instructions a program ran) and as Linux prints;
- while a second thread computes 100 ms of its own time (and the main thread waits in
  pthread_join), the process clock advances by that much and the main thread's clock
  does not; the second thread's clock read by pthread_getcpuclockid (a negative clock
  id, Linux's per-thread CPU clock) agrees with its own CLOCK_THREAD_CPUTIME_ID;
- clock_nanosleep on the process clock returns once the process (a second thread
  computing 1 ms in each 5) has used that much CPU time (50 ms: more than 150 ms
  pass); on a thread clock it is EINVAL (Linux
  posix_cpu_nsleep)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progdomkit import boot_program, build_program  # noqa: E402
from qemu_oracle import compare_runs, run_sun4v  # noqa: E402

CPU_CLOCKS = r'''
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
static volatile int fired[2];
static void on_sig(int s, siginfo_t *si, void *uc) {
    (void)s; (void)uc;
    fired[si->si_value.sival_int]++;
}
static long ns(clockid_t c) {
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}
static void *worker(void *arg) {
    clockid_t mine;
    pthread_getcpuclockid(pthread_self(), &mine);
    long a = ns(CLOCK_THREAD_CPUTIME_ID);
    volatile unsigned long x = 0;
    while (ns(CLOCK_THREAD_CPUTIME_ID) - a < 100000000L)
        for (int i = 0; i < 10000; i++)
            x += i;
    long own = ns(CLOCK_THREAD_CPUTIME_ID), other = ns(mine);
    *(long *)arg = own - a;
    printf("worker: getcpuclockid agrees %d\n",
           other >= own && other - own < 5000000L);
    return 0;
}
int main(void) {
    static const clockid_t clk[2] = {CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    static const char *name[2] = {"process", "thread"};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    sigaction(SIGUSR2, &sa, 0);
    timer_t tm[2];
    for (int k = 0; k < 2; k++) {
        struct sigevent ev;
        memset(&ev, 0, sizeof ev);
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = k ? SIGUSR2 : SIGUSR1;
        ev.sigev_value.sival_int = k;
        printf("timer_create %s: %d\n", name[k], timer_create(clk[k], &ev, &tm[k]) ? errno : 0);
        struct itimerspec v = {{0, 0}, {0, 20000000}};
        timer_settime(tm[k], 0, &v, 0);
    }
    long p0 = ns(clk[0]), t0 = ns(clk[1]);
    struct timespec d = {0, 200000000};
    nanosleep(&d, 0);                   /* 200 ms asleep: no CPU time */
    long p1 = ns(clk[0]), t1 = ns(clk[1]);
    for (int k = 0; k < 2; k++) {
        struct itimerspec left;
        timer_gettime(tm[k], &left);
        printf("%s clock across a 200 ms sleep: moved less than 5 ms %d, timer fired %d,"
               " left more than 10 ms %d\n", name[k],
               k ? t1 - t0 < 5000000L : p1 - p0 < 5000000L, fired[k],
               left.it_value.tv_sec == 0 && left.it_value.tv_nsec > 10000000L);
    }
    volatile unsigned long x = 0;
    while ((!fired[0] || !fired[1]) && ns(clk[0]) - p1 < 1000000000L)
        for (int i = 0; i < 10000; i++)
            x += i;
    printf("after computing: process timer fired %d, thread timer fired %d\n",
           fired[0], fired[1]);
    printf("the clocks counted the 20 ms: process %d, thread %d\n",
           ns(clk[0]) - p1 >= 20000000L, ns(clk[1]) - t1 >= 20000000L);
    return 0;
}
'''

THREAD_CLOCKS = CPU_CLOCKS.split("int main(void)")[0] + r'''
static volatile int stop;
static void *spinner(void *arg) {       /* computes 1 ms in each 5 */
    volatile unsigned long x = 0;
    struct timespec d = {0, 4000000};
    while (!stop) {
        long a = ns(CLOCK_THREAD_CPUTIME_ID);
        while (!stop && ns(CLOCK_THREAD_CPUTIME_ID) - a < 1000000L)
            for (int i = 0; i < 1000; i++)
                x++;
        nanosleep(&d, 0);
    }
    return arg;
}
int main(void) {
    long spent = 0;
    long p0 = ns(CLOCK_PROCESS_CPUTIME_ID), t0 = ns(CLOCK_THREAD_CPUTIME_ID);
    pthread_t th;
    pthread_create(&th, 0, worker, &spent);
    pthread_join(th, 0);                /* waits: no CPU time of its own */
    long p1 = ns(CLOCK_PROCESS_CPUTIME_ID), t1 = ns(CLOCK_THREAD_CPUTIME_ID);
    printf("worker computed 100 ms %d; process clock moved as much %d;"
           " main thread clock moved less than 20 ms %d\n", spent >= 100000000L,
           p1 - p0 >= spent, t1 - t0 < 20000000L);
    struct timespec d = {0, 50000000};
    printf("clock_nanosleep on the thread clock: %d\n",
           clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &d, 0));
    pthread_create(&th, 0, spinner, 0);
    long p2 = ns(CLOCK_PROCESS_CPUTIME_ID), t2 = ns(CLOCK_THREAD_CPUTIME_ID);
    long m2 = ns(CLOCK_MONOTONIC);
    int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &d, 0);
    long p3 = ns(CLOCK_PROCESS_CPUTIME_ID), t3 = ns(CLOCK_THREAD_CPUTIME_ID);
    long m3 = ns(CLOCK_MONOTONIC);
    stop = 1;
    pthread_join(th, 0);
    printf("clock_nanosleep 50 ms on the process clock: %d, process clock moved as much"
           " %d, main thread clock moved less than 20 ms %d, more than 150 ms passed %d\n",
           r, p3 - p2 >= 50000000L, t3 - t2 < 20000000L, m3 - m2 > 150000000L);
    return 0;
}
'''


def test_cpu_clocks_and_timers_count_cpu_time(tmp_path):
    exe = build_program(tmp_path, "cpu_clocks", CPU_CLOCKS, "-pthread")
    out, err, rc, _s = boot_program(exe, until="5s")
    assert rc == 0, (out, err, rc)
    for k in ("process", "thread"):
        assert f"timer_create {k}: 0\n".encode() in out, out
        assert (f"{k} clock across a 200 ms sleep: moved less than 5 ms 1, timer fired 0,"
                f" left more than 10 ms 1\n").encode() in out, out
    assert out.endswith(b"after computing: process timer fired 1, thread timer fired 1\n"
                        b"the clocks counted the 20 ms: process 1, thread 1\n"), out
    compare_runs("cpu_clocks in a domain", run_sun4v(exe), (out, err, rc))


def test_thread_clock_is_the_threads_own(tmp_path):
    exe = build_program(tmp_path, "thread_clocks", THREAD_CLOCKS, "-pthread")
    out, err, rc, _s = boot_program(exe, vcpus=2, until="5s")
    assert (rc, err) == (0, b""), (out, err, rc)
    assert out == (b"worker: getcpuclockid agrees 1\n"
                   b"worker computed 100 ms 1; process clock moved as much 1;"
                   b" main thread clock moved less than 20 ms 1\n"
                   b"clock_nanosleep on the thread clock: 22\n"
                   b"clock_nanosleep 50 ms on the process clock: 0, process clock moved"
                   b" as much 1, main thread clock moved less than 20 ms 1,"
                   b" more than 150 ms passed 1\n"), out
