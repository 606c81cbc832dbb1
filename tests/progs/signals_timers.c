/* Timers and waiting for signals: alarm with pause, setitimer/getitimer (ITIMER_REAL
 * periodic, ITIMER_VIRTUAL and ITIMER_PROF while computing), POSIX timers with
 * SIGEV_SIGNAL (si_code, si_value, timer_gettime, overruns), sigsuspend, sigtimedwait
 * (a pending signal, a timeout), nanosleep interrupted by a signal (EINTR and the time
 * left), SA_RESTART.  Times are short and the output only says what happened, not when. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alrm, vtalrm, prof, usr1, timer_hits;
static volatile int timer_code, timer_value, timer_overrun_seen, getoverrun_agrees = -1;
static timer_t the_timer;

static void on_alrm(int s) { (void)s; alrm++; }
static void on_vtalrm(int s) { (void)s; vtalrm++; }
static void on_prof(int s) { (void)s; prof++; }
static void on_usr1(int s) { (void)s; usr1++; }
static void on_timer(int s, siginfo_t *si, void *uc)
{
    (void)s; (void)uc;
    timer_hits++;
    timer_code = si->si_code;
    timer_value = si->si_value.sival_int;
    if (si->si_overrun > 0) {
        timer_overrun_seen = 1;
        getoverrun_agrees = timer_getoverrun(the_timer) == si->si_overrun;
    }
}

static void handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, 0);
}

static volatile double sink;
static void burn(volatile sig_atomic_t *until)
{
    double x = 1.0;
    for (long i = 0; !*until && i < 400000000L; i++)
        x = x * 1.0000001 + 1e-9;
    sink = x;
}

int main(void)
{
    setvbuf(stdout, 0, _IOLBF, 0);

    /* alarm + pause */
    handle(SIGALRM, on_alrm, 0);
    printf("alarm(0) with none set: %u\n", alarm(0));
    alarm(5);
    printf("alarm(1) with 5 left: %u\n", alarm(1));
    alarm(0);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    int r = pause();
    printf("pause: %d errno EINTR %d, SIGALRM count %d\n", r, errno == EINTR, alrm);

    /* ITIMER_REAL periodic, then getitimer and disarm. SIGALRM is taken only inside
     * sigsuspend, so a fourth period cannot slip in before the count is read however
     * late the third one was handled; one left pending at the end is discarded. */
    alrm = 0;
    sigset_t with_alrm, no_alrm;
    sigemptyset(&with_alrm);
    sigaddset(&with_alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &with_alrm, &no_alrm);
    sigdelset(&no_alrm, SIGALRM);
    struct itimerval per = {{0, 5000}, {0, 5000}}, cur;
    setitimer(ITIMER_REAL, &per, 0);
    while (alrm < 3)
        sigsuspend(&no_alrm);
    int n = alrm;
    getitimer(ITIMER_REAL, &cur);
    printf("periodic ITIMER_REAL: %d signals, interval %ld us, still armed %d\n", n,
           (long)cur.it_interval.tv_usec, cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, &cur);
    signal(SIGALRM, SIG_IGN);           /* drops a pending one */
    handle(SIGALRM, on_alrm, 0);
    sigprocmask(SIG_UNBLOCK, &with_alrm, 0);
    getitimer(ITIMER_REAL, &cur);
    printf("disarmed: value %ld.%06ld\n", (long)cur.it_value.tv_sec,
           (long)cur.it_value.tv_usec);

    /* CPU-time timers fire while the program computes */
    handle(SIGVTALRM, on_vtalrm, 0);
    handle(SIGPROF, on_prof, 0);
    struct itimerval v = {{0, 0}, {0, 10000}};
    setitimer(ITIMER_VIRTUAL, &v, 0);
    burn(&vtalrm);
    printf("ITIMER_VIRTUAL fired: %d\n", vtalrm);
    setitimer(ITIMER_PROF, &v, 0);
    burn(&prof);
    printf("ITIMER_PROF fired: %d\n", prof);

    /* a POSIX timer: SIGEV_SIGNAL with a value, periodic, then deleted */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, 0);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    ev.sigev_value.sival_int = 1234;
    timer_t t;
    r = timer_create(CLOCK_MONOTONIC, &ev, &t);
    the_timer = t;
    struct itimerspec ts = {{0, 30000000}, {0, 30000000}}, got;
    timer_settime(t, 0, &ts, 0);
    timer_gettime(t, &got);
    printf("timer_create %d, armed: interval %ld ns, value > 0 %d\n", r,
           got.it_interval.tv_nsec, got.it_value.tv_nsec > 0 || got.it_value.tv_sec > 0);
    while (timer_hits < 3)
        pause();
    printf("POSIX timer: hits >= 3, si_code SI_TIMER %d, si_value %d\n",
           timer_code == SI_TIMER, timer_value);
    /* expiries while its signal is blocked become overruns (the period is long enough
       that no expiry falls between the unblocking and the reading) */
    sigset_t u2, old;
    sigemptyset(&u2);
    sigaddset(&u2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &u2, &old);
    struct timespec wait100 = {0, 100000000};
    while (nanosleep(&wait100, &wait100) != 0)
        ;
    int hits = timer_hits;
    sigprocmask(SIG_SETMASK, &old, 0);
    int more = timer_hits - hits;
    printf("after blocking: one more signal %d, overrun reported %d, timer_getoverrun "
           "agrees %d\n", more, timer_overrun_seen, getoverrun_agrees);
    timer_delete(t);
    printf("timer_gettime after delete: %d errno EINVAL %d\n", timer_gettime(t, &got),
           errno == EINVAL);
    /* a one-shot timer at an absolute time already past fires at once */
    timer_hits = 0;
    timer_create(CLOCK_REALTIME, &ev, &t);
    struct itimerspec past = {{0, 0}, {1, 0}};
    timer_settime(t, TIMER_ABSTIME, &past, 0);
    while (!timer_hits)
        pause();
    printf("absolute time in the past: fired %d\n", timer_hits);
    timer_delete(t);

    /* sigsuspend: the mask in force during the wait, and back afterwards */
    handle(SIGUSR1, on_usr1, 0);
    sigset_t b, empty;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR1);
    sigprocmask(SIG_BLOCK, &b, 0);
    kill(getpid(), SIGUSR1);
    printf("blocked SIGUSR1 pending, handler ran %d\n", usr1);
    sigemptyset(&empty);
    r = sigsuspend(&empty);
    sigset_t now;
    sigprocmask(SIG_BLOCK, 0, &now);
    printf("sigsuspend: %d errno EINTR %d, handler ran %d, mask back %d\n", r,
           errno == EINTR, usr1, sigismember(&now, SIGUSR1));

    /* sigtimedwait: a pending signal is taken without its handler; a timeout */
    kill(getpid(), SIGUSR1);
    siginfo_t si;
    struct timespec tmo = {0, 10000000};
    r = sigtimedwait(&b, &si, &tmo);
    printf("sigtimedwait: %d (SIGUSR1 %d) si_code SI_USER %d, pid ok %d, handler ran %d\n",
           r, SIGUSR1, si.si_code == SI_USER, si.si_pid == getpid(), usr1);
    r = sigtimedwait(&b, &si, &tmo);
    printf("sigtimedwait with nothing: %d errno EAGAIN %d\n", r, errno == EAGAIN);
    union sigval sv = {.sival_int = 77};
    sigqueue(getpid(), SIGUSR1, sv);
    r = sigwaitinfo(&b, &si);
    printf("sigqueue + sigwaitinfo: %d code SI_QUEUE %d value %d\n", r, si.si_code == SI_QUEUE,
           si.si_value.sival_int);

    /* nanosleep interrupted by a handler: EINTR and the time left */
    alrm = 0;
    struct itimerval once = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &once, 0);
    struct timespec req = {5, 0}, rem = {0, 0};
    r = nanosleep(&req, &rem);
    printf("nanosleep: %d errno EINTR %d, SIGALRM %d, time left in (4s, 5s] %d\n", r,
           errno == EINTR, alrm, rem.tv_sec == 4 || (rem.tv_sec == 5 && rem.tv_nsec == 0));
    /* ... and a sleep that ends on its own */
    struct timespec shortreq = {0, 2000000};
    r = nanosleep(&shortreq, &rem);
    printf("short nanosleep: %d\n", r);
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &shortreq, 0);
    printf("clock_nanosleep: %d\n", r);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 2000000;
    if (abs.tv_nsec >= 1000000000)
        abs.tv_sec++, abs.tv_nsec -= 1000000000;
    r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, 0);
    struct timespec after;
    clock_gettime(CLOCK_MONOTONIC, &after);
    printf("clock_nanosleep TIMER_ABSTIME: %d, woke after the deadline %d\n", r,
           after.tv_sec > abs.tv_sec || (after.tv_sec == abs.tv_sec && after.tv_nsec >= abs.tv_nsec));
    return 0;
}
