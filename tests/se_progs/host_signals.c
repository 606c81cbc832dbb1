/* Signals from outside the program: it says "ready", then waits (pause) for SIGTERM.
 * With "handle" it catches it (SA_SIGINFO: the sender's pid is the parent's) and exits
 * 0; without, SIGTERM's default action ends it. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    printf("caught signal %d, si_code SI_USER %d, sender is my parent %d\n", sig,
           si->si_code == SI_USER, si->si_pid == getppid());
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "handle") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_term;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGTERM, &sa, 0);
    }
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
