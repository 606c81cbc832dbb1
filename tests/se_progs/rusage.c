/* getrusage (RUSAGE_SELF, RUSAGE_THREAD, RUSAGE_CHILDREN), times() and the CPU-time
 * clocks: what must hold between them whatever the machine's speed (CPU time grows with
 * work, the three interfaces agree, a thread's figures are part of the process's, memory
 * touched shows in maxrss and minflt). Prints relations only, no figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static long long tv_ns(struct timeval t) { return t.tv_sec * 1000000000LL + t.tv_usec * 1000LL; }
static long long ts_ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static volatile unsigned long sink;
static void work(long n) {
    unsigned long x = 1;
    for (long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
}

static long long cpu(clockid_t c) {
    struct timespec t;
    if (clock_gettime(c, &t) < 0) return -1;
    return ts_ns(t);
}

static void *thread_main(void *arg) {
    (void)arg;
    struct rusage a, b;
    getrusage(RUSAGE_THREAD, &a);
    long long c0 = cpu(CLOCK_THREAD_CPUTIME_ID);
    work(3000000);
    getrusage(RUSAGE_THREAD, &b);
    long long c1 = cpu(CLOCK_THREAD_CPUTIME_ID);
    printf("thread: its clock grew %d, its rusage grew %d\n", c1 > c0,
           tv_ns(b.ru_utime) + tv_ns(b.ru_stime) > tv_ns(a.ru_utime) + tv_ns(a.ru_stime));
    return NULL;
}

int main(void) {
    struct rusage r0, r1, rt, rc;
    struct tms t0, t1;
    printf("getrusage self %d\n", getrusage(RUSAGE_SELF, &r0));
    times(&t0);
    long long p0 = cpu(CLOCK_PROCESS_CPUTIME_ID), th0 = cpu(CLOCK_THREAD_CPUTIME_ID);

    work(20000000);

    long long p1 = cpu(CLOCK_PROCESS_CPUTIME_ID);
    getrusage(RUSAGE_SELF, &r1);
    times(&t1);
    long long p2 = cpu(CLOCK_PROCESS_CPUTIME_ID);
    long long u0 = tv_ns(r0.ru_utime) + tv_ns(r0.ru_stime);
    long long u1 = tv_ns(r1.ru_utime) + tv_ns(r1.ru_stime);
    printf("work shows: rusage %d clock %d times %d\n", u1 > u0, p1 > p0,
           t1.tms_utime + t1.tms_stime >= t0.tms_utime + t0.tms_stime);
    printf("usec in range %d %d\n", r1.ru_utime.tv_usec >= 0 && r1.ru_utime.tv_usec < 1000000,
           r1.ru_stime.tv_usec >= 0 && r1.ru_stime.tv_usec < 1000000);
    /* rusage at a moment between two clock readings; times() within a few ticks */
    printf("rusage between clock readings %d\n", p1 <= u1 + 20000000 && u1 <= p2 + 1000);
    long long tms_ns = (t1.tms_utime + t1.tms_stime) * (1000000000LL / sysconf(_SC_CLK_TCK));
    long long d = tms_ns - u1;
    printf("times agrees with rusage %d\n", d > -30000000 && d < 30000000);
    printf("thread clock <= process clock %d\n", th0 <= p0 + 1000 && cpu(CLOCK_THREAD_CPUTIME_ID) <= cpu(CLOCK_PROCESS_CPUTIME_ID) + 1000);

    /* cpu clock ids of this process and thread */
    clockid_t pc, tc;
    printf("clock_getcpuclockid %d pthread_getcpuclockid %d\n", clock_getcpuclockid(0, &pc),
           pthread_getcpuclockid(pthread_self(), &tc));
    long long vp = cpu(pc), vt = cpu(tc);
    printf("cpu clock ids read %d %d\n", vp > 0, vt > 0);
    struct timespec res;
    printf("clock_getres cputime %d\n", clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res));

    /* memory: 16 MiB touched page by page */
    long before_rss = r1.ru_maxrss, before_flt = r1.ru_minflt;
    size_t n = 16 << 20;
    char *m = malloc(n);
    for (size_t i = 0; i < n; i += 4096) m[i] = (char)i;
    struct rusage r2;
    getrusage(RUSAGE_SELF, &r2);
    printf("maxrss grew by >= 12 MiB %d, minflt grew by >= 2048 %d, maxrss>0 %d\n",
           r2.ru_maxrss - before_rss >= 12 * 1024, r2.ru_minflt - before_flt >= 2048,
           r0.ru_maxrss > 0);
    free(m);
    printf("unused fields zero %d\n", !r2.ru_ixrss && !r2.ru_idrss && !r2.ru_isrss &&
           !r2.ru_nswap && !r2.ru_msgsnd && !r2.ru_msgrcv && !r2.ru_nsignals);

    /* a thread */
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    getrusage(RUSAGE_THREAD, &rt);
    struct rusage r3;
    getrusage(RUSAGE_SELF, &r3);
    printf("main thread < process %d\n",
           tv_ns(rt.ru_utime) + tv_ns(rt.ru_stime) < tv_ns(r3.ru_utime) + tv_ns(r3.ru_stime));

    /* no children */
    memset(&rc, 0x55, sizeof rc);
    printf("children %d: zero %d\n", getrusage(RUSAGE_CHILDREN, &rc),
           !rc.ru_utime.tv_sec && !rc.ru_utime.tv_usec && !rc.ru_stime.tv_sec &&
           !rc.ru_stime.tv_usec && !rc.ru_maxrss && !rc.ru_minflt);
    printf("times children zero %d\n", !t1.tms_cutime && !t1.tms_cstime);
    errno = 0;
    printf("who 2: %d errno %d\n", getrusage(2, &rc), errno);
    errno = 0;
    printf("who -2: %d errno %d\n", getrusage(-2, &rc), errno);
    errno = 0;
    printf("bad buffer: %ld errno %d\n", syscall(SYS_getrusage, RUSAGE_SELF, (void *)8), errno);
    return 0;
}
