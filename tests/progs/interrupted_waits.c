/* Blocking reads and waits for file descriptors that a signal, a timer, another thread or
 * a child process ends: a read from an empty pipe ended by a timer signal (EINTR without
 * SA_RESTART, the read again after an SA_RESTART handler), poll, ppoll (with a mask that
 * lets the signal in only during the wait), select and pause ended by signals a child
 * sends or a child's write, a thread blocked in read while another thread runs. Prints
 * results, errno names and handler counts only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int hits;
static void on_sig(int s) { (void)s; hits++; }

static void handle(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = flags;
    sigaction(sig, &sa, 0);
}

static void timer_ms(int ms) {
    struct itimerval v = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &v, 0);
}

static const char *err(long r) {
    if (r >= 0) return "-";
    return errno == EINTR ? "EINTR" : errno == EAGAIN ? "EAGAIN" : "other";
}

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) < 0) {}
}

/* a child that, after `ms`, sends the parent `sig` (0: none) and writes `c` to fd (-1: none) */
static pid_t child(int ms, int sig, int fd, char c) {
    pid_t k = fork();
    if (k == 0) {
        sleep_ms(ms);
        if (sig) kill(getppid(), sig);
        if (fd >= 0) write(fd, &c, 1);
        _exit(0);
    }
    return k;
}

static int usr1_blocked(void) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGUSR1);
}

static int fds[2];
static void *reader(void *arg) {
    (void)arg;
    char buf[8] = {0};
    long n = read(fds[0], buf, sizeof buf - 1);
    printf("thread read %ld '%s'\n", n, buf);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    pipe(p);
    char c = 0;
    long n;

    handle(SIGALRM, 0);
    timer_ms(20);
    n = read(p[0], &c, 1);
    printf("read, timer, no SA_RESTART: %ld %s hits %d\n", n, err(n), hits);

    hits = 0;
    handle(SIGALRM, SA_RESTART);
    pid_t k = child(400, 0, p[1], 'y');
    timer_ms(20);
    n = read(p[0], &c, 1);
    printf("read, timer, SA_RESTART: %ld '%c' hits %d\n", n, c, hits);
    timer_ms(0);                /* not left armed if the child's write came first */
    waitpid(k, 0, 0);

    hits = 0;
    handle(SIGUSR1, 0);
    struct pollfd f = {p[0], POLLIN, 0};
    k = child(30, SIGUSR1, -1, 0);
    n = poll(&f, 1, 10000);
    printf("poll, a child's signal: %ld %s hits %d\n", n, err(n), hits);
    waitpid(k, 0, 0);

    hits = 0;
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    k = child(30, SIGUSR1, -1, 0);
    struct timespec ts = {10, 0};
    n = ppoll(&f, 1, &ts, &empty);
    /* (Linux also writes the time left back; qemu 7.2 does not after EINTR) */
    printf("ppoll, signal let in by its mask: %ld %s hits %d, blocked after %d\n", n, err(n),
           hits, usr1_blocked());
    waitpid(k, 0, 0);
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    k = child(30, 0, p[1], 'z');
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {10, 0};
    n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select, a child's write: %ld rd %d\n", n, FD_ISSET(p[0], &rd));
    n = read(p[0], &c, 1);
    printf("  read %ld '%c'\n", n, c);
    waitpid(k, 0, 0);

    k = child(30, 0, p[1], 'w');
    n = read(p[0], &c, 1);
    printf("read, a child's write: %ld '%c'\n", n, c);
    waitpid(k, 0, 0);

    hits = 0;
    handle(SIGALRM, 0);
    timer_ms(20);
    n = pause();
    printf("pause, timer: %ld %s hits %d\n", n, err(n), hits);

    /* a thread blocked in read while the main thread computes, then writes */
    pipe(fds);
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    volatile unsigned long x = 0;
    for (int i = 0; i < 300000; i++) x += i;
    write(fds[1], "late", 4);
    pthread_join(t, NULL);

    /* a read that would block on a non-blocking pipe */
    int q[2];
    pipe2(q, O_NONBLOCK);
    n = read(q[0], &c, 1);
    printf("read, non-blocking, empty: %ld %s\n", n, err(n));
    return 0;
}
