"""A domain program's alternate signal stacks are per thread (sigaltstack(2): "Each
thread has its own alternate signal stack"; a thread made by pthread_create starts
with none, a fork child has its parent thread's, execve drops it -- Linux
copy_process's sas_ss_reset for CLONE_VM without CLONE_VFORK, and exec's):

- a second thread sees no alternate stack (SS_DISABLE) though the main thread set one,
  its SA_ONSTACK handler runs on its own stack, then on the alternate stack it sets;
  meanwhile the main thread's stays its own and its handler runs on it;
- a fork child reports the parent's stack (same address, flags 0) and its handler runs
  on it; the program run by execve in a child reports SS_DISABLE.

The same lines as under qemu-sparc64 (whose linux-user keeps the stack per thread),
but for the execve (which qemu-sparc64 cannot do for a SPARC binary)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progdomkit import boot_program, build_program  # noqa: E402
from qemu_oracle import compare_runs, run_qemu  # noqa: E402

ALTSTACK = r'''
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static char stack_a[65536], stack_b[65536];
static volatile int where;      /* 0: not run, 1: on A, 2: on B, 3: elsewhere */
static void on_usr1(int s) {
    char here;
    (void)s;
    where = (&here >= stack_a && &here < stack_a + sizeof stack_a) ? 1
          : (&here >= stack_b && &here < stack_b + sizeof stack_b) ? 2 : 3;
}
static const char *state(void) {
    stack_t o;
    sigaltstack(0, &o);
    if (o.ss_flags & SS_DISABLE)
        return "none";
    return o.ss_sp == stack_a ? "A" : o.ss_sp == stack_b ? "B" : "other";
}
static void set(char *base) {
    stack_t s = {base, 0, 65536};
    sigaltstack(&s, 0);
}
static int run_on(void) {
    where = 0;
    raise(SIGUSR1);
    return where;
}
static void *second(void *arg) {
    (void)arg;
    printf("thread: altstack %s, handler on %d\n", state(), run_on());
    set(stack_b);
    printf("thread: altstack %s, handler on %d\n", state(), run_on());
    return 0;
}
int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "query")) {
        printf("after execve: altstack %s\n", state());
        return 0;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, 0);
    printf("main: altstack %s\n", state());
    set(stack_a);
    printf("main: altstack %s, handler on %d\n", state(), run_on());
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, 0, second, 0);
    pthread_join(t, 0);
    printf("main after the thread: altstack %s, handler on %d\n", state(), run_on());
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        printf("fork child: altstack %s, handler on %d\n", state(), run_on());
        return 0;
    }
    waitpid(c, 0, 0);
    fflush(stdout);
    if (argc > 1)               /* "noexec": qemu-sparc64 cannot execve a SPARC binary */
        return 0;
    c = fork();
    if (c == 0) {
        execl(argv[0], argv[0], "query", (char *)0);
        return 99;
    }
    int st;
    waitpid(c, &st, 0);
    printf("execve child exit %d\n", WEXITSTATUS(st));
    return 0;
}
'''

EXPECTED = (b"main: altstack none\n"
            b"main: altstack A, handler on 1\n"
            b"thread: altstack none, handler on 3\n"
            b"thread: altstack B, handler on 2\n"
            b"main after the thread: altstack A, handler on 1\n"
            b"fork child: altstack A, handler on 1\n")
EXEC_LINES = (b"after execve: altstack none\n"
            b"execve child exit 0\n")


def test_alternate_signal_stack_is_per_thread(tmp_path):
    exe = build_program(tmp_path, "altstack", ALTSTACK, "-pthread")
    qemu = run_qemu(exe, ["noexec"])
    assert qemu[0] == EXPECTED, qemu
    got = boot_program(exe, ["noexec"], vcpus=2, until="5s")[:3]
    compare_runs("altstack in a domain", qemu, got)
    out, err, rc, _s = boot_program(exe, vcpus=2, until="5s")
    assert (out, err, rc) == (EXPECTED + EXEC_LINES, b"", 0), (out, err, rc)
