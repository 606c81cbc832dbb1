/* What Linux gives and qemu-sparc64 7.2 does not: the resource use of children a wait
 * reaped (kernel/exit.c wait_task_zombie: wait4's struct rusage is the child's own plus
 * its reaped children's, and the same figures join the parent's RUSAGE_CHILDREN and
 * tms_cutime/tms_cstime), a fork child starting with no CPU time of its own
 * (kernel/fork.c), and the time left written back by a ppoll a signal interrupted
 * (fs/select.c poll_select_finish). Prints relations only. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long tv_ns(struct timeval t) { return t.tv_sec * 1000000000LL + t.tv_usec * 1000LL; }
static long long cpu(struct rusage *r) { return tv_ns(r->ru_utime) + tv_ns(r->ru_stime); }

static volatile unsigned long sink;
static void work(long n) {
    unsigned long x = 1;
    for (long i = 0; i < n; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    sink = x;
}

static void on_usr1(int s) { (void)s; }

int main(void) {
    struct rusage self, kids, waited, r;
    work(4000000);
    getrusage(RUSAGE_SELF, &self);
    int p[2];
    pipe(p);

    /* a child that works, reads its own figure, then has a grandchild work too */
    pid_t k = fork();
    if (k == 0) {
        struct rusage c0, c1;
        getrusage(RUSAGE_SELF, &c0);
        work(2000000);
        char *m = malloc(1 << 20);                    /* pages of its own: minflt */
        memset(m, 1, 1 << 20);
        pid_t g = fork();
        if (g == 0) {
            work(1000000);
            _exit(0);
        }
        struct rusage gw;
        wait4(g, NULL, 0, &gw);
        getrusage(RUSAGE_SELF, &c1);
        long long v[3] = {cpu(&c0), cpu(&c1), cpu(&gw)};
        write(p[1], v, sizeof v);
        _exit(0);
    }
    long long v[3];
    read(p[0], v, sizeof v);
    int st;
    wait4(k, &st, 0, &waited);
    getrusage(RUSAGE_CHILDREN, &kids);
    struct tms t;
    times(&t);
    printf("fork child starts below its parent's time: %d\n", v[0] < cpu(&self));
    printf("grandchild's time > 0: %d\n", v[2] > 0);
    long long d = cpu(&waited) - (v[1] + v[2]);      /* only the child's last few calls */
    printf("wait4 rusage = child's own + its waited child's: %d\n", d >= 0 && d < 1000000);
    printf("RUSAGE_CHILDREN = wait4's figures: %d %d\n", cpu(&kids) == cpu(&waited),
           kids.ru_minflt == waited.ru_minflt && kids.ru_maxrss == waited.ru_maxrss);
    long long tick = 1000000000LL / sysconf(_SC_CLK_TCK);
    long long tc = (t.tms_cutime + t.tms_cstime) * tick;
    printf("times children = RUSAGE_CHILDREN: %d\n", tc <= cpu(&kids) && cpu(&kids) - tc < 2 * tick);
    printf("minflt > 0 %d maxrss > 0 %d\n", waited.ru_minflt > 0, waited.ru_maxrss > 0);

    /* a second child adds to RUSAGE_CHILDREN */
    k = fork();
    if (k == 0) {
        work(1000000);
        _exit(3);
    }
    waitpid(k, &st, 0);
    getrusage(RUSAGE_CHILDREN, &r);
    printf("second child adds: %d, status %d\n", cpu(&r) > cpu(&kids), WEXITSTATUS(st));

    /* ppoll interrupted by a signal: the time left is written back */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    k = fork();
    if (k == 0) {
        work(1000000);          /* host time (a sleep in cycle mode is simulated time) */
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    struct pollfd f = {p[0], POLLIN, 0};
    struct timespec ts = {10, 0};
    long n = syscall(SYS_ppoll, &f, 1, &ts, NULL, 8);       /* glibc's copies ts */
    printf("ppoll interrupted: %ld EINTR %d, time left written %d\n", n, errno == EINTR,
           ts.tv_sec < 10 && (ts.tv_sec > 0 || ts.tv_nsec > 0));
    waitpid(k, 0, 0);
    return 0;
}
