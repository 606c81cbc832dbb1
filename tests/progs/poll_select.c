/* poll, ppoll, select, pselect on pipes, regular files and stdin, with timeouts and
 * signal masks; pipe2 and dup3 flags. A second thread writes a pipe the main thread
 * waits for. Prints results, revents and errno values only. */
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
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void r(const char *what, long v) {
    if (v < 0)
        printf("%-30s -1 errno %d\n", what, errno);
    else
        printf("%-30s %ld\n", what, v);
    errno = 0;
}

static volatile int hits;
static void on_usr1(int s) { (void)s; hits++; }

static void *writer(void *arg) {
    int fd = *(int *)arg;
    volatile unsigned long x = 0;
    for (int i = 0; i < 200000; i++) x += i;       /* work before the write */
    write(fd, "late", 4);
    return NULL;
}

static int usr1_blocked(void) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGUSR1);
}

int main(void) {
    int p[2], q[2];
    r("pipe", pipe(p));
    struct pollfd fds[4];

    /* empty pipe: nothing to read, room to write */
    fds[0] = (struct pollfd){p[0], POLLIN, 0};
    fds[1] = (struct pollfd){p[1], POLLOUT | POLLWRNORM, 0};
    r("poll empty pipe", poll(fds, 2, 0));
    printf("  revents %#x %#x\n", fds[0].revents, fds[1].revents);
    r("poll read end, 30 ms", poll(fds, 1, 30));
    printf("  revents %#x\n", fds[0].revents);
    write(p[1], "abc", 3);
    fds[0].events = POLLIN | POLLRDNORM | POLLPRI;
    r("poll after write", poll(fds, 1, -1));
    printf("  revents %#x\n", fds[0].revents);
    /* invalid and negative fds */
    fds[0] = (struct pollfd){77, POLLIN, 0x55};
    fds[1] = (struct pollfd){-1, POLLIN, 0x55};
    fds[2] = (struct pollfd){p[0], POLLOUT, 0};
    r("poll bad fd, negative fd", poll(fds, 3, 1000));
    printf("  revents %#x %#x %#x\n", fds[0].revents, fds[1].revents, fds[2].revents);
    /* the same fd twice, different events */
    fds[0] = (struct pollfd){p[0], POLLIN, 0};
    fds[1] = (struct pollfd){p[0], POLLOUT, 0};
    r("poll same fd twice", poll(fds, 2, 0));
    printf("  revents %#x %#x\n", fds[0].revents, fds[1].revents);
    r("poll no fds, 10 ms", poll(NULL, 0, 10));

    /* a closed write end: POLLHUP (and POLLIN while data is left) */
    r("pipe2", pipe2(q, 0));
    write(q[1], "x", 1);
    close(q[1]);
    fds[0] = (struct pollfd){q[0], POLLIN, 0};
    r("poll hangup with data", poll(fds, 1, 0));
    printf("  revents %#x\n", fds[0].revents);
    char c;
    read(q[0], &c, 1);
    fds[0].events = 0;
    r("poll hangup, no events asked", poll(fds, 1, 0));
    printf("  revents %#x\n", fds[0].revents);
    close(q[0]);
    /* a closed read end: POLLERR for the writer */
    pipe(q);
    close(q[0]);
    fds[0] = (struct pollfd){q[1], POLLOUT, 0};
    r("poll reader gone", poll(fds, 1, 0));
    printf("  revents %#x\n", fds[0].revents);
    close(q[1]);

    /* regular file and stdin */
    char tmpl[] = "/tmp/sun4v_pollXXXXXX";
    int f = mkstemp(tmpl);
    unlink(tmpl);
    fds[0] = (struct pollfd){f, POLLIN | POLLOUT, 0};
    fds[1] = (struct pollfd){0, POLLIN, 0};
    r("poll file and stdin", poll(fds, 2, 100));
    printf("  revents %#x %#x\n", fds[0].revents, fds[1].revents);

    /* ppoll: timeout written back, signal mask during the wait */
    struct timespec ts = {0, 20 * 1000 * 1000};
    fds[0] = (struct pollfd){p[1], POLLOUT, 0};
    r("ppoll writable", ppoll(fds, 1, &ts, NULL));
    printf("  time left <= 20 ms: %d\n", ts.tv_sec == 0 && ts.tv_nsec <= 20000000);
    char buf[16];
    read(p[0], buf, sizeof buf);
    fds[0] = (struct pollfd){p[0], POLLIN, 0};
    ts = (struct timespec){0, 15 * 1000 * 1000};
    r("ppoll times out", ppoll(fds, 1, &ts, NULL));
    printf("  time left %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    ts = (struct timespec){0, 15 * 1000 * 1000};
    r("ppoll syscall times out", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8));
    printf("  time left %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    ts = (struct timespec){0, 0};
    r("ppoll zero timeout", ppoll(fds, 1, &ts, NULL));
    ts = (struct timespec){-1, 0};
    r("ppoll negative timeout", ppoll(fds, 1, &ts, NULL));
    ts = (struct timespec){0, 1000000000};
    r("ppoll nsec 1e9", ppoll(fds, 1, &ts, NULL));
    r("ppoll bad sigsetsize", syscall(SYS_ppoll, fds, 1, NULL, &ts, 4));

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    printf("  pending, blocked: hits %d\n", hits);
    ts = (struct timespec){5, 0};
    r("ppoll unblocks a pending signal", ppoll(fds, 1, &ts, &empty));
    printf("  hits %d, SIGUSR1 blocked again %d\n", hits, usr1_blocked());
    raise(SIGUSR1);
    ts = (struct timespec){0, 10 * 1000 * 1000};
    r("ppoll keeps it blocked", ppoll(fds, 1, &ts, &block));
    printf("  hits %d\n", hits);
    write(p[1], "z", 1);
    r("ppoll ready, signal pending", ppoll(fds, 1, NULL, &empty));
    printf("  hits %d (delivered when unblocked: %d)\n", hits,
           (sigprocmask(SIG_UNBLOCK, &block, NULL), hits));
    read(p[0], buf, 1);

    /* select */
    fd_set rd, wr, ex;
    FD_ZERO(&rd); FD_ZERO(&wr); FD_ZERO(&ex);
    FD_SET(p[0], &rd); FD_SET(p[1], &wr); FD_SET(p[0], &ex);
    struct timeval tv = {0, 0};
    r("select", select(p[1] + 1, &rd, &wr, &ex, &tv));
    printf("  rd %d wr %d ex %d\n", FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr), FD_ISSET(p[0], &ex));
    FD_ZERO(&rd); FD_SET(p[0], &rd);
    tv = (struct timeval){0, 25000};
    r("select times out", select(p[0] + 1, &rd, NULL, NULL, &tv));
    printf("  time left %ld.%06ld, rd %d\n", (long)tv.tv_sec, (long)tv.tv_usec, FD_ISSET(p[0], &rd));
    write(p[1], "ab", 2);
    FD_ZERO(&rd); FD_SET(p[0], &rd); FD_SET(f, &rd); FD_ZERO(&wr); FD_SET(p[0], &wr); FD_SET(p[1], &wr);
    tv = (struct timeval){2, 0};
    r("select read+write sets", select(64, &rd, &wr, NULL, &tv));
    printf("  rd p0 %d f %d, wr p0 %d p1 %d, time left <= 2 s %d\n", FD_ISSET(p[0], &rd),
           FD_ISSET(f, &rd), FD_ISSET(p[0], &wr), FD_ISSET(p[1], &wr),
           tv.tv_sec < 2 || (tv.tv_sec == 2 && tv.tv_usec == 0));
    FD_ZERO(&rd); FD_SET(60, &rd);
    r("select closed fd", select(61, &rd, NULL, NULL, &tv));
    r("select negative n", select(-1, NULL, NULL, NULL, &tv));
    tv = (struct timeval){0, -1};
    r("select negative usec", select(1, NULL, NULL, NULL, &tv));
    tv = (struct timeval){0, 1500000};
    FD_ZERO(&rd); FD_SET(p[0], &rd);
    r("select usec > 1 s", select(p[0] + 1, &rd, NULL, NULL, &tv));
    r("_newselect", syscall(230, p[0] + 1, &rd, NULL, NULL, &tv));
    r("select (93)", syscall(93, 0, NULL, NULL, NULL, &tv));
    tv = (struct timeval){0, 5000};
    r("select nothing, 5 ms", select(0, NULL, NULL, NULL, &tv));
    read(p[0], buf, sizeof buf);

    /* pselect with a signal mask */
    raise(SIGUSR1);                     /* blocked: stays pending */
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    FD_ZERO(&rd); FD_SET(p[0], &rd);
    ts = (struct timespec){3, 0};
    r("pselect unblocks a pending signal", pselect(p[0] + 1, &rd, NULL, NULL, &ts, &empty));
    printf("  hits %d, blocked again %d\n", hits, usr1_blocked());
    ts = (struct timespec){0, 5 * 1000 * 1000};
    r("pselect times out", pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL));
    printf("  time left %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    ts = (struct timespec){0, 5 * 1000 * 1000};
    r("pselect6 syscall times out", syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &ts, NULL));
    printf("  time left %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    struct { const sigset_t *ss; size_t len; } arg = {&empty, 16};
    r("pselect6 bad sigset size", syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, NULL, &arg));
    ts = (struct timespec){0, -5};
    r("pselect6 bad timeout", syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &ts, NULL));
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* another thread writes the pipe the main thread waits for */
    pthread_t t;
    pthread_create(&t, NULL, writer, &p[1]);
    fds[0] = (struct pollfd){p[0], POLLIN, 0};
    r("poll for another thread", poll(fds, 1, -1));
    printf("  revents %#x\n", fds[0].revents);
    memset(buf, 0, sizeof buf);
    r("read it", read(p[0], buf, sizeof buf - 1));
    printf("  got '%s'\n", buf);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, writer, &p[1]);
    FD_ZERO(&rd); FD_SET(p[0], &rd);
    r("select for another thread", select(p[0] + 1, &rd, NULL, NULL, NULL));
    read(p[0], buf, sizeof buf - 1);
    pthread_join(t, NULL);

    /* pipe2 and dup3 flags */
    r("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(q, O_CLOEXEC | O_NONBLOCK));
    printf("  cloexec %d %d nonblock %d\n", fcntl(q[0], F_GETFD), fcntl(q[1], F_GETFD),
           (fcntl(q[0], F_GETFL) & O_NONBLOCK) != 0);
    r("read empty nonblocking", read(q[0], buf, 1));
    r("pipe2 bad flags", pipe2(q, O_APPEND));
    r("pipe2 bad address", syscall(SYS_pipe2, (void *)8, 0));
    r("pipe2 O_DIRECT", pipe2(q + 0, O_DIRECT));
    r("dup3 same fd", dup3(p[0], p[0], 0));
    r("dup3 same fd cloexec", dup3(p[0], p[0], O_CLOEXEC));
    r("dup3 bad flags", dup3(p[0], 20, O_NONBLOCK));
    r("dup3 bad old", dup3(99, 20, 0));
    r("dup3 cloexec", dup3(p[0], 20, O_CLOEXEC));
    printf("  cloexec %d\n", fcntl(20, F_GETFD));
    r("dup3 over it", dup3(p[1], 20, 0));
    printf("  cloexec %d\n", fcntl(20, F_GETFD));
    r("dup3 new out of range", dup3(p[0], 1 << 20, 0));
    r("dup2 same fd", dup2(p[0], p[0]));
    r("dup2 same bad fd", dup2(90, 90));
    return 0;
}
