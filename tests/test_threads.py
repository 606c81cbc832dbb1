"""Threads on strands in syscall-emulation mode: pthread programs (tests/progs/threads_*.c)
under `sun4v run` in functional and cycle mode (T1 and T2) print what qemu-sparc64
prints; --strands limits the threads (EAGAIN, one warning); runs are deterministic; the
futex layer's rarer paths (timeouts, deadlock) are checked on a hand-driven ThreadGroup."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qemu_oracle import (  # noqa: E402
    compare_runs, corpus_binary, ensure_corpus, require_tools, run_qemu,
    run_sun4v,
)

from sun4v.cmt import state as S  # noqa: E402
from sun4v.cmt.memory import PERM_R, PERM_W, Memory  # noqa: E402
from sun4v.se import threads as T  # noqa: E402
from sun4v.se.process import WALL_FIELDS, Process  # noqa: E402

PROGRAMS = ["threads_sum", "threads_mutex", "threads_condvar", "threads_barrier",
            "threads_eagain"]
WARNING = b"sun4v: no free strand for a new thread (--strands 2): clone returns EAGAIN\n"


@pytest.fixture(scope="module")
def corpus():
    require_tools()
    ensure_corpus()


def run_inproc(binary, args=(), **opts):
    """Run a program in this process (numba already loaded): (stdout, stderr, status,
    Process). Output is captured at the file descriptor level."""
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            proc = Process(str(binary), args, **opts)
            status = proc.run()
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), status, proc


@pytest.mark.parametrize("name", PROGRAMS)
def test_threads_match_qemu(corpus, name):
    """Functional mode (-O0 and -O2), cycle mode on T1 and on T2 (-O2): qemu's output."""
    for opt in ("O0", "O2"):
        binary = corpus_binary(name, opt)
        expected = run_qemu(binary)
        out, err, rc, proc = run_inproc(binary)
        compare_runs(f"{binary.name} functional", expected, (out, err, rc))
        assert proc.tg.total_created == 5
    binary = corpus_binary(name, "O2")
    expected = run_qemu(binary)
    for chip in ("t1", "t2"):
        out, err, rc, proc = run_inproc(binary, chip=chip, mode="cycle")
        compare_runs(f"{binary.name} cycle {chip}", expected, (out, err, rc))
        st = proc.stats()
        # every thread ran on its own strand: main on 0, workers on the next ones
        assert [r["id"] for r in st["strands"]] == list(range(5))
        assert st["instructions"] == sum(r["instructions"] for r in st["strands"])
        assert st["threads"]["threads_created"] == 5


def test_strand_limit_gives_eagain_and_one_warning(corpus):
    binary = corpus_binary("threads_eagain", "O2")
    out, err, rc = run_sun4v(binary, extra_opts=("--strands", "2"))
    assert rc == 0
    assert out == (b"thread 0: created, ran 100\n"
                   + b"".join(b"thread %d: pthread_create failed: EAGAIN\n" % i
                              for i in (1, 2, 3))
                   + b"1 of 4 threads created\n")
    assert err == WARNING                       # once, though three clones failed
    # the same limit in cycle mode
    out2, err2, rc2, _ = run_inproc(binary, chip="t1", mode="cycle", strands=2)
    assert (out2, err2, rc2) == (out, err, rc)
    # enough strands: every thread created, no warning
    out3, err3, rc3, _ = run_inproc(binary, strands=5)
    assert b"4 of 4 threads created" in out3 and err3 == b"" and rc3 == 0


def test_freed_strands_are_reused(corpus):
    """Joined threads free their strands: with --strands 2 the sum program still fails
    (its four workers overlap), but a strand freed by an exited thread is taken again."""
    binary = corpus_binary("threads_sum", "O2")
    out, err, rc, proc = run_inproc(binary, strands=2)
    assert rc == 1 and out == b"pthread_create 1 failed\n" and err == WARNING


def _stats_json(binary, tmp_path, tag, chip="t2"):
    path = tmp_path / f"{tag}.json"
    out, err, rc, proc = run_inproc(binary, chip=chip, mode="cycle")
    proc.write_stats(str(path))
    st = json.loads(path.read_text())
    for k in WALL_FIELDS:
        st.pop(k)
    return out, rc, st


def test_cycle_mode_is_deterministic(corpus, tmp_path):
    binary = corpus_binary("threads_condvar", "O2")
    a = _stats_json(binary, tmp_path, "a")
    b = _stats_json(binary, tmp_path, "b")
    assert a == b
    st = a[2]
    assert st["cycles"] > 0 and st["threads"]["futex_waits"] > 0
    # threads blocked in futexes show it in their cycle accounts
    assert any("wait_futex" in r["cycles"] for r in st["strands"])


def test_functional_mode_is_deterministic(corpus):
    binary = corpus_binary("threads_mutex", "O2")
    runs = [run_inproc(binary)[3] for _ in range(2)]
    a, b = ([(r["id"], r["instructions"]) for r in p.stats()["strands"]] for p in runs)
    assert a == b and len(a) == 5


def test_stats_summary_tables(corpus):
    binary = corpus_binary("threads_barrier", "O2")
    out, err, rc = run_sun4v(binary, extra_opts=("--mode", "cycle", "--chip", "t1",
                                                 "--stats", "-"))
    assert rc == 0 and b"barrier serial threads: 20 of 20 phases" in out
    text = err.decode()
    assert "cycle mode" in text and "threads: 5 created" in text
    assert "strand core  instructions" in text and "core  instructions     IPC" in text
    assert "l2 " in text and "ccx" in text and "memory" in text


