/* Processes: fork, vfork, posix_spawn-free waiting (wait, waitpid with WNOHANG, wait4
 * with rusage, waitid with the siginfo it fills), exit statuses and children killed by
 * signals (a default action, abort, a signal the parent sends), SIGCHLD with a handler,
 * SIG_IGN'd SIGCHLD reaping children by itself, ECHILD.  Children print nothing that
 * could interleave with the parent: the parent reports after waiting. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d (%s)%s\n", what, WTERMSIG(st),
               WTERMSIG(st) == SIGKILL ? "SIGKILL" : WTERMSIG(st) == SIGABRT ? "SIGABRT"
               : WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : WTERMSIG(st) == SIGUSR1 ? "SIGUSR1"
               : "?", WCOREDUMP(st) ? " core" : "");
    else if (WIFSTOPPED(st))
        printf("%s: stopped by %d\n", what, WSTOPSIG(st));
    else
        printf("%s: status %#x\n", what, st);
}

static volatile sig_atomic_t chld_count, chld_code, chld_status, chld_pid_ok;
static pid_t expect_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    chld_count++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == expect_pid;
}

static volatile sig_atomic_t term_seen;
static void on_term(int sig) { (void)sig; term_seen = 1; }

int main(void)
{
    int st;
    setvbuf(stdout, 0, _IOLBF, 0);
    pid_t me = getpid();

    /* exit statuses */
    for (int code = 0; code < 300; code += 127) {
        fflush(stdout);
        pid_t p = fork();
        if (p == 0)
            _exit(code);
        pid_t w = waitpid(p, &st, 0);
        char what[32];
        snprintf(what, sizeof what, "exit(%d)", code);
        show(what, st);
        if (w != p)
            printf("waitpid returned %d, not the child\n", w);
    }

    /* killed: SIGSEGV by default action, abort(), SIGKILL from the parent */
    pid_t p = fork();
    if (p == 0) {
        *(volatile int *)0 = 1;
        _exit(0);
    }
    waitpid(p, &st, 0);
    show("child segfaults", st);
    p = fork();
    if (p == 0)
        abort();
    waitpid(p, &st, 0);
    show("child aborts", st);
    int pipefd[2];
    pipe(pipefd);
    p = fork();
    if (p == 0) {
        close(pipefd[0]);
        write(pipefd[1], "r", 1);            /* "ready" */
        for (;;)
            pause();
    }
    char c;
    read(pipefd[0], &c, 1);
    close(pipefd[0]), close(pipefd[1]);
    printf("WNOHANG while it runs: %d\n", waitpid(p, &st, WNOHANG));
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    show("child killed by parent", st);

    /* a child that catches SIGTERM and exits with a code */
    pipe(pipefd);
    p = fork();
    if (p == 0) {
        signal(SIGTERM, on_term);
        close(pipefd[0]);
        write(pipefd[1], "r", 1);
        while (!term_seen)
            pause();
        _exit(42);
    }
    read(pipefd[0], &c, 1);
    close(pipefd[0]), close(pipefd[1]);
    kill(p, SIGTERM);
    waitpid(p, &st, 0);
    show("child catches SIGTERM", st);

    /* a child's own signal with no handler */
    p = fork();
    if (p == 0) {
        raise(SIGUSR1);
        _exit(1);
    }
    waitpid(p, &st, 0);
    show("child raises SIGUSR1", st);

    /* getppid in the child, and WNOHANG until it is done */
    pipe(pipefd);
    p = fork();
    if (p == 0) {
        char ok = getppid() == me ? 'y' : 'n';
        write(pipefd[1], &ok, 1);
        _exit(5);
    }
    read(pipefd[0], &c, 1);
    close(pipefd[0]), close(pipefd[1]);
    printf("child sees its parent: %c\n", c);
    int polls = 0;
    while (waitpid(p, &st, WNOHANG) == 0)
        polls++;
    show("polled with WNOHANG", st);

    /* wait4 with rusage, and wait() for any child, in pid order of exit */
    p = fork();
    if (p == 0)
        _exit(9);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    pid_t w = wait4(p, &st, 0, &ru);
    printf("wait4: right child %d, rusage filled %d\n", w == p,
           ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
    show("wait4", st);

    /* waitid: the siginfo of an exit and of a kill, WNOWAIT leaves it waitable */
    p = fork();
    if (p == 0)
        _exit(17);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
    printf("waitid WNOWAIT: %d signo %d code %d (CLD_EXITED %d) status %d pid ok %d\n", r,
           si.si_signo, si.si_code, CLD_EXITED, si.si_status, si.si_pid == p);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    printf("waitid: %d code %d status %d pid ok %d\n", r, si.si_code, si.si_status,
           si.si_pid == p);
    p = fork();
    if (p == 0) {
        for (;;)
            pause();
    }
    memset(&si, 0x55, sizeof si);
    r = waitid(P_PID, p, &si, WEXITED | WNOHANG);
    printf("waitid WNOHANG, nothing yet: %d signo %d pid %d\n", r, si.si_signo, si.si_pid);
    kill(p, SIGKILL);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, p, &si, WEXITED);
    printf("waitid killed: %d code %d (CLD_KILLED %d) status %d\n", r, si.si_code,
           CLD_KILLED, si.si_status);

    /* no children left */
    errno = 0;
    w = wait(&st);
    printf("wait with no children: %d errno ECHILD %d\n", w, errno == ECHILD);

    /* vfork: the parent goes on when the child _exits */
    fflush(stdout);
    p = vfork();
    if (p == 0)
        _exit(3);
    waitpid(p, &st, 0);
    show("vfork child", st);

    /* SIGCHLD with SA_SIGINFO */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, 0);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    p = fork();
    if (p == 0)
        _exit(11);
    expect_pid = p;
    while (chld_count == 0)
        sigsuspend(&old);
    printf("SIGCHLD: count %d code %d (CLD_EXITED %d) status %d pid ok %d\n", chld_count,
           chld_code, CLD_EXITED, chld_status, chld_pid_ok);
    waitpid(p, &st, 0);
    show("after SIGCHLD", st);
    sigprocmask(SIG_SETMASK, &old, 0);

    /* SIGCHLD ignored: children are reaped by themselves, wait finds none */
    signal(SIGCHLD, SIG_IGN);
    p = fork();
    if (p == 0)
        _exit(0);
    errno = 0;
    w = waitpid(p, &st, 0);
    printf("SIG_IGN'd SIGCHLD: waitpid %d errno ECHILD %d\n", w, errno == ECHILD);
    return 0;
}
