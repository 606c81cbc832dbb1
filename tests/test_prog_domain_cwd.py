"""A domain program's processes each have their own working directory and file mode
creation mask (chdir(2), umask(2): per process; fork(2) copies them): the host's are
one per host process, so the proxy (sun4v/boot/progproxy.py) keeps each process's and
installs it for each of its calls.

- the parent goes to A with umask 022 and forks; the child goes to B with umask 077 and
  creates a file there (mode 0600); the parent then is still in A (getcwd), its umask
  still 022, and what it creates lands in A (mode 0644) -- the same lines as
  qemu-sparc64 prints, the same files;
- the simulator's own working directory has not moved."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from progdomkit import boot_program, build_program  # noqa: E402
from qemu_oracle import compare_runs, run_qemu  # noqa: E402

CWD = r'''
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
static int in(const char *dir) {
    char buf[4096];
    return getcwd(buf, sizeof buf) && strcmp(buf, dir) == 0;
}
int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    if (chdir(argv[1]) != 0)
        return 3;
    umask(022);
    pid_t c = fork();
    if (c == 0) {
        printf("child: in A %d\n", in(argv[1]));
        chdir(argv[2]);
        printf("child: umask was %03o\n", (unsigned)umask(077));
        close(open("c", O_CREAT | O_WRONLY, 0666));
        printf("child: in B %d\n", in(argv[2]));
        return 0;
    }
    int st;
    waitpid(c, &st, 0);
    printf("parent: child exit %d, in A %d\n", WEXITSTATUS(st), in(argv[1]));
    close(open("p", O_CREAT | O_WRONLY, 0666));
    printf("parent: umask was %03o\n", (unsigned)umask(0));
    return 0;
}
'''

EXPECTED = (b"child: in A 1\nchild: umask was 022\nchild: in B 1\n"
            b"parent: child exit 0, in A 1\nparent: umask was 022\n")


def _dirs(root):
    a, b = root / "A", root / "B"
    a.mkdir(parents=True)
    b.mkdir()
    return a, b


def _files(a, b):
    return {str(p.relative_to(p.parent.parent)): stat.S_IMODE(p.stat().st_mode)
            for d in (a, b) for p in sorted(d.iterdir())}


def test_working_directory_and_umask_are_per_process(tmp_path):
    exe = build_program(tmp_path, "cwd", CWD)
    qa, qb = _dirs(tmp_path / "qemu")
    qemu = run_qemu(exe, [str(qa), str(qb)])
    assert qemu[0] == EXPECTED, qemu
    assert _files(qa, qb) == {"A/p": 0o644, "B/c": 0o600}
    here, mask = os.getcwd(), os.umask(0o022)
    os.umask(mask)
    da, db = _dirs(tmp_path / "domain")
    out, err, rc, _s = boot_program(exe, [str(da), str(db)], until="3s")
    compare_runs("cwd in a domain", qemu, (out, err, rc))
    assert _files(da, db) == {"A/p": 0o644, "B/c": 0o600}
    assert os.getcwd() == here
    now = os.umask(mask)
    assert now == mask


SLEEPER = r'''
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char buf[4096];
    struct timespec d = {0, 50000000};
    if (argc != 2 || chdir(argv[1]) != 0)
        return 2;
    umask(027);
    nanosleep(&d, 0);                   /* (saved and restored here) */
    close(open("f", O_CREAT | O_WRONLY, 0666));
    printf("in A %d, umask was %03o\n",
           getcwd(buf, sizeof buf) && strcmp(buf, argv[1]) == 0, (unsigned)umask(0));
    return 0;
}
'''


def test_working_directory_and_umask_survive_a_restore(tmp_path):
    """Saved in the middle of a sleep after chdir and umask, restored: the program is
    still in its directory with its umask (sun4v/boot/progstate.py saves the process's
    own, not the simulator's) and the simulator's directory has not moved."""
    from sun4v.boot import System
    from sun4v.boot.config import parse_config
    exe = build_program(tmp_path, "sleeper", SLEEPER)
    a = tmp_path / "A"
    a.mkdir()
    here = os.getcwd()
    cfg = parse_config({"platform": "T5220", "domain": [
        {"name": "primary", "vcpus": 1, "memory": "1G", "program": str(exe),
         "args": [str(a)]}]})
    s = System(cfg)
    out = bytearray()

    def on_program(_name, stream, data):
        if stream == "out":
            out.extend(data)

    s.run(until=s.steps("20ms"), on_program=on_program)
    assert s.program_results()["primary"][0] == "running" and not out
    path = str(tmp_path / "cwd.ckpt")
    s.checkpoint(path)
    s.close()
    r = System.restore(path)
    r.run(until=r.steps("1s"), on_program=on_program)
    r.close()
    assert r.program_results()["primary"] == ("exited", 0)
    assert bytes(out) == b"in A 1, umask was 027\n"
    assert stat.S_IMODE((a / "f").stat().st_mode) == 0o640
    assert os.getcwd() == here
