"""A domain program's clocks, threads and CPU time (issue 14 §1), with small programs
built here (their output depends on timing, so they are not in the qemu corpus):

- its clock_gettime reads the domain's simulated time, the clock its sleeps run on: a
  50 ms nanosleep measures 50 ms (and a little more), two runs print the same
  nanoseconds (with the host's clock they would not), and so does a run saved in the
  middle of the sleep and restored;
- a program creating more threads over its life than the guest kernel's thread table
  holds (1024) still works: each thread signals itself (tgkill) and is joined;
- the program's pages are mapped in its own MMU context, never in the kernel's context
  0 (so that user mode reaches only them on a core whose strands share the TLB);
- a forked child's memory is its own copy: what the child writes (a global, the heap,
  an anonymous mapping, its stack) the parent does not see, and the reverse, while
  both run on vCPUs of one core (whose strands share the TLB); a checkpoint while a
  child lives is refused in one line;
- execve: errors leave the caller as it was (ENOENT, EACCES); a forked child, a vfork
  child and the process itself run another static program (the corpus's args.c) with
  its arguments and environment, as under `sun4v run`;
- ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time (setitimer(2)): not while
  it sleeps, and they fire while it computes -- as under `sun4v run` (whose CPU time is
  the instructions it ran) and Linux."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progdomkit import boot_program, build_program  # noqa: E402
from qemu_oracle import (compare_runs, corpus_binary, ensure_corpus,  # noqa: E402
                         run_sun4v)
from sun4v.boot import System  # noqa: E402
from sun4v.boot.config import parse_config  # noqa: E402
from sun4v.checkpoint import CheckpointError  # noqa: E402
from sun4v.cmt import mmu as MMU  # noqa: E402

KERNBASE = 0x4000_0000                  # sun4v/guest/layout.h: the kernel's linear map
PROG_CTX = 1                            # sun4v/guest/prog.h

CLOCK = r'''
#include <stdio.h>
#include <time.h>
#include <sys/time.h>
int main(void) {
    struct timespec a, b, d = {0, 50000000};
    struct timeval r;
    clock_gettime(CLOCK_MONOTONIC, &a);
    nanosleep(&d, 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    gettimeofday(&r, 0);
    printf("slept %ld ns, at %ld.%06ld\n",
           (long)(b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec),
           (long)r.tv_sec, (long)r.tv_usec);
    return 0;
}
'''

MANY_THREADS = r'''
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#define N 1500
static volatile int hits, failed;
static void on_usr1(int s) { (void)s; __sync_fetch_and_add(&hits, 1); }
static void *body(void *arg) {
    if (pthread_kill(pthread_self(), SIGUSR1) != 0)
        __sync_fetch_and_add(&failed, 1);
    return arg;
}
int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    int made = 0, joined = 0;
    for (int i = 0; i < N; i++) {
        pthread_t t;
        void *r;
        if (pthread_create(&t, 0, body, (void *)(long)i) != 0)
            break;
        made++;
        if (pthread_join(t, &r) == 0 && (long)r == i)
            joined++;
    }
    printf("threads %d joined %d signalled %d failed %d\n", made, joined, hits, failed);
    return made == N ? 0 : 1;
}
'''

ISOLATION = r'''
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile long global = 1;
static int bad(volatile long *g, volatile long *h, volatile long *m, volatile long *s, long v) {
    return (*g != v) | (*h != v) << 1 | (*m != v) << 2 | (*s != v) << 3;
}
int main(void) {
    volatile long *heap = malloc(64 * 1024), stack = 1;
    volatile long *map = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0);
    *heap = 1, *map = 1;
    int to_parent[2], to_child[2];
    pipe(to_parent), pipe(to_child);
    char c;
    pid_t p = fork();
    if (p == 0) {
        global = 2, *heap = 2, *map = 2, stack = 2;    /* the child's copy */
        write(to_parent[1], "c", 1);
        read(to_child[0], &c, 1);                      /* the parent has written 3 */
        _exit(bad(&global, heap, map, &stack, 2));
    }
    read(to_parent[0], &c, 1);                         /* the child has written 2 */
    printf("parent after the child's writes: %d\n", bad(&global, heap, map, &stack, 1));
    global = 3, *heap = 3, *map = 3, stack = 3;
    write(to_child[1], "p", 1);
    int st;
    waitpid(p, &st, 0);
    printf("child after the parent's writes: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
'''

CHILDREN_THREADS = r'''
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static unsigned long sums[4];
static void *work(void *arg) {
    long k = (long)arg;
    unsigned long x = 88172645463325252UL + k, s = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        s += x;
    }
    sums[k] = s;
    return 0;
}
int main(void) {
    pid_t kids[3];
    for (int c = 0; c < 3; c++) {
        kids[c] = fork();
        if (kids[c] == 0) {                 /* 4 threads, a heap of its own */
            pthread_t t[4];
            unsigned long *heap = malloc(1 << 20);
            for (long k = 0; k < 4; k++)
                pthread_create(&t[k], 0, work, (void *)(k + 10 * c));
            for (int k = 0; k < 4; k++)
                pthread_join(t[k], 0);
            heap[1000] = sums[0] ^ sums[1] ^ sums[2] ^ sums[3];
            _exit((int)(heap[1000] % 200));
        }
    }
    for (int c = 0; c < 3; c++) {
        int st;
        waitpid(kids[c], &st, 0);
        printf("child %d: exited %d\n", c, WEXITSTATUS(st));
    }
    return 0;
}
'''

CHILD_SLEEPS = r'''
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    pid_t p = fork();
    if (p == 0) {
        struct timespec t = {0, 100000000};
        nanosleep(&t, 0);
        _exit(7);
    }
    int st;
    waitpid(p, &st, 0);
    printf("child %d\n", WEXITSTATUS(st));
    return 0;
}
'''

EXEC = r'''
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IOLBF, 0);
    char *none[] = {"x", 0};
    errno = 0;
    int r = execve("/nonexistent/program", none, 0);
    printf("execve of a missing file: %d ENOENT %d\n", r, errno == ENOENT);
    errno = 0;
    r = execve("/dev/null", none, 0);
    printf("execve of /dev/null: %d EACCES %d\n", r, errno == EACCES);
    int st;
    pid_t p = fork();
    if (p == 0) {
        char *av[] = {"args", "one", "two words", 0};
        char *ev[] = {"A=1", 0};
        execve(argv[1], av, ev);
        _exit(99);
    }
    waitpid(p, &st, 0);
    printf("forked child: exited %d\n", WEXITSTATUS(st));
    p = vfork();
    if (p == 0) {
        char *av[] = {"args", "vforked", 0};
        execve(argv[1], av, 0);
        _exit(98);
    }
    waitpid(p, &st, 0);
    printf("vfork child: exited %d\n", WEXITSTATUS(st));
    char *av[] = {"args", "the", "last", "image", 0};
    execve(argv[1], av, 0);
    return 97;
}
'''

ITIMERS = r'''
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
static volatile int vt, pf;
static void on_vt(int s) { (void)s; vt++; }
static void on_pf(int s) { (void)s; pf++; }
static void burn(volatile int *flag) {
    volatile unsigned long x = 0;
    for (unsigned long i = 0; !*flag && i < 4000000000UL; i++)
        x += i;
}
static void check(int which, const char *name, volatile int *flag) {
    struct itimerval v = {{0, 0}, {0, 20000}}, left;
    struct timespec d = {0, 200000000};
    setitimer(which, &v, 0);
    nanosleep(&d, 0);                   /* 200 ms asleep: no CPU time */
    getitimer(which, &left);
    printf("%s after a 200 ms sleep: fired %d, left more than 10 ms %d\n", name, *flag,
           left.it_value.tv_sec == 0 && left.it_value.tv_usec > 10000);
    burn(flag);
    printf("%s after computing: fired %d\n", name, *flag);
}
int main(void) {
    signal(SIGVTALRM, on_vt);
    signal(SIGPROF, on_pf);
    check(ITIMER_VIRTUAL, "ITIMER_VIRTUAL", &vt);
    check(ITIMER_PROF, "ITIMER_PROF", &pf);
    return 0;
}
'''


def test_clock_is_the_domains_simulated_time(tmp_path):
    exe = build_program(tmp_path, "clock", CLOCK)
    runs = [boot_program(exe, until="1s")[:3] for _ in range(2)]
    out, err, rc = runs[0]
    assert rc == 0 and err == b"", runs[0]
    assert runs[0] == runs[1], f"two runs differ: {runs}"
    ns = int(out.split()[1])
    assert 50_000_000 <= ns < 55_000_000, out     # the sleep, and the calls around it


def test_clock_goes_on_after_a_restore(tmp_path):
    """Saved 20 ms into the 50 ms sleep, restored: the clock the program reads goes on
    from the saved machine's time (sun4v/boot/progstate.py rebuilds the host side with
    progproxy's _make_syscalls): the output of the run that went straight on."""
    exe = build_program(tmp_path, "clock", CLOCK)
    straight = boot_program(exe, until="1s")[:3]
    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 2, "memory": "1G", "program": str(exe), "args": []}]})
    s = System(cfg)
    out = {"out": bytearray(), "err": bytearray()}

    def on_program(_name, stream, data):
        out[stream] += data

    s.run(until=s.steps("20ms"), on_program=on_program)
    assert s.program_results()["primary"][0] == "running" and not out["out"]
    path = str(tmp_path / "clock.ckpt")
    s.checkpoint(path)
    s.close()
    r = System.restore(path)
    r.run(until=r.steps("1s"), on_program=on_program)
    r.close()
    state, status = r.program_results()["primary"]
    assert (bytes(out["out"]), bytes(out["err"]), status if state == "exited" else None) \
        == straight


