/* Run by exec_parent.c through execve: reports what it inherited. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>

static const char *disp(int sig)
{
    struct sigaction sa;
    sigaction(sig, 0, &sa);
    return sa.sa_handler == SIG_DFL ? "SIG_DFL" : sa.sa_handler == SIG_IGN ? "SIG_IGN"
                                                                          : "a handler";
}

int main(int argc, char **argv, char **envp)
{
    printf("child: argc %d", argc);
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    int n = 0;
    for (char **e = envp; *e; e++)
        n++;
    printf("child: %d environment strings, EXEC_TEST=%s\n", n, getenv("EXEC_TEST"));
    printf("child: AT_EXECFN %s\n", (char *)getauxval(AT_EXECFN));
    if (argc > 2 && strcmp(argv[1], "--pid") == 0)
        printf("child: same pid as before exec %d\n", atoi(argv[2]) == getpid());
    errno = 0;
    printf("child: close-on-exec fd 5 closed %d (EBADF %d), fd 6 open %d\n",
           fcntl(5, F_GETFD) == -1, errno == EBADF, fcntl(6, F_GETFD) == 0);
    printf("child: SIGUSR1 %s, SIGUSR2 %s, SIGTERM %s\n", disp(SIGUSR1), disp(SIGUSR2),
           disp(SIGTERM));
    sigset_t m;
    sigprocmask(SIG_BLOCK, 0, &m);
    printf("child: SIGINT still blocked %d, SIGQUIT blocked %d\n", sigismember(&m, SIGINT),
           sigismember(&m, SIGQUIT));
    stack_t ss;
    sigaltstack(0, &ss);
    printf("child: alternate stack disabled %d\n", (ss.ss_flags & SS_DISABLE) != 0);
    sigset_t p;
    sigpending(&p);
    printf("child: SIGINT still pending %d\n", sigismember(&p, SIGINT));
    return 23;
}
