/* execve: its errors first (nothing changes), then a fork child that execs
 * exec_child with what must survive (pid, fds without close-on-exec, ignored signals,
 * the mask, pending signals) and what must not; then a #! script, then an exec of the
 * process itself.  argv[1] is exec_child's path, argv[2] a directory holding the files
 * the test prepared: notes.txt (text, executable), noexec (not executable), script (#!
 * exec_child --pid), dynamic (a dynamically linked sparc64 program), x86 (a host ELF). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int s) { (void)s; }

static void try_exec(const char *what, const char *path)
{
    char *av[] = {(char *)path, 0}, *ev[] = {0};
    errno = 0;
    int r = execve(path, av, ev);
    printf("execve %-22s -> %d %s\n", what, r, strerror(errno));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IOLBF, 0);
    if (argc < 3)
        return 2;
    const char *child = argv[1], *dir = argv[2];
    char path[4096];

    /* errors: the process goes on unchanged */
    snprintf(path, sizeof path, "%s/no-such-file", dir);
    try_exec("(missing file)", path);
    try_exec("(a directory)", dir);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    try_exec("(text, no #!)", path);
    snprintf(path, sizeof path, "%s/noexec", dir);
    try_exec("(no execute permission)", path);
    snprintf(path, sizeof path, "%s/dynamic", dir);
    if (access(path, X_OK) == 0)
        try_exec("(dynamically linked)", path);
    snprintf(path, sizeof path, "%s/x86", dir);
    if (access(path, X_OK) == 0)
        try_exec("(another machine's ELF)", path);
    char *bad[] = {"x", (char *)1, 0};
    errno = 0;
    int r = execve(child, bad, 0);
    printf("execve (bad argv pointer) -> %d %s\n", r, strerror(errno));
    printf("still here, pid unchanged\n");

    /* a fork child execs exec_child */
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(fd, 5);
    fcntl(5, F_SETFD, FD_CLOEXEC);
    int keep = open("/dev/null", O_RDONLY);
    dup2(keep, 6);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    static char alt[16384];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    sigaltstack(&ss, 0);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGINT);
    sigprocmask(SIG_BLOCK, &m, 0);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        raise(SIGINT);                          /* blocked: stays pending across exec */
        char pid[16];
        snprintf(pid, sizeof pid, "%d", getpid());
        char *av[] = {"exec_child", "--pid", pid, "last arg", 0};
        char *ev[] = {"EXEC_TEST=yes", "B=2", 0};
        execve(child, av, ev);
        _exit(99);
    }
    int st;
    waitpid(p, &st, 0);
    printf("parent: exec'd child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* a #! script whose interpreter is exec_child */
    snprintf(path, sizeof path, "%s/script", dir);
    fflush(stdout);
    p = fork();
    if (p == 0) {
        char *av[] = {"script-argv0", "extra", 0};
        char *ev[] = {"EXEC_TEST=script", 0};
        execve(path, av, ev);
        _exit(98);
    }
    waitpid(p, &st, 0);
    printf("parent: script child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* vfork + execve: the parent waits until the exec */
    fflush(stdout);
    p = vfork();
    if (p == 0) {
        char *av[] = {"vforked", 0};
        char *ev[] = {0};
        execve(child, av, ev);
        _exit(97);
    }
    waitpid(p, &st, 0);
    printf("parent: vfork+exec child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