def test_program_pages_are_in_its_own_context(tmp_path):
    """Stopped while it sleeps: the TLBs hold the program's pages (its text, data and
    stack) under its context, and nothing outside the kernel's linear map (the 1 GB
    domain's) under the kernel's context 0."""
    exe = build_program(tmp_path, "clock", CLOCK)
    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 2, "memory": "1G", "program": str(exe), "args": []}]})
    s = System(cfg)
    s.run(until=s.steps("20ms"))
    assert s.program_results()["primary"][0] == "running"
    tlb = s.m.mmu.tlb.reshape(-1, 3)
    valid = tlb[(tlb[:, MMU.TLB_KEY] & MMU.KEY_VALID) != 0]
    valid = valid[(valid[:, MMU.TLB_KEY] & MMU.KEY_REAL) == 0]
    ctx = valid[:, MMU.TLB_KEY] & 0x1FFF
    va = valid[:, MMU.TLB_VA]
    user = va[ctx == PROG_CTX]
    assert len(user) >= 3 and all(v < KERNBASE or v >= KERNBASE + (1 << 30) for v in user)
    kernel = va[ctx == 0]
    assert all(KERNBASE <= v < KERNBASE + (1 << 30) for v in kernel), \
        [hex(v) for v in kernel if not KERNBASE <= v < KERNBASE + (1 << 30)]
    assert set(ctx.tolist()) <= {0, PROG_CTX}
    s.close()