# ---- the thread layer by hand -------------------------------------------------------------
class Box:
    """Memory, four strands and a ThreadGroup without an engine."""

    def __init__(self, max_strands=4):
        self.mem = Memory()
        self.mem.map(0x100000, 0x10000, PERM_R | PERM_W)
        self.St = S.StrandArrays(4)
        self.tg = T.ThreadGroup(self.St, self.mem, 1000, max_strands)

    def spawn(self):
        St = self.St
        St.set_reg(0, 14, 0x104000 - 2047)          # parent %sp
        St.set_reg(0, 30, 0x104000 + 192 - 2047)    # parent %fp: one frame above
        return self.tg.clone(0, 0x3D0F00, 0x10C000, 0x100100, 0x55AA, 0x100100, 0)


def test_clone_registers_and_stack():
    b = Box()
    tid = b.spawn()
    St, tg = b.St, b.tg
    assert tid == 1001 and b.mem.read_u32(0x100100) == 1001       # PARENT_SETTID
    c = 1
    assert St.get_reg(c, 8) == 1000 and St.get_reg(c, 9) == 1     # child: parent pid, 1
    assert St.get_reg(0, 9) == 0                                  # parent %o1 = 0
    assert St.get_reg(c, 7) == 0x55AA                             # TLS in %g7
    top = (0x10C000 + 2047) & ~15
    assert St.get_reg(c, 14) == top - 192 - 2047                  # the frame copied below
    assert St.get_reg(c, 30) == top - 2047
    assert b.mem.read_u64(top - 192 + 8 * 14) == top - 2047       # saved %fp in the copy
    assert tg.threads[c].clear_tid == 0x100100


def test_futex_wait_wake_timeout_and_exit():
    b = Box()
    tg, mem = b.tg, b.mem
    b.spawn()
    b.spawn()
    mem.write_u32(0x100200, 7)
    assert tg.futex(1, 0x100200, T.FUTEX_WAIT | 128, 6, 0, 0, 0) == -T.EAGAIN
    assert tg.futex(1, 0x100200, T.FUTEX_WAIT_BITSET | 128, 7, 0, 0, 1) is T.BLOCK
    assert tg.futex(2, 0x100200, T.FUTEX_WAIT_BITSET, 7, 0x1000, 0, 2) is T.BLOCK
    assert tg.runnable() == [0]
    # a bitset wake only reaches waiters whose bits match
    assert tg.futex(0, 0x100200, T.FUTEX_WAKE_BITSET, 5, 0, 0, 2) == 1
    assert tg.runnable() == [0, 2] and tg.woken == [2]
    # a timed wait ends with ETIMEDOUT only when asked to (nobody else can run)
    assert tg.futex(2, 0x100200, T.FUTEX_WAIT_BITSET | 256, 7, 0x1000, 0, T.BITSET_ANY) \
        is T.BLOCK
    assert tg.expire_timeout() and b.St.get_reg(2, 8) == T.ETIMEDOUT
    assert int(b.St.C[2, S.CCR]) & T.CARRY
    assert not tg.expire_timeout()                  # strand 1 waits without a timeout
    assert tg.futex(0, 0x100200, T.FUTEX_WAKE, 1, 0, 0, 0) == 1
    # thread exit: CLONE_CHILD_CLEARTID stores 0 and wakes a joiner
    mem.write_u32(0x100100, 1001)
    assert tg.futex(0, 0x100100, T.FUTEX_WAIT, 1001, 0, 0, 0) is T.BLOCK
    assert tg.exit_thread(1, 0) is None
    assert mem.read_u32(0x100100) == 0 and tg.threads[0].state == T.RUNNABLE
    assert 1 not in tg.threads and tg.free_strand() == 1


def test_no_timed_waiter_is_a_deadlock():
    b = Box()
    b.mem.write_u32(0x100200, 1)
    assert b.tg.futex(0, 0x100200, T.FUTEX_WAIT, 1, 0, 0, 0) is T.BLOCK
    assert b.tg.runnable() == [] and not b.tg.expire_timeout()


def test_deadlocked_program_ends_with_status_1(corpus, tmp_path):
    """A thread joining itself waits for ever on Linux; sun4v says so and exits 1."""
    cc = __import__("shutil").which("sparc64-linux-gnu-gcc")
    src = tmp_path / "dl.c"
    src.write_text("#include <pthread.h>\n#include <stdio.h>\n"
                   "static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;\n"
                   "static void *w(void *a) { pthread_mutex_lock(&m); return a; }\n"
                   "int main(void) { pthread_t t; pthread_mutex_lock(&m);\n"
                   "  pthread_create(&t, 0, w, 0); pthread_join(t, 0); puts(\"no\");"
                   " return 0; }\n")
    exe = tmp_path / "dl"
    subprocess.run([cc, "-static", "-O2", "-o", str(exe), str(src)], check=True)
    for mode in ("functional", "cycle"):
        out, err, rc, _ = run_inproc(exe, mode=mode, chip="t1")
        assert (out, err, rc) == (b"", b"sun4v: deadlock: every thread is blocked\n", 1)