def test_forked_child_memory_is_its_own(tmp_path):
    exe = build_program(tmp_path, "isolation", ISOLATION)
    out, err, rc, _s = boot_program(exe, vcpus=2, until="3s")
    assert out == (b"parent after the child's writes: 0\n"
                   b"child after the parent's writes: 0\n"), (out, err, rc)
    compare_runs("isolation in a domain", run_sun4v(exe), (out, err, rc))


def test_children_with_threads_at_once(tmp_path):
    """Three children at once, four threads each, over four vCPUs: each exits with what
    its threads computed, as under `sun4v run`."""
    exe = build_program(tmp_path, "children_threads", CHILDREN_THREADS, "-pthread")
    out, err, rc, _s = boot_program(exe, vcpus=4, until="5s")
    assert out.count(b": exited ") == 3, (out, err, rc)
    compare_runs("children_threads in a domain", run_sun4v(exe), (out, err, rc))


def test_checkpoint_with_a_child_is_refused(tmp_path):
    exe = build_program(tmp_path, "child_sleeps", CHILD_SLEEPS)
    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 2, "memory": "1G", "program": str(exe), "args": []}]})
    s = System(cfg)
    s.run(until=s.steps("30ms"))
    path = tmp_path / "c.ckpt"
    with pytest.raises(CheckpointError) as e:
        s.checkpoint(str(path))
    assert str(e.value) == ("domain primary: the program has child processes (fork): "
                            "they cannot be saved in a checkpoint")
    assert not path.exists()
    out = bytearray()
    s.run(until=s.steps("1s"), on_program=lambda _n, _s, d: out.extend(d))
    assert bytes(out) == b"child 7\n" and s.program_results()["primary"] == ("exited", 0)
    s.close()


def test_execve(tmp_path):
    ensure_corpus()
    target = corpus_binary("args", "O2")
    exe = build_program(tmp_path, "exec", EXEC)
    out, err, rc, _s = boot_program(exe, [target], vcpus=2, until="3s")
    assert b"execve of a missing file: -1 ENOENT 1" in out and rc == 4, (out, err, rc)
    assert out.count(b"argc=") == 3 and b'argv[2]="two words"' in out
    compare_runs("exec in a domain", run_sun4v(exe, [target]), (out, err, rc))


def test_more_threads_over_its_life_than_the_table_holds(tmp_path):
    exe = build_program(tmp_path, "many_threads", MANY_THREADS, "-pthread")
    out, err, rc, _s = boot_program(exe, vcpus=2, until="20s")
    assert out == b"threads 1500 joined 1500 signalled 1500 failed 0\n", (out, err, rc)
    compare_runs("many_threads in a domain", run_sun4v(exe), (out, err, rc))


def test_cpu_time_itimers_count_the_process_cpu_time(tmp_path):
    exe = build_program(tmp_path, "itimers", ITIMERS)
    out, err, rc, _s = boot_program(exe, until="5s")
    assert out.count(b"after a 200 ms sleep: fired 0, left more than 10 ms 1") == 2, out
    assert out.count(b"after computing: fired 1") == 2, out
    compare_runs("itimers in a domain", run_sun4v(exe), (out, err, rc))
